"""Gradescope's results.json: collect graded tests from pytest, validate, always write.

Tests declare points, number, tags and visibility with gradescope-utils' decorators;
this pytest plugin reads them and turns each outcome into a test entry. The file is
checked against a JSON Schema written from Gradescope's specification, under which a
number must be finite, and written as strict JSON (never NaN or Infinity), atomically,
by the judge, the only process allowed to write it. It is written as grading goes:
every test listed from the start, each updated as it finishes, so that a kill at
Gradescope's timeout still leaves the scores earned so far.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import jsonschema
import pytest

from autograder.feedback import CheckFailed
from autograder.parts import NAMES
from autograder.parts import get as get_part

SESSION_KEY = pytest.StashKey()
SCHEMA = json.loads((Path(__file__).parent / "results.schema.json").read_text())
# JSON has no NaN or Infinity; Gradescope fails on them. Under this validator a "number" is finite.
_FINITE_NUMBERS = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
    "number", lambda checker, value: jsonschema.Draft202012Validator.TYPE_CHECKER.is_type(value, "number") and math.isfinite(value))
VALIDATOR = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=_FINITE_NUMBERS)(SCHEMA)
MAX_OUTPUT_CHARS = 20_000  # Gradescope truncates at 100,000; feedback longer than this helps nobody
VISIBILITY_DEFAULT = "visible"


def test_entry(meta: dict, score: float, output: str, diagnosis: str | None = None) -> dict:
    """One test as Gradescope reads it; `diagnosis`, the label of the mistake its feedback names, is for staff."""
    entry = {
        "name": meta["name"],
        "number": meta["number"],
        "score": score,
        "max_score": meta["max_score"],
        "status": "passed" if score >= meta["max_score"] else "failed",
        "output": clip(output),
        "output_format": "md",
        "tags": meta["tags"],
        "visibility": meta["visibility"],
    }
    if diagnosis:
        entry["extra_data"] = {"diagnosis": diagnosis}
    return entry


def clip(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    text = text.replace("\x00", "\ufffd").replace("\r\n", "\n")
    if len(text) <= limit:
        return text
    half = limit // 2 - 40
    return text[:half] + "\n\n[… feedback shortened …]\n\n" + text[-half:]


def describe_item(item) -> dict:
    """Name, number, points, tags and visibility of a graded test, from its decorators."""
    function = item.function
    doc = (function.__doc__ or item.name).strip().splitlines()[0]
    tags = list(getattr(function, "__tags__", ()))
    if len(tags) != 1 or tags[0] not in NAMES:
        raise ValueError(f"{item.nodeid} must have exactly one tag, a part's name ({', '.join(NAMES)}); it has {tags}")
    own = str(getattr(function, "__number__", ""))
    if not own.isdigit():
        raise ValueError(f"{item.nodeid}: @number gives the test's number within its part (\"1\", \"2\", …), not {own!r}: "
                         "the part's declaration gives the prefix")
    number = f"{get_part(tags[0]).number}.{own}"
    name = doc
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        name = f"{doc} [{callspec.id}]"
        siblings = [i for i in item.session.items if getattr(i, "function", None) is function]
        number = f"{number}.{siblings.index(item) + 1}"
    return {"id": item.nodeid, "name": name, "number": number, "max_score": float(getattr(function, "__weight__", 0)),
            "tags": tags, "visibility": getattr(function, "__visibility__", VISIBILITY_DEFAULT),
            "public": item.get_closest_marker("public") is not None}


class GradescopeResults:
    """A pytest plugin that records each graded test's outcome as a Gradescope test entry."""

    def __init__(self, session, on_progress=None):
        self.session = session
        self.on_progress = on_progress  # called after each test's outcome: results.json is rewritten as grading goes
        self.collected: list[dict] = []
        self.entries: dict[str, dict] = {}
        self.leaderboard_entries: list[dict] = []

    def pytest_configure(self, config):
        config.stash[SESSION_KEY] = self.session

    def pytest_collection_finish(self, session):
        self.collected = [describe_item(item) for item in session.items]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when == "call" or (report.when == "setup" and not report.passed):
            meta = next(m for m in self.collected if m["id"] == item.nodeid)
            score, leaderboard = _set_by_decorators(item.function)
            if leaderboard is not None and report.when == "call":
                self.leaderboard_entries.append(leaderboard)
            if report.passed:
                output = "\n".join(text for _, text in report.sections if text.strip())
                full = meta["max_score"] if score is None else min(max(float(score), 0.0), meta["max_score"])
                self.entries[item.nodeid] = test_entry(meta, full, output.strip())
            else:
                hidden = getattr(item.function, "__hide_errors__", None)
                self.entries[item.nodeid] = test_entry(meta, 0.0, hidden or _failure_text(call.excinfo), _diagnosis(call.excinfo))
            if self.on_progress is not None:
                self.on_progress(self)


def _set_by_decorators(function) -> tuple[float | None, dict | None]:
    """What gradescope-utils' @partial_credit (set_score) and @leaderboard (set_leaderboard_value) recorded, then forgotten.

    Each decorator keeps its value on its own wrapper, so the chain of wrappers is walked.
    """
    score = board = None
    while function is not None:
        values = vars(function)
        if "__score__" in values:
            score = values["__score__"]
            del function.__score__
        if "__leaderboard_value__" in values:
            value = values["__leaderboard_value__"]
            del function.__leaderboard_value__
            if isinstance(value, str) or (isinstance(value, (int, float)) and math.isfinite(value)):
                board = {"name": values["__leaderboard_column__"], "value": value,
                         "order": values.get("__leaderboard_sort_order__", "desc")}
        function = values.get("__wrapped__")
    return score, board


def _diagnosis(excinfo) -> str | None:
    if excinfo is not None and excinfo.errisinstance(CheckFailed):
        return excinfo.value.diagnosis
    return None


def _failure_text(excinfo) -> str:
    if excinfo is None:
        return "This test did not pass."
    if excinfo.errisinstance(CheckFailed):
        return str(excinfo.value)
    # Not a verdict on the student's code but a fault of ours: say so plainly.
    return (f"The autograder could not finish this check ({excinfo.typename}: {str(excinfo.value)[:500]}). "
            "This is not your fault: please tell the course staff.")


def assemble(collected: list[dict], entries: dict, leaderboard: list[dict], output: str, seconds: float,
             missing_reason: str) -> dict:
    """results.json with every collected test, those without an outcome failed with `missing_reason`."""
    in_order = sorted(collected, key=lambda meta: [int(n) for n in meta["number"].split(".")])
    tests = [entries.get(meta["id"]) or test_entry(meta, 0.0, missing_reason) for meta in in_order]
    return {
        "score": round(sum(test["score"] for test in tests), 4),
        "execution_time": round(seconds, 2),
        "output": clip(output),
        "output_format": "md",
        "test_output_format": "md",
        "test_name_format": "text",
        "visibility": VISIBILITY_DEFAULT,
        "stdout_visibility": "hidden",
        "tests": tests,
        "leaderboard": leaderboard,
    }


def write(results: dict, path: Path) -> None:
    """Validate and replace `path` atomically: a stale or forged file never survives."""
    VALIDATOR.validate(results)
    text = json.dumps(results, indent=2, allow_nan=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".results-", suffix=".json")
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    if path.is_dir() and not path.is_symlink():
        os.rename(path, f"{path}.removed-{os.getpid()}")
    os.replace(temporary, path)
    path.chmod(0o644)
