"""The anchors: the reference earns full marks, the stencil earns zero, and the file Gradescope reads is valid."""

import json
import re

import jsonschema
import pytest

from autograder.parts import NAMES, PARTS
from autograder.results import VALIDATOR
from conftest import REFERENCE_NOTEBOOK, STENCIL_NOTEBOOK, by_tag, graded_tests, points


def every_test_listed(results):
    """The file is valid, and lists every graded test once, each with exactly one part tag and its declared points."""
    VALIDATOR.validate(results)
    numbers = [test["number"] for test in results["tests"]]
    assert sorted(numbers) == sorted(test["number"] for test in graded_tests())
    assert all(len(test["tags"]) == 1 and test["tags"][0] in NAMES for test in results["tests"])
    declared = {test["number"]: test["max_score"] for test in graded_tests()}
    assert {test["number"]: test["max_score"] for test in results["tests"]} == declared
    assert all(len(test["output"]) < 100_000 for test in results["tests"]) and len(results["output"]) < 100_000


def without_timing(feedback: str) -> str:
    """Feedback less the CPU-seconds training took, the one figure that is measured, not computed."""
    return re.sub(r"Training took \d+ of the", "Training took N of the", feedback)


@pytest.mark.xdist_group("reference")
def test_the_reference_notebook_gets_full_marks_every_time(grade):
    first = grade(REFERENCE_NOTEBOOK)
    every_test_listed(first)
    failed = {test["number"]: test["output"][:300] for test in first["tests"] if test["status"] != "passed"}
    assert not failed
    assert first["score"] == points() > 0
    assert first["leaderboard"][0]["name"] == "Test perplexity" and first["leaderboard"][0]["order"] == "asc"
    second = grade(REFERENCE_NOTEBOOK)
    assert [(t["score"], without_timing(t["output"])) for t in second["tests"]] == \
        [(t["score"], without_timing(t["output"])) for t in first["tests"]]
    assert second["leaderboard"] == first["leaderboard"] and second["output"] == first["output"]


@pytest.mark.quick
def test_the_reference_passes_every_visible_and_hidden_case_of_the_tensor_parts(grade):
    """What an author checks after an edit, without a training run: the recorded answers still fit the reference."""
    tensor_parts = {part.name for part in PARTS if part.kind != "training"}
    results = grade(REFERENCE_NOTEBOOK, tags=tensor_parts)
    failed = {test["number"]: test["output"][:300] for test in results["tests"] if test["status"] != "passed"}
    assert not failed and {test["tags"][0] for test in results["tests"]} == tensor_parts
    assert results["score"] == points(tensor_parts) > 0


@pytest.mark.quick
def test_the_stencil_as_shipped_gets_zero_with_every_test_listed(grade):
    results = grade(STENCIL_NOTEBOOK)
    every_test_listed(results)
    assert results["score"] == 0
    for test in results["tests"]:
        assert test["status"] == "failed"
        assert "TODO" in test["output"] or "HPARAMS" in test["output"], test


@pytest.mark.parametrize("content, says", [
    (None, "No notebook or Python file"),
    (b"", "is empty"),
    (b'{"cells": [ {"cell_type": "code", "source": "x = 1"', "not valid JSON"),
    (b"def make_windows(ids, window_sz:\n    return ids\n", "defines nothing we can grade"),
])
@pytest.mark.quick
def test_an_ungradable_submission_still_lists_every_test_with_the_reason(grade, tmp_path, content, says):
    folder = tmp_path / "upload"
    folder.mkdir()
    if content is not None:
        (folder / ("language_model.py" if content.startswith(b"def") else "language_model.ipynb")).write_bytes(content)
    results = grade(folder)
    every_test_listed(results)
    assert results["score"] == 0
    assert says in results["output"]
    assert all(says in test["output"] for test in results["tests"])


@pytest.mark.quick
def test_a_results_file_of_the_wrong_shape_is_rejected_by_the_schema():
    good = {"execution_time": 1.5, "output": "", "tests": [
        {"name": "n", "number": "1.1", "score": 1, "max_score": 1, "status": "passed", "output": "", "tags": ["rnn"],
         "visibility": "visible"}], "leaderboard": [{"name": "Test perplexity", "value": 90.5, "order": "asc"}]}
    VALIDATOR.validate(good)
    for path, bad in [(("execution_time",), "1.50"), (("tests", 0, "visibility"), "students"),
                      (("tests", 0, "status"), "ok"), (("leaderboard", 0, "order"), "ascending"),
                      (("output",), "x" * 100_000), (("tests", 0, "number"), 1.1),
                      (("leaderboard", 0, "value"), float("nan")), (("execution_time",), float("inf")),
                      (("tests", 0, "score"), float("-inf"))]:
        broken = json.loads(json.dumps(good))
        target = broken
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = bad
        with pytest.raises(jsonschema.ValidationError):
            VALIDATOR.validate(broken)


@pytest.mark.quick
def test_points_are_split_across_the_contract_parts(grade):
    results = grade(STENCIL_NOTEBOOK, tags={"windows"})
    assert by_tag(results) == {"windows": (0.0, points({"windows"}))}
