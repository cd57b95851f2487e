"""Grade submissions with the judge `make grade` runs, each in its own /autograder-like root, side by side.

One grading is `grade_submission`: lay out a root from the built zip and the
submission's files, run the judge command as run_autograder does, and take the
results.json it wrote. The judge always writes one; if it cannot (the kit crashed,
or the assignment's timeout passed), the grading still ends with a results.json that
lists every test at 0 with a message, built as the judge builds its own for lost
results. Gradings run in local processes (`LocalRunner`) or on a Dask cluster
(`DaskRunner`, whose workers need the kit's environment but not the export: a
submission's files travel with its task).

Stopping: a judge told SIGTERM ends its sandboxed child, removes the child's files
and exits (autograder/grade.py); one that does not within GRACE_SECONDS is killed
with everything it started. A judge whose worker dies gets that SIGTERM from the
kernel (PR_SET_PDEATHSIG), and the root it leaves is removed by the next grading here
(and by a Dask run's end).
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import json
import os
import platform
import re
import signal
import subprocess
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import psutil

from autograder import results as results_json
from autograder.package.local_grade import judge_command, lay_out
from autograder.sandbox import cgroup_cpu_quota, remove_tree

MEMORY_PER_WORKER = 2**30  # a judge and its one running child: the child's limit is 600 MB, the judge ~100 MB
ONE_THREAD = {variable: "1" for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                             "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")}
LOG_KEEP_BYTES = 200_000
GRACE_SECONDS = 10  # for a judge told to stop to end its child and remove its files
ROOT_PREFIX = "rnnkit-bulk-"  # then the grading process's pid: a root whose process is gone was abandoned
PR_SET_PDEATHSIG = 1
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl  # resolved here: the judge's pre-exec hook runs between fork and exec

# The judges this process runs, so that a stop reaches each (one Ctrl-C, or a Dask client's cancel).
_RUNNING: set[subprocess.Popen] = set()
_RUNNING_LOCK = threading.Lock()
_STOPPING = threading.Event()

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


def _die_with_parent() -> None:
    """In the judge before exec: SIGTERM when the process that started it dies (a Dask worker killed, say)."""
    _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _kill_tree(process: subprocess.Popen) -> None:
    """The judge and everything it started. The judge is held stopped meanwhile: it reaps orphans (a subreaper), so
    whatever its descendants fork stays below it until none is left."""
    try:
        judge = psutil.Process(process.pid)
        judge.suspend()
        for _ in range(100):
            living = [member for member in judge.children(recursive=True) if member.status() != psutil.STATUS_ZOMBIE]
            if not living:
                break
            for member in living:
                try:
                    member.kill()
                except psutil.Error:
                    pass
            time.sleep(0.05)
        judge.kill()
    except psutil.Error:
        pass
    process.wait()


def stop_judges(processes) -> None:
    """SIGTERM to each judge, which ends its child and removes its files; a judge still there after GRACE_SECONDS is killed."""
    processes = list(processes)
    for process in processes:
        try:
            process.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + GRACE_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill_tree(process)


def stop_running_judges() -> int:
    """Stop every judge this process runs and start no new one; how many were stopped."""
    with _RUNNING_LOCK:
        _STOPPING.set()
        running = list(_RUNNING)
    stop_judges(running)
    return len(running)


def remove_abandoned_roots() -> None:
    """Roots left in the temporary folder by grading processes that no longer run (a Dask worker killed, say)."""
    pattern = re.compile(re.escape(ROOT_PREFIX) + r"(\d+)-")
    for entry in os.scandir(tempfile.gettempdir()):
        found = pattern.match(entry.name)
        try:
            owned = entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_uid == os.geteuid()
        except OSError:
            continue
        if found and owned and not psutil.pid_exists(int(found.group(1))):
            remove_tree(entry.path)


def grade_submission(zip_path: Path, submission: Path, manifest: list[dict], timeout: float) -> Grading:
    """Grade one submission folder as Gradescope would; always returns a Grading."""
    started = time.monotonic()
    remove_abandoned_roots()
    with tempfile.TemporaryDirectory(prefix=f"{ROOT_PREFIX}{os.getpid()}-") as folder, tempfile.TemporaryFile() as log:
        Path(folder).chmod(0o711)  # children traverse it to reach their workspace; nobody else may list or write
        root = Path(folder) / "autograder"
        root.mkdir()
        try:
            lay_out(root, zip_path, submission)
        except OSError as error:
            message = f"The submission's files could not be laid out for grading ({error})."
            return Grading(lost_results(manifest, message), CRASHED, message, time.monotonic() - started)
        with _RUNNING_LOCK:
            if _STOPPING.is_set():
                message = "Not graded: the run was stopped before this grading began."
                return Grading(lost_results(manifest, message), CRASHED, message, time.monotonic() - started)
            process = subprocess.Popen(judge_command(root), cwd=root / "source", env=_judge_environment(),
                                       stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True, preexec_fn=_die_with_parent)
            _RUNNING.add(process)
        try:
            returncode = process.wait(timeout=timeout)
            ending = GRADED if returncode == 0 else CRASHED
        except subprocess.TimeoutExpired:
            stop_judges([process])
            returncode, ending = None, TIMED_OUT
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(process)
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
        self.pool = None

    def describe(self) -> str:
        return f"{self.workers} local worker{'s' * (self.workers != 1)}"

    def run(self, zip_path: Path, submissions: dict[str, Path], manifest: list[dict], timeout: float):
        """Yields (submission id, Grading) as each finishes."""
        _STOPPING.clear()
        self.pool = ThreadPoolExecutor(max_workers=self.workers)
        futures = {self.pool.submit(grade_submission, zip_path, folder, manifest, timeout): key
                   for key, folder in submissions.items()}
        for future in as_completed(futures):
            yield futures[future], future.result()
        self.pool.shutdown()

    def stop(self) -> int:
        """Cancel what is queued and stop the running judges; returns once their roots are removed."""
        if self.pool is None:
            return 0
        self.pool.shutdown(wait=False, cancel_futures=True)
        stopped = stop_running_judges()
        self.pool.shutdown(wait=True)
        return stopped

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _files_of(folder: Path) -> dict[str, bytes]:
    """A staged submission's files (regular files only, see export) by relative path, to send with its task."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def grade_sent_files(zip_bytes: bytes, files: dict[str, bytes], manifest: list[dict], timeout: float) -> Grading:
    """On a Dask worker: the zip and the submission's files arrive as bytes; grade them as `grade_submission` does."""
    with tempfile.TemporaryDirectory(prefix=f"{ROOT_PREFIX}{os.getpid()}-sent-") as folder:
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


