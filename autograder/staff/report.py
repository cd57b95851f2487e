"""The class report: one self-contained HTML page for course staff after a bulk grading.

    write_report(out, submissions, stencil, threshold=None, config=None) -> out/report.html

It reads what the bulk grading wrote in OUT: grades.csv (one row per submitter, the
numbers of record), results/<submission id>.json (the judge's results.json), reviewed.txt
(the similar code staff have looked at, see reviewed.py), and the graded code of each
submission and of the reference solution (for similar code). A grading re-scored under
another perplexity threshold passes the same `threshold` and `config` that grades.csv was
scored with, and the page re-scores the results the same way (regrade.rescore), so every
number on it is that of grades.csv; where they still disagree, the page says so at the top.
The page needs no server, network, script, stylesheet or font from elsewhere: figures are
inline SVG, drill-downs are <details> and in-page anchors, and a Content-Security-Policy
forbids scripts and outside resources. Everything a student could have chosen (names,
e-mails, ids, file names, code, feedback, notes) is escaped where it is written into the
page; feedback is shown as preformatted text, never rendered as Markdown.
"""

from __future__ import annotations

import csv
import html
import json
import math
import os
import re
import statistics
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from autograder.parts import PARTS, budget
from autograder.staff import figures, regrade, reviewed, similarity
from autograder.staff.diagnoses import diagnosed, test_diagnosis
from autograder.staff.similarity import THRESHOLD, NGRAM, MIN_NGRAMS, REFERENCE, Code, Stencil, read_code, side_by_side, similar_pairs, unreadable_reason

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "autograder" / "config.json"
SOLUTION = ROOT / "solution" / "language_model.py"
FIXED_COLUMNS = ("sid", "name", "email", "submission_id", "total", "max_total", "test_perplexity", "ending", "note")
FORMULA_GUARD = ("'=", "'+", "'-", "'@", "'\t", "'\r")  # grades.write_csv's quote against CSV injection
FINISHED = "finished"
SIDE_BY_SIDE_PAIRS = 60  # the most similar pairs get their code shown; a page of hundreds would not open
PAIRS_LISTED = 100  # per cluster: N copies make N(N-1)/2 pairs
SAME = 1e-3  # grades.csv writes points to 4 decimals


def h(value) -> str:
    """Any value as HTML text: the one way student text reaches the page."""
    return html.escape(str(value), quote=True)


def number(value, digits: int = 4) -> str:
    if value is None:
        return "–"
    return f"{round(value, digits):g}"


def anchor(kind: str, key: str) -> str:
    """An element id for a submission or test id: letters, digits, '.', '-' and '_' as they are, anything else spelt out."""
    return f"{kind}-" + re.sub(r"[^A-Za-z0-9._-]", lambda match: f"_{ord(match.group()):x}_", key)


def link(kind: str, key: str, text: str) -> str:
    return f'<a href="#{anchor(kind, key)}">{h(text)}</a>'


def _float(text) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


@dataclass
class Row:
    """One row of grades.csv."""

    sid: str
    name: str
    email: str
    submission_id: str
    total: float | None
    max_total: float | None
    parts: dict[str, float | None]
    test_perplexity: float | None
    ending: str
    note: str = ""


@dataclass
class Submission:
    id: str
    rows: list[Row]
    results: dict | None
    problem: str = ""
    code: Code | None = None
    unreadable: str = ""
    diagnoses: dict[str, list[str]] = field(default_factory=dict)
    judged: dict[str, float] = field(default_factory=dict)  # {test number: the judge's score} of tests re-scored

    @property
    def extra(self) -> dict:
        extra = (self.results or {}).get("extra_data")
        return extra if isinstance(extra, dict) else {}

    @property
    def implausible(self) -> dict | None:
        """The judge's flag of a grading too good to be true, {"test_perplexity": …, "floor": …}, if raised."""
        flag = self.extra.get("implausible")
        return flag if isinstance(flag, dict) else None

    @property
    def large_literals(self) -> list[dict]:
        """Unusually large literal data in the graded code: [{"line": …, "kind": …, "size": …}, …]."""
        found = self.extra.get("large_literals")
        return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []

    def tests(self) -> list[dict]:
        return [test for test in (self.results or {}).get("tests", []) if isinstance(test, dict)]

    @property
    def who(self) -> str:
        names = [row.name or row.sid for row in self.rows]
        return ", ".join(names) if names else "(no submitter)"

    @property
    def children(self) -> dict:
        children = self.extra.get("children")
        return children if isinstance(children, dict) else {}

    def limits_hit(self) -> list[tuple[str, dict]]:
        return [(part, child) for part, child in self.children.items()
                if isinstance(child, dict) and child.get("ending") != FINISHED]

    def cpu_by_part(self) -> dict[str, float]:
        found = {}
        for child in self.children.values():
            by_part = child.get("cpu_seconds_by_part") if isinstance(child, dict) else None
            for part, cpu in (by_part.items() if isinstance(by_part, dict) else []):
                if _float(cpu) is not None:
                    found[str(part)] = _float(cpu)
        return found

    def child_total(self, key: str) -> float:
        return sum(_float(child.get(key)) or 0.0 for child in self.children.values() if isinstance(child, dict))

    def child_peak(self, key: str) -> float:
        return max((_float(child.get(key)) or 0.0 for child in self.children.values() if isinstance(child, dict)), default=0.0)


