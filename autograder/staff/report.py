"""The class report: one self-contained HTML page for course staff after a bulk grading.

    write_report(out, submissions, stencil) -> out/report.html

It reads what the bulk grading wrote in OUT: grades.csv (one row per submitter, the
numbers of record), submitters.json and results/<submission id>.json (the judge's
results.json), and the graded code of each submission (for similar pairs). The page
needs no server, network, script, stylesheet or font from elsewhere: figures are
inline SVG, and a Content-Security-Policy forbids scripts and outside resources.
Everything a student could have chosen (names, e-mails, ids, file names, code,
feedback) is escaped where it is written into the page.
"""

from __future__ import annotations

import csv
import html
import json
import math
import os
import statistics
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from autograder.staff import figures
from autograder.staff.diagnoses import diagnosed
from autograder.staff.similarity import THRESHOLD, NGRAM, MIN_NGRAMS, Code, Stencil, read_code, side_by_side, similar_pairs, unreadable_reason

CONFIG = Path(__file__).resolve().parents[1] / "config.json"
FIXED_COLUMNS = ("sid", "name", "email", "submission_id", "total", "max_total", "test_perplexity", "ending")
FINISHED = "finished"
SIDE_BY_SIDE_PAIRS = 60  # the most similar pairs get their code shown; a page of hundreds would not open


def h(value) -> str:
    """Any value as HTML text: the one way student text reaches the page."""
    return html.escape(str(value), quote=True)


def number(value, digits: int = 4) -> str:
    if value is None:
        return "–"
    return f"{round(value, digits):g}"


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


@dataclass
class Submission:
    id: str
    rows: list[Row]
    results: dict | None
    problem: str = ""
    code: Code | None = None
    unreadable: str = ""
    diagnoses: dict[str, list[str]] = field(default_factory=dict)

    @property
    def who(self) -> str:
        names = [row.name or row.sid for row in self.rows]
        return ", ".join(names) if names else "(no submitter)"

    @property
    def children(self) -> dict:
        extra = (self.results or {}).get("extra_data")
        children = extra.get("children") if isinstance(extra, dict) else None
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


