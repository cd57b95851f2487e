"""The students' local checker: generated from the autograder, and it gives the autograder's verdicts."""

import json
import subprocess
import sys

import pytest

from autograder.package.export_checker import export
from conftest import REFERENCE_NOTEBOOK, REPO, STENCIL_NOTEBOOK

STENCIL = REPO / "stencil"


@pytest.mark.xdist_group("checker")
def test_the_committed_checker_is_what_the_autograder_generates(tmp_path):
    export(tmp_path)
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    committed = sorted(p.relative_to(STENCIL) for p in (STENCIL / "checker").rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts)
    committed += [p.relative_to(STENCIL) for p in (STENCIL / "check.py", STENCIL / "requirements.txt", STENCIL / "CONTRACT.md",
                                                   STENCIL / "README.md")]
    assert generated == sorted(committed), "run `make stencil` and commit the result"
    for path in generated:
        if path.name == "expected.json":  # floats from TensorFlow: equal to the checks' precision
            new, old = json.loads((tmp_path / path).read_text()), json.loads((STENCIL / path).read_text())
            assert new["info"] == old["info"] and new["arrays"].keys() == old["arrays"].keys()
            for name, entry in new["arrays"].items():
                assert entry["data"] == pytest.approx(old["arrays"][name]["data"], rel=1e-5, abs=1e-6), name
        else:
            assert (tmp_path / path).read_bytes() == (STENCIL / path).read_bytes(), f"{path}: run `make stencil`"


def check(notebook, *parts):
    return subprocess.run([sys.executable, "check.py", str(notebook), *parts], cwd=STENCIL,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.quick
@pytest.mark.xdist_group("checker")
def test_the_checker_passes_the_reference_on_the_visible_tests():
    finished = check(REFERENCE_NOTEBOOK, "windows", "rnn", "lstm", "lm", "perplexity")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "7 of 7 visible tests pass" in finished.stdout


@pytest.mark.quick
@pytest.mark.xdist_group("checker")
def test_the_checker_tells_a_student_which_todo_is_left():
    finished = check(STENCIL_NOTEBOOK, "windows")
    assert finished.returncode == 1
    assert "TODO 1: make_windows" in finished.stdout and "0 of 1 visible tests pass" in finished.stdout


def test_the_stencil_zip_has_a_readme_that_says_how_to_start_check_and_submit(tmp_path):
    import zipfile

    from autograder.package.export_checker import write_stencil_zip

    write_stencil_zip(STENCIL, tmp_path / "stencil.zip")
    readme = zipfile.ZipFile(tmp_path / "stencil.zip").read("stencil/README.md").decode()
    for says in ("On Colab", "On a laptop", "pip install -r requirements.txt notebook", "python check.py language_model.ipynb",
                 "## Submit"):
        assert says in readme, says
