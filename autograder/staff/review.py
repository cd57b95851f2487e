"""Every graded submission beside known AI-generated solutions: one offline page of evidence for a person to read.

    python -m autograder.staff.review --out OUT --known FOLDER [--roster ROSTER.csv --by COLUMN]

FOLDER holds solutions staff know to be machine-written (.py or .ipynb, e.g. the stencil solved
by an assistant a few times). Each submission graded in OUT (its files in OUT/export/submission_<id>/,
its results in OUT/results/<id>.json) is read as the judge reads it and compared with each of them
by the class report's similarity (autograder/staff/similarity.py: graded code only, normalised,
the stencil's lines set aside, Jaccard index of token windows). OUT/review.html ranks the
submissions by their closest known solution and shows the two side by side. A roster CSV (a `sid`
column and any others, e.g. year or program) can group the ranking by one of its columns.

The page is evidence, never a verdict: it says so, names the usual false positives, and labels no one.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from autograder.package.local_grade import REPO
from autograder.staff.similarity import (MIN_NGRAMS, NGRAM, THRESHOLD, Code, Stencil, jaccard, kind_of, read_code,
                                         side_by_side, unreadable_reason)
from autograder.submission import graded_source

STENCIL = REPO / "stencil" / "language_model.ipynb"
KNOWN_SUFFIXES = (".py", ".ipynb")
SHOWN = 100  # submissions whose code is drawn side by side; the rest are listed, so the page still opens
NOT_IN_ROSTER = "(not in the roster)"


def h(value) -> str:
    return html.escape(str(value), quote=True)


@dataclass
class Match:
    known: str
    similarity: float


@dataclass
class Entry:
    id: str
    who: str
    code: Code | None = None
    problem: str = ""  # why it was not compared
    matches: list[Match] = field(default_factory=list)  # most similar first
    group: str = ""

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


def read_known(folder: Path, stencil: Stencil) -> tuple[dict[str, Code], list[str]]:
    """The known solutions' code by file name (relative to `folder`), and why any was left out."""
    codes, notes = {}, []
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.suffix not in KNOWN_SUFFIXES or path.is_symlink() or not path.is_file():
            continue
        try:
            code = stencil.code(graded_source(path), name, hashlib.sha256(path.read_bytes()).hexdigest())
        except Exception as error:  # a broken file costs only its own place
            notes.append(f"{name}: {unreadable_reason(error)}")
            continue
        if len(code.ngrams()) < MIN_NGRAMS:
            notes.append(f"{name}: fewer than {MIN_NGRAMS} windows of code beyond the stencil, not compared")
            continue
        codes[name] = code
    return codes, notes


def read_roster(path: Path, column: str) -> dict[str, str]:
    """sid -> the roster's value in `column`."""
    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        fields = {name.strip().lower(): name for name in reader.fieldnames or []}
        if "sid" not in fields:
            raise ValueError(f"{path} has no `sid` column (it has: {', '.join(reader.fieldnames or [])})")
        if column not in (reader.fieldnames or []):
            raise ValueError(f"{path} has no column {column!r} (it has: {', '.join(reader.fieldnames or [])})")
        return {(row.get(fields["sid"]) or "").strip(): (row.get(column) or "").strip() for row in reader}


def graded_ids(out: Path) -> list[str]:
    """Submissions with both their staged files and a results.json: the ones a grading read."""
    prefix = "submission_"
    return sorted(folder.name[len(prefix):] for folder in (out / "export").glob(f"{prefix}*")
                  if folder.is_dir() and (out / "results" / f"{folder.name[len(prefix):]}.json").is_file())


