"""Grades back to the course (autograder/staff/gradebook.py), from hand-made OUT folders: no grading here."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from autograder.staff import gradebook
from autograder.staff.export import read_export
from autograder.staff.grades import write_csv

DUE = "2026-12-01T23:59:00-05:00"
HYPERLINK = '=HYPERLINK("http://x","y")'
PARTS = ["windows", "rnn", "lstm"]
# (submission, sid, name, email, total, parts, ending); 105 is a group of two; 106 the kit failed on
CLASS = [
    ("101", "s1", "Ada Lovelace", "ada@example.edu", "100", ["10", "45", "45"], "graded"),
    ("102", "s2", "Zoë Ångström-Nguyễn 张伟", "zoe@example.edu", "75", ["10", "45", "20"], "graded"),
    ("103", "s3", HYPERLINK, "x@example.edu", "80", ["10", "25", "45"], "graded"),
    ("104", "s4", "Pat Naive", "pat@example.edu", "90", ["10", "45", "35"], "graded"),
    ("105", "s5", "Grace Hopper", "grace@example.edu", "92", ["2", "45", "45"], "graded"),
    ("105", "s6", "Alan Turing", "alan@example.edu", "92", ["2", "45", "45"], "graded"),
    ("106", "s7", "Kit Failed", "kit@example.edu", "0", ["0", "0", "0"], "crashed"),
    ("107", "s8", "No Time", "", "60", ["10", "25", "25"], "graded"),
    ("108", "", "No Sid", "nosid@example.edu", "50", ["10", "20", "20"], "graded"),
    ("109", "", "", "", "40", ["10", "15", "15"], "graded"),  # the export names no submitter
    ("110", "s9", "No Files", "nofiles@example.edu", "0", ["0", "0", "0"], "no files"),  # a metadata entry without files
]
CREATED_AT = {
    "101": "2026-12-01T23:58:59.500000-05:00",  # on time, by half a second
    "102": "2026-12-02T05:00:00+00:00",  # 00:00 in the due date's zone: one minute late
    "103": "2026-12-03 01:59:00 -0500",  # as Gradescope writes it when yaml does not read a time: 26 hours late
    "104": "2026-12-02T00:59:00",  # no zone: read in the due date's zone, an hour late
    "105": "2026-12-02T04:59:30.25+00:00",  # a quarter second past 23:59:30 -05:00: 31 seconds late (a started second counts)
    "106": "2026-12-01T12:00:00-05:00",
    "107": None,
    "108": "2026-12-01T20:00:00-08:00",  # 23:00 in the due date's zone
    "109": "2026-12-01T20:00:00-05:00",
    "110": "2026-12-01T20:00:00-05:00",
}
EXPECTED_LATENESS = {"s1": "0:00:00", "s2": "0:01:00", "s3": "26:00:00", "s4": "1:00:00", "s5": "0:00:31", "s6": "0:00:31",
                     "s7": "0:00:00", "s8": "", "": "0:00:00", "s9": "0:00:00"}


@pytest.fixture
def out(tmp_path) -> Path:
    """OUT as grade-export leaves it: grades.csv written by its own writer, and created_at.json."""
    folder = tmp_path / "out"
    folder.mkdir()
    rows = [{"sid": sid, "name": name, "email": email, "submission_id": key, "total": total, "max_total": "100",
             **dict(zip(PARTS, parts)), "test_perplexity": "43.1", "ending": ending, "note": ""}
            for key, sid, name, email, total, parts, ending in CLASS]
    write_csv(folder / "grades.csv", ["sid", "name", "email", "submission_id", "total", "max_total", *PARTS,
                                      "test_perplexity", "ending", "note"], rows)
    (folder / "created_at.json").write_text(json.dumps(CREATED_AT))
    return folder


def read(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        return list(reader.fieldnames), list(reader)


def test_the_gradescope_file_has_a_row_per_submitter_with_score_time_and_lateness(out, capsys):
    assert gradebook.main(["--out", str(out), "--due", DUE]) == 0
    columns, rows = read(out / gradebook.GRADESCOPE)
    assert columns == ["Name", "SID", "Email", "Total Score", "Max Points", "Submission ID", "Submission Time",
                       "Lateness (H:M:S)"]
    by_sid = {row["SID"]: row for row in rows}
    assert [row["Email"] for row in rows].count("nosid@example.edu") == 1 and len(rows) == len(CLASS) - 1
    assert {sid: row["Lateness (H:M:S)"] for sid, row in by_sid.items()} == EXPECTED_LATENESS
    assert by_sid["s5"]["Total Score"] == by_sid["s6"]["Total Score"] == "92"  # each member of the group
    assert by_sid["s5"]["Submission ID"] == by_sid["s6"]["Submission ID"] == "105"
    assert by_sid["s1"]["Total Score"] == "100" and by_sid["s1"]["Max Points"] == "100"
    assert by_sid["s3"]["Submission Time"] == "2026-12-03T01:59:00-05:00"  # the zone it was given in is kept
    assert by_sid["s4"]["Submission Time"] == "2026-12-02T00:59:00-05:00"
    assert by_sid["s2"]["Name"] == "Zoë Ångström-Nguyễn 张伟"
    printed = capsys.readouterr().out
    assert "submission 107 (s8): the export gives no readable :created_at:, lateness unknown" in printed
    assert "5 of 10 submitter(s) late" in printed  # s2, s3, s4, s5, s6
    assert "submission 108 (nosid@example.edu): no sid, so Canvas cannot match the row" in printed
    assert "submission 107 (s8): no email, so Gradescope cannot match the row" in printed
    assert "submission 109 names no submitter (no sid, no email): left out of both files" in printed
    assert "no penalty" in printed


def test_a_zero_that_is_no_grade_is_left_empty(out, capsys):
    gradebook.main(["--out", str(out), "--due", DUE, "--parts"])
    _, rows = read(out / gradebook.GRADESCOPE)
    _, canvas = read(out / gradebook.CANVAS)
    for sid in ("s7", "s9"):  # the kit crashed; the export held no files
        assert {value for key, value in next(row for row in rows if row["SID"] == sid).items()
                if key == "Total Score" or key in PARTS} == {""}
        assert {value for key, value in next(row for row in canvas if row["SIS User ID"] == sid).items()
                if key.startswith("RNN language models")} == {""}
    printed = capsys.readouterr().out
    assert "submission 106 (s7): the kit failed to grade it, so its score is left empty" in printed
    assert "submission 110 (s9): the export holds no files for it, so its score is left empty" in printed


def test_a_formula_name_is_quoted_once_as_grades_csv_does(out):
    gradebook.main(["--out", str(out)])
    for name in (gradebook.GRADESCOPE, gradebook.CANVAS):
        text = (out / name).read_text(encoding="utf-8")
        assert "'=HYPERLINK" in text and "''=HYPERLINK" not in text
        assert "\n=" not in text and ",=" not in text and ',"=' not in text


def test_the_canvas_file_has_canvas_columns_and_optional_parts(out):
    gradebook.main(["--out", str(out), "--assignment", "HW3 RNN LM", "--canvas-id", "4321"])
    columns, rows = read(out / gradebook.CANVAS)
    assert columns == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "HW3 RNN LM (4321)"]
    assert {row["SIS User ID"]: row["HW3 RNN LM (4321)"] for row in rows}["s2"] == "75"
    gradebook.main(["--out", str(out), "--assignment", "HW3 RNN LM", "--parts"])
    columns, rows = read(out / gradebook.CANVAS)
    assert columns[5:] == ["HW3 RNN LM", "HW3 RNN LM: windows", "HW3 RNN LM: rnn", "HW3 RNN LM: lstm"]
    ada = next(row for row in rows if row["SIS User ID"] == "s1")
    assert (ada["HW3 RNN LM: rnn"], ada["HW3 RNN LM: lstm"]) == ("45", "45")
    gradescope_columns, _ = read(out / gradebook.GRADESCOPE)
    assert gradescope_columns[-3:] == PARTS


def test_without_a_due_date_nothing_is_marked_late(out):
    gradebook.main(["--out", str(out)])
    _, rows = read(out / gradebook.GRADESCOPE)
    assert {row["Lateness (H:M:S)"] for row in rows} == {""}


@pytest.mark.parametrize("due", ["2026-12-01T23:59:00", "tomorrow", "2026-13-01T00:00:00Z"])
def test_a_due_date_without_its_zone_or_unreadable_is_refused(out, due, capsys):
    with pytest.raises(SystemExit) as stopped:
        gradebook.main(["--out", str(out), "--due", due])
    assert stopped.value.code == 2
    assert "with its zone" in capsys.readouterr().err
    assert not (out / gradebook.GRADESCOPE).exists()


def test_a_due_date_in_utc_written_with_z_is_read():
    assert gradebook.parse_time("2026-12-02T04:59:00Z") == gradebook.parse_time(DUE)


def test_without_grades_csv_it_says_to_grade_first(tmp_path, capsys):
    assert gradebook.main(["--out", str(tmp_path)]) == 2
    assert "run make grade-export first" in capsys.readouterr().err


def test_the_export_reading_keeps_created_at_with_its_zone(tmp_path):
    """Gradescope writes `:created_at: 2026-12-01 23:59:00.826374000 -05:00`, which yaml reads as a datetime."""
    export = tmp_path / "export"
    for key in ("1", "2", "3"):
        (export / f"submission_{key}").mkdir(parents=True)
        (export / f"submission_{key}" / "language_model.py").write_text("x = 1\n")
    (export / "submission_metadata.yml").write_text(
        "submission_1:\n  :created_at: 2026-12-01 23:59:00.826374000 -05:00\n  :submitters: []\n"
        "submission_2:\n  :created_at: '2026-12-02 01:00:00 -0500'\n  :submitters: []\n"
        "submission_3:\n  :submitters: []\n")
    assert isinstance(yaml.safe_load((export / "submission_metadata.yml").read_text())["submission_1"][":created_at"],
                      __import__("datetime").datetime)
    submissions, _ = read_export(export, tmp_path / "staged")
    assert submissions["1"].created_at == "2026-12-01T23:59:00.826374-05:00"
    assert submissions["2"].created_at == "2026-12-02 01:00:00 -0500"
    assert submissions["3"].created_at is None
    due = gradebook.parse_time(DUE)
    assert gradebook.lateness(gradebook.parse_time(submissions["1"].created_at), due) == "0:00:01"
    assert gradebook.lateness(gradebook.parse_time(submissions["2"].created_at), due) == "1:01:00"