class ClusterRefused(Exception):
    """The Dask cluster cannot be used; the message says what to do."""


PLAIN_TCP_REFUSED = (
    "a Dask cluster runs every task as root: the kit joins one only over TLS with certificates, which stop anyone "
    "else on the network (or the machine) from running code there. Start the scheduler and workers with "
    "--tls-ca-file, --tls-cert and --tls-key (see README, 'Grading a whole export', Dask), then give "
    "SCHEDULER=tls://host:port and the client's certificate: TLS_CA=… TLS_CERT=… TLS_KEY=… "
    "(--tls-ca-file/--tls-cert/--tls-key), or Dask's configuration distributed.comm.tls.{ca-file,client.cert,client.key}")


def temporary_security(folder: Path):
    """A throwaway certificate authority and one certificate it signs, for the scheduler, workers and client alike.

    Dask's Security.temporary() needs the `cryptography` package, which the kit's pinned environment lacks; the
    openssl command makes the same: every endpoint must show a certificate this run's CA signed, and the key stays
    in a folder only root reads.
    """
    from distributed.security import Security

    key, certificate = folder / "key.pem", folder / "cert.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                           "-nodes", "-days", "7", "-subj", "/CN=rnnkit-bulk", "-addext", "subjectAltName=IP:127.0.0.1",
                           "-keyout", str(key), "-out", str(certificate)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if made.returncode != 0:
        raise ClusterRefused(f"could not make the local cluster's TLS certificate with openssl: {made.stderr.strip()[:300]}")
    key.chmod(0o600)
    return Security(require_encryption=True, tls_ca_file=str(certificate),
                    **{f"tls_{role}_{part}": str(path) for role in ("client", "scheduler", "worker")
                       for part, path in (("cert", certificate), ("key", key))})


