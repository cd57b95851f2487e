"""An instructor adds graded parts by writing three things each, as AUTHORING.md's walk-through says, and the engine
needs no edit: tried here on a copy of the kit with the walk-through's own blocks (a GRU layer, a top-k function).

Also: no engine module names a part (the issue's `git grep`), and the judge runs a declared cell by its
equations (the GRU's numpy step against Keras's GRU).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.parts import NAMES, PARTS
from conftest import REPO

AUTHORING = REPO / "assignment" / "AUTHORING.md"
BLOCK = re.compile(r"^```python (?P<info>\S[^\n]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
WALK_THROUGH = "## Adding a graded part"


def walk_through_blocks() -> list[tuple[str, str | None, str]]:
    """(path, the line to insert after or None for a new file, text) for each block of the walk-through."""
    section = AUTHORING.read_text().split(WALK_THROUGH, 1)[1].split("\n## ", 1)[0]
    blocks = []
    for match in BLOCK.finditer(section):
        path, _, after = match.group("info").partition(" after: ")
        blocks.append((path.strip(), after or None, match.group("body")))
    return blocks


def apply(root: Path, blocks) -> set[str]:
    """Write each block into the copy at `root`; the paths written."""
    for path, after, text in blocks:
        target = root / path
        if after is None:
            assert not target.exists(), f"{path} exists already: the walk-through adds it"
            target.write_text(text)
            continue
        lines = target.read_text().splitlines(keepends=True)
        at = [index for index, line in enumerate(lines) if line.rstrip("\n") == after]
        assert len(at) == 1, f"the walk-through inserts after {after!r}, found {len(at)} times in {path}"
        insert = ("\n" + text) if after.startswith("check(") else text  # a new cell follows a blank line
        lines.insert(at[0] + 1, insert)
        target.write_text("".join(lines))
    return {path for path, _, _ in blocks}


def run(root: Path, *command: str, timeout: float = 900) -> str:
    finished = subprocess.run([sys.executable, "-m", *command], cwd=root, capture_output=True, text=True, timeout=timeout)
    assert finished.returncode == 0, f"{shlex.join(command)} failed:\n{finished.stdout[-3000:]}\n{finished.stderr[-3000:]}"
    return finished.stdout


@pytest.fixture(scope="module")
def kit_with_added_parts(tmp_path_factory) -> Path:
    """A copy of the kit's tracked files with the walk-through applied, its stencil and zip built."""
    root = tmp_path_factory.mktemp("kit") / "rnnkit"
    root.parent.chmod(0o700)  # it holds a solution/: no other user may read it
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    for name in filter(None, tracked.split("\0")):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / name)
    written = apply(root, walk_through_blocks())
    assert written == {"assignment/language_model.py", "autograder/parts/gru.py", "autograder/tests/test_gru.py",
                       "autograder/parts/top_k.py", "autograder/tests/test_top_k.py"}
    run(root, "assignment.build")
    run(root, "autograder.package.export_checker", "--zip", str(root / "dist" / "stencil.zip"))
    run(root, "autograder.package.build_zip", "--out", str(root / "dist" / "autograder.zip"))
    yield root
    shutil.rmtree(root.parent, ignore_errors=True)


def grade(root: Path, submission: Path) -> dict:
    results = root.parent / f"{submission.stem}-results.json"
    run(root, "autograder.package.local_grade", "--zip", str(root / "dist" / "autograder.zip"),
        "--submission", str(submission), "--results", str(results))
    return json.loads(results.read_text())


def test_the_reference_gets_full_marks_with_the_added_parts(kit_with_added_parts):
    results = grade(kit_with_added_parts, kit_with_added_parts / "solution" / "language_model.py")
    gru = [test for test in results["tests"] if test["tags"] == ["gru"]]
    assert len(gru) == 12 and sum(test["max_score"] for test in gru) == 10
    assert all(test["number"].startswith("7.") for test in gru)
    assert [test["number"] for test in results["tests"] if test["tags"] == ["top_k"]] == ["8.1", "8.2"]
    failed = [(test["number"], test["output"][:300]) for test in results["tests"] if test["score"] < test["max_score"]]
    assert not failed
    assert results["score"] == sum(test["max_score"] for test in results["tests"])


