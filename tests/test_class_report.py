"""The class report (autograder/staff/report.py), built from real gradings and rendered in headless Chromium.

The module grades seven submissions of the zoo with the judge (six on one part each, one
notebook on every part, with training), lays out OUT as the bulk grading does
(results/<id>.json, grades.csv, submitters.json), writes the report and loads it in
Debian's chromium (`make test` installs it) with --dump-dom. The checks read the page as
the browser built it: its figures, and its numbers against grades.csv and the results.
One submitter's name and one submission's code and file name are hostile HTML.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import REPO, STENCIL_NOTEBOOK, SUBMISSIONS, grade_submission, graded_tests

from autograder.parts import NAMES
from autograder.staff import similarity
from autograder.staff.diagnoses import diagnosed
from autograder.staff.report import write_report
from autograder.submission import graded_source

pytestmark = pytest.mark.xdist_group("class_report")

HOSTILE = "</script><img src=x onerror=alert(1)><script>alert(2)</script>"
HOSTILE_CODE = f'\n\nBANNER = "</td></tr></table>{HOSTILE}"\n'
HOSTILE_FILE_NAME = "<img src=x onerror=alert(3)>.py"
# (submission id, zoo file, parts to grade (None: all), submitters (sid, name, email))
CLASS = [
    ("1001", "bugs/rnn_concat_order_swapped.py", "rnn", [("s01", "Ada Lovelace", "ada@example.edu")]),
    ("1002", "bugs/lstm_input_forget_swapped.py", "lstm",
     [("s02", "Alan Turing", "alan@example.edu"), ("s03", "Grace Hopper", "grace@example.edu")]),
    ("1003", "bugs/perplexity_mean_of_exp.py", "perplexity", [("s04", "Edsger Dijkstra", "ed@example.edu")]),
    ("1004", "hostile/rnn_call_eats_memory.py", "rnn", [("s05", "Barbara Liskov", "barbara@example.edu")]),
    ("1005", "bugs/windows_labels_not_shifted.py", "windows", [("s06", f"Eve {HOSTILE}", f"eve{HOSTILE}@example.edu")]),
    ("1006", "notebooks/correct_with_experiments.ipynb", None, [("s07", "Donald Knuth", "don@example.edu")]),
    ("1007", "bugs/hparams_zero_epochs.py", "train", [("s08", "Ken Thompson", "ken@example.edu")]),
]
HOSTILE_ID, MEMORY_ID, CORRECT_ID, UNTRAINED_ID = "1005", "1004", "1006", "1007"
FIGURES = {"score distribution", "points per part", "pass rate of every test", "test perplexity against the threshold",
           "diagnosed mistakes", "grading time and memory", "similarity of every pair"}


def _folder(root: Path, sid: str, zoo: str) -> Path:
    """The submission's folder as the export holds it; 1005 gets hostile code and a hostile file name."""
    folder = root / "submissions" / sid
    folder.mkdir(parents=True)
    source = SUBMISSIONS / zoo
    if sid == HOSTILE_ID:
        (folder / HOSTILE_FILE_NAME).write_text(source.read_text() + HOSTILE_CODE)
    else:
        shutil.copy(source, folder / source.name)
    return folder


def _test_perplexity(results: dict) -> float | None:
    return next((entry["value"] for entry in results.get("leaderboard", []) if entry["name"] == "Test perplexity"), None)


def _ending(results: dict) -> str:
    stopped = [f"{child['ending']} ({part})" for part, child in results["extra_data"]["children"].items()
               if child["ending"] != "finished"]
    return "; ".join(stopped) or "finished"


