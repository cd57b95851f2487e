"""Grades back to the course: from a bulk grading's OUT, the CSV files a course uploads.

    python -m autograder.staff.gradebook --out OUT [--due 2026-12-01T23:59:00-05:00]
                                         [--assignment NAME] [--canvas-id ID] [--parts]

OUT/gradescope_scores.csv  the columns of Gradescope's own grade download, one row per submitter, keyed by email:
                           Name, SID, Email, Total Score, Max Points, Submission ID, Submission Time, Lateness (H:M:S)
OUT/canvas_grades.csv      a Canvas gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, "<name> (<id>)"

The scores are grades.csv's, the numbers of record (re-scored under THRESHOLD when it was asked for);
a group's members each get the group's score. Lateness is measured from the export's :created_at:
(OUT/created_at.json) against --due, both with their time zones; it is marked, never taken off the score:
the course's own late policy decides. A 0 that is no grade (the kit itself failed, ending `crashed`, or the
export held no files, `no files`) is left empty, which neither Gradescope nor Canvas reads as a 0.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path

from autograder.staff.bulk import CRASHED, MISSING
from autograder.staff.grades import write_csv

GRADESCOPE = "gradescope_scores.csv"
CANVAS = "canvas_grades.csv"
GRADESCOPE_COLUMNS = ["Name", "SID", "Email", "Total Score", "Max Points", "Submission ID", "Submission Time",
                      "Lateness (H:M:S)"]
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
NO_GRADE = {CRASHED: "the kit failed to grade it", MISSING: "the export holds no files for it"}  # a 0 that is no grade
TIME = re.compile(r"^(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d:\d\d)(?:\.(\d{1,9}))? ?(Z|z|[+-]\d\d:?\d\d)?$")


def parse_time(text: str, zone_if_none=None) -> datetime | None:
    """An ISO 8601 time, or Gradescope's `2026-12-01 23:59:00.826374000 -0500`; one without a zone is read in `zone_if_none`."""
    match = TIME.match((text or "").strip())
    if match is None:
        return None
    day, clock, fraction, zone = match.groups()
    zone = "" if zone is None else "+00:00" if zone in "Zz" else f"{zone[:3]}:{zone[-2:]}"
    try:  # Python 3.10's fromisoformat takes 6 digits of a second and a zone written +hh:mm, nothing else
        moment = datetime.fromisoformat(f"{day}T{clock}.{(fraction or '')[:6].ljust(6, '0')}{zone}")
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone_if_none) if zone_if_none is not None else None
    return moment


def lateness(submitted: datetime, due: datetime) -> str:
    """How late, as Gradescope writes it (H:M:S, hours past 24 kept); 0:00:00 when on time."""
    late = max(submitted - due, timedelta(0))
    seconds = int(late.total_seconds() + 0.999999)  # a fraction of a second past the due date is late
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _unguarded(value: str) -> str:
    """A cell as the export gave it: grades.csv quoted a formula-like name with an apostrophe; write_csv will again."""
    return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "\t", "\r") else value


