"""The Gradescope zip: what must be at its root, and what must never be in it."""

import json
import subprocess
import zipfile

from conftest import REPO, ZIP


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
        tests = json.loads(archive.read("expected/tests.json"))
    assert len(tests) == 43 and sum(test["max_score"] for test in tests) == 100


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