def _write_grades(out: Path, graded: dict[str, dict]) -> list[str]:
    """grades.csv and submitters.json in the bulk grading's format; the parts, in order."""
    parts = list(dict.fromkeys(test["tags"][0] for results in graded.values() for test in results["tests"]))
    parts = sorted(parts, key=NAMES.index)
    with open(out / "grades.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["sid", "name", "email", "submission_id", "total", "max_total", *parts, "test_perplexity", "ending"])
        for sid, _, _, people in CLASS:
            results = graded[sid]
            by_part = {part: sum(t["score"] for t in results["tests"] if t["tags"][0] == part) for part in parts}
            present = {t["tags"][0] for t in results["tests"]}
            perplexity = _test_perplexity(results)
            for person, name, email in people:
                writer.writerow([person, name, email, sid, results["score"], sum(t["max_score"] for t in results["tests"]),
                                 *[by_part[part] if part in present else "" for part in parts],
                                 "" if perplexity is None else perplexity, _ending(results)])
    (out / "submitters.json").write_text(json.dumps(
        {sid: [{"sid": p, "name": n, "email": e} for p, n, e in people] for sid, _, _, people in CLASS}))
    return parts


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """OUT with the class's real gradings, and the submissions' folders."""
    root = tmp_path_factory.mktemp("class")
    out = root / "out"
    (out / "results").mkdir(parents=True)
    folders, graded = {}, {}
    for sid, zoo, parts, _ in CLASS:
        folders[sid] = _folder(root, sid, zoo)
        graded[sid] = grade_submission(folders[sid], out / "results" / f"{sid}.json", parts and {parts})
    _write_grades(out, graded)
    return out, folders, graded


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("chromium is not installed and could not be (make test installs Debian's chromium as root with apt)")
    return found


def render(page: Path, screenshot: Path | None = None) -> str:
    """The DOM headless Chromium builds from the page, opened from disk."""
    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                   "--dump-dom", page.resolve().as_uri()]
        if screenshot:
            command[-2:-1] = [f"--screenshot={screenshot}", "--window-size=1280,3000"]
        finished = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert finished.returncode == 0, finished.stderr[-2000:]
    return finished.stdout


