"""Bulk grading of a Gradescope export (autograder/staff), end to end on an export built here from the zoo.

One correct submission (the suite's only full training here), cheap buggy, hostile and
unreadable ones, a group of two, a metadata entry without files and files without a
metadata entry, plus hostile zip members. The recorded scores are set so that the
regrade diff has known gains, losses and stays.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from autograder.staff import gradebook, regrade
from autograder.staff.grades import number_key
from autograder.evaluate import perplexity_points
from autograder.parts import NAMES
from autograder.parts.train import PERPLEXITY_TEST
from conftest import REPO, SUBMISSIONS, ZIP, strict_json

CORRECT = REPO / "solution" / "language_model.py"
BUGGY = SUBMISSIONS / "bugs" / "hparams_zero_epochs.py"  # expect-fail: train; cheap (nothing to train)
GROUP = SUBMISSIONS / "bugs" / "hparams_missing_cell.py"  # expect-fail: train
HOSTILE = SUBMISSIONS / "hostile" / "exit_at_import.py"  # every test fails, cheaply
UNREADABLE = b"\x89PNG\r\n\x1a\n not a notebook \xff\xfe"


def manifest() -> list[dict]:
    if not ZIP.is_file():
        pytest.fail(f"{ZIP} is missing: run `make autograder` first (`make test` does).")
    with zipfile.ZipFile(ZIP) as archive:
        return json.loads(archive.read("expected/tests.json"))


def recorded(scores: dict | None = None, default: str = "max") -> dict:
    """Gradescope's recorded results: every test at full points (or 0), but those in `scores`."""
    tests = [{"number": meta["number"], "name": meta["name"], "max_score": meta["max_score"],
              "score": (scores or {}).get(meta["number"], meta["max_score"] if default == "max" else 0.0)}
             for meta in manifest()]
    return {"score": sum(test["score"] for test in tests), "tests": tests}


def person(name: str, sid: str) -> dict:
    return {":name": name, ":sid": sid, ":email": f"{sid}@example.edu"}


def entry(people: list[dict], results: dict | None) -> dict:
    fields = {":submitters": people, ":created_at": "2026-11-20 23:59:00.000000000 -05:00", ":status": "processed"}
    if results is not None:
        fields.update({":score": results["score"], ":results": results})
    return fields


