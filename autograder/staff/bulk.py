"""Grade submissions with the judge `make grade` runs, each in its own /autograder-like root, side by side.

One grading is `grade_submission`: lay out a root from the built zip and the
submission's files, run the judge command as run_autograder does, and take the
results.json it wrote. The judge always writes one; if it cannot (the kit crashed,
or the assignment's timeout passed), the grading still ends with a results.json that
lists every test at 0 with a message, built as the judge builds its own for lost
results. Gradings run in local processes (`LocalRunner`) or on a Dask cluster
(`DaskRunner`, whose workers need the kit's environment but not the export: a
submission's files travel with its task).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import psutil

from autograder import results as results_json
from autograder.package.local_grade import judge_command, lay_out
from autograder.sandbox import cgroup_cpu_quota

MEMORY_PER_WORKER = 2**30  # a judge and its one running child: the child's limit is 600 MB, the judge ~100 MB
ONE_THREAD = {variable: "1" for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                             "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")}
LOG_KEEP_BYTES = 200_000

# How a grading ended, as grades.csv says it.
GRADED, TIMED_OUT, CRASHED, UNREADABLE, MISSING = "graded", "timed out", "crashed", "unreadable", "no files"


@dataclass
class Grading:
    results: dict  # results.json as Gradescope would record it
    ending: str
    note: str = ""
    seconds: float = 0.0
    log: str = ""  # what the judge printed (head and tail)


def default_workers() -> int:
    """As many judges as this machine has CPUs (its cgroup quota counted) and GiB of memory available, at least one."""
    by_memory = psutil.virtual_memory().available // MEMORY_PER_WORKER
    cpus = min(cgroup_cpu_quota() or float("inf"), len(os.sched_getaffinity(0)))
    return max(1, int(min(cpus, by_memory)))


def bundle_config(zip_path: Path) -> tuple[list[dict], dict]:
    """The zip's graded tests (as the judge lists them before grading) and its configuration."""
    with zipfile.ZipFile(zip_path) as archive:
        return json.loads(archive.read("expected/tests.json")), json.loads(archive.read("config.json"))


def bundle_facts(zip_path: Path) -> tuple[list[dict], float]:
    """The zip's graded tests and the assignment's timeout in seconds."""
    manifest, config = bundle_config(zip_path)
    return manifest, float(config["timeout_seconds"])


def lost_results(manifest: list[dict], message: str, seconds: float = 0.0) -> dict:
    """Every test at 0 with `message`: what the judge writes when it cannot grade."""
    return results_json.assemble(manifest, {}, [], message, seconds, message)


def _judge_environment() -> dict:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "PYTEST"))}
    return {**environment, **ONE_THREAD}


def _end_process_tree(process: subprocess.Popen) -> None:
    """The judge and everything it started (its sandboxed children run in sessions of their own)."""
    try:
        tree = [process, *psutil.Process(process.pid).children(recursive=True)]
    except psutil.Error:
        tree = []
    for member in tree:
        try:
            member.kill()
        except (psutil.Error, ProcessLookupError):
            pass
    process.wait()


