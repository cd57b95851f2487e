"""The students' local checker: built into dist/stencil.zip from the autograder, and it gives the autograder's verdicts."""

import subprocess
import sys
import zipfile

import pytest

from autograder.package.export_checker import write_student_files
from autograder.parts import PARTS
from conftest import REFERENCE_NOTEBOOK, REPO, STENCIL_NOTEBOOK, graded_tests

STENCIL = REPO / "stencil"
STUDENT_FILES = ("check.py", "CONTRACT.md", "requirements.txt", "README.md")


@pytest.mark.quick
def test_the_student_files_are_built_not_committed(tmp_path):
    """check.py, CONTRACT.md, the pins and the README are written by `make stencil` from their one source each."""
    write_student_files(tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(STUDENT_FILES)
    tracked = subprocess.run(["git", "ls-files", "stencil"], cwd=REPO, capture_output=True, text=True).stdout.split()
    assert tracked and not {f"stencil/{name}" for name in STUDENT_FILES} & set(tracked), tracked


@pytest.mark.quick
def test_the_repository_holds_no_copy_of_the_engine():
    assert not (STENCIL / "checker").exists(), "the checker is built into dist/stencil.zip, never committed"


@pytest.mark.quick
def test_the_zip_holds_the_stencil_and_a_checker_with_only_public_answers(stencil_zip):
    names = zipfile.ZipFile(stencil_zip).namelist()
    committed = subprocess.run(["git", "ls-files", "stencil"], cwd=REPO, capture_output=True, text=True).stdout.split()
    assert set(committed) | {f"stencil/{name}" for name in STUDENT_FILES} <= set(names)
    assert "stencil/checker/autograder/grade.py" in names and "stencil/checker/expected/expected.json" in names
    assert not any("staff/" in name or "package/" in name or "hidden" in name for name in names), names
    config = zipfile.ZipFile(stencil_zip).read("stencil/checker/config.json").decode()
    assert "hidden_seed" not in config and '"evaluation_split": "test.txt"' in config


def check(folder, notebook, *parts):
    return subprocess.run([sys.executable, "check.py", str(notebook), *parts], cwd=folder,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.quick
@pytest.mark.xdist_group("checker")
def test_the_checker_passes_the_reference_on_the_visible_tests(students_folder):
    tensor_parts = [part.name for part in PARTS if part.kind != "training"]
    finished = check(students_folder, REFERENCE_NOTEBOOK, *tensor_parts)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    visible = len([test for test in graded_tests() if test["public"] and test["tags"][0] in tensor_parts])
    assert visible > 0 and f"{visible} of {visible} visible tests pass" in finished.stdout


@pytest.mark.quick
@pytest.mark.xdist_group("checker")
def test_the_checker_tells_a_student_which_todo_is_left(students_folder):
    finished = check(students_folder, STENCIL_NOTEBOOK, "windows")
    assert finished.returncode == 1
    visible = len([test for test in graded_tests() if test["public"] and test["tags"] == ["windows"]])
    assert "TODO 1: make_windows" in finished.stdout and f"0 of {visible} visible tests pass" in finished.stdout


def test_the_stencil_zip_has_a_readme_that_says_how_to_start_check_and_submit(stencil_zip):
    readme = zipfile.ZipFile(stencil_zip).read("stencil/README.md").decode()
    for says in ("On Colab", "On a laptop", "pip install -r requirements.txt notebook", "python check.py language_model.ipynb",
                 "## Submit"):
        assert says in readme, says
