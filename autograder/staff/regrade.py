"""The regrade diff against what Gradescope recorded, and the perplexity test re-scored under another threshold.

Re-scoring grades nothing again: the judge records each submission's test perplexity
in results.json's extra_data, and the scoring function the perplexity test itself uses
(autograder/evaluate.py perplexity_points) turns it into points under the threshold asked for.
"""

from __future__ import annotations

import copy
from pathlib import Path

from autograder.staff.export import Submission
from autograder.staff.grades import number_key, points, submitters, write_csv
from autograder.evaluate import perplexity_points
from autograder.parts.train import PERPLEXITY_TEST

COLUMNS = ["sid", "name", "email", "submission_id", "old", "new", "delta", "flipped"]
SAME = 1e-6
STATE_UNUSED = "train-state-unused"  # the perplexity test's label for a model that predicts as well without its state


def rescore(results: dict, threshold: float, until: float | None) -> dict:
    """A copy of `results` with the perplexity test scored under `threshold`, from the perplexity the judge measured.

    A results.json without a measured perplexity (training failed, or no grading) keeps its scores.
    """
    perplexity = (results.get("extra_data") or {}).get("test_perplexity")
    if not isinstance(perplexity, (int, float)) or isinstance(perplexity, bool):
        return results
    rescored = copy.deepcopy(results)
    for test in rescored["tests"]:  # a model that does not use its state earns nothing under any threshold
        if test["number"] == PERPLEXITY_TEST and (test.get("extra_data") or {}).get("diagnosis") != STATE_UNUSED:
            test["score"] = perplexity_points(float(perplexity), threshold, until, test["max_score"])
            test["status"] = "passed" if test["score"] >= test["max_score"] else "failed"
    rescored["score"] = round(sum(test["score"] for test in rescored["tests"]), 4)
    return rescored


def flipped_tests(recorded: list[dict] | None, tests: list[dict]) -> list[str]:
    """Tests whose score changed, matched by number (then by name), as `number name: old→new`."""
    if not recorded:  # Gradescope recorded a score but no tests: nothing to compare test by test
        return []
    by_number = {test["number"]: test for test in recorded if test["number"]}
    by_name = {test["name"]: test for test in recorded if test["name"]}
    changed = []
    for test in sorted(tests, key=lambda test: number_key(test["number"])):
        before = by_number.get(test["number"]) or by_name.get(test["name"])
        old = before["score"] if before else None
        if old is None or abs(old - test["score"]) > SAME:
            shown = "new" if old is None else points(old)
            changed.append(f"{test['number']} {test['name']}: {shown}→{points(test['score'])}")
    return changed


def diff(submissions: dict[str, Submission], graded: dict[str, dict]) -> tuple[list[dict], dict[str, int]]:
    """Rows for every submitter whose score changes, and how many gain, lose, stay, or have no recorded score."""
    table, counts = [], {"gain": 0, "lose": 0, "stay": 0, "unrecorded": 0}
    for key in sorted(graded):
        submission, results = submissions[key], graded[key]
        people = submitters(submission)
        if submission.recorded_score is None:
            counts["unrecorded"] += len(people)
            continue
        new = sum(test["score"] for test in results["tests"])
        delta = new - submission.recorded_score
        if abs(delta) <= SAME:
            counts["stay"] += len(people)
            continue
        counts["gain" if delta > 0 else "lose"] += len(people)
        flipped = " | ".join(flipped_tests(submission.recorded_tests, results["tests"]))
        for person in people:
            table.append({"sid": person.sid, "name": person.name, "email": person.email, "submission_id": key,
                          "old": points(submission.recorded_score), "new": points(new), "delta": points(delta),
                          "flipped": flipped})
    table.sort(key=lambda row: (row["submission_id"], row["sid"]))
    return table, counts


def write_diff(path: Path, table: list[dict]) -> None:
    write_csv(path, COLUMNS, table)