def grade_submission(zip_path: Path, submission: Path, manifest: list[dict], timeout: float) -> Grading:
    """Grade one submission folder as Gradescope would; always returns a Grading."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rnnkit-bulk-") as folder, tempfile.TemporaryFile() as log:
        Path(folder).chmod(0o711)  # children traverse it to reach their workspace; nobody else may list or write
        root = Path(folder) / "autograder"
        root.mkdir()
        try:
            lay_out(root, zip_path, submission)
        except OSError as error:
            message = f"The submission's files could not be laid out for grading ({error})."
            return Grading(lost_results(manifest, message), CRASHED, message, time.monotonic() - started)
        process = subprocess.Popen(judge_command(root), cwd=root / "source", env=_judge_environment(),
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            returncode = process.wait(timeout=timeout)
            ending = GRADED if returncode == 0 else CRASHED
        except subprocess.TimeoutExpired:
            _end_process_tree(process)
            returncode, ending = None, TIMED_OUT
        seconds = time.monotonic() - started
        printed = _head_and_tail(log)
        results, note = _written_results(root / "results" / "results.json", manifest, ending, returncode, timeout, seconds)
    if note and ending == GRADED:
        ending = CRASHED
    elif ending == GRADED and (results.get("extra_data") or {}).get("problem"):
        ending, note = UNREADABLE, str(results["extra_data"]["problem"])[:500]
    elif ending == GRADED and "extra_data" not in results:
        ending, note = CRASHED, "the judge failed before grading (see its log)"
    return Grading(results, ending, note, seconds, printed)


def _written_results(path: Path, manifest: list[dict], ending: str, returncode, timeout: float, seconds: float):
    """What the judge wrote (checked against Gradescope's schema), or the lost results and why."""
    try:
        results = json.loads(path.read_text())
        results_json.VALIDATOR.validate(results)
    except (OSError, ValueError, results_json.jsonschema.ValidationError) as error:
        why = {TIMED_OUT: f"the grading passed the assignment's timeout of {timeout:g} s",
               CRASHED: f"the judge exited with status {returncode}"}.get(ending, "the judge wrote no usable results.json")
        message = f"Not graded: {why}, and left no usable results ({type(error).__name__}). Please tell the course staff."
        return lost_results(manifest, message, seconds), why
    if ending == TIMED_OUT:
        return results, f"stopped after the assignment's timeout of {timeout:g} s; the tests it had not finished score 0"
    if ending == CRASHED:
        return results, f"the judge exited with status {returncode}"
    return results, ""


def _head_and_tail(log) -> str:
    size = log.seek(0, os.SEEK_END)
    log.seek(0)
    if size <= LOG_KEEP_BYTES:
        return log.read().decode("utf-8", "replace")
    head = log.read(LOG_KEEP_BYTES // 2)
    log.seek(size - LOG_KEEP_BYTES // 2)
    return (head + f"\n[… {size - LOG_KEEP_BYTES:,} bytes skipped …]\n".encode() + log.read()).decode("utf-8", "replace")


# ---------------------------------------------------------------- where the gradings run


class LocalRunner:
    """Gradings in local processes, `workers` at a time (a thread waits on each judge)."""

    def __init__(self, workers: int):
        self.workers = workers

    def describe(self) -> str:
        return f"{self.workers} local worker{'s' * (self.workers != 1)}"

    def run(self, zip_path: Path, submissions: dict[str, Path], manifest: list[dict], timeout: float):
        """Yields (submission id, Grading) as each finishes."""
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            futures = {pool.submit(grade_submission, zip_path, folder, manifest, timeout): key
                       for key, folder in submissions.items()}
            for future in as_completed(futures):
                yield futures[future], future.result()

    def close(self) -> None:
        pass


def _files_of(folder: Path) -> dict[str, bytes]:
    """A staged submission's files (regular files only, see export) by relative path, to send with its task."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def grade_sent_files(zip_bytes: bytes, files: dict[str, bytes], manifest: list[dict], timeout: float) -> Grading:
    """On a Dask worker: the zip and the submission's files arrive as bytes; grade them as `grade_submission` does."""
    with tempfile.TemporaryDirectory(prefix="rnnkit-sent-") as folder:
        zip_path, submission = Path(folder) / "autograder.zip", Path(folder) / "submission"
        zip_path.write_bytes(zip_bytes)
        submission.mkdir()
        for relative, content in files.items():
            target = (submission / relative).resolve()
            if submission.resolve() not in target.parents:  # the worker trusts no path it is sent
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        return grade_submission(zip_path, submission, manifest, timeout)


class DaskRunner:
    """Gradings on a Dask cluster: `tcp://host:port` (a running scheduler whose workers have the kit) or `local:N`
    (a LocalCluster of N single-threaded worker processes on this machine)."""

    def __init__(self, scheduler: str):
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if scheduler.startswith("local:"):
            workers = int(scheduler.split(":", 1)[1])
            # memory_limit=0: the judge's memory is its own subprocesses', which the sandbox limits; the worker's is small
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=0,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            self.client = Client(scheduler)
        self.scheduler = scheduler

    def describe(self) -> str:
        workers = len(self.client.scheduler_info()["workers"])
        return f"Dask at {self.scheduler} ({workers} worker{'s' * (workers != 1)})"

    def run(self, zip_path: Path, submissions: dict[str, Path], manifest: list[dict], timeout: float):
        from dask.distributed import as_completed as dask_completed

        zip_bytes = self.client.scatter(zip_path.read_bytes(), broadcast=True)
        futures = {self.client.submit(grade_sent_files, zip_bytes, _files_of(folder), manifest, timeout,
                                      key=f"grade-{key}-{time.time_ns()}", pure=False, retries=0): key
                   for key, folder in submissions.items()}
        for future in dask_completed(futures):
            key = futures[future]
            try:
                yield key, future.result()
            except Exception as error:  # a worker lost or killed: this submission only, graded again by a rerun
                message = f"Not graded: its Dask task failed ({type(error).__name__}: {str(error)[:300]})."
                yield key, Grading(lost_results(manifest, message), CRASHED, message)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def runner_for(scheduler: str | None, workers: int | None):
    if scheduler:
        return DaskRunner(scheduler)
    return LocalRunner(workers or default_workers())


__all__ = ["Grading", "grade_submission", "runner_for", "default_workers", "bundle_facts", "lost_results",
           "GRADED", "TIMED_OUT", "CRASHED", "UNREADABLE", "MISSING"]