def read_grades(path: Path) -> tuple[list[Row], list[str]]:
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        parts = [column for column in reader.fieldnames or [] if column not in FIXED_COLUMNS]
        rows = [Row(sid=line.get("sid") or "", name=line.get("name") or "", email=line.get("email") or "",
                    submission_id=line.get("submission_id") or "", total=_float(line.get("total")),
                    max_total=_float(line.get("max_total")), parts={part: _float(line.get(part)) for part in parts},
                    test_perplexity=_float(line.get("test_perplexity")), ending=line.get("ending") or "")
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


def load_class(out: Path, submissions: dict[str, Path], stencil: Path) -> tuple[list[Row], list[str], dict[str, Submission]]:
    rows, parts = read_grades(out / "grades.csv")
    ids = list(dict.fromkeys([row.submission_id for row in rows] + list(submissions)))
    found = {}
    for sid in ids:
        results, problem = _read_results(out / "results" / f"{sid}.json")
        found[sid] = Submission(sid, [row for row in rows if row.submission_id == sid], results, problem)
        if results:
            found[sid].diagnoses = diagnosed(results)
    shared = Stencil(stencil)
    for sid, folder in submissions.items():
        try:
            found[sid].code = read_code(folder, shared)
        except Exception as error:  # an unreadable submission costs only its place among the pairs
            found[sid].unreadable = unreadable_reason(error)
    return rows, parts, found


# ------------------------------------------------------------------------------------------------ sections


def _section(anchor: str, title: str, body: str, lede: str = "") -> str:
    lede_html = f'<p class="lede">{lede}</p>' if lede else ""
    return f'<section id="{anchor}"><h2>{h(title)}</h2>{lede_html}{body}</section>'


def _table(table_id: str, header: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    """A table; cells are HTML already escaped by the caller. `classes` names each column's cells."""
    classes = classes or [""] * len(header)
    head = "".join(f"<th>{h(title)}</th>" for title in header)
    body = "".join("<tr>" + "".join(f'<td class="{cls}">{cell}</td>' for cls, cell in zip(classes, row)) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


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


def tests_section(subs: dict[str, Submission]) -> str:
    seen: dict[str, dict] = {}
    passed: Counter = Counter()
    graded: Counter = Counter()
    for sub in subs.values():
        for test in (sub.results or {}).get("tests", []):
            key = str(test.get("number", ""))
            seen.setdefault(key, test)
            graded[key] += 1
            passed[key] += test.get("status") == "passed"
    order = sorted(seen, key=lambda n: [int(p) if p.isdigit() else 0 for p in n.split(".")])
    if not order:
        return _section("tests", "Tests", "<p>No graded tests.</p>")
    rates = [passed[n] / graded[n] for n in order]
    parts = [str((seen[n].get("tags") or ["?"])[0]) for n in order]
    figure = figures.pass_rates(order, rates, parts)
    rows = [[h(n), h(seen[n].get("name", "")), h(part), str(passed[n]), str(graded[n]), f"{100 * rate:.0f}%"]
            for n, part, rate in zip(order, parts, rates)]
    table = _table("tests", ["test", "name", "part", "passed", "graded", "pass rate"], rows,
                   ["number", "name", "part", "passed", "graded", "rate"])
    return _section("tests", "Pass rate of every test", figure + f"<details><summary>Table</summary>{table}</details>",
                    "Share of the submissions graded on a test that passed it (full points).")


def perplexity_section(subs: dict[str, Submission], threshold: float) -> str:
    values = {sid: sub.rows[0].test_perplexity for sid, sub in subs.items() if sub.rows}
    finite = {sid: v for sid, v in values.items() if v is not None}
    reached = sum(1 for v in finite.values() if v <= threshold)
    lede = (f"Threshold {threshold:g} (autograder/config.json). {reached} of {len(finite)} submissions with a test "
            f"perplexity reach it; {len(values) - len(finite)} have none (not trained, or not graded on training).")
    body = figures.perplexities(list(finite.values()), threshold) if finite else ""
    rows = [[h(subs[sid].who), h(sid), number(v, 2), "yes" if v <= threshold else "no"]
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
    limits = ", ".join(f"{part} {value.get('cpu_seconds', '?')}" for part, value in config.get("limits", {}).items())
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


def _code_cell(line, side: str, verdict: str) -> str:
    if line is None:
        return f'<td class="{side} empty"></td>'
    kind = "stencil" if line.kind != "own" else verdict
    return f'<td class="{side} {kind}"><pre>{h(line.text)}</pre></td>'


def similarity_section(subs: dict[str, Submission]) -> str:
    codes = {sid: sub.code for sid, sub in subs.items() if sub.code is not None}
    pairs, every = similar_pairs(codes)
    lede = (f"Graded code only, with comments, whitespace and docstrings dropped, identifiers the stencil does not use "
            f"renamed, and lines also in the stencil set aside; similarity is the Jaccard index of the {NGRAM}-token windows "
            f"of what is left. Pairs from {THRESHOLD:g} are listed; a submission needs {MIN_NGRAMS} windows of its own "
            f"code to be compared ({len(every)} pairs compared).")
    body = figures.similarity_histogram(every, THRESHOLD) if every else ""
    blocks = []
    for pair in pairs[:SIDE_BY_SIDE_PAIRS]:
        first, second = subs[pair.first], subs[pair.second]
        rows = "".join(f'<tr>{_code_cell(left, "left", verdict)}{_code_cell(right, "right", verdict)}</tr>'
                       for left, right, verdict in side_by_side(first.code, second.code))
        blocks.append(
            f'<details class="pair" data-similarity="{pair.similarity:.3f}"><summary><span class="score">{pair.similarity:.2f}</span> '
            f'{h(first.who)} ({h(pair.first)}) and {h(second.who)} ({h(pair.second)})</summary>'
            f'<table class="code"><thead><tr><th>{h(first.who)}: {h(first.code.file_name)}</th>'
            f'<th>{h(second.who)}: {h(second.code.file_name)}</th></tr></thead><tbody>{rows}</tbody></table></details>')
    body += "".join(blocks) if blocks else "<p>No pair reaches the threshold.</p>"
    if len(pairs) > SIDE_BY_SIDE_PAIRS:
        body += "<h3>More pairs over the threshold</h3><ul>" + "".join(
            f"<li>{pair.similarity:.2f}: {h(subs[pair.first].who)} ({h(pair.first)}) and {h(subs[pair.second].who)} "
            f"({h(pair.second)})</li>" for pair in pairs[SIDE_BY_SIDE_PAIRS:]) + "</ul>"
    unreadable = [sub for sub in subs.values() if sub.unreadable]
    if unreadable:
        body += "<h3>Code not compared</h3><ul>" + "".join(
            f"<li>{h(sub.who)} ({h(sub.id)}): {h(sub.unreadable)}</li>" for sub in unreadable) + "</ul>"
    body += ('<p class="legend"><span class="same">same once normalised</span> <span class="changed">changed</span> '
             '<span class="only">on one side only</span> <span class="stencil">stencil or docstring, not counted</span></p>')
    return _section("similar", "Similar code", body, h(lede))


def submitters_section(rows: list[Row], parts: list[str]) -> str:
    cells = [[h(row.sid), h(row.name), h(row.email), h(row.submission_id), number(row.total), number(row.max_total),
              *[number(row.parts.get(part)) for part in parts], number(row.test_perplexity, 2), h(row.ending)] for row in rows]
    table = _table("submitters", ["sid", "name", "email", "submission", "total", "of", *parts, "test perplexity", "ending"],
                   cells, ["sid", "name", "email", "submission", "total", "max", *["num" for _ in parts],
                           "perplexity", "ending"])
    return _section("submitters", "Every submitter", table, "As in grades.csv.")


STYLE = """
:root { --ink: #1d2330; --muted: #5b6475; --line: #dfe3ea; --bg: #f6f7f9; --card: #fff; --accent: #4c72b0; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { background: var(--ink); color: #fff; padding: 1.2rem 2rem; }
header h1 { margin: 0; font-size: 1.4rem; } header p { margin: .3rem 0 0; color: #c9cfdb; }
nav { position: sticky; top: 0; background: var(--card); border-bottom: 1px solid var(--line); padding: .5rem 2rem; z-index: 1; }
nav a { margin-right: 1.2rem; color: var(--accent); text-decoration: none; font-weight: 500; }
main { max-width: 1200px; margin: 0 auto; padding: 1rem 2rem 3rem; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.5rem; margin: 1.2rem 0; }
h2 { margin: .2rem 0 .4rem; font-size: 1.2rem; } h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
.lede { color: var(--muted); margin-top: 0; }
svg.figure { display: block; max-width: 100%; height: auto; margin: .6rem 0; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: .9rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); position: sticky; top: 2.4rem; }
td.num, td.total, td.max, td.perplexity, td.count, td.rate, td.passed, td.graded { text-align: right; font-variant-numeric: tabular-nums; }
details { margin: .5rem 0; } summary { cursor: pointer; color: var(--accent); }
details.pair { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .8rem; }
details.pair summary { color: var(--ink); } .score { font-weight: 700; color: #c62828; margin-right: .4rem; }
table.code { table-layout: fixed; font-size: .8rem; } table.code td { padding: 0 .4rem; border: none; }
table.code pre { margin: 0; white-space: pre-wrap; word-break: break-all; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
.same { background: #fdecea; } .changed { background: #fff8e1; } .only { background: #e8f5e9; } .stencil { color: #9aa1ad; background: none; }
td.empty { background: #fafafa; }
.legend span { padding: .1rem .4rem; margin-right: .5rem; border-radius: 3px; font-size: .85rem; }
"""


def render(rows: list[Row], parts: list[str], subs: dict[str, Submission], config: dict, title: str) -> str:
    sections = [scores_section(rows, parts, subs), tests_section(subs),
                perplexity_section(subs, float(config["perplexity_threshold"])), mistakes_section(subs),
                grading_section(subs, config), similarity_section(subs), submitters_section(rows, parts)]
    links = [("scores", "Scores"), ("tests", "Tests"), ("perplexity", "Perplexity"), ("mistakes", "Mistakes"),
             ("grading", "Time & memory"), ("similar", "Similar code"), ("submitters", "Submitters")]
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{h(title)}</title><style>{STYLE}</style></head><body>"
            f"<header><h1>{h(title)}</h1><p>Made {made} from grades.csv and the judge's results.json files.</p></header>"
            "<nav>" + "".join(f'<a href="#{anchor}">{h(text)}</a>' for anchor, text in links) + "</nav>"
            "<main>" + "".join(sections) + "</main></body></html>\n")


def write_report(out: Path, submissions: dict[str, Path], stencil: Path) -> Path:
    """Write out/report.html for the bulk grading in `out`; `submissions` maps each submission id to its folder."""
    out = Path(out)
    rows, parts, subs = load_class(out, {str(k): Path(v) for k, v in submissions.items()}, Path(stencil))
    config = json.loads(CONFIG.read_text())
    page = render(rows, parts, subs, config, "Class report: recurrent language models")
    path = out / "report.html"
    descriptor, temporary = tempfile.mkstemp(dir=out, prefix=".report-", suffix=".html")
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(page)
    os.chmod(temporary, 0o600)  # names, e-mails and grades: for staff only
    os.replace(temporary, path)
    return path
