"""The class report after a re-score, its drill-downs, flags and clusters, from hand-made results (no grading).

A Gradescope export of seven submissions goes through `grade_export` with THRESHOLD=43 and
results/ laid out as a finished run left them (so nothing is graded): the report is the one
grade_export writes, rendered in Debian's chromium, and every number on it is checked
against the grades.csv the same run wrote. The results carry issue 18's flags for staff,
`extra_data["implausible"]` and `extra_data["large_literals"]`, and one test's output is
hostile Markdown and HTML.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from conftest import REPO, STENCIL_NOTEBOOK, SUBMISSIONS, graded_tests, points
from test_class_report import Dom, chromium, render

from autograder.parts import NAMES
from autograder.parts.train import PERPLEXITY_TEST
from autograder.staff import bulk, grade_export, reviewed, similarity
from autograder.staff.report import write_report

pytestmark = pytest.mark.xdist_group("class_report")

SOLUTION = REPO / "solution" / "language_model.py"
HOSTILE = "</pre><script>alert(1)</script><img src=x onerror=alert(2)>"
MARKDOWN = "**bold** [click](javascript:alert(3)) <b>not bold</b>"
THRESHOLD = 43.0
IMPLAUSIBLE = {"test_perplexity": 17.9, "floor": 30.0}
LARGE_LITERALS = [{"line": 12, "kind": "str", "size": 250000}]


def renamed_reference() -> str:
    """The reference with its own names changed, re-indented and re-commented: identical once normalised."""
    source = SOLUTION.read_text()
    stencil = similarity.Stencil(STENCIL_NOTEBOOK)
    for index, name in enumerate(sorted(similarity.names_in(source) - stencil.names)):
        source = re.sub(rf"\b{name}\b", f"mine_{index}", source)
    return "\n".join(line + ("  # mine" if line.strip().startswith("return") else "") for line in source.splitlines()) + "\n"


# id: (file name, content, submitters, (test perplexity, failed parts, flags))
CLASS = {
    "201": ("language_model.py", SOLUTION.read_bytes(), [("s1", "Ada Lovelace")], (42.3, (), {})),
    "202": ("language_model.py", SOLUTION.read_bytes(), [("s2", '=HYPERLINK("http://x","y")')], (42.3, (), {})),
    "203": ("language_model.py", renamed_reference().encode(), [("s3", "Alan Turing"), ("s4", "Grace Hopper")],
            (17.9, (), {"implausible": IMPLAUSIBLE})),
    "204": ("language_model.py", (SUBMISSIONS / "bugs" / "lstm_input_forget_swapped.py").read_bytes(),
            [("s5", "Edsger Dijkstra")], (44.9, ("lstm",), {"implausible": None})),
    "205": ("language_model.ipynb", STENCIL_NOTEBOOK.read_bytes(), [("s6", "Blank Stencil")],
            (None, NAMES, {})),
    "206": ("language_model.py", (SUBMISSIONS / "equivalent" / "tensorarray_loop.py").read_bytes(),
            [("s7", f"Eve {HOSTILE}")], (44.0, (), {"large_literals": LARGE_LITERALS})),
}
NO_FILES = "207"  # a metadata entry without a folder: its row's note says so


def hand_made_results(manifest: list[dict], perplexity, failed_parts, flags: dict) -> dict:
    """results.json as the judge writes it: every test passed but those of `failed_parts`, graded under 49."""
    results = bulk.lost_results(manifest, "")
    for test in results["tests"]:
        failed = test["tags"][0] in failed_parts or (test["number"] == PERPLEXITY_TEST and (perplexity is None or perplexity > 49))
        test.update(score=0.0 if failed else test["max_score"], status="failed" if failed else "passed",
                    output=f"Wrong: {MARKDOWN} {HOSTILE}" if failed else "")
        if failed and test["tags"][0] == "lstm":
            test["extra_data"] = {"diagnosis": "lstm-gates-swapped"}
    results["score"] = round(sum(test["score"] for test in results["tests"]), 4)
    results["extra_data"] = {"children": {}, **({"test_perplexity": perplexity} if perplexity is not None else {}), **flags}
    return results


@pytest.fixture(scope="module")
def rescored_run(tmp_path_factory):
    """OUT after `grade_export --threshold 43` over results a finished run left: (out, folders, the page's DOM)."""
    root = tmp_path_factory.mktemp("rescore")
    export, out = root / "export", root / "out"
    manifest, _ = bulk.bundle_config(grade_export.ZIP)
    metadata, endings = {}, {}
    (out / "results").mkdir(parents=True)
    for key, (file_name, content, people, (perplexity, failed, flags)) in CLASS.items():
        (export / f"submission_{key}").mkdir(parents=True)
        (export / f"submission_{key}" / file_name).write_bytes(content)
        metadata[f"submission_{key}"] = {":submitters": [{":name": n, ":sid": s, ":email": f"{s}@example.edu"}
                                                         for s, n in people]}
        (out / "results" / f"{key}.json").write_text(json.dumps(hand_made_results(manifest, perplexity, failed, flags)))
        endings[key] = {"ending": bulk.GRADED, "note": "", "seconds": 60.0}
    metadata[f"submission_{NO_FILES}"] = {":submitters": [{":name": "Lost Files", ":sid": "s8", ":email": "l@example.edu"}]}
    (export / "submission_metadata.yml").write_text(yaml.safe_dump(metadata))
    (out / "endings.json").write_text(json.dumps(endings))
    assert grade_export.main(["--export", str(export), "--out", str(out), "--threshold", str(THRESHOLD)]) == 0
    folders = {key: out / "export" / f"submission_{key}" for key in CLASS}
    return out, folders, Dom(render(out / "report.html"))


def grades_csv(out: Path) -> list[dict]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def text_of(dom: Dom) -> str:
    return re.sub(r"\s+", " ", "".join(dom.text))


def test_the_page_shows_the_numbers_grades_csv_was_rescored_to(rescored_run):
    out, _, dom = rescored_run
    expected = grades_csv(out)
    parts = [column for column in expected[0] if column not in
             ("sid", "name", "email", "submission_id", "total", "max_total", "test_perplexity", "ending", "note")]
    assert "note" not in parts and parts == list(NAMES)
    by_sid = {row["sid"]: row for row in expected}
    assert float(by_sid["s5"]["train"]) < float(by_sid["s1"]["train"])  # 44.9 loses 6.2 under 43, 42.3 keeps it
    shown = {row["sid"]: row for row in dom.rows("submitters")}
    assert set(shown) == set(by_sid)
    for table_row in dom.tables["submitters"]:
        if not table_row:
            continue
        row = by_sid[table_row[0][1]]
        cells = [text for _, text in table_row]
        assert float(cells[4]) == pytest.approx(float(row["total"]), abs=1e-4)
        assert float(cells[5]) == pytest.approx(float(row["max_total"]), abs=1e-4)
        for index, part in enumerate(parts):
            assert float(cells[6 + index]) == pytest.approx(float(row[part]), abs=1e-4)
        assert cells[-3] == ("–" if not row["test_perplexity"] else f"{float(row['test_perplexity']):g}")
        assert cells[-2] == row["ending"] and cells[-1] == row["note"].lstrip("'")
    totals = [float(row["total"]) for row in expected]
    page = text_of(dom)
    assert f"{len(expected)} submitters in {len({row['submission_id'] for row in expected})} submissions" in page
    assert f"mean {statistics.mean(totals):.1f}, median {statistics.median(totals):g} of {points():g}" in page
    per_part = {cells[0][1]: [text for _, text in cells] for cells in dom.tables["parts"] if cells}
    for part in parts:
        values = [float(row[part]) for row in expected]
        assert float(per_part[part][3]) == pytest.approx(statistics.mean(values), abs=0.01)
        assert float(per_part[part][4]) == pytest.approx(statistics.median(values), abs=0.01)
    assert "disagree" not in {attrs.get("id") for _, attrs in dom.attributes}


def test_the_perplexity_section_and_test_6_2_use_the_threshold_grades_were_scored_with(rescored_run):
    out, _, dom = rescored_run
    expected = grades_csv(out)
    measured = {row["submission_id"]: float(row["test_perplexity"]) for row in expected if row["test_perplexity"]}
    reaching = sum(value <= THRESHOLD for value in measured.values())
    page = text_of(dom)
    configured = json.loads((REPO / "autograder" / "config.json").read_text())["perplexity_threshold"]
    assert f"Threshold {THRESHOLD:g} (THRESHOLD given to the grading" in page and f"configured: {configured:g}" in page
    assert f"{reaching} of {len(measured)} submissions with a test perplexity reach it" in page
    assert {row["submission"]: row["reached"] for row in dom.rows("perplexities")} == {
        key: "yes" if value <= THRESHOLD else "no" for key, value in measured.items()}
    test_6_2 = next(row for row in dom.rows("tests") if row["number"] == PERPLEXITY_TEST)
    graded = len(CLASS) + 1
    assert (int(test_6_2["passed"]), int(test_6_2["graded"])) == (reaching, graded)
    view = {row["number"]: row for row in dom.rows("results-sub-204") if "number" in row}
    assert view[PERPLEXITY_TEST]["points"].startswith("0 /") and view[PERPLEXITY_TEST]["status"] == "failed"
    judged = next(test["max_score"] for test in graded_tests() if test["number"] == PERPLEXITY_TEST)
    assert f"test {PERPLEXITY_TEST} was {judged:g} from the judge" in page  # its points under 49, said where they changed


def test_the_page_fits_a_laptop_screen(rescored_run):
    """Figures drawn wide and scaled to the page; the submitter table scrolls inside its card, not past it."""
    out, _, dom = rescored_run
    page = (out / "report.html").read_text()
    widths = [float(attrs["viewbox"].split()[2]) for tag, attrs in dom.attributes if tag == "svg" and "figure" in attrs.get("class", "")]
    assert len(widths) >= 6 and min(widths) >= 560  # points: 10-inch figures less their margins, text at 11 pt
    assert "svg.figure { display: block; width: 100%" in page
    assert '<div class="scroll"><table id="submitters">' in page and ".scroll { overflow-x: auto; }" in page


def test_notes_are_shown_and_note_is_no_part(rescored_run):
    out, _, dom = rescored_run
    page = text_of(dom)
    note = next(row["note"] for row in grades_csv(out) if row["submission_id"] == NO_FILES)
    assert note and note in page
    assert "note (" not in page and "note" not in {row["label"] for row in dom.rows("parts")}
    assert '=HYPERLINK("http://x","y")' in page and "'=HYPERLINK" not in page  # the CSV guard is for spreadsheets


def test_per_test_drill_down_lists_who_failed_and_the_diagnosis(rescored_run):
    _, _, dom = rescored_run
    failed_lstm = {row["who"]: row["diagnosis"] for row in dom.rows("failed-test-3.1")}
    assert failed_lstm == {"Edsger Dijkstra (204)": "lstm-gates-swapped", "Blank Stencil (205)": "lstm-gates-swapped",
                           "Lost Files (207)": "–"}
    failed_6_2 = {row["who"] for row in dom.rows(f"failed-test-{PERPLEXITY_TEST}")}
    assert failed_6_2 == {"Edsger Dijkstra (204)", "Blank Stencil (205)", f"Eve {HOSTILE} (206)", "Lost Files (207)"}
    ids = {attrs.get("id") for _, attrs in dom.attributes}
    for tag, attrs in dom.attributes:
        if tag == "a":
            assert attrs["href"].startswith("#") and attrs["href"][1:] in ids, attrs


def test_per_submitter_results_are_shown_as_gradescope_does_with_output_as_text(rescored_run):
    out, _, dom = rescored_run
    results = json.loads((out / "results" / "205.json").read_text())
    view = [row for row in dom.rows("results-sub-205") if "number" in row]
    assert [(row["number"], row["name"]) for row in view] == [(t["number"], t["name"]) for t in results["tests"]]
    assert all(row["status"] == "failed" for row in view)
    page = text_of(dom)
    assert f"Wrong: {MARKDOWN} {HOSTILE}" in page  # as text: no Markdown rendered, no HTML run
    assert not any(tag in ("script", "img", "b") or any(name.startswith("on") for name in attrs) for tag, attrs in dom.attributes)
    assert not any("javascript" in value for _, attrs in dom.attributes for value in attrs.values() if value)


def test_an_anchor_opens_the_submission_it_names(rescored_run):
    """Following #sub-204 (a link of the page) opens the <details> it is in: the drill-down needs no script."""
    out, _, _ = rescored_run
    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        finished = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                                   "--dump-dom", (out / "report.html").resolve().as_uri() + "#sub-204"],
                                  capture_output=True, text=True, timeout=180)
    opened = [attrs for tag, attrs in Dom(finished.stdout).attributes if tag == "details" and "open" in attrs]
    assert [attrs.get("class") for attrs in opened] == ["submission"]