def given_security(ca_file: Path | None, certificate: Path | None, key: Path | None):
    """The client's TLS from the command line, or from Dask's configuration; refused when neither gives all three."""
    from distributed.security import Security

    if ca_file or certificate or key:
        if not (ca_file and certificate and key):
            raise ClusterRefused("give all three of --tls-ca-file, --tls-cert and --tls-key (TLS_CA, TLS_CERT, TLS_KEY)")
        security = Security(require_encryption=True, tls_ca_file=str(ca_file), tls_client_cert=str(certificate),
                            tls_client_key=str(key))
    else:
        security = Security(require_encryption=True)
    if not (security.tls_ca_file and security.tls_client_cert):
        raise ClusterRefused("no TLS certificate for the client: " + PLAIN_TCP_REFUSED)
    return security


def kit_facts() -> dict:
    """On a worker (or the scheduler): what the kit needs of it. Importing this module at all means the kit is on its path.
    Also readies a long-lived worker to grade again after a stopped run."""
    from autograder.package.check import pins_of

    _STOPPING.clear()
    pins = pins_of(Path(__file__).resolve().parents[1] / "requirements.txt")
    installed = {}
    for name in pins:
        try:
            installed[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed[name] = None
    return {"euid": os.geteuid(), "python": platform.python_version(), "pins": pins, "installed": installed}


def check_cluster(client, address: str) -> None:
    """Refuse, saying what to do, unless the scheduler and every worker run the kit, with this machine's pins, as root."""
    here = kit_facts()
    start = ("start it with the kit on its Python path, from the kit's environment, as root: "
             "PYTHONPATH=<this kit> <this kit>/.venv/bin/dask …")
    try:
        client.run_on_scheduler(kit_facts)
    except Exception as error:
        raise ClusterRefused(f"the scheduler at {address} cannot run the kit's code ({type(error).__name__}: "
                             f"{str(error)[:200]}); {start}") from None
    facts = client.run(kit_facts, on_error="return")
    if not facts:
        raise ClusterRefused(f"the scheduler at {address} has no workers: start some ({start})")
    problems = []
    for worker, fact in sorted(facts.items()):
        if isinstance(fact, BaseException):
            problems.append(f"{worker} cannot import the kit ({type(fact).__name__}: {str(fact)[:200]})")
            continue
        if fact["euid"] != 0:
            problems.append(f"{worker} runs as uid {fact['euid']}, not root: the sandbox needs root to run student code "
                            "as users of its own")
        differ = sorted(name for name in {**here["installed"], **fact["installed"]}
                        if here["installed"].get(name) != fact["installed"].get(name))
        if fact["pins"] != here["pins"] or fact["python"] != here["python"] or differ:
            shown = ", ".join(f"{name} {fact['installed'].get(name)} (here {here['installed'].get(name)})" for name in differ)
            problems.append(f"{worker} has other pins than this kit (Python {fact['python']}, here {here['python']}"
                            + (f"; {shown}" if shown else "") + "): give it the same environment (`make venv`)")
    if problems:
        raise ClusterRefused("; ".join(problems) + f". Workers need this kit's code and environment, as root: {start}")


class DaskRunner:
    """Gradings on a Dask cluster, always over TLS: `tls://host:port` (a running scheduler whose workers have the kit,
    with the client certificate given) or `local:N` (a LocalCluster of N single-threaded worker processes here, on
    127.0.0.1, with a throwaway certificate only this run holds)."""

    def __init__(self, scheduler: str, ca_file: Path | None = None, certificate: Path | None = None, key: Path | None = None):
        import dask
        from dask.distributed import Client, LocalCluster

        self.cluster, self.scheduler, self.pending = None, scheduler, {}
        self.folder = Path(tempfile.mkdtemp(prefix="rnnkit-dask-"))  # certificates and the scratch space, root's alone
        self.scratch = dask.config.set({"temporary-directory": str(self.folder)})  # not /tmp/dask-scratch-space
        try:
            if scheduler.startswith("local:"):
                security = temporary_security(self.folder)
                # memory_limit=0: the judge's memory is its own subprocesses', which the sandbox limits; the worker's is small
                self.cluster = LocalCluster(n_workers=int(scheduler.split(":", 1)[1]), threads_per_worker=1, processes=True,
                                            memory_limit=0, dashboard_address=None, host="127.0.0.1", protocol="tls://",
                                            security=security, local_directory=str(self.folder))
                self.client = Client(self.cluster, security=security)
            elif scheduler.startswith("tls://"):
                security = given_security(ca_file, certificate, key)
                try:
                    self.client = Client(scheduler, security=security, timeout=30)
                except (OSError, TimeoutError) as error:
                    raise ClusterRefused(f"the scheduler at {scheduler} does not answer over TLS with these certificates "
                                         f"({type(error).__name__}: {str(error)[:200]})") from None
            else:
                raise ClusterRefused(f"{scheduler}: " + PLAIN_TCP_REFUSED)
            check_cluster(self.client, scheduler)
        except BaseException:
            self.close()
            raise

    def describe(self) -> str:
        workers = len(self.client.scheduler_info()["workers"])
        return f"Dask at {self.scheduler} ({workers} worker{'s' * (workers != 1)})"

    def run(self, zip_path: Path, submissions: dict[str, Path], manifest: list[dict], timeout: float):
        from dask.distributed import as_completed as dask_completed

        zip_bytes = self.client.scatter(zip_path.read_bytes(), broadcast=True)
        self.pending = {self.client.submit(grade_sent_files, zip_bytes, _files_of(folder), manifest, timeout,
                                           key=f"grade-{key}-{time.time_ns()}", pure=False, retries=0): key
                        for key, folder in submissions.items()}
        for future in dask_completed(list(self.pending)):
            key = self.pending.pop(future)
            try:
                grading = future.result()
            except Exception as error:  # a worker lost or killed: this submission only, graded again by a rerun
                message = f"Not graded: its Dask task failed ({type(error).__name__}: {str(error)[:300]})."
                grading = Grading(lost_results(manifest, message), CRASHED, message)
            future.release()  # delivered: a worker lost later must not make the scheduler grade it again
            yield key, grading

    def stop(self) -> int:
        """Cancel what is queued and stop the judges running on the workers."""
        self.client.cancel(list(self.pending), force=True)
        self.pending = {}
        stopped = self.client.run(stop_running_judges, on_error="return")
        return sum(count for count in stopped.values() if isinstance(count, int))

    def close(self) -> None:
        if getattr(self, "client", None) is not None:
            try:  # the roots of judges whose worker was killed during the run, on every machine still in the cluster
                self.client.run(remove_abandoned_roots, on_error="return")
            except Exception:  # noqa: BLE001 - a cluster already gone has nothing left to tidy from here
                pass
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.scratch.__exit__(None, None, None)
        remove_tree(self.folder)


def runner_for(scheduler: str | None, workers: int | None, tls: tuple = (None, None, None)):
    if scheduler:
        return DaskRunner(scheduler, *tls)
    return LocalRunner(workers or default_workers())


__all__ = ["Grading", "grade_submission", "runner_for", "ClusterRefused", "PLAIN_TCP_REFUSED", "default_workers",
           "bundle_facts", "lost_results", "GRADED", "TIMED_OUT", "CRASHED", "UNREADABLE", "MISSING"]
