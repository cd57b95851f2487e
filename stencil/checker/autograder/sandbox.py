"""Run untrusted code in a child process the judge can always stop and always survive.

The child (child/runner.py) gets a private work directory with its job and inputs,
runs as an unprivileged user id of its own when the judge is root (as on Gradescope),
in its own session and process group, with limits on CPU seconds, wall time,
memory (a watchdog sums the anonymous memory of its whole process tree), processes,
file size and captured output. Afterwards every process it started is killed, and
only data comes back: arrays from an .npz read without pickle, and JSON.
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil

CHILD_CODE = Path(__file__).parent / "child"
SANDBOX_USERS = range(61000, 65000)  # unnamed user ids that own no file; one per running judge
POLL_SECONDS = 0.1
OUTPUT_KEEP_BYTES = 4000  # of the child's printing, kept from the start and from the end
MAX_RESULT_BYTES = 200_000_000


@dataclass(frozen=True)
class Limits:
    cpu_seconds: float
    wall_seconds: float
    memory_mb: float
    threads: int = 1
    max_processes: int = 256  # per user, threads included; only enforced for the sandbox user
    max_file_mb: int = 256


@dataclass
class ChildRun:
    """What came back from one child, and how it ended."""

    outputs: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)
    ending: str = "finished"  # finished | wall-time | cpu-time | memory | killed | exited
    returncode: int | None = None
    printed: str = ""  # head and tail of what the child printed
    printed_bytes: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_memory_mb: float = 0.0


def _sandbox_ids():
    """A user and group id no running process has, or None when we are not root.

    Its own id lets the judge find and kill everything the child started, even what
    left its session, without touching another judge's children running at the same time.
    """
    if os.geteuid() != 0:
        return None
    busy = set()
    for process in psutil.process_iter(["uids"]):
        try:
            busy.add(process.info["uids"].real)
        except (psutil.Error, AttributeError):
            pass
    offset = secrets.randbelow(len(SANDBOX_USERS))  # two judges starting together rarely pick alike
    for index in range(len(SANDBOX_USERS)):
        uid = SANDBOX_USERS[(offset + index) % len(SANDBOX_USERS)]
        if uid not in busy:
            return uid, uid
    raise RuntimeError("no free sandbox user id")


def ensure_reachable(path: Path) -> None:
    """Let the sandbox user traverse to `path` (adds o+x, never o+r, to each folder above it).

    On Gradescope the interpreter is in /usr and reachable already; a developer's
    interpreter may live under a private home such as /root.
    """
    for folder in reversed(Path(path).resolve().parents):
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            print(f"sandbox: letting other users traverse {folder} (o+x) to reach the Python interpreter", file=sys.stderr)
            folder.chmod(mode | stat.S_IXOTH)


class _OutputCollector(threading.Thread):
    """Drains the child's stdout+stderr so it never blocks, keeping only the head and the tail."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream, self.head, self.tail, self.total = stream, b"", b"", 0

    def run(self):
        while chunk := self.stream.read(65536):
            self.total += len(chunk)
            if len(self.head) < OUTPUT_KEEP_BYTES:
                self.head += chunk[: OUTPUT_KEEP_BYTES - len(self.head)]
            self.tail = (self.tail + chunk)[-OUTPUT_KEEP_BYTES:]

    def text(self):
        if self.total <= 2 * OUTPUT_KEEP_BYTES:
            kept = (self.head + self.tail[len(self.tail) - (self.total - len(self.head)):]) if self.total > len(self.head) else self.head
            return kept.decode("utf-8", "replace")
        skipped = self.total - 2 * OUTPUT_KEEP_BYTES
        return self.head.decode("utf-8", "replace") + f"\n[… {skipped:,} bytes of output skipped …]\n" + self.tail.decode("utf-8", "replace")


def _tree(process: psutil.Process, ids):
    """The child and everything it started, including processes that left its group or session.

    As root the child has a user id of its own, which every process it starts keeps,
    so one scan by user id finds them all; otherwise we follow parent links.
    """
    if ids is None:
        try:
            return [process] + process.children(recursive=True)
        except psutil.Error:
            return [process]
    found = []
    for member in psutil.process_iter(["uids"]):
        try:
            if member.info["uids"].real == ids[0]:
                found.append(member)
        except (psutil.Error, AttributeError):
            pass
    return found


def anonymous_mb(members) -> float:
    """Memory the processes hold that the kernel cannot reclaim: heap and shared memory, not mapped libraries.

    TensorFlow maps some 300 MB of library code that counts as resident but can be dropped
    and re-read under memory pressure, so only anonymous memory is measured against the cap.
    """
    total = 0
    for member in members:
        try:
            with open(f"/proc/{member.pid}/status") as status:
                fields = dict(line.split(":", 1) for line in status if line.startswith(("RssAnon", "RssShmem")))
            total += sum(int(value.split()[0]) for value in fields.values()) * 1024
        except (OSError, ValueError):
            try:
                total += member.memory_info().rss
            except psutil.Error:
                pass
    return total / 2**20


