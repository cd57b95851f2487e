"""Grade one submission: what Gradescope's run_autograder runs, and `make grade` too.

    python -m autograder.grade --root /autograder

ROOT is laid out as on Gradescope: source/ (the unzipped autograder), submission/
(the student's files) and results/ (where results.json goes). This process is the
judge: it never imports TensorFlow or the student's code, and never parses the
student's files itself; the graded tests ask sandboxed children for answers and
compare them with the expected values shipped in source/expected/. Whatever
happens, it writes a valid results.json listing every test: first with every test
"not graded yet", then updated as each test finishes.
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # the judge's numpy gets one thread: Gradescope gives it half a CPU

import argparse
import json
import math
import resource
import signal
import sys
import time
import traceback
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.feedback import fenced
from autograder.results import GradescopeResults, assemble, write
from autograder.session import Bundle, Session

TESTS = Path("autograder") / "tests"  # under the source folder
NOT_YET = "Not graded yet: the autograder was stopped before this test finished (it ran out of time)."


def protect(root: Path) -> Path:
    """As root (on Gradescope), close the kit to the sandbox user; returns the children's workspace.

    The root stays traversable (Gradescope's venv lives in it) but not listable; source,
    submission and results are root's alone. Children work in root/sandbox, which they
    may traverse to reach their own group's folder, and nothing else.
    """
    workspace = root / "sandbox"
    for folder in ("source", "submission", "results", "sandbox"):
        (root / folder).mkdir(exist_ok=True)
    if os.geteuid() == 0:
        root.chmod(0o711)
        for folder in ("source", "submission", "results"):
            if not (root / folder).is_symlink():  # the students' checker links its source; leave their folder alone
                (root / folder).chmod(0o700)
        workspace.chmod(0o711)
        for private in root.glob("*.json"):  # submission_metadata.json: the students' names and earlier results
            private.chmod(0o600)
    return workspace


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


def run_tests(source: Path, session: Session | None, tags: set[str] | None, collect_only: bool = False,
              on_progress=None) -> GradescopeResults:
    """pytest over the graded tests, reading only the kit's own configuration.

    `-c` names the kit's ini file and `--confcutdir` stops conftest discovery at the
    tests folder, so no pytest.ini, conftest.py or plugin planted above the grading
    root (say, in /tmp by an earlier submission) is ever read.
    """
    plugin = GradescopeResults(session, on_progress)
    public_only = session.bundle.public_only if session else False
    tests = source / TESTS
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ.pop("PYTEST_ADDOPTS", None)
    arguments = [str(tests), "-c", str(tests / "pytest.ini"), "--rootdir", str(source), "--confcutdir", str(tests),
                 "-q", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning", "--tb=no", "--no-header"]
    if collect_only:
        arguments += ["--collect-only", "-q"]
    pytest.main(arguments, plugins=[plugin, _Selection(tags, public_only)])
    return plugin


def summary(session: Session, results_tests: list[dict]) -> str:
    lines = []
    if session.problem:
        lines.append(f"**Your submission could not be graded:** {session.problem}")
    else:
        lines.append(f"Graded {session.shown_name}: only its imports, function and class definitions and "
                     "UPPER_CASE assignments ran; the rest of the notebook was skipped.")
    notes = list(session.notes)
    for run in session.runs.values():
        notes.extend(note for note in run.report.get("load_notes", []) if note not in notes)
    if notes:
        lines.append("\n**While loading your code:**\n" + fenced("\n\n".join(notes)[:4000]))
    by_part: dict[str, list[float]] = {}
    for test in results_tests:
        score, top = by_part.setdefault(test["tags"][0], [0.0, 0.0])
        by_part[test["tags"][0]] = [score + test["score"], top + test["max_score"]]
    lines.append("\n| part | points |\n|---|---|")
    lines.extend(f"| {part} | {score:g} / {top:g} |" for part, (score, top) in by_part.items())
    return "\n".join(lines)


def grading_record(session: Session) -> dict:
    """For staff (results.json's extra_data and the log): how each child ended, its time and memory."""
    children = {part: {"ending": run.ending, "wall_seconds": round(run.wall_seconds, 2), "cpu_seconds": round(run.cpu_seconds, 2),
                       "peak_memory_mb": round(run.peak_memory_mb, 1), "printed_bytes": run.printed_bytes,
                       "memory_guard": run.memory_guard, "cpu_guard": run.cpu_guard, "cpu_quota": run.cpu_quota,
                       "oom_score_adj": run.oom_score_adj, "network": run.network,
                       "stopped_in": run.stage if run.ending != "finished" else None, "refused": run.refused, "uid": run.uid,
                       "cpu_seconds_by_part": {name: round(cpu, 2) for name, cpu in run.stage_cpu_seconds.items() if name != "all"}}
                for part, run in session.runs.items()}
    return {"judge_peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "cpu_share": session.cpu_share, "cpu_share_source": session.cpu_share_source, "children": children, "problem": session.problem,
            "test_perplexity": _finite(session.test_perplexity), "state_reset_perplexity": _finite(session.state_reset_perplexity),
            "implausible": session.implausible, "large_literals": session.large_literals}


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def grade(root: Path, tags: set[str] | None = None) -> dict:
    started = time.time()
    root = Path(root).resolve()
    results_path = root / "results" / "results.json"
    source = root / "source"
    workspace = protect(root)
    manifest = json.loads((source / "expected" / "tests.json").read_text())
    if tags:
        manifest = [meta for meta in manifest if set(meta["tags"]) & tags]
    write(assemble(manifest, {}, [], "Grading has started.", 0.0, NOT_YET), results_path)
    try:
        bundle = Bundle(source)
        session = Session(bundle, root / "submission", workspace, parts=tags)
        setup_cpu = time.process_time()

        def checkpoint(plugin):
            write(assemble(manifest, plugin.entries, plugin.leaderboard_entries, "Grading is under way.",
                           time.time() - started, NOT_YET), results_path)

        plugin = run_tests(source, session, tags, on_progress=checkpoint)
        collected = plugin.collected
        if not collected:
            raise RuntimeError("no graded test was collected")
        missing = "This test was not graded because the autograder stopped early; please tell the course staff."
        results = assemble(collected, plugin.entries, plugin.leaderboard_entries, "", time.time() - started, missing)
        results["output"] = summary(session, results["tests"])
        results["extra_data"] = grading_record(session)
        for part, child in results["extra_data"]["children"].items():
            print(f"{part:>10}: {child['ending']:<9} wall {child['wall_seconds']:6.1f} s  cpu {child['cpu_seconds']:6.1f} s  "
                  f"peak memory {child['peak_memory_mb']:6.0f} MB ({child['memory_guard']})  "
                  f"printed {child['printed_bytes']:,} bytes" + (f"  refused: {'; '.join(child['refused'])}" if child["refused"] else ""))
        print(f"judge peak memory {results['extra_data']['judge_peak_memory_mb']:.0f} MB; "
              f"a child gets {session.cpu_share:g} of a CPU ({session.cpu_share_source})")
        first_child = min((phase["start"] for phase in session.phases.values()), default=time.time())
        phases = {"setup": {"start": started, "end": first_child, "cpu": setup_cpu}, **session.phases}
        print("phases " + json.dumps(phases))  # read by `make bench`
    except Exception:
        print(traceback.format_exc(), file=sys.stderr)
        results = assemble(manifest, {}, [], "**The autograder failed before it could grade your submission.** "
                           "This is not your fault; the course staff have been told by this message.",
                           time.time() - started, "Not graded: the autograder failed (see the top of this page).")
    write(results, results_path)
    return results


def _stop(signum, frame):
    """Told to stop (a bulk run interrupted, its worker gone): unwind, so the sandbox ends the child and removes its
    files. KeyboardInterrupt, because pytest (the tests run in this process) ends its session on it, where a
    SystemExit would fail only the test at hand and go on to the next."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second signal must not cut the cleanup short
    raise KeyboardInterrupt


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/autograder"), help="folder laid out like /autograder")
    parser.add_argument("--tags", help="grade only these parts, comma-separated (for this project's own tests)")
    args = parser.parse_args(argv)
    sandbox.become_subreaper()
    signal.signal(signal.SIGTERM, _stop)
    results = grade(args.root, set(args.tags.split(",")) if args.tags else None)
    total = sum(test["max_score"] for test in results["tests"])
    print(f"score {results['score']:g} / {total:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