def test_staff_flags_are_shown_when_the_results_carry_them(rescored_run):
    _, _, dom = rescored_run
    assert [(row["who"], row["perplexity"], row["floor"]) for row in dom.rows("implausible")] == [
        ("Alan Turing, Grace Hopper (203)", "17.9", "30")]
    cells = [[text for _, text in row] for row in dom.tables["large-literals"] if row]
    assert cells == [[f"Eve {HOSTILE} (206)", "12", "str", "250000"]]
    assert "Flagged as implausibly good" in text_of(dom)


def test_without_flags_in_the_results_no_flag_section(rescored_run, tmp_path):
    out, folders, _ = rescored_run
    copy = tmp_path / "out"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("export"))
    for path in (copy / "results").iterdir():
        results = json.loads(path.read_text())
        for key in ("implausible", "large_literals"):
            results.get("extra_data", {}).pop(key, None)
        path.write_text(json.dumps(results))
    page = write_report(copy, folders, STENCIL_NOTEBOOK, THRESHOLD).read_text()
    assert 'id="flagged"' not in page and "implausibly" not in page


def test_similar_code_comes_in_clusters_around_the_reference_with_its_kind(rescored_run):
    _, _, dom = rescored_run
    kinds = {}
    for tag, attrs in dom.attributes:
        if tag == "details" and "pair" in (attrs.get("class") or ""):
            kinds.setdefault(attrs["data-kind"], []).append(float(attrs["data-similarity"]))
    assert set(kinds) <= {similarity.BYTE_IDENTICAL, similarity.IDENTICAL, similarity.NEAR}
    assert sum(len(values) for values in kinds.values()) == 4  # code side by side for the pairs that join the 5, no more
    assert kinds[similarity.NEAR]  # 204 (gates swapped) joins by its most similar pair
    # one cluster: two copies of the reference, a renamed one, a one-bug one; not the rewrite (206) nor the stencil
    assert _reviewed_lines(dom) == ["201 202 203 204 reference"]
    page = text_of(dom)
    assert "5 submissions around the reference solution" in page
    assert "(pairs: 3 byte-identical, 3 identical, 4 near-identical)" in page
    assert "1.00 " not in page and "1.000" not in page  # a one-line change never shows as 1