def _kill_all(pgid: int, members) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for member in members:
        try:
            member.kill()
        except psutil.Error:
            pass


def _limit_resources(limits: Limits, sandboxed: bool):
    def apply():  # runs in the child between fork and exec, already as the sandbox user
        cpu = int(limits.cpu_seconds)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        size = limits.max_file_mb * 2**20
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        if sandboxed:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))
        try:  # if the container runs out of memory, the kernel kills the child, not the judge
            with open("/proc/self/oom_score_adj", "w") as file:
                file.write("1000")
        except OSError:
            pass
    return apply


def _read_results(out_dir: Path, run: ChildRun) -> None:
    outputs, report = out_dir / "outputs.npz", out_dir / "report.json"
    try:
        if outputs.is_file() and not outputs.is_symlink() and outputs.stat().st_size < MAX_RESULT_BYTES:
            with np.load(outputs, allow_pickle=False) as data:
                run.outputs = {name: data[name] for name in data.files}
        if report.is_file() and not report.is_symlink() and report.stat().st_size < 5_000_000:
            loaded = json.loads(report.read_text())
            run.report = loaded if isinstance(loaded, dict) else {}
    except Exception as error:  # a child may leave anything behind; it only loses its own answers
        run.report = {"unreadable": f"{type(error).__name__}: {error}"}
        run.outputs = {}


def run_child(job: dict, arrays: dict, limits: Limits) -> ChildRun:
    """Run child/runner.py on `job` (JSON) and `arrays`, within `limits`; always returns."""
    ids = _sandbox_ids()
    if ids is not None:  # the interpreter, the virtual environment's packages and the standard library
        for path in (Path(sys.executable).resolve(), Path(sys.prefix) / "lib", Path(sys.base_prefix) / "lib"):
            ensure_reachable(path)
    workdir = Path(tempfile.mkdtemp(prefix="rnnkit-child-"))
    try:
        workdir.chmod(0o755)
        for name in ("runner.py", "probes.py"):
            shutil.copy(CHILD_CODE / name, workdir / name)
        (workdir / "job.json").write_text(json.dumps(job))
        np.savez(workdir / "inputs.npz", **arrays)
        out_dir = workdir / "out"
        out_dir.mkdir(mode=0o700)
        for path in workdir.iterdir():
            path.chmod(0o700 if path == out_dir else 0o644)
        if ids is not None:
            ensure_reachable(workdir)
            os.chown(out_dir, *ids)
        return _supervise(workdir, out_dir, limits, ids)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _child_environment(out_dir: Path, limits: Limits) -> dict:
    threads = str(limits.threads)
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(out_dir),
        "TMPDIR": str(out_dir),
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(out_dir),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "MALLOC_ARENA_MAX": "2",  # fewer per-thread malloc arenas: less resident memory for TensorFlow
        "CUDA_VISIBLE_DEVICES": "",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "TF_NUM_INTRAOP_THREADS": threads,
        "TF_NUM_INTEROP_THREADS": threads,
        "OMP_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        **{key: os.environ[key] for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG") if key in os.environ},
    }


def _supervise(workdir: Path, out_dir: Path, limits: Limits, ids) -> ChildRun:
    run = ChildRun()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    process = subprocess.Popen(
        [sys.executable, "-I", str(workdir / "runner.py"), str(workdir)],
        cwd=out_dir,
        env=_child_environment(out_dir, limits),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        user=ids[0] if ids else None,
        group=ids[1] if ids else None,
        extra_groups=[] if ids else None,
        preexec_fn=_limit_resources(limits, ids is not None),
    )
    collector = _OutputCollector(process.stdout)
    collector.start()
    watched = psutil.Process(process.pid)
    members = [watched]
    while process.poll() is None:
        members = _tree(watched, ids)
        memory = anonymous_mb(members)
        run.peak_memory_mb = max(run.peak_memory_mb, memory)
        if memory > limits.memory_mb:
            run.ending = "memory"
        elif time.time() - started > limits.wall_seconds:
            run.ending = "wall-time"
        if run.ending != "finished":
            _kill_all(process.pid, members)
            break
        time.sleep(POLL_SECONDS)
    process.wait()
    run.wall_seconds = time.time() - started
    _kill_all(process.pid, _tree(watched, ids) + members)  # whatever it left behind
    collector.join(timeout=5)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    run.returncode = process.returncode
    if run.ending == "finished" and process.returncode != 0:
        if process.returncode == -signal.SIGXCPU or (process.returncode == -signal.SIGKILL and run.cpu_seconds >= limits.cpu_seconds - 1):
            run.ending = "cpu-time"
        else:
            run.ending = "killed" if process.returncode < 0 else "exited"
    run.printed, run.printed_bytes = collector.text(), collector.total
    _read_results(out_dir, run)
    return run