class Dom(HTMLParser):
    """What the checks need of a DOM: element counts, attributes, table cells by table id and class, text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: dict[str, int] = {}
        self.attributes: list[tuple[str, dict]] = []
        self.tables: dict[str, list[list[tuple[str, str]]]] = {}
        self.text: list[str] = []
        self._table: list[str | None] = []
        self._cell: list | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attributes.append((tag, attrs))
        if tag == "table":
            self._table.append(attrs.get("id"))
        elif tag == "tr" and self._table and self._table[-1]:
            self.tables.setdefault(self._table[-1], []).append([])
        elif tag == "td" and self._table and self._table[-1]:
            self._cell = [attrs.get("class", ""), ""]

    def handle_endtag(self, tag):
        if tag == "table" and self._table:
            self._table.pop()
        elif tag == "td" and self._cell is not None:
            self.tables[self._table[-1]][-1].append((self._cell[0], self._cell[1].strip()))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell[1] += data

    def rows(self, table: str) -> list[dict[str, str]]:
        """Each body row as {first class of the cell: text}."""
        return [{cls.split()[0] if cls else str(i): text for i, (cls, text) in enumerate(row)}
                for row in self.tables.get(table, []) if row]


@pytest.fixture(scope="module")
def report(graded_class, tmp_path_factory):
    out, folders, graded = graded_class
    page = write_report(out, folders, STENCIL_NOTEBOOK)
    screenshot = tmp_path_factory.mktemp("shot") / "report.png"
    dom = Dom(render(page, None))
    render(page, screenshot)
    return page, dom, screenshot


def test_the_page_renders_offline_with_its_figures(report):
    page, dom, screenshot = report
    assert page.name == "report.html"
    assert "Class report" in "".join(dom.text)
    assert {attrs.get("aria-label") for tag, attrs in dom.attributes if tag == "svg"} == FIGURES
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "mathdefault" not in page.read_text()  # tick labels as text, not unrendered mathtext
    for tag, attrs in dom.attributes:
        assert tag not in ("script", "link", "iframe", "img", "object"), (tag, attrs)
        for name in ("src", "href"):
            assert not attrs.get(name) or attrs[name].startswith("#"), (tag, attrs)


def test_every_submitter_shows_the_numbers_of_grades_csv(report, graded_class):
    out, _, _ = graded_class
    _, dom, _ = report
    with open(out / "grades.csv", newline="") as file:
        expected = list(csv.DictReader(file))
    shown = {row["sid"]: row for row in dom.rows("submitters")}
    assert set(shown) == {row["sid"] for row in expected}
    parts = [c for c in expected[0] if c not in ("sid", "name", "email", "submission_id", "total", "max_total",
                                                  "test_perplexity", "ending")]
    for row in expected:
        cells = [text for cls, text in next(r for r in dom.tables["submitters"] if r and r[0][1] == row["sid"])]
        assert float(shown[row["sid"]]["total"]) == pytest.approx(float(row["total"]), abs=1e-4)
        assert float(shown[row["sid"]]["max"]) == pytest.approx(float(row["max_total"]), abs=1e-4)
        for index, part in enumerate(parts):
            text = cells[6 + index]
            assert (text == "–") if row[part] == "" else float(text) == pytest.approx(float(row[part]), abs=1e-4)
        if row["test_perplexity"]:
            assert float(shown[row["sid"]]["perplexity"]) == pytest.approx(float(row["test_perplexity"]), abs=0.01)


def test_pass_rates_are_counted_from_the_results(report, graded_class):
    _, _, graded = graded_class
    _, dom, _ = report
    rows = {row["number"]: row for row in dom.rows("tests")}
    counts: dict[str, list[int]] = {}
    for results in graded.values():
        for test in results["tests"]:
            count = counts.setdefault(test["number"], [0, 0])
            count[0] += test["status"] == "passed"
            count[1] += 1
    assert set(rows) == set(counts)
    for numbered, (passed, total) in counts.items():
        assert (int(rows[numbered]["passed"]), int(rows[numbered]["graded"])) == (passed, total)
        assert rows[numbered]["rate"] == f"{100 * passed / total:.0f}%"
    for test in graded_tests():  # graded once by each submission graded on its part (None: on every part)
        assert counts[test["number"]][1] == sum(part in (test["tags"][0], None) for _, _, part, _ in CLASS), test["number"]


def test_diagnosed_mistakes_are_counted_once_per_submission(report, graded_class):
    _, _, graded = graded_class
    _, dom, _ = report
    shown = {row["label"]: row for row in dom.rows("mistakes")}
    expected: dict[str, set] = {}
    for sid, results in graded.items():
        for label in diagnosed(results):
            expected.setdefault(label, set()).add(sid)
    assert {label: int(row["count"]) for label, row in shown.items()} == {label: len(s) for label, s in expected.items()}
    with_a_mistake = set().union(*expected.values())
    assert {"1001", "1002", "1003"} <= with_a_mistake  # concat order, swapped gates, mean of exp
    assert CORRECT_ID not in with_a_mistake and MEMORY_ID not in with_a_mistake


def test_without_labels_the_diagnosis_sentences_are_recognised(graded_class):
    """Results written before tests carried a diagnosis label: diagnose.py's sentences in the feedback name the mistake."""
    _, _, graded = graded_class
    for sid, mistake in (("1001", "rnn-concat-order"), ("1002", "lstm-gates-swapped"), ("1003", "ppl-mean-of-exp")):
        results = json.loads(json.dumps(graded[sid]))
        labelled = diagnosed(results)
        for test in results["tests"]:
            test.pop("extra_data", None)
        assert mistake in diagnosed(results) and mistake in labelled, (sid, diagnosed(results), labelled)
    assert diagnosed(json.loads(json.dumps(graded[CORRECT_ID]))) == {}