def _reviewed_lines(dom: Dom) -> list[str]:
    """The lines the page offers to paste into OUT/reviewed.txt, one per cluster, without their comment."""
    return [match.strip() for match in re.findall(r"OUT/reviewed\.txt: (.*?)# reviewed", text_of(dom))]


def test_a_cluster_marked_reviewed_is_folded_apart_until_a_new_member_joins(rescored_run, tmp_path):
    out, folders, dom = rescored_run
    line = _reviewed_lines(dom)[0]
    (out / reviewed.FILE_NAME).write_text(f"# staff's notes\n{line}  # spoke to them, 2026-12-10\n")
    try:
        folded = write_report(out, folders, STENCIL_NOTEBOOK, THRESHOLD).read_text()
        assert "No cluster to review." in folded and "Reviewed: 1 cluster(s)" in folded
        (out / reviewed.FILE_NAME).write_text("201 202 203 reference\n")  # 204 not reviewed yet
        back = write_report(out, folders, STENCIL_NOTEBOOK, THRESHOLD).read_text()
        assert "To review: 1 cluster(s)" in back and "Reviewed:" not in back
        assert back.count(">to review<") == 4  # 204's pairs with 201, 202, 203 and the reference; the others are reviewed
    finally:
        (out / reviewed.FILE_NAME).unlink()
        write_report(out, folders, STENCIL_NOTEBOOK, THRESHOLD)


def test_a_page_scored_otherwise_than_grades_csv_says_where_they_disagree(rescored_run, tmp_path):
    """grades.csv re-scored under 43, a page written as if under 49: the page says which rows it cannot reconcile."""
    out, folders, _ = rescored_run
    copy = tmp_path / "out"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("export"))
    page = write_report(copy, folders, STENCIL_NOTEBOOK).read_text()
    assert 'id="disagree"' in page
    assert "submission 204, s5: total 57 in grades.csv, 75 in results/204.json" in page
    assert "submission 201" not in page.split('id="disagree"')[1].split("</section>")[0]


def test_clusters_are_connected_components_joined_by_their_most_similar_pairs():
    pair = similarity.Pair
    pairs = [pair("a", "b", 1.0, similarity.BYTE_IDENTICAL), pair("b", "c", 0.9), pair("a", "c", 0.8), pair("x", "y", 0.6)]
    found = similarity.clusters(pairs)
    assert [cluster.members for cluster in found] == [("a", "b", "c"), ("x", "y")]
    assert found[0].spanning_pairs() == pairs[:2]
