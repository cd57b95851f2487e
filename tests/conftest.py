"""Shared fixtures of this project's own tests.

`grade` grades a submission the way `make grade` does (the same command, on the
zip that `make autograder` built) and returns the parsed results.json.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ZIP = REPO / "dist" / "autograder.zip"


def _load_zoo():
    """tests/submissions/zoo.py, loaded once by path (tests/ is no package)."""
    name = "submission_zoo"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "submissions" / "zoo.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the class is created
        spec.loader.exec_module(module)
    return sys.modules[name]


zoo = _load_zoo()
SUBMISSIONS = zoo.laid_out()  # the zoo as graded: each overlay laid over the current reference solution
REFERENCE_NOTEBOOK = REPO / "solution" / "language_model.ipynb"
STENCIL_NOTEBOOK = REPO / "stencil" / "language_model.ipynb"


@functools.cache
def graded_tests() -> tuple[dict, ...]:
    """Every graded test the zip grades, in its expected/tests.json (pytest's collection of autograder/tests, which
    test_package checks is current): the counts, points and per-part lists these tests expect come from here."""
    if not ZIP.is_file():
        pytest.fail(f"{ZIP} is missing: run `make autograder` first (`make test` does).")
    return tuple(zoo.manifest(ZIP))


def points(tags=None) -> float:
    """What the graded tests of these parts (of every part if None) are worth."""
    return sum(test["max_score"] for test in graded_tests() if tags is None or test["tags"][0] in tags)


def grade_submission(submission: Path, results: Path, tags=None, timeout: float = 900, zip_path: Path = ZIP) -> dict:
    """Grade `submission` (a file or folder) with `make grade`'s command on `zip_path`; the parsed results.json."""
    if not zip_path.is_file():
        pytest.fail(f"{zip_path} is missing: run `make autograder` first (`make test` does).")
    command = [sys.executable, "-m", "autograder.package.local_grade", "--zip", str(zip_path),
               "--submission", str(submission), "--results", str(results)]
    if tags:
        command += ["--tags", ",".join(sorted(tags))]
    finished = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    assert finished.returncode == 0, f"grading failed:\n{finished.stdout[-3000:]}\n{finished.stderr[-3000:]}"
    return strict_json(results.read_text())


def strict_json(text: str):
    """Parse as Gradescope must: NaN and Infinity are not JSON."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def zip_with_cpu_budgets(folder: Path, budgets: dict) -> Path:
    """A copy of the autograder zip whose configuration gives these parts these CPU-seconds."""
    import zipfile

    path = folder / "autograder-budgets.zip"
    with zipfile.ZipFile(ZIP) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as copy:
        for member in original.infolist():
            content = original.read(member)
            if member.filename == "config.json":
                config = json.loads(content)
                for part, seconds in budgets.items():
                    config.setdefault("limits", {})[part] = {"cpu_seconds": seconds}
                content = json.dumps(config).encode()
            copy.writestr(member, content)
    return path


@pytest.fixture
def grade(tmp_path):
    """grade(submission_path, tags=None, cpu_budget=None) -> results.json as a dict."""
    counter = iter(range(1000))

    def run(submission: Path, tags=None, cpu_budget: dict | None = None) -> dict:
        zip_path = zip_with_cpu_budgets(tmp_path, cpu_budget) if cpu_budget else ZIP
        return grade_submission(Path(submission), tmp_path / f"results-{next(counter)}.json", tags, zip_path=zip_path)

    return run


def by_tag(results: dict) -> dict[str, tuple[float, float]]:
    """Points scored and available, per contract part."""
    parts: dict[str, list[float]] = {}
    for test in results["tests"]:
        score = parts.setdefault(test["tags"][0], [0.0, 0.0])
        score[0] += test["score"]
        score[1] += test["max_score"]
    return {tag: (score, top) for tag, (score, top) in parts.items()}


@pytest.fixture(scope="session")
def tests_in_zip():
    """Every graded test the autograder zip knows of, and the results.json schema it ships."""
    if not ZIP.is_file():
        pytest.fail(f"{ZIP} is missing: run `make autograder` first (`make test` does).")
    return zoo.manifest(ZIP), zoo.schema(ZIP)


@pytest.fixture(scope="session")
def stencil_zip(tmp_path_factory) -> Path:
    """dist/stencil.zip as `make stencil` builds it (the checker is built into it, never committed), built once
    per run: xdist's workers share the run's base folder, and a lock makes the others wait for the first."""
    import fcntl
    import os

    from autograder.package.export_checker import write_stencil_zip

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = shared / "stencil.zip"
    with open(shared / "stencil.zip.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.is_file():
            write_stencil_zip(STENCIL_NOTEBOOK.parent, shared / "stencil.zip.partial")
            (shared / "stencil.zip.partial").replace(path)
    return path


@pytest.fixture(scope="session")
def students_folder(stencil_zip, tmp_path_factory) -> Path:
    """The stencil as a student unpacks it: stencil/ with check.py, checker/, data/ and the notebook."""
    import zipfile

    folder = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(stencil_zip) as archive:
        archive.extractall(folder)
    for path in folder.rglob("*"):  # zipfile drops the modes it wrote; the sandbox's child must read and traverse
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder / "stencil"


def pytest_configure(config):
    config.addinivalue_line("markers", "quick: what an author runs after an edit (make test-quick, a few minutes)")