def compare(out: Path, known: dict[str, Code], stencil: Stencil, roster: dict[str, str] | None) -> list[Entry]:
    try:
        people = json.loads((out / "submitters.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        people = {}
    people = people if isinstance(people, dict) else {}
    known_grams = {name: code.ngrams() for name, code in known.items()}
    entries = []
    for key in graded_ids(out):
        listed = people.get(key)
        members = [person for person in listed if isinstance(person, dict)] if isinstance(listed, list) else []
        who = ", ".join(str(person.get("name") or person.get("sid") or "?") for person in members) or "(no submitter)"
        entry = Entry(key, who)
        if roster is not None:
            values = {roster.get(str(person.get("sid", "")).strip(), NOT_IN_ROSTER) for person in members} or {NOT_IN_ROSTER}
            entry.group = " / ".join(sorted(values))
        try:
            entry.code = read_code(out / "export" / f"submission_{key}", stencil)
        except Exception as error:  # an unreadable submission was graded 0 already; here it is only not compared
            entry.problem = unreadable_reason(error)
            entries.append(entry)
            continue
        own = entry.code.ngrams()
        if len(own) < MIN_NGRAMS:
            entry.problem = f"{len(own)} windows of code beyond the stencil, fewer than {MIN_NGRAMS}"
        else:
            entry.matches = sorted((Match(name, jaccard(own, grams)) for name, grams in known_grams.items()),
                                   key=lambda match: -match.similarity)
        entries.append(entry)
    return entries


def _cell(line, side: str, verdict: str) -> str:
    if line is None:
        return f'<td class="{side} empty"></td>'
    kind = "stencil" if line.kind != "own" else verdict
    return f'<td class="{side} {kind}"><pre>{h(line.text)}</pre></td>'


def _entry(entry: Entry, known: dict[str, Code], drawn: bool, by: str | None) -> str:
    best = entry.best
    rows = side_by_side(entry.code, known[best.known])
    own = [verdict for left, _, verdict in rows if left is not None and left.kind == "own"]
    # a one-line change and a copy can both round to 1.000: the kind and the count of lines tell them apart
    summary = (f'<span class="score">{best.similarity:.3f}</span> {h(entry.who)} ({h(entry.id)})'
               + (f' <span class="group">{h(by)} {h(entry.group)}</span>' if by else "")
               + f' <span class="closest">closest: {h(best.known)}, {h(kind_of(entry.code, known[best.known]))}, '
                 f'{own.count("same")} of {len(own)} own lines the same</span>')
    table = "".join(f'<tr><td>{h(match.known)}</td><td class="num">{match.similarity:.3f}</td></tr>' for match in entry.matches)
    body = f'<table class="matches"><thead><tr><th>known solution</th><th>similarity</th></tr></thead><tbody>{table}</tbody></table>'
    if drawn:
        cells = "".join(f"<tr>{_cell(left, 'left', verdict)}{_cell(right, 'right', verdict)}</tr>" for left, right, verdict in rows)
        body += (f'<table class="code"><thead><tr><th>{h(entry.who)} ({h(entry.id)}): {h(entry.code.file_name)}</th>'
                 f'<th>known: {h(best.known)}</th></tr></thead><tbody>{cells}</tbody></table>')
    return (f'<details class="entry" id="s-{h(entry.id)}" data-similarity="{best.similarity:.4f}">'
            f"<summary>{summary}</summary>{body}</details>")


CAUTION = (
    "<p><strong>Similarity is not proof.</strong> This page is a reading list for a person, not a finding about anyone. "
    "A high number means two files share much normalised code; it does not say who wrote either, or how. "
    "Known sources of similarity that say nothing about a student's conduct:</p><ul>"
    "<li>the stencil's own lines and names (set aside before comparing, but code built around them converges);</li>"
    "<li>the lecture's pseudo-code, which the homework follows line by line (an RNN or LSTM step written as taught looks alike "
    "whoever writes it);</li>"
    "<li>short functions every correct solution shares (windows, perplexity, a loss), which have few correct forms;</li>"
    "<li>the known solutions themselves being correct: a correct submission resembles a correct machine answer more than a wrong one does.</li>"
    "</ul><p>Read the code side by side, talk with the student, and follow the course's academic-integrity process before "
    "drawing any conclusion.</p>")

STYLE = """
body { margin: 0; font: 15px/1.5 system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
header { background: #1d2330; color: #fff; padding: 1rem 2rem; } header h1 { margin: 0; font-size: 1.3rem; }
main { max-width: 1200px; margin: 0 auto; padding: 1rem 2rem 3rem; }
section { background: #fff; border: 1px solid #dfe3ea; border-radius: 8px; padding: .8rem 1.4rem; margin: 1rem 0; }
.caution { border-left: 6px solid #c77c02; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .9rem; }
th, td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid #dfe3ea; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
details.entry { border: 1px solid #dfe3ea; border-radius: 6px; padding: .3rem .8rem; margin: .4rem 0; }
summary { cursor: pointer; } .score { font-weight: 700; margin-right: .4rem; font-variant-numeric: tabular-nums; }
.group, .closest { color: #5b6475; margin-left: .6rem; font-size: .9rem; }
table.code { width: 100%; table-layout: fixed; font-size: .8rem; } table.code td { padding: 0 .4rem; border: none; }
table.code pre { margin: 0; white-space: pre-wrap; word-break: break-all; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
.same { background: #eef2fb; } .changed { background: #fff8e1; } .only { background: #f3f3f3; } .stencil { color: #9aa1ad; background: none; }
.legend span { padding: .1rem .4rem; margin-right: .5rem; border-radius: 3px; font-size: .85rem; }
"""


def render(entries: list[Entry], known: dict[str, Code], known_notes: list[str], by: str | None) -> str:
    compared = sorted((entry for entry in entries if entry.matches), key=lambda entry: (-entry.best.similarity, entry.id))
    drawn = {entry.id for entry in compared[:SHOWN]}
    groups: dict[str, list[Entry]] = {}
    for entry in compared:
        groups.setdefault(entry.group, []).append(entry)
    blocks = []
    for group in sorted(groups, key=lambda name: (name == NOT_IN_ROSTER, name)):
        heading = f"<h2>{h(by)}: {h(group)} ({len(groups[group])})</h2>" if by else ""
        blocks.append("<section>" + heading + "".join(_entry(entry, known, entry.id in drawn, by) for entry in groups[group])
                      + "</section>")
    if len(compared) > SHOWN:
        blocks.append(f"<p>Code is drawn for the {SHOWN} closest submissions; the others list their numbers only.</p>")
    skipped = [entry for entry in entries if not entry.matches]
    if skipped:
        blocks.append("<section><h2>Not compared</h2><ul>" + "".join(
            f"<li>{h(entry.who)} ({h(entry.id)}): {h(entry.problem)}</li>" for entry in skipped) + "</ul></section>")
    method = (f"{len(compared)} graded submission(s) compared with {len(known)} known solution(s) "
              f"({', '.join(h(name) for name in known)}). Graded code only (what the judge runs), comments, whitespace and "
              f"docstrings dropped, identifiers the stencil does not use renamed, lines also in the stencil set aside; "
              f"similarity is the Jaccard index of the {NGRAM}-token windows of what is left, as in the class report, "
              f"which lists a pair of students from {THRESHOLD:g}. Ranked by the closest known solution"
              + (f", grouped by the roster's {h(by)}" if by else "") + ".")
    if known_notes:
        method += "<br>Known files left out: " + "; ".join(h(note) for note in known_notes)
    legend = ('<p class="legend"><span class="same">same once normalised</span> <span class="changed">changed</span> '
              '<span class="only">on one side only</span> <span class="stencil">stencil or docstring, not counted</span></p>')
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    title = "Review against known AI-generated solutions"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{h(title)}</title><style>{STYLE}</style></head><body>"
            f"<header><h1>{h(title)}</h1><p>Made {made}.</p></header><main>"
            f'<section class="caution" id="caution">{CAUTION}</section>'
            f'<section id="method"><p>{method}</p>{legend}</section>' + "".join(blocks) + "</main></body></html>\n")


def write_review(out: Path, known_folder: Path, roster: Path | None = None, by: str | None = None,
                 stencil: Path = STENCIL) -> Path:
    shared = Stencil(stencil)
    known, notes = read_known(Path(known_folder), shared)
    if not known:
        raise ValueError(f"{known_folder} holds no .py or .ipynb file with code beyond the stencil to compare with"
                         + (f" ({'; '.join(notes)})" if notes else ""))
    values = read_roster(roster, by) if roster is not None else None
    page = render(compare(Path(out), known, shared, values), known, notes, by if values is not None else None)
    descriptor, temporary = tempfile.mkstemp(dir=out, prefix=".review-", suffix=".html")
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(page)
    os.chmod(temporary, 0o600)  # names and code: for staff only
    path = Path(out) / "review.html"
    os.replace(temporary, path)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the folder a grade-export run wrote")
    parser.add_argument("--known", type=Path, required=True, help="folder of known AI-generated solutions (.py, .ipynb)")
    parser.add_argument("--roster", type=Path, help="CSV with a sid column and others (e.g. year, program)")
    parser.add_argument("--by", help="the roster column to group the review by")
    args = parser.parse_args(argv)
    if (args.roster is None) != (args.by is None):
        parser.error("--roster and --by go together")
    if not args.known.is_dir():
        parser.error(f"--known {args.known} is not a folder")
    if not (args.out / "export").is_dir():
        parser.error(f"{args.out} holds no export/ folder: run make grade-export first")
    try:
        path = write_review(args.out.resolve(), args.known, args.roster, args.by)
    except (OSError, ValueError) as error:
        print(f"cannot write the review: {error}", file=sys.stderr)
        return 2
    print(f"review written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
