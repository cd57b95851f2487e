"""Grade one submission: what Gradescope's run_autograder runs, and `make grade` too.

    python -m autograder.grade --root /autograder

ROOT is laid out as on Gradescope: source/ (the unzipped autograder), submission/
(the student's files) and results/ (where results.json goes). This process is the
judge: it never imports TensorFlow or the student's code; the graded tests ask
sandboxed children for answers and compare them with the expected values shipped
in source/expected/. Whatever happens, it writes a valid results.json listing
every test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

import pytest

from autograder.results import GradescopeResults, assemble, write
from autograder.session import Bundle, Session


def protect(root: Path) -> None:
    """As root (on Gradescope), make everything but the sandbox's own work folders unreadable to it."""
    if os.geteuid() != 0:
        return
    for folder in ("source", "submission", "results"):
        path = root / folder
        path.mkdir(exist_ok=True)
        path.chmod(0o700)


class _Selection:
    """Keeps the tests a run asks for: some parts only, or the public ones (the students' checker)."""

    def __init__(self, tags: set[str] | None, public_only: bool):
        self.tags, self.public_only = tags, public_only

    def pytest_collection_modifyitems(self, config, items):
        keep = [item for item in items
                if (self.tags is None or set(getattr(item.function, "__tags__", ())) & self.tags)
                and (not self.public_only or item.get_closest_marker("public"))]
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


def run_tests(source: Path, session: Session | None, tags: set[str] | None, collect_only: bool = False) -> GradescopeResults:
    plugin = GradescopeResults(session)
    public_only = session.bundle.public_only if session else False
    arguments = [str(source / "autograder" / "tests"), "-q", "-p", "no:cacheprovider", "--rootdir", str(source),
                 "-W", "ignore::DeprecationWarning", "--tb=no", "--no-header"]
    if collect_only:
        arguments += ["--collect-only", "-q"]
    pytest.main(arguments, plugins=[plugin, _Selection(tags, public_only)])
    return plugin


def summary(session: Session, results_tests: list[dict]) -> str:
    lines = []
    if session.problem:
        lines.append(f"**Your submission could not be graded:** {session.problem}")
    else:
        lines.append(f"Graded `{session.submission.name}`: only its imports, function and class definitions and "
                     "UPPER_CASE assignments ran; the rest of the notebook was skipped.")
    notes = list(session.notes)
    for run in session.runs.values():
        notes.extend(note for note in run.report.get("load_notes", []) if note not in notes)
    if notes:
        lines.append("\n**While loading your code:**\n```\n" + "\n\n".join(notes)[:4000] + "\n```")
    by_part: dict[str, list[float]] = {}
    for test in results_tests:
        score, top = by_part.setdefault(test["tags"][0], [0.0, 0.0])
        by_part[test["tags"][0]] = [score + test["score"], top + test["max_score"]]
    lines.append("\n| part | points |\n|---|---|")
    lines.extend(f"| {part} | {score:g} / {top:g} |" for part, (score, top) in by_part.items())
    return "\n".join(lines)


def grade(root: Path, tags: set[str] | None = None) -> dict:
    started = time.time()
    root = Path(root).resolve()
    results_path = root / "results" / "results.json"
    source = root / "source"
    protect(root)
    results_path.unlink(missing_ok=True)
    try:
        bundle = Bundle(source)
        session = Session(bundle, root / "submission")
        setup_cpu = time.process_time()
        plugin = run_tests(source, session, tags)
        collected = plugin.collected
        missing = "This test was not graded because the autograder stopped early; please tell the course staff."
        if not collected:
            raise RuntimeError("no graded test was collected")
        results = assemble(collected, plugin.entries, plugin.leaderboard_entries, "", time.time() - started, missing)
        results["output"] = summary(session, results["tests"])
        for part, run in session.runs.items():
            print(f"{part:>10}: {run.ending:<9} wall {run.wall_seconds:6.1f} s  cpu {run.cpu_seconds:6.1f} s  "
                  f"peak memory {run.peak_memory_mb:6.0f} MB  printed {run.printed_bytes:,} bytes")
        first_child = min((phase["start"] for phase in session.phases.values()), default=time.time())
        phases = {"setup": {"start": started, "end": first_child, "cpu": setup_cpu}, **session.phases}
        print("phases " + json.dumps(phases))  # read by `make bench`
    except Exception:
        print(traceback.format_exc(), file=sys.stderr)
        manifest = json.loads((source / "expected" / "tests.json").read_text())
        if tags:
            manifest = [meta for meta in manifest if set(meta["tags"]) & tags]
        results = assemble(manifest, {}, [], "**The autograder failed before it could grade your submission.** "
                           "This is not your fault; the course staff have been told by this message.",
                           time.time() - started, "Not graded: the autograder failed (see the top of this page).")
    write(results, results_path)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/autograder"), help="folder laid out like /autograder")
    parser.add_argument("--tags", help="grade only these parts, comma-separated (for this project's own tests)")
    args = parser.parse_args(argv)
    results = grade(args.root, set(args.tags.split(",")) if args.tags else None)
    total = sum(test["max_score"] for test in results["tests"])
    print(f"score {results['score']:g} / {total:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