def test_a_diagnosis_label_in_extra_data_comes_first(graded_class):
    _, _, graded = graded_class
    results = json.loads(json.dumps(graded["1002"]))
    failed = [test for test in results["tests"] if test["status"] == "failed"]
    for test in failed:
        test["extra_data"] = {"diagnosis": "swapped gates"}
    assert diagnosed(results) == {"swapped gates": [test["number"] for test in failed]}


def test_limits_and_perplexity_come_from_the_gradings(report, graded_class):
    out, _, graded = graded_class
    _, dom, _ = report
    limits = {(row["submission"], row["child"]): row["ending"] for row in dom.rows("limits")}
    assert limits == {(sid, part): child["ending"] for sid, results in graded.items()
                      for part, child in results["extra_data"]["children"].items() if child["ending"] != "finished"}
    assert limits[(MEMORY_ID, "rnn")] == "memory"
    perplexities = {row["submission"]: (float(row["perplexity"]), row["reached"]) for row in dom.rows("perplexities")}
    with open(out / "grades.csv", newline="") as file:
        expected = {row["submission_id"]: float(row["test_perplexity"]) for row in csv.DictReader(file) if row["test_perplexity"]}
    assert {sid: value for sid, (value, _) in perplexities.items()} == pytest.approx(expected, abs=0.01)
    assert perplexities[UNTRAINED_ID][1] == "no"  # an untrained model is far above the threshold
    gradings = {row["submission"]: row for row in dom.rows("gradings")}
    assert set(gradings) == set(graded)


def test_copies_of_one_file_cluster_around_the_reference_side_by_side(report):
    page, dom, _ = report
    pairs = [attrs for tag, attrs in dom.attributes if tag == "details" and "pair" in attrs.get("class", "")]
    assert pairs and all(float(attrs["data-similarity"]) >= similarity.THRESHOLD for attrs in pairs)
    # every zoo .py file is the reference with one change: they cluster around it
    shown = re.sub(r"\s+", " ", "".join(dom.text))
    assert "around the reference solution" in shown
    assert "Ada Lovelace (1001)" in shown and "Alan Turing, Grace Hopper (1002)" in shown
    assert dom.tags.get("pre", 0) > 50


def test_hostile_text_is_shown_as_text(report):
    page, dom, _ = report
    shown = "".join(dom.text)
    assert f"Eve {HOSTILE}" in shown  # the name, as text
    assert HOSTILE_FILE_NAME in shown  # the file name, in the side-by-side header
    assert HOSTILE in shown and "BANNER" in shown  # the code
    assert not any(tag in ("img", "script") or any(name.startswith("on") for name in attrs) for tag, attrs in dom.attributes)
    assert "<img" not in page.read_text().replace("&lt;img", "")


def test_similarity_sees_through_renaming_and_not_through_a_rewrite():
    stencil = similarity.Stencil(STENCIL_NOTEBOOK)
    reference = (REPO / "solution" / "language_model.py").read_text()
    own_names = sorted(similarity.names_in(reference) - stencil.names)
    assert len(own_names) >= 2
    renamed = reference
    for index, name in enumerate(own_names):
        renamed = re.sub(rf"\b{name}\b", f"renamed_{index}", renamed)
    renamed = "\n".join(line.replace("    ", "  ") + ("  # my comment" if line.strip().startswith("return") else "")
                        for line in renamed.splitlines())
    own = stencil.code(reference, "a.py").ngrams()
    assert len(own) >= similarity.MIN_NGRAMS
    assert similarity.jaccard(own, stencil.code(renamed, "b.py").ngrams()) == 1.0
    untouched = stencil.code(graded_source(STENCIL_NOTEBOOK), "language_model.ipynb")
    assert untouched.ngrams() == frozenset()
    assert similarity.similar_pairs({"s": untouched, "t": untouched})[0] == []
    rewrite = (SUBMISSIONS / "equivalent" / "tensorarray_loop.py").read_text()
    assert similarity.jaccard(own, stencil.code(rewrite, "d.py").ngrams()) < similarity.THRESHOLD