def build_export(path: Path, members: dict[str, bytes], metadata: dict) -> Path:
    """As Gradescope's Export Submissions: one top folder, submission_<id>/ folders, Ruby-symbol metadata."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr("assignment_4242_export/" + name, content)
        archive.writestr("assignment_4242_export/submission_metadata.yml", yaml.safe_dump(metadata, sort_keys=False))
    return path


def grade_export(export: Path, out: Path, *options: str) -> str:
    command = [sys.executable, "-m", "autograder.staff.grade_export", "--export", str(export), "--out", str(out), *options]
    finished = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=1800)
    assert finished.returncode == 0, f"grade_export failed:\n{finished.stdout[-3000:]}\n{finished.stderr[-3000:]}"
    return finished.stdout


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def full_marks() -> float:
    return sum(meta["max_score"] for meta in manifest())


def perplexity_max() -> float:
    return next(meta["max_score"] for meta in manifest() if meta["number"] == PERPLEXITY_TEST)


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    members = {
        "submission_1001/language_model.py": CORRECT.read_bytes(),
        "submission_1002/language_model.py": BUGGY.read_bytes(),
        "submission_1003/language_model.py": HOSTILE.read_bytes(),
        "submission_1004/language_model.ipynb": UNREADABLE,
        "submission_1005/language_model.py": GROUP.read_bytes(),
        "submission_1007/language_model.ipynb": UNREADABLE,  # no metadata entry
        "submission_1001/../../escaped.txt": b"outside",
    }
    metadata = {
        "submission_1001": entry([person("Ada Lovelace", "s01")], recorded({PERPLEXITY_TEST: 0.0})),  # gains the perplexity test
        "submission_1002": entry([person("Bo Li", "s02")], recorded()),  # loses its train part
        "submission_1003": entry([person("Cy Hacker", "s03")], recorded(default="zero")),  # stays at 0
        "submission_1004": entry([person("Di Png", "s04")], recorded(default="zero")),  # stays at 0
        "submission_1005": entry([person("Eve Second", "s06"), person("=cmd|' /C calc'!A0", "s05")], recorded()),
        "submission_1006": entry([person("Fay Nofiles", "s07")], {"score": 10.0, "tests": []}),  # no folder: loses 10
    }
    return build_export(folder / "gradescope_export.zip", members, metadata)


@pytest.fixture(scope="module")
def first_run(export, tmp_path_factory):
    out = tmp_path_factory.mktemp("graded") / "out"
    printed = grade_export(export, out, "--workers", "1")  # the training's wall time is at stake on a busy machine
    return out, printed, (out / "grades.csv").read_text(), (out / "diff.csv").read_text()


pytestmark = pytest.mark.xdist_group("grade-export")


def test_every_submitter_gets_a_row(first_run):
    out, printed, grades_text, _ = first_run
    rows = (out / "grades.csv").read_text() == grades_text and read_csv(out / "grades.csv")
    parts = list(NAMES)
    assert list(rows[0]) == ["sid", "name", "email", "submission_id", "total", "max_total", *parts,
                             "test_perplexity", "ending", "note"]
    assert [(row["submission_id"], row["sid"]) for row in rows] == [
        ("1001", "s01"), ("1002", "s02"), ("1003", "s03"), ("1004", "s04"), ("1005", "s05"), ("1005", "s06"),
        ("1006", "s07"), ("1007", "")]
    by_id = {row["submission_id"]: row for row in rows}
    top = full_marks()
    maxima = {part: sum(meta["max_score"] for meta in manifest() if meta["tags"][0] == part) for part in parts}
    assert all(float(row["max_total"]) == top for row in rows)
    for row in rows:  # the parts add up to the total, and the total is the judge's
        assert sum(float(row[part]) for part in parts) == pytest.approx(float(row["total"]))
        results = strict_json((out / "results" / f"{row['submission_id']}.json").read_text())
        assert float(row["total"]) == pytest.approx(results["score"])

    correct = by_id["1001"]
    assert (correct["ending"], float(correct["total"]), correct["name"], correct["email"]) == ("graded", top, "Ada Lovelace", "s01@example.edu")
    assert 1 < float(correct["test_perplexity"]) <= 49
    for key in ("1002", "1005"):  # the train part fails, every other part earns full points
        row = by_id[key]
        assert row["ending"] == "graded"
        assert float(row["train"]) < maxima["train"]
        assert all(float(row[part]) == maxima[part] for part in parts if part != "train")
    assert (by_id["1003"]["ending"], float(by_id["1003"]["total"])) == ("graded", 0.0)
    for key in ("1004", "1007"):
        assert (by_id[key]["ending"], float(by_id[key]["total"]), by_id[key]["test_perplexity"]) == ("unreadable", 0.0, "")
        problem = strict_json((out / "results" / f"{key}.json").read_text())["extra_data"]["problem"]
        assert "not UTF-8" in problem and problem in by_id[key]["note"]
    assert (by_id["1006"]["ending"], float(by_id["1006"]["total"]), by_id["1006"]["note"]) == (
        "no files", 0.0, "the export has no folder for this metadata entry")
    assert "no metadata entry" in by_id["1007"]["note"]
    group = [row for row in rows if row["submission_id"] == "1005"]
    assert [row["name"] for row in group] == ["'=cmd|' /C calc'!A0", "Eve Second"]  # a formula is never a formula
    assert "escaped.txt" in printed and not (out.parent / "escaped.txt").exists() and not (out.parents[1] / "escaped.txt").exists()


def test_results_are_what_the_judge_wrote(first_run):
    out = first_run[0]
    assert sorted(path.stem for path in (out / "results").glob("*.json")) == ["1001", "1002", "1003", "1004", "1005", "1006", "1007"]
    numbers = sorted((meta["number"] for meta in manifest()), key=number_key)
    for path in (out / "results").glob("*.json"):
        results = strict_json(path.read_text())
        assert [test["number"] for test in results["tests"]] == numbers  # every test listed, as Gradescope needs
    correct = strict_json((out / "results" / "1001.json").read_text())
    assert {child["ending"] for child in correct["extra_data"]["children"].values()} == {"finished"}
    assert "Your submission could not be graded" in strict_json((out / "results" / "1004.json").read_text())["output"]
    missing = strict_json((out / "results" / "1006.json").read_text())
    assert missing["score"] == 0 and all("no files" in test["output"] for test in missing["tests"])
    assert json.loads((out / "submitters.json").read_text())["1005"] == [
        {"sid": "s06", "name": "Eve Second", "email": "s06@example.edu"},
        {"sid": "s05", "name": "=cmd|' /C calc'!A0", "email": "s05@example.edu"}]
    assert json.loads((out / "endings.json").read_text())["1003"]["ending"] == "graded"
    created_at = json.loads((out / "created_at.json").read_text())  # for make gradebook's lateness, zone kept
    assert gradebook.parse_time(created_at["1001"]) == datetime(2026, 11, 20, 23, 59, tzinfo=timezone(timedelta(hours=-5)))
    assert created_at["1007"] is None  # no metadata entry


def test_the_diff_says_who_gains_and_who_loses(first_run):
    out, printed, _, diff_text = first_run
    rows = read_csv(out / "diff.csv")
    assert list(rows[0]) == regrade.COLUMNS
    assert [(row["submission_id"], row["sid"]) for row in rows] == [
        ("1001", "s01"), ("1002", "s02"), ("1005", "s05"), ("1005", "s06"), ("1006", "s07")]
    by_id = {row["submission_id"]: row for row in rows}
    top = full_marks()
    gain = by_id["1001"]
    assert (float(gain["old"]), float(gain["new"]), float(gain["delta"])) == (top - perplexity_max(), top, perplexity_max())
    assert gain["flipped"].startswith(f"{PERPLEXITY_TEST} ") and " | " not in gain["flipped"]
    for key in ("1002", "1005"):
        assert float(by_id[key]["delta"]) < 0
        assert all(flip.startswith("6.") for flip in by_id[key]["flipped"].split(" | "))
    assert (float(by_id["1006"]["old"]), float(by_id["1006"]["new"]), by_id["1006"]["flipped"]) == (10.0, 0.0, "")
    assert "1 submitter(s) gain, 4 lose, 2 stay, 1 have no recorded score" in printed


def test_a_rerun_grades_nothing_again(first_run, export):
    out, _, grades_text, diff_text = first_run
    before = {path.name: (path.stat().st_mtime_ns, path.read_bytes()) for path in (out / "results").glob("*.json")}
    printed = grade_export(export, out, "--workers", "2")
    assert "7 submission(s) already graded" in printed and "7 submission(s), 0 graded now" in printed
    assert {path.name: (path.stat().st_mtime_ns, path.read_bytes()) for path in (out / "results").glob("*.json")} == before
    assert (out / "grades.csv").read_text() == grades_text and (out / "diff.csv").read_text() == diff_text


def test_a_threshold_rescores_the_perplexity_test_without_grading(first_run, export):
    out = first_run[0]
    results_before = (out / "results" / "1001.json").read_bytes()
    perplexity = strict_json(results_before)["extra_data"]["test_perplexity"]
    printed = grade_export(export, out, "--threshold", "1.5")  # no model reaches it
    assert "0 graded now" in printed and "re-scored under threshold 1.5" in printed
    assert (out / "results" / "1001.json").read_bytes() == results_before
    rows = {row["submission_id"]: row for row in read_csv(out / "grades.csv")}
    assert float(rows["1001"]["total"]) == full_marks() - perplexity_max()
    assert float(rows["1001"]["test_perplexity"]) == pytest.approx(perplexity, abs=1e-4)
    assert "1001" not in {row["submission_id"] for row in read_csv(out / "diff.csv")}  # recorded without it: stays
    grade_export(export, out, "--threshold", f"{perplexity}")
    assert float({row["submission_id"]: row for row in read_csv(out / "grades.csv")}["1001"]["total"]) == full_marks()


def test_rescoring_uses_the_tests_own_scoring_with_partial_credit():
    tests = [{"number": "1.1", "score": 2.0, "max_score": 2.0, "status": "passed"},
             {"number": PERPLEXITY_TEST, "score": 0.0, "max_score": 18.0, "status": "failed"}]
    results = {"score": 2.0, "tests": tests, "extra_data": {"test_perplexity": 55.0}}
    rescored = regrade.rescore(results, 50.0, 60.0)
    assert rescored["tests"][1]["score"] == perplexity_points(55.0, 50.0, 60.0, 18.0) == 9.0
    assert (rescored["tests"][1]["status"], rescored["score"]) == ("failed", 11.0)
    assert results["tests"][1]["score"] == 0.0  # the judge's results are never changed
    assert regrade.rescore({**results, "extra_data": {"test_perplexity": None}}, 100.0, None)["score"] == 2.0


def test_make_passes_its_options_through():
    shown = subprocess.run(["make", "-n", "grade-export", "EXPORT=e.zip", "OUT=o", "WORKERS=3", "THRESHOLD=40",
                            "SCHEDULER=tls://h:8786", "TLS_CA=ca.pem", "TLS_CERT=c.pem", "TLS_KEY=k.pem"],
                           cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert ('-m autograder.staff.grade_export --export "e.zip" --out "o" --workers 3' in shown
            and '--threshold 40 --scheduler "tls://h:8786"' in shown
            and '--tls-ca-file "ca.pem" --tls-cert "c.pem" --tls-key "k.pem"' in shown)


@pytest.mark.xdist_group("grade-export-dask")
def test_a_dask_cluster_of_two_workers_grades_an_export(tmp_path):
    members = {"submission_2001/language_model.py": HOSTILE.read_bytes(),
               "submission_2002/language_model.ipynb": UNREADABLE}
    metadata = {"submission_2001": entry([person("Gus", "s21")], recorded(default="zero")),
                "submission_2002": entry([person("Hal", "s22")], recorded({PERPLEXITY_TEST: 0.0}))}
    export = build_export(tmp_path / "small.zip", members, metadata)
    printed = grade_export(export, tmp_path / "out", "--scheduler", "local:2")
    assert "Dask at local:2 (2 workers)" in printed
    rows = read_csv(tmp_path / "out" / "grades.csv")
    assert [(row["submission_id"], row["sid"], row["ending"], float(row["total"])) for row in rows] == [
        ("2001", "s21", "graded", 0.0), ("2002", "s22", "unreadable", 0.0)]
    assert [row["submission_id"] for row in read_csv(tmp_path / "out" / "diff.csv")] == ["2002"]
    assert strict_json((tmp_path / "out" / "results" / "2001.json").read_text())["extra_data"]["children"]