def _text(value) -> str:
    """A text cell of grades.csv as the export gave it (without the quote that keeps spreadsheets from running it)."""
    value = value or ""
    return value[1:] if value.startswith(FORMULA_GUARD) else value


def read_grades(path: Path) -> tuple[list[Row], list[str]]:
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        parts = [column for column in reader.fieldnames or [] if column not in FIXED_COLUMNS]
        rows = [Row(sid=_text(line.get("sid")), name=_text(line.get("name")), email=_text(line.get("email")),
                    submission_id=line.get("submission_id") or "", total=_float(line.get("total")),
                    max_total=_float(line.get("max_total")), parts={part: _float(line.get(part)) for part in parts},
                    test_perplexity=_float(line.get("test_perplexity")), ending=line.get("ending") or "",
                    note=_text(line.get("note")))
                for line in reader]
    return rows, parts


def _read_results(path: Path) -> tuple[dict | None, str]:
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    try:
        results = json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)
    except FileNotFoundError:
        return None, "no results.json"
    except (OSError, ValueError) as error:
        return None, f"results.json is unreadable ({type(error).__name__})"
    if not isinstance(results, dict) or not isinstance(results.get("tests"), list):
        return None, "results.json has no tests"
    return results, ""


@dataclass
class Threshold:
    """The perplexity threshold grades.csv was scored with, and where it came from."""

    value: float
    configured: float

    def source(self) -> str:
        if self.value == self.configured:
            return "the autograder's configuration"
        return f"THRESHOLD given to the grading, re-scored from the measured perplexities; configured: {self.configured:g}"


def rescored(sub: Submission, threshold: Threshold, until) -> None:
    """The results as grades.csv scored them: the perplexity test under the threshold of the grading."""
    if not sub.results or threshold.value == threshold.configured:
        return
    judged = {str(test.get("number")): test.get("score") for test in sub.tests()}
    sub.results = regrade.rescore(sub.results, threshold.value, until)
    sub.judged = {str(test.get("number")): judged.get(str(test.get("number"))) for test in sub.tests()
                  if judged.get(str(test.get("number"))) != test.get("score")}


def load_class(out: Path, submissions: dict[str, Path], stencil: Path, threshold: Threshold,
               until) -> tuple[list[Row], list[str], dict[str, Submission]]:
    rows, parts = read_grades(out / "grades.csv")
    ids = list(dict.fromkeys([row.submission_id for row in rows] + list(submissions)))
    found = {}
    for sid in ids:
        results, problem = _read_results(out / "results" / f"{sid}.json")
        found[sid] = Submission(sid, [row for row in rows if row.submission_id == sid], results, problem)
        rescored(found[sid], threshold, until)
        if results:
            found[sid].diagnoses = diagnosed(found[sid].results)
    shared = Stencil(stencil)
    for sid, folder in submissions.items():
        try:
            found[sid].code = read_code(folder, shared)
        except Exception as error:  # an unreadable submission costs only its place among the pairs
            found[sid].unreadable = unreadable_reason(error)
    return rows, parts, found


def disagreements(subs: dict[str, Submission]) -> list[str]:
    """Where grades.csv and the (re-scored) results say different things: what the page cannot reconcile."""
    found = []
    for sub in subs.values():
        if not sub.results:
            continue
        total = sum(_float(test.get("score")) or 0.0 for test in sub.tests())
        by_part: Counter = Counter()
        for test in sub.tests():
            by_part[str((test.get("tags") or ["?"])[0])] += _float(test.get("score")) or 0.0
        for row in sub.rows:
            if row.total is None or abs(row.total - total) > SAME:
                found.append(f"submission {sub.id}, {row.sid or row.name}: total {number(row.total)} in grades.csv, "
                             f"{number(total)} in results/{sub.id}.json")
            for part, value in row.parts.items():
                if value is not None and abs(value - by_part.get(part, 0.0)) > SAME:
                    found.append(f"submission {sub.id}, {row.sid or row.name}: {part} {number(value)} in grades.csv, "
                                 f"{number(by_part.get(part, 0.0))} in results/{sub.id}.json")
    return found


# ------------------------------------------------------------------------------------------------ sections


