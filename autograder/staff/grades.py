"""grades.csv: one row per submitter (a group gives a row to each member), with points by part.

Parts are the first tag of each test, read from the results themselves, in the order
of the tests' numbers: a new part in autograder/tests needs no change here.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from autograder.staff.export import Submission, Submitter

FIRST_COLUMNS = ["sid", "name", "email", "submission_id", "total", "max_total"]
LAST_COLUMNS = ["test_perplexity", "ending", "note"]
NOBODY = Submitter("", "", "")  # a submission whose submitters the export does not say still gets its row


def number_key(number: str) -> list:
    return [int(part) if part.isdigit() else part for part in str(number).split(".")]


def parts_of(all_results) -> list[str]:
    """Every part (a test's first tag) in the order of the tests' numbers."""
    tests = sorted((test for results in all_results for test in results["tests"]), key=lambda test: number_key(test["number"]))
    parts: list[str] = []
    for test in tests:
        if test["tags"] and test["tags"][0] not in parts:
            parts.append(test["tags"][0])
    return parts


def points(value: float) -> str:
    return f"{round(value, 4):g}"


def test_perplexity(results: dict) -> str:
    value = (results.get("extra_data") or {}).get("test_perplexity")
    return f"{value:.4f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else ""


def submitters(submission: Submission) -> list[Submitter]:
    return submission.submitters or [NOBODY]


def rows(submissions: dict[str, Submission], graded: dict[str, dict], endings: dict[str, dict]) -> tuple[list[str], list[dict]]:
    """The columns and the rows, sorted by submission id then sid."""
    parts = parts_of(graded.values())
    table = []
    for key in sorted(graded):
        results = graded[key]
        by_part = {part: 0.0 for part in parts}
        for test in results["tests"]:
            if test["tags"]:
                by_part[test["tags"][0]] += test["score"]
        notes = [*submissions[key].notes, endings.get(key, {}).get("note", "")]
        for person in submitters(submissions[key]):
            table.append({"sid": person.sid, "name": person.name, "email": person.email, "submission_id": key,
                          "total": points(sum(test["score"] for test in results["tests"])),
                          "max_total": points(sum(test["max_score"] for test in results["tests"])),
                          **{part: points(score) for part, score in by_part.items()},
                          "test_perplexity": test_perplexity(results), "ending": endings.get(key, {}).get("ending", ""),
                          "note": "; ".join(note for note in notes if note)})
    table.sort(key=lambda row: (row["submission_id"], row["sid"]))  # stable: a group's members keep their order on ties
    return [*FIRST_COLUMNS, *parts, *LAST_COLUMNS], table


def write_csv(path: Path, columns: list[str], table: list[dict]) -> None:
    """Atomically: a run stopped while writing leaves the previous file whole."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in table:
        writer.writerow({key: _no_formula(value) for key, value in row.items()})
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_text(buffer.getvalue())
    temporary.replace(path)


def _no_formula(value):
    """A name from the export that a spreadsheet would run as a formula is quoted (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False