def read_grades(out: Path) -> tuple[list[dict], list[str]]:
    """grades.csv's rows and its parts (the columns between max_total and test_perplexity)."""
    with open(out / "grades.csv", newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        columns = list(reader.fieldnames or [])
        rows = [{key: _unguarded(value or "") for key, value in row.items()} for row in reader]
    missing = {"sid", "name", "email", "submission_id", "total", "max_total", "ending"} - set(columns)
    if missing:
        raise ValueError(f"grades.csv lacks the column(s) {', '.join(sorted(missing))}")
    end = columns.index("test_perplexity") if "test_perplexity" in columns else len(columns)
    return rows, columns[columns.index("max_total") + 1:end]


def read_created_at(out: Path) -> dict[str, str | None]:
    try:
        found = json.loads((out / "created_at.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(key): value if isinstance(value, str) else None for key, value in found.items()} if isinstance(found, dict) else {}


def gradebook(out: Path, due: datetime | None, assignment: str, canvas_id: str, with_parts: bool) -> tuple[list[Path], list[str]]:
    """Write both files; return their paths and what staff must know before uploading them."""
    rows, parts = read_grades(out)
    created_at = read_created_at(out)
    warnings: list[str] = []
    column = f"{assignment} ({canvas_id})" if canvas_id else assignment
    gradescope_rows, canvas_rows, seen = [], [], {}
    late = 0
    for row in rows:
        key, person = row["submission_id"], row["sid"] or row["email"]
        if not person:
            warnings.append(f"submission {key} names no submitter (no sid, no email): left out of both files")
            continue
        if person in seen and seen[person] != key:
            warnings.append(f"{person} is a submitter of submissions {seen[person]} and {key}: keep one row before uploading")
        seen[person] = key
        for field, system in (("sid", "Canvas"), ("email", "Gradescope")):
            if not row[field]:
                warnings.append(f"submission {key} ({person}): no {field}, so {system} cannot match the row to a student")
        failed = row["ending"] in NO_GRADE
        if failed:
            warnings.append(f"submission {key} ({person}): {NO_GRADE[row['ending']]}, so its score is left empty "
                            "(rerun grade-export, or grade it by hand)")
        submitted = parse_time(created_at.get(key) or "", due.tzinfo if due else None)
        if due is not None and submitted is None:
            warnings.append(f"submission {key} ({person}): the export gives no readable :created_at:, lateness unknown")
        late_text = lateness(submitted, due) if due is not None and submitted is not None else ""
        late += bool(late_text) and late_text != "0:00:00"
        score = "" if failed else row["total"]
        by_part = {part: "" if failed else row.get(part, "") for part in parts} if with_parts else {}
        gradescope_rows.append({"Name": row["name"], "SID": row["sid"], "Email": row["email"], "Total Score": score,
                                "Max Points": row["max_total"], "Submission ID": key,
                                "Submission Time": submitted.isoformat() if submitted else "", "Lateness (H:M:S)": late_text,
                                **by_part})
        canvas_rows.append({"Student": row["name"], "ID": "", "SIS User ID": row["sid"], "SIS Login ID": "", "Section": "",
                            column: score, **{f"{assignment}: {part}": value for part, value in by_part.items()}})
    written = [out / GRADESCOPE, out / CANVAS]
    write_csv(written[0], [*GRADESCOPE_COLUMNS, *(parts if with_parts else [])], gradescope_rows)
    write_csv(written[1], [*CANVAS_COLUMNS, column, *([f"{assignment}: {part}" for part in parts] if with_parts else [])],
              canvas_rows)
    if due is not None:
        warnings.append(f"{late} of {len(gradescope_rows)} submitter(s) late against {due.isoformat()} (marked, no penalty taken)")
    return written, warnings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the folder a grade-export run wrote")
    parser.add_argument("--due", help="the due date with its zone, ISO 8601: 2026-12-01T23:59:00-05:00")
    parser.add_argument("--assignment", default="RNN language models", help="the assignment's name in the course")
    parser.add_argument("--canvas-id", default="", help="Canvas's assignment id, for the column \"<name> (<id>)\"")
    parser.add_argument("--parts", action="store_true", help="also a column per part (in Canvas: a new assignment each)")
    args = parser.parse_args(argv)
    due = None
    if args.due:
        due = parse_time(args.due)
        if due is None:
            parser.error(f"--due {args.due!r} is not an ISO 8601 time with its zone, e.g. 2026-12-01T23:59:00-05:00")
    out = args.out.resolve()
    try:
        written, warnings = gradebook(out, due, args.assignment, args.canvas_id, args.parts)
    except (OSError, ValueError) as error:
        print(f"cannot read {out / 'grades.csv'}: {error} (run make grade-export first)", file=sys.stderr)
        return 2
    for warning in warnings:
        print(warning)
    for path in written:
        print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
