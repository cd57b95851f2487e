"""Grade a whole Gradescope export as Gradescope would, and say what changes against what it recorded.

    python -m autograder.staff.grade_export --export EXPORT.zip --out FOLDER [--workers N] [--threshold X]
                                            [--scheduler local:N | tls://host:port --tls-ca-file … --tls-cert … --tls-key …]

OUT/results/<id>.json  results.json exactly as the judge wrote it (what Gradescope would record)
OUT/grades.csv         one row per submitter: points in all and by part, test perplexity, how grading ended
OUT/diff.csv           submitters whose score changes against the export's recorded score, and the tests that flipped
OUT/submitters.json    {submission id: [{sid, name, email}, ...]}
OUT/created_at.json    {submission id: when it was submitted (the export's :created_at:), or null}
OUT/logs/<id>.log      what the judge printed;  OUT/endings.json  how each grading ended
OUT/export/            the export's files as taken (regular files only), one submission_<id>/ each
OUT/threshold.json     the perplexity threshold a --threshold run set, which later runs keep

A rerun with the same OUT grades only what has no results yet (and what the kit failed on, saying which).
--threshold re-scores the perplexity test from the perplexities recorded in the results, grading nothing again.
One Ctrl-C (or SIGTERM) stops the run: queued gradings are cancelled, running judges stopped, finished results
kept; it exits with 130 and a rerun resumes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

from autograder import results as results_json
from autograder.package.local_grade import REPO, close_checkout
from autograder.staff import bulk, grades, regrade
from autograder.staff.export import ExportError, read_export

ZIP = REPO / "dist" / "autograder.zip"
STENCIL = REPO / "stencil" / "language_model.ipynb"
KEPT_ENDINGS = (bulk.GRADED, bulk.TIMED_OUT, bulk.UNREADABLE, bulk.MISSING)  # a rerun grades again only what the kit failed on
INTERRUPTED = 130  # as a shell reports a command ended by SIGINT


class Interrupted(Exception):
    """The run was stopped; `graded_now` results of this run are kept."""

    def __init__(self, graded_now: int, left: int, stopped: int):
        super().__init__(graded_now, left, stopped)
        self.graded_now, self.left, self.stopped = graded_now, left, stopped


def _atomic_json(path: Path, value) -> None:
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_text(json.dumps(value, indent=2, allow_nan=False, default=str))
    temporary.replace(path)


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def already_graded(out: Path, keys) -> tuple[dict[str, dict], dict[str, dict], dict[str, str]]:
    """Results and endings a previous run with this OUT finished (results are written only once a grading ended),
    and the gradings the kit failed on there, with why: those are graded again."""
    endings = _read_json(out / "endings.json")
    endings = endings if isinstance(endings, dict) else {}
    graded, failed = {}, {}
    for key in keys:
        ending = endings.get(key)
        results = _read_json(out / "results" / f"{key}.json")
        if isinstance(ending, dict) and ending.get("ending") == bulk.CRASHED:
            failed[key] = str(ending.get("note") or "the kit failed")[:200]
        if not isinstance(ending, dict) or ending.get("ending") not in KEPT_ENDINGS or not isinstance(results, dict):
            continue
        try:
            results_json.VALIDATOR.validate(results)
        except results_json.jsonschema.ValidationError:
            continue
        graded[key] = results
    return graded, {key: endings[key] for key in graded}, failed


class Progress:
    """A bar with count and ETA on a terminal; elsewhere one plain line per submission."""

    def __init__(self, total: int):
        self.total, self.done, self.started = total, 0, time.monotonic()
        self.bar = None
        if sys.stderr.isatty() and total:
            from tqdm import tqdm
            self.bar = tqdm(total=total, unit="submission", dynamic_ncols=True)

    def finished(self, key: str, grading: bulk.Grading) -> None:
        self.done += 1
        line = (f"submission {key}: {grading.ending}, {grading.results['score']:g} points, {grading.seconds:.0f} s"
                + (f" ({grading.note})" if grading.note else ""))
        if self.bar is not None:
            self.bar.update(1)
            if grading.ending != bulk.GRADED:
                self.bar.write(line)
        else:
            print(f"[{self.done}/{self.total}] {line}", flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def grade_all(out: Path, submissions, runner, zip_path: Path) -> tuple[dict[str, dict], dict[str, dict], dict[str, dict]]:
    """Results and endings of every submission, grading those not graded before; also the endings of this run's gradings.

    Raises Interrupted on Ctrl-C, once the queue is cancelled and the running judges are stopped.
    """
    manifest, timeout = bulk.bundle_facts(zip_path)
    graded, endings, failed = already_graded(out, submissions)
    (out / "results").mkdir(exist_ok=True)
    (out / "logs").mkdir(exist_ok=True)
    now = {}

    def record(key: str, grading: bulk.Grading) -> None:
        (out / "logs" / f"{key}.log").write_text(grading.log)
        results_json.write(grading.results, out / "results" / f"{key}.json")
        graded[key] = grading.results
        endings[key] = now[key] = {"ending": grading.ending, "note": grading.note, "seconds": round(grading.seconds, 1)}
        _atomic_json(out / "endings.json", endings)

    for key, submission in submissions.items():
        if submission.folder is None and key not in graded:
            message = "Not graded: the export holds no files for this submission."
            record(key, bulk.Grading(bulk.lost_results(manifest, message), bulk.MISSING))  # the export's note says why
    todo = {key: submission.folder for key, submission in submissions.items() if key not in graded}
    if graded:
        print(f"{len(graded)} submission(s) already graded in {out}, {len(todo)} left", flush=True)
    for key in sorted(set(failed) & set(todo)):
        print(f"submission {key}: graded again, the kit failed on it before ({failed[key]})", flush=True)
    if not todo:
        return graded, endings, now
    print(f"grading {len(todo)} submission(s) on {runner.describe()}, timeout {timeout:g} s each", flush=True)
    progress = Progress(len(todo))
    try:
        for key, grading in runner.run(zip_path, todo, manifest, timeout):
            record(key, grading)
            progress.finished(key, grading)
    except KeyboardInterrupt:
        for stop in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the stopping short
            signal.signal(stop, signal.SIG_IGN)
        progress.close()
        print(f"\ninterrupted: stopping the running judges (up to {bulk.GRACE_SECONDS} s)…", file=sys.stderr, flush=True)
        raise Interrupted(len(now), len(todo) - len(now), runner.stop()) from None
    finally:
        progress.close()
    return graded, endings, now


def call_report(out: Path, submissions, threshold: float | None) -> None:
    """The class report, where autograder/staff/report.py is part of the kit, scored as grades.csv was."""
    if importlib.util.find_spec("autograder.staff.report") is None:
        return
    from autograder.staff.report import write_report

    folders = {key: submission.folder for key, submission in submissions.items() if submission.folder is not None}
    _, config = bulk.bundle_config(ZIP)
    print(f"report written to {write_report(out, folders, STENCIL, threshold, config)}")


def kept_threshold(out: Path, asked: float | None, configured: float) -> float | None:
    """The threshold this run re-scores under: the one asked for, else the one an earlier run kept in OUT; said either way."""
    path = out / "threshold.json"
    stored = _read_json(path)
    stored = stored.get("threshold") if isinstance(stored, dict) else None
    stored = float(stored) if isinstance(stored, (int, float)) and not isinstance(stored, bool) else None
    if asked is None:
        if stored is not None:
            print(f"threshold {stored:g} kept in {path} from an earlier run (configured: {configured:g}); "
                  f"--threshold {configured:g} goes back to the configured one")
        return stored
    if asked == configured:
        if stored is not None:
            print(f"threshold back to the configured {configured:g} (replaces {stored:g} kept in {path})")
        path.unlink(missing_ok=True)
        return None
    if stored is not None and stored != asked:
        print(f"threshold {asked:g} replaces {stored:g} kept in {path}")
    _atomic_json(path, {"threshold": asked, "configured": configured})
    return asked


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    handlers = {stop: signal.getsignal(stop) for stop in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _main(argv)
    finally:  # as it was for a caller in this process (the bench, a test)
        for stop, handler in handlers.items():
            signal.signal(stop, handler)


def _main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export", type=Path, required=True, help="Gradescope's Export Submissions .zip, or it unzipped")
    parser.add_argument("--out", type=Path, required=True, help="folder for the results; a rerun resumes in it")
    parser.add_argument("--workers", type=int, help="judges at once (default: the machine's CPUs and GiB of memory)")
    parser.add_argument("--threshold", type=float, help="re-score the perplexity test under this threshold (kept in OUT)")
    parser.add_argument("--scheduler", help="grade on Dask: local:N (N workers here) or tls://host:port (a running cluster)")
    parser.add_argument("--tls-ca-file", type=Path, help="for tls://: the certificate authority the cluster's certificates chain to")
    parser.add_argument("--tls-cert", type=Path, help="for tls://: this client's certificate")
    parser.add_argument("--tls-key", type=Path, help="for tls://: this client's private key")
    args = parser.parse_args(argv)
    tls = (args.tls_ca_file, args.tls_cert, args.tls_key)
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.workers is not None and args.scheduler:
        parser.error("--workers is for local grading; a Dask cluster has its own workers")
    if args.scheduler and args.scheduler.startswith("tcp://"):
        parser.error(f"{args.scheduler}: {bulk.PLAIN_TCP_REFUSED}")
    if args.scheduler and not (args.scheduler.startswith("tls://") or
                               (args.scheduler.startswith("local:") and args.scheduler[6:].isdigit() and int(args.scheduler[6:]) > 0)):
        parser.error("--scheduler is local:N or tls://host:port")
    if any(tls) and not (args.scheduler or "").startswith("tls://"):
        parser.error("--tls-ca-file, --tls-cert and --tls-key are for --scheduler tls://host:port")
    if not ZIP.is_file():
        print(f"{ZIP} is missing: run `make autograder` first (`make grade-export` does)", file=sys.stderr)
        return 2
    # One Ctrl-C stops the run; a run started in the background (SIGINT ignored) or sent SIGTERM stops the same way.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    close_checkout()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        out.chmod(0o700)  # students' names and results; student code runs as a user who may read what others can
    try:
        submissions, notes = read_export(args.export, out / "export")
    except (ExportError, OSError) as error:
        print(f"cannot read the export: {error}", file=sys.stderr)
        return 2
    for note in notes:
        print(f"export: {note}")
    for key, submission in sorted(submissions.items()):
        for note in submission.notes:
            print(f"submission {key}: {note}")
    _atomic_json(out / "submitters.json", {key: [vars(person) for person in submission.submitters]
                                           for key, submission in sorted(submissions.items())})
    _atomic_json(out / "created_at.json", {key: submission.created_at for key, submission in sorted(submissions.items())})
    _, config = bulk.bundle_config(ZIP)
    threshold = kept_threshold(out, args.threshold, float(config["perplexity_threshold"]))
    try:
        runner = bulk.runner_for(args.scheduler, args.workers, tls)
    except bulk.ClusterRefused as error:
        print(f"not grading on Dask: {error}", file=sys.stderr)
        return 2
    try:
        graded, endings, now = grade_all(out, submissions, runner, ZIP)
    except Interrupted as stopped:
        kept = len(already_graded(out, submissions)[0])
        print(f"interrupted: {stopped.graded_now} graded in this run, {kept} of {len(submissions)} results kept in {out} "
              f"({stopped.stopped} running grading(s) stopped, {stopped.left} not graded). Run the same command again "
              "to grade the rest; grades.csv and diff.csv are written when every submission is graded.", file=sys.stderr)
        return INTERRUPTED
    finally:
        runner.close()
    if threshold is not None:
        until = config.get("perplexity_partial_credit_until")
        graded = {key: regrade.rescore(results, threshold, until) for key, results in graded.items()}
        print(f"perplexity test re-scored under threshold {threshold:g} (configured: {config['perplexity_threshold']:g})")
    columns, table = grades.rows(submissions, graded, endings)
    grades.write_csv(out / "grades.csv", columns, table)
    kit_failed = [key for key, ending in now.items() if ending["ending"] == bulk.CRASHED]
    if now and len(kit_failed) == len(now):
        (out / "diff.csv").unlink(missing_ok=True)
        print(f"the kit failed on every grading of this run ({len(kit_failed)}; see {out / 'logs'} and the notes in "
              f"{out / 'grades.csv'}): no diff.csv is written. Fix the cause and run the same command again.", file=sys.stderr)
        return 1
    if any(submission.recorded_score is not None for submission in submissions.values()):
        changes, counts = regrade.diff(submissions, graded)
        regrade.write_diff(out / "diff.csv", changes)
        print(f"against the recorded scores: {counts['gain']} submitter(s) gain, {counts['lose']} lose, "
              f"{counts['stay']} stay" + (f", {counts['unrecorded']} have no recorded score" if counts["unrecorded"] else ""))
    else:
        (out / "diff.csv").unlink(missing_ok=True)
        print("the export records no scores: no diff.csv")
    tally = {}
    for ending in endings.values():
        tally[ending["ending"]] = tally.get(ending["ending"], 0) + 1
    print(f"{len(graded)} submission(s), {len(now)} graded now: " + ", ".join(f"{count} {ending}" for ending, count in sorted(tally.items())))
    print(f"grades written to {out / 'grades.csv'}")
    try:
        call_report(out, submissions, threshold)
    except Exception:
        traceback.print_exc()
        print("the class report failed; grades.csv and diff.csv are written", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
