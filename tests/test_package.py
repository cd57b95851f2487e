"""The Gradescope zip: what must be at its root, and what must never be in it."""

import subprocess
import zipfile

import pytest

from autograder.parts import PARTS
from conftest import REPO, ZIP, graded_tests

pytestmark = pytest.mark.quick  # make test-quick: the zip's layout


def test_the_zip_has_setup_and_run_autograder_at_its_root_and_no_reference():
    with zipfile.ZipFile(ZIP) as archive:
        entries = {info.filename: info for info in archive.infolist()}
        for script in ("setup.sh", "run_autograder"):
            assert script in entries, f"{script} must be at the root of the zip"
            assert (entries[script].external_attr >> 16) & 0o111, f"{script} must be executable"
        for needed in ("requirements.txt", "config.json", "autograder/grade.py", "autograder/child/runner.py",
                       "expected/expected.json", "expected/tests.json", "data/hidden_test.txt", "data/train.txt"):
            assert needed in entries, needed
        assert not [name for name in entries if "solution" in name or name.endswith(("language_model.py", ".ipynb"))]
        for name in entries:
            text = archive.read(name).decode("utf-8", "replace")
            assert "BEGIN SOLUTION" not in text, f"{name} carries solution markers"


def test_the_zip_lists_the_graded_tests_of_every_declared_part():
    """The zip's expected/tests.json, which the other tests count on, is pytest's collection of autograder/tests now,
    and each declared part has tests worth points, numbered under the part's number."""
    from autograder.grade import run_tests

    collected = run_tests(REPO, None, None, collect_only=True).collected
    assert list(graded_tests()) == collected, "dist/autograder.zip lists other tests than autograder/tests: run `make autograder`"
    numbers = [test["number"] for test in collected]
    assert len(numbers) == len(set(numbers))
    assert all(len(test["tags"]) == 1 and test["max_score"] > 0 for test in collected)
    assert {test["tags"][0] for test in collected} == {part.name for part in PARTS}, "a part without tests, or a tag that is no part"
    for part in PARTS:
        assert all(test["number"].startswith(f"{part.number}.") for test in collected if test["tags"] == [part.name]), part.name


def test_setup_and_run_autograder_are_valid_bash_that_grade_with_the_judge():
    with zipfile.ZipFile(ZIP) as archive:
        for script in ("setup.sh", "run_autograder"):
            text = archive.read(script).decode()
            assert text.startswith("#!/usr/bin/env bash")
            assert subprocess.run(["bash", "-n"], input=text, text=True).returncode == 0
        run = archive.read("run_autograder").decode()
    # `make grade` runs the same module, with another root.
    assert "-m autograder.grade --root /autograder" in run
    assert "\"-m\", \"autograder.grade\", \"--root\"" in (REPO / "autograder" / "package" / "local_grade.py").read_text()


def test_answers_a_hair_apart_are_written_as_recorded(tmp_path):
    """Another machine's float kernels may round the last digit otherwise: the rebuild must not change a byte."""
    import numpy as np

    from autograder.session import read_expected, write_expected

    recorded = {"case:out0": np.array([[0.123456789, -1.5]], dtype=np.float32), "case:ids": np.arange(3)}
    write_expected(tmp_path / "first.json", dict(recorded), {"case": {"kind": "Tensor"}})
    previous = read_expected(tmp_path / "first.json")[0]
    nudged = {"case:out0": recorded["case:out0"] * np.float32(1 + 3e-7), "case:ids": np.arange(3)}
    write_expected(tmp_path / "again.json", nudged, {"case": {"kind": "Tensor"}}, previous=previous)
    assert (tmp_path / "again.json").read_bytes() == (tmp_path / "first.json").read_bytes()
    changed = {"case:out0": recorded["case:out0"] + 0.01, "case:ids": np.arange(3)}
    write_expected(tmp_path / "changed.json", changed, {"case": {"kind": "Tensor"}}, previous=previous)
    assert (tmp_path / "changed.json").read_bytes() != (tmp_path / "first.json").read_bytes()


def test_the_zip_entries_are_regular_unix_files():
    import stat
    import zipfile

    with zipfile.ZipFile(ZIP) as archive:
        for entry in archive.infolist():
            mode = entry.external_attr >> 16
            assert entry.create_system == 3 and stat.S_ISREG(mode), entry.filename
            assert stat.S_IMODE(mode) == (0o755 if entry.filename in ("setup.sh", "run_autograder") else 0o644), entry.filename


def test_the_readme_states_the_points_the_graded_tests_declare():
    """README's **Points:** sentence is written by hand; the decorators in autograder/tests/ decide."""
    by_part = {part.name: sum(test["max_score"] for test in graded_tests() if test["tags"] == [part.name]) for part in PARTS}
    stated = (f"there are {len(graded_tests())} tests worth {sum(by_part.values()):g} points, each tagged with the contract "
              "part it grades: " + ", ".join(f"{name} {points:g}" for name, points in by_part.items()) + ".")
    assert stated in " ".join((REPO / "README.md").read_text().split())