def test_the_stencil_gets_nothing_and_each_added_test_names_its_todo(kit_with_added_parts):
    stencil = kit_with_added_parts / "stencil" / "language_model.ipynb"
    source = "".join("".join(cell["source"]) for cell in json.loads(stencil.read_text())["cells"])
    todo = dict((name, number) for number, name in re.findall(r"TODO (\d+): ([\w.]+) —", source))
    assert [todo[name] for name in ("MyGRU.step", "MyGRU.call", "LanguageModel.call", "perplexity", "top_k_accuracy")] \
        == ["6", "7", "8", "9", "10"], "the build numbers the TODOs in notebook order, the added ones included"
    results = grade(kit_with_added_parts, stencil)
    assert results["score"] == 0
    for part, names in (("gru", ("MyGRU.step", "MyGRU.call")), ("top_k", ("top_k_accuracy",))):
        named = "|".join(f"TODO {todo[name]}: {re.escape(name)}" for name in names)
        for test in (test for test in results["tests"] if test["tags"] == [part]):
            assert re.search(named, test["output"]), (test["number"], test["output"][:500])


def test_the_students_checker_knows_the_added_part(kit_with_added_parts):
    with zipfile.ZipFile(kit_with_added_parts / "dist" / "stencil.zip") as archive:
        tests = json.loads(archive.read("stencil/checker/expected/tests.json"))
        recorded = json.loads(archive.read("stencil/checker/expected/expected.json"))["arrays"]
    assert [test["number"] for test in tests if test["tags"] == ["gru"]] == ["7.1", "7.3"]
    assert {"visible/gru/step", "visible/gru/call/seq1-state1-init1"} <= {name.split(":")[0] for name in recorded}
    assert not any(name.startswith("hidden/") for name in recorded), "the checker ships the public cases only"


GRU_AGAINST_KERAS = r'''
import sys
import numpy as np, tensorflow as tf
from autograder import evaluate
rng = np.random.default_rng(0)
x = rng.standard_normal((3, 6, 4)).astype(np.float32)
keras_gru = tf.keras.layers.GRU(5, return_sequences=True, reset_after=False)
keras_gru.build(x.shape)
kernel, recurrent_kernel, bias = (0.5 * rng.standard_normal(w.shape).astype(np.float32) for w in keras_gru.weights)
keras_gru.set_weights([kernel, recurrent_kernel, bias])
expected = keras_gru(x).numpy()
mine = evaluate.recurrent_states("gru", x, kernel, recurrent_kernel, bias)
print(float(np.abs(mine - expected).max()))
'''


def test_the_judge_runs_the_added_cell_by_its_declared_equations(kit_with_added_parts):
    """A language model with the GRU is scored with the GRU's equations, not guessed from its gate count."""
    assert float(_python(kit_with_added_parts, GRU_AGAINST_KERAS)) < 1e-5


def _python(root: Path, code: str) -> str:
    finished = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300,
                              env={"TF_CPP_MIN_LOG_LEVEL": "3"})
    assert finished.returncode == 0, finished.stderr[-3000:]
    return finished.stdout.strip().splitlines()[-1]


ENGINE_FILES = [path for path in (REPO / "autograder").rglob("*.py")
                if not path.relative_to(REPO / "autograder").parts[0] in ("parts", "tests") and path.name != "diagnose.py"]
# "perplexity" is also the measure the report and the judge name; the other parts' names must not appear.
NAMED = [name for name in NAMES if name != "perplexity"]


@pytest.mark.quick
@pytest.mark.parametrize("name", NAMED)
def test_no_engine_module_names_a_part(name):
    """Only the declarations, the graded tests and the diagnoses name a part: the engine reads the declarations."""
    quoted = re.compile(rf"""["']{re.escape(name)}["']""")
    found = [f"{path.relative_to(REPO)}:{number}" for path in ENGINE_FILES
             for number, line in enumerate(path.read_text().splitlines(), 1) if quoted.search(line)]
    assert not found, f"the engine names the part {name!r} here: {found}"