def _section(anchor: str, title: str, body: str, lede: str = "") -> str:
    lede_html = f'<p class="lede">{lede}</p>' if lede else ""
    return f'<section id="{anchor}"><h2>{h(title)}</h2>{lede_html}{body}</section>'


def _table(table_id: str, header: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    """A table; cells are HTML already escaped by the caller. `classes` names each column's cells."""
    classes = classes or [""] * len(header)
    head = "".join(f"<th>{h(title)}</th>" for title in header)
    body = "".join("<tr>" + "".join(f'<td class="{cls}">{cell}</td>' for cls, cell in zip(classes, row)) + "</tr>" for row in rows)
    identified = f' id="{table_id}"' if table_id else ""
    return f'<table{identified}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _part_maxima(subs: dict[str, Submission]) -> dict[str, float]:
    maxima: dict[str, float] = {}
    for sub in subs.values():
        per_part: Counter = Counter()
        for test in (sub.results or {}).get("tests", []):
            per_part[(test.get("tags") or ["?"])[0]] += _float(test.get("max_score")) or 0.0
        for part, top in per_part.items():
            maxima[part] = max(maxima.get(part, 0.0), top)
    return maxima


def scores_section(rows: list[Row], parts: list[str], subs: dict[str, Submission]) -> str:
    totals = [row.total for row in rows if row.total is not None]
    max_total = max((row.max_total for row in rows if row.max_total is not None), default=0.0)
    maxima = _part_maxima(subs)
    fractions = [[row.parts[part] / maxima[part] for row in rows if row.parts.get(part) is not None and maxima.get(part)]
                 for part in parts]
    body = figures.score_histogram(totals, max_total) if totals else "<p>No totals in grades.csv.</p>"
    table_rows = []
    for part, shares in zip(parts, fractions):
        values = [row.parts[part] for row in rows if row.parts.get(part) is not None]
        top = maxima.get(part)
        table_rows.append([h(part), number(top), str(len(values)), number(statistics.mean(values), 2) if values else "–",
                           number(statistics.median(values), 2) if values else "–",
                           f"{100 * sum(1 for s in shares if s >= 1) / len(shares):.0f}%" if shares else "–"])
    if parts:
        body += figures.points_per_part(parts, fractions, [maxima.get(part, 0.0) for part in parts])
        body += _table("parts", ["part", "points", "graded", "mean", "median", "full points"], table_rows,
                       ["label", "num", "num", "num", "num", "num"])
    lede = (f"{len(rows)} submitters in {len({row.submission_id for row in rows})} submissions. "
            + (f"Total: mean {statistics.mean(totals):.1f}, median {statistics.median(totals):g} of {max_total:g}." if totals else ""))
    return _section("scores", "Scores", body, h(lede))


def _number_order(number: str) -> list[int]:
    return [int(p) if p.isdigit() else 0 for p in number.split(".")]


def tests_section(subs: dict[str, Submission]) -> str:
    seen: dict[str, dict] = {}
    passed: Counter = Counter()
    graded: Counter = Counter()
    for sub in subs.values():
        for test in sub.tests():
            key = str(test.get("number", ""))
            seen.setdefault(key, test)
            graded[key] += 1
            passed[key] += test.get("status") == "passed"
    order = sorted(seen, key=_number_order)
    if not order:
        return _section("tests", "Tests", "<p>No graded tests.</p>")
    rates = [passed[n] / graded[n] for n in order]
    parts = [str((seen[n].get("tags") or ["?"])[0]) for n in order]
    figure = figures.pass_rates(order, rates, parts)
    rows = [[h(n), h(seen[n].get("name", "")), h(part), str(passed[n]), str(graded[n]), f"{100 * rate:.0f}%",
             link("test", n, "who failed") if passed[n] < graded[n] else ""]
            for n, part, rate in zip(order, parts, rates)]
    table = _table("tests", ["test", "name", "part", "passed", "graded", "pass rate", ""], rows,
                   ["number", "name", "part", "passed", "graded", "rate", "drill"])
    return _section("tests", "Pass rate of every test",
                    figure + f"<details><summary>Table</summary>{table}</details>" + failures_by_test(subs, order, seen),
                    "Share of the submissions graded on a test that passed it (full points).")


def failures_by_test(subs: dict[str, Submission], order: list[str], seen: dict[str, dict]) -> str:
    """Per test, the submissions that failed it, the points they got and the mistake their feedback named."""
    blocks = []
    for n in order:
        failed = [(sub, test) for sub in subs.values() for test in sub.tests()
                  if str(test.get("number", "")) == n and test.get("status") != "passed"]
        if not failed:
            continue
        rows = [[link("sub", sub.id, f"{sub.who} ({sub.id})"), number(_float(test.get("score"))),
                 number(_float(test.get("max_score"))), h(test_diagnosis(test) or "–")] for sub, test in failed]
        blocks.append(f'<details class="failures"><summary>{h(n)} {h(seen[n].get("name", ""))}: '
                      f'{len(failed)} failed</summary><div id="{anchor("test", n)}">'
                      + _table(f"failed-{anchor('test', n)}", ["submission", "points", "of", "mistake named"], rows,
                               ["who", "num", "num", "diagnosis"]) + "</div></details>")
    if not blocks:
        return "<p>Every submission passed every test it was graded on.</p>"
    return "<h3>Who failed each test</h3>" + "".join(blocks)


def perplexity_section(subs: dict[str, Submission], threshold: Threshold) -> str:
    limit = threshold.value
    values = {sid: sub.rows[0].test_perplexity for sid, sub in subs.items() if sub.rows}
    finite = {sid: v for sid, v in values.items() if v is not None}
    reached = sum(1 for v in finite.values() if v <= limit)
    lede = (f"Threshold {limit:g} ({threshold.source()}). {reached} of {len(finite)} submissions with a test "
            f"perplexity reach it; {len(values) - len(finite)} have none (not trained, or not graded on training).")
    body = figures.perplexities(list(finite.values()), limit) if finite else ""
    rows = [[h(subs[sid].who), link("sub", sid, sid), number(v, 2), "yes" if v <= limit else "no"]
            for sid, v in sorted(finite.items(), key=lambda item: item[1])]
    if rows:
        body += "<details><summary>Table</summary>" + _table(
            "perplexities", ["submitters", "submission", "test perplexity", "reaches threshold"], rows,
            ["who", "submission", "perplexity", "reached"]) + "</details>"
    return _section("perplexity", "Test perplexity", body, h(lede))


def mistakes_section(subs: dict[str, Submission]) -> str:
    by_label: dict[str, list[str]] = {}
    tests: dict[str, set] = {}
    for sid, sub in subs.items():
        for label, numbers in sub.diagnoses.items():
            by_label.setdefault(label, []).append(sid)
            tests.setdefault(label, set()).update(numbers)
    if not by_label:
        return _section("mistakes", "Diagnosed mistakes", "<p>The feedback named no mistake.</p>")
    order = sorted(by_label, key=lambda label: (-len(by_label[label]), label))
    figure = figures.mistakes([label[:70] for label in order], [len(by_label[label]) for label in order])
    rows = [[h(label), str(len(by_label[label])), h(", ".join(sorted(tests[label]))),
             "<details><summary>who</summary>" + "<br>".join(f"{h(subs[sid].who)} ({h(sid)})" for sid in by_label[label])
             + "</details>"] for label in order]
    table = _table("mistakes", ["mistake", "submissions", "tests", "submissions that made it"], rows,
                   ["label", "count", "numbers", "who"])
    return _section("mistakes", "Diagnosed mistakes", figure + table,
                    "Mistakes the feedback named (the judge recomputes the usual wrong formulas), "
                    "counted once per submission.")


def grading_section(subs: dict[str, Submission], config: dict) -> str:
    graded = [sub for sub in subs.values() if sub.results]
    memory_limit = float(config.get("memory_mb", 0))
    body = ""
    if graded:
        body += figures.time_and_memory([sub.child_total("cpu_seconds") for sub in graded],
                                        [sub.child_peak("peak_memory_mb") for sub in graded],
                                        [bool(sub.limits_hit()) for sub in graded], memory_limit)
    limits = ", ".join(f"{part.name} {budget(part.name, config):g}" for part in PARTS)
    hits = [[h(sub.who), h(sub.id), h(part), h(child.get("ending")), h(child.get("stopped_in") or "–"),
             number(_float(child.get("cpu_seconds")), 1), number(_float(child.get("wall_seconds")), 1),
             number(_float(child.get("peak_memory_mb")), 0), h(sub.rows[0].ending if sub.rows else "–")]
            for sub in graded for part, child in sub.limits_hit()]
    if hits:
        body += "<h3>Submissions that hit a limit</h3>" + _table(
            "limits", ["submitters", "submission", "child", "ending", "stopped in", "CPU s", "wall s", "peak MB",
                       "ending in grades.csv"], hits,
            ["who", "submission", "child", "ending", "stage", "num", "num", "num", "csv-ending"])
    else:
        body += "<p>No grading hit a limit.</p>"
    missing = [sub for sub in subs.values() if not sub.results]
    if missing:
        body += "<h3>Not graded</h3><ul>" + "".join(f"<li>{h(sub.who)} ({h(sub.id)}): {h(sub.problem)}</li>" for sub in missing) + "</ul>"
    rows = [[h(sub.who), h(sub.id), number(_float(sub.results.get("execution_time")), 1), number(sub.child_total("cpu_seconds"), 1),
             number(sub.child_peak("peak_memory_mb"), 0),
             number(_float((sub.results.get("extra_data") or {}).get("judge_peak_memory_mb")), 0),
             h(", ".join(f"{part} {number(cpu, 1)}" for part, cpu in sub.cpu_by_part().items())),
             h("; ".join(f"{part}: {child.get('ending')}" for part, child in sub.children.items() if isinstance(child, dict)))]
            for sub in graded]
    body += "<details><summary>Every grading</summary>" + _table(
        "gradings", ["submitters", "submission", "wall s", "child CPU s", "peak child MB", "judge peak MB", "CPU s by part",
                     "children"], rows, ["who", "submission", "num", "num", "num", "num", "by-part", "endings"]) + "</details>"
    lede = (f"Memory limit per child {memory_limit:g} MB; CPU-second budgets per part: {limits}; "
            f"Gradescope timeout {config.get('timeout_seconds', '?')} s. Purple: a child hit a limit.")
    return _section("grading", "Grading time and memory", body, h(lede))


def flagged_section(subs: dict[str, Submission]) -> str:
    """What the judge flagged for a person to look at (absent from results written before it could): empty when nothing."""
    implausible = [sub for sub in subs.values() if sub.implausible]
    literals = [sub for sub in subs.values() if sub.large_literals]
    if not implausible and not literals:
        return ""
    body = ""
    if implausible:
        rows = [[link("sub", sub.id, f"{sub.who} ({sub.id})"), number(_float(sub.implausible.get("test_perplexity")), 2),
                 number(_float(sub.implausible.get("floor")), 2)] for sub in implausible]
        body += ("<h3>Implausibly good gradings</h3><p>The judge measured a test perplexity below what a model of this "
                 "size can reach: look at the code and the log before trusting the points.</p>"
                 + _table("implausible", ["submission", "test perplexity", "plausible floor"], rows, ["who", "perplexity", "floor"]))
    if literals:
        rows = [[link("sub", sub.id, f"{sub.who} ({sub.id})"), h(item.get("line", "?")), h(item.get("kind", "?")),
                 number(_float(item.get("size")), 0)] for sub in literals for item in sub.large_literals]
        body += ("<h3>Large literal data in graded code</h3><p>Literals far larger than a solution needs (a table of "
                 "answers or weights pasted into the code?).</p>"
                 + _table("large-literals", ["submission", "line", "kind", "size"], rows, ["who", "line", "kind", "size"]))
    return _section("flagged", "Flagged for staff", body,
                    "Evidence for a person to weigh, never a verdict: the grades above are as the tests gave them.")


def _code_cell(line, side: str, verdict: str) -> str:
    if line is None:
        return f'<td class="{side} empty"></td>'
    kind = "stencil" if line.kind != "own" else verdict
    return f'<td class="{side} {kind}"><pre>{h(line.text)}</pre></td>'


def _who(subs: dict[str, Submission], sid: str) -> str:
    """A member of a similar pair, linked to their results; the reference solution by name."""
    if sid == REFERENCE:
        return "<strong>the reference solution</strong>"
    return link("sub", sid, f"{subs[sid].who} ({sid})")


def _shown_similarity(pair: similarity.Pair) -> str:
    """'identical' only for what is; a near-identical pair never rounds up to 1."""
    if pair.kind != similarity.NEAR:
        return pair.kind
    return f"{math.floor(min(pair.similarity, 0.999) * 1000) / 1000:.3f}"


def _side_by_side(pair: similarity.Pair, codes: dict[str, Code], subs: dict[str, Submission]) -> str:
    first, second = codes[pair.first], codes[pair.second]
    lines = side_by_side(first, second)
    differ = sum(1 for left, right, verdict in lines if verdict != "same" and "own" in (getattr(left, "kind", ""), getattr(right, "kind", "")))
    rows = "".join(f'<tr>{_code_cell(left, "left", verdict)}{_code_cell(right, "right", verdict)}</tr>' for left, right, verdict in lines)
    return (f'<details class="pair" data-similarity="{pair.similarity:.3f}" data-kind="{h(pair.kind)}"><summary>'
            f'<span class="score">{h(_shown_similarity(pair))}</span> {_who(subs, pair.first)} and {_who(subs, pair.second)}: '
            f'{differ} own line(s) differ</summary>'
            f'<table class="code"><thead><tr><th>{h(pair.first)}: {h(first.file_name)}</th>'
            f'<th>{h(pair.second)}: {h(second.file_name)}</th></tr></thead><tbody>{rows}</tbody></table></details>')


def _cluster(cluster: similarity.Cluster, codes: dict[str, Code], subs: dict[str, Submission], done: set,
             budget: list[int]) -> str:
    kinds = Counter(pair.kind for pair in cluster.pairs)
    tally = ", ".join(f"{kinds[kind]} {kind}" for kind in (similarity.BYTE_IDENTICAL, similarity.IDENTICAL, similarity.NEAR)
                      if kinds[kind])
    around = " around the reference solution" if REFERENCE in cluster.members else ""
    listed = sorted(cluster.pairs, key=lambda pair: frozenset((pair.first, pair.second)) in done)[:PAIRS_LISTED]
    rows = [[_who(subs, pair.first), _who(subs, pair.second), h(_shown_similarity(pair)),
             "reviewed" if frozenset((pair.first, pair.second)) in done else "to review"] for pair in listed]
    more = len(cluster.pairs) - len(listed)
    shown = []
    for pair in cluster.spanning_pairs():
        if budget[0] > 0:
            budget[0] -= 1
            shown.append(_side_by_side(pair, codes, subs))
    return (f'<details class="cluster"><summary>{len(cluster.members)} submissions{h(around)}: '
            + ", ".join(_who(subs, member) for member in cluster.members) + f" (pairs: {h(tally)})</summary>"
            f'<p>To mark it reviewed, add this line to <code>OUT/{reviewed.FILE_NAME}</code>: '
            f'<code class="reviewed-line">{h(reviewed.line_for(cluster.members))}</code></p>'
            + _table("", ["submission", "and", "similarity", "reviewed.txt"], rows, ["who", "who", "num", "state"])
            + (f"<p>{more} more pair(s) of this cluster, less similar or reviewed, are not listed.</p>" if more else "")
            + "".join(shown) + "</details>")


def similarity_section(subs: dict[str, Submission], reference: Code | None, done: set) -> str:
    codes = {sid: sub.code for sid, sub in subs.items() if sub.code is not None}
    if reference is not None:
        codes[REFERENCE] = reference
    pairs, every = similar_pairs(codes)
    groups = similarity.clusters(pairs)
    open_groups = [c for c in groups if any(frozenset((p.first, p.second)) not in done for p in c.pairs)]
    closed = [c for c in groups if c not in open_groups]
    lede = (f"Graded code only, with comments, whitespace and docstrings dropped, identifiers the stencil does not use "
            f"renamed, and lines also in the stencil set aside; similarity is the Jaccard index of the {NGRAM}-token windows "
            f"of what is left. Pairs from {THRESHOLD:g} join submissions into clusters; the reference solution is compared "
            f"too, so a leaked solution shows as a cluster around it. A submission needs {MIN_NGRAMS} windows of its own "
            f"code to be compared ({len(every)} pairs compared). Byte-identical: the same file; identical: the same code "
            f"once normalised; otherwise the similarity, which is evidence for a person to weigh, not proof.")
    body = figures.similarity_histogram(every, THRESHOLD) if every else ""
    body += (f'<p class="how">Reviewed clusters are folded apart below. To mark a pair or a cluster reviewed, add a line '
             f'with their submission ids (<code>{h(REFERENCE)}</code> for the reference solution) to '
             f'<code>OUT/{reviewed.FILE_NAME}</code>, with what was decided after a <code>#</code>; it is kept across '
             f'runs and read each time the report is written. A new member brings a cluster back.</p>')
    budget = [SIDE_BY_SIDE_PAIRS]
    body += (f"<h3>To review: {len(open_groups)} cluster(s)</h3>" + "".join(_cluster(c, codes, subs, done, budget) for c in open_groups)
             if open_groups else "<p>No cluster to review.</p>")
    if closed:
        body += (f'<details class="reviewed"><summary>Reviewed: {len(closed)} cluster(s)</summary>'
                 + "".join(_cluster(c, codes, subs, done, budget) for c in closed) + "</details>")
    unreadable = [sub for sub in subs.values() if sub.unreadable]
    if unreadable:
        body += "<h3>Code not compared</h3><ul>" + "".join(
            f"<li>{_who(subs, sub.id)}: {h(sub.unreadable)}</li>" for sub in unreadable) + "</ul>"
    body += ('<p class="legend"><span class="same">same once normalised</span> <span class="changed">changed</span> '
             '<span class="only">on one side only</span> <span class="stencil">stencil or docstring, not counted</span></p>')
    return _section("similar", "Similar code", body, h(lede))


def submitters_section(rows: list[Row], parts: list[str]) -> str:
    cells = [[h(row.sid), h(row.name), h(row.email), link("sub", row.submission_id, row.submission_id), number(row.total),
              number(row.max_total), *[number(row.parts.get(part)) for part in parts], number(row.test_perplexity, 2),
              h(row.ending), h(row.note)] for row in rows]
    table = _table("submitters", ["sid", "name", "email", "submission", "total", "of", *parts, "test perplexity", "ending",
                                  "note"],
                   cells, ["sid", "name", "email", "submission", "total", "max", *["num" for _ in parts],
                           "perplexity", "ending", "note"])
    return _section("submitters", "Every submitter", f'<div class="scroll">{table}</div>',
                    "As in grades.csv; the submission links to its results.")


def _results_view(sub: Submission) -> str:
    """One submission's results.json as Gradescope shows it: the score, the output, and each test with its output."""
    if not sub.results:
        return f"<p>Not graded: {h(sub.problem)}</p>"
    tests = sub.tests()
    score = sum(_float(test.get("score")) or 0.0 for test in tests)
    top = sum(_float(test.get("max_score")) or 0.0 for test in tests)
    html_out = f'<p class="score-line">Autograder score <strong>{number(score)} / {number(top)}</strong>'
    if sub.judged:
        html_out += " (re-scored: " + ", ".join(f"test {h(n)} was {number(_float(v))} from the judge" for n, v in sub.judged.items()) + ")"
    html_out += f". The judge's log: <code>OUT/logs/{h(sub.id)}.log</code>.</p>"
    if sub.implausible:
        html_out += (f'<p class="flag">Flagged as implausibly good: test perplexity '
                     f'{number(_float(sub.implausible.get("test_perplexity")), 2)} below the floor '
                     f'{number(_float(sub.implausible.get("floor")), 2)}.</p>')
    for item in sub.large_literals:
        html_out += (f'<p class="flag">Large literal data: line {h(item.get("line", "?"))}, {h(item.get("kind", "?"))} of '
                     f'size {number(_float(item.get("size")), 0)}.</p>')
    if sub.results.get("output"):
        html_out += f'<pre class="output">{h(sub.results["output"])}</pre>'
    rows = []
    for test in tests:
        status = "passed" if test.get("status") == "passed" else "failed"
        rows.append(f'<tr class="{status}"><td class="number">{h(test.get("number", ""))}</td><td class="name">'
                    f'{h(test.get("name", ""))}</td><td class="points">{number(_float(test.get("score")))} / '
                    f'{number(_float(test.get("max_score")))}</td><td class="status">{status}</td>'
                    f'<td class="visibility">{h(test.get("visibility", sub.results.get("visibility", "")))}</td></tr>')
        if test.get("output"):
            rows.append(f'<tr class="output"><td></td><td colspan="4"><pre>{h(test["output"])}</pre></td></tr>')
    return html_out + (f'<table id="results-{anchor("sub", sub.id)}" class="gradescope"><thead><tr><th>test</th><th>name</th>'
                       f'<th>points</th><th>status</th><th>visibility</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def submissions_section(subs: dict[str, Submission]) -> str:
    blocks = []
    for sub in sorted(subs.values(), key=lambda sub: sub.id):
        score = sum(_float(test.get("score")) or 0.0 for test in sub.tests())
        flags = " ⚑" if sub.implausible or sub.large_literals else ""
        ending = sub.rows[0].ending if sub.rows else ""
        blocks.append(f'<details class="submission"><summary>{h(sub.who)} ({h(sub.id)}): {number(score)} points'
                      f'{", " + h(ending) if ending else ""}{flags}</summary><div id="{anchor("sub", sub.id)}">'
                      f'{_results_view(sub)}</div></details>')
    return _section("submissions", "Every submission's results", "".join(blocks),
                    "Each results.json as Gradescope shows it to staff, every test with its output. The output is shown "
                    "as plain text: what a student's code printed is never rendered.")


STYLE = """
:root { --ink: #1d2330; --muted: #5b6475; --line: #dfe3ea; --bg: #f6f7f9; --card: #fff; --accent: #4c72b0; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { background: var(--ink); color: #fff; padding: 1.2rem 2rem; }
header h1 { margin: 0; font-size: 1.4rem; } header p { margin: .3rem 0 0; color: #c9cfdb; }
nav { position: sticky; top: 0; background: var(--card); border-bottom: 1px solid var(--line); padding: .5rem 2rem; z-index: 1; }
nav a { margin-right: 1.2rem; color: var(--accent); text-decoration: none; font-weight: 500; }
main { max-width: 1240px; margin: 0 auto; padding: 1rem 2rem 3rem; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.5rem; margin: 1.2rem 0; }
h2 { margin: .2rem 0 .4rem; font-size: 1.2rem; } h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
.lede { color: var(--muted); margin-top: 0; }
svg.figure { display: block; width: 100%; max-width: 960px; height: auto; margin: .6rem 0; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: .9rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); position: sticky; top: 2.4rem; }
td.num, td.total, td.max, td.perplexity, td.count, td.rate, td.passed, td.graded, td.floor, td.line, td.size { text-align: right; font-variant-numeric: tabular-nums; }
details { margin: .5rem 0; } summary { cursor: pointer; color: var(--accent); }
details.pair { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .8rem; }
details.pair summary { color: var(--ink); } .score { font-weight: 700; color: #c62828; margin-right: .4rem; }
table.code { table-layout: fixed; font-size: .8rem; } table.code td { padding: 0 .4rem; border: none; }
table.code pre { margin: 0; white-space: pre-wrap; word-break: break-all; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
.same { background: #fdecea; } .changed { background: #fff8e1; } .only { background: #e8f5e9; } .stencil { color: #9aa1ad; background: none; }
td.empty { background: #fafafa; }
.scroll { overflow-x: auto; } .scroll table { min-width: 100%; }
#submitters td { overflow-wrap: break-word; } #submitters td.num, #submitters td.total, #submitters td.max,
#submitters td.perplexity, #submitters td.submission, #submitters td.sid { white-space: nowrap; }
#submitters td.name, #submitters td.email { min-width: 8rem; max-width: 16rem; } #submitters td.note { min-width: 12rem; }
#submitters th { position: static; }
.warning { background: #fdecea; border: 1px solid #c62828; border-radius: 8px; padding: .6rem 1.2rem; }
.flag { color: #6a1b9a; font-weight: 600; }
details.cluster, details.submission, details.failures { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .8rem; }
details.reviewed { opacity: .75; }
table.gradescope tr.failed td.points, table.gradescope tr.failed td.status { color: #c62828; font-weight: 600; }
table.gradescope tr.passed td.status { color: #2e7d32; }
table.gradescope tr.output td { border-bottom: 1px solid var(--line); }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; margin: 0; }
pre.output { background: var(--bg); padding: .5rem; }
code.reviewed-line { background: var(--bg); padding: .1rem .3rem; }
.legend span { padding: .1rem .4rem; margin-right: .5rem; border-radius: 3px; font-size: .85rem; }
"""


def warning(found: list[str]) -> str:
    if not found:
        return ""
    return ('<section id="disagree" class="warning"><h2>grades.csv and results/ disagree</h2><p>The page shows grades.csv; '
            "write it again (the same grade-export command) before trusting either:</p><ul>"
            + "".join(f"<li>{h(line)}</li>" for line in found) + "</ul></section>")


def render(rows: list[Row], parts: list[str], subs: dict[str, Submission], config: dict, threshold: Threshold,
           reference: Code | None, done: set, title: str) -> str:
    flagged = flagged_section(subs)
    sections = [warning(disagreements(subs)), scores_section(rows, parts, subs), tests_section(subs),
                perplexity_section(subs, threshold), mistakes_section(subs), flagged, grading_section(subs, config),
                similarity_section(subs, reference, done), submitters_section(rows, parts), submissions_section(subs)]
    links = [("scores", "Scores"), ("tests", "Tests"), ("perplexity", "Perplexity"), ("mistakes", "Mistakes"),
             *([("flagged", "Flagged")] if flagged else []), ("grading", "Time & memory"), ("similar", "Similar code"),
             ("submitters", "Submitters"), ("submissions", "Results")]
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{h(title)}</title><style>{STYLE}</style></head><body>"
            f"<header><h1>{h(title)}</h1><p>Made {made} from grades.csv and the judge's results.json files.</p></header>"
            "<nav>" + "".join(f'<a href="#{target}">{h(text)}</a>' for target, text in links) + "</nav>"
            "<main>" + "".join(sections) + "</main></body></html>\n")


def write_report(out: Path, submissions: dict[str, Path], stencil: Path, threshold: float | None = None,
                 config: dict | None = None, reference: Path | None = SOLUTION) -> Path:
    """Write out/report.html for the bulk grading in `out`; `submissions` maps each submission id to its folder.

    `threshold` and `config` are those grades.csv was scored with: the THRESHOLD given to the grading (None: the
    configured one) and the configuration of the zip that graded (None: autograder/config.json).
    """
    out = Path(out)
    config = config if config is not None else json.loads(CONFIG.read_text())
    configured = float(config["perplexity_threshold"])
    scored = Threshold(configured if threshold is None else float(threshold), configured)
    rows, parts, subs = load_class(out, {str(k): Path(v) for k, v in submissions.items()}, Path(stencil), scored,
                                   config.get("perplexity_partial_credit_until"))
    reference_code = similarity.reference_code(reference, Stencil(stencil)) if reference and Path(reference).is_file() else None
    page = render(rows, parts, subs, config, scored, reference_code, reviewed.read_reviewed(out),
                  "Class report: recurrent language models")
    path = out / "report.html"
    descriptor, temporary = tempfile.mkstemp(dir=out, prefix=".report-", suffix=".html")
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(page)
    os.chmod(temporary, 0o600)  # names, e-mails and grades: for staff only
    os.replace(temporary, path)
    return path
