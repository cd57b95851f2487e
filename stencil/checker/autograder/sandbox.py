"""Run untrusted code in a child process the judge can always stop, always survive and always clean up after.

The child (child/runner.py) gets a private work folder holding its job and inputs,
readable only by its own group. As root (as on Gradescope) it runs under a user and
group id of its own, with no new privileges, its `oom_score_adj` at 1000 (set before
the ids drop, then checked by the judge), limits on CPU seconds, wall time, processes
and file size, and a memory limit: a cgroup of its own where the kernel offers one
(it counts heap, memfd, tmpfs and page cache alike), else a watchdog that sums the
memory of every process of its user id. Its CPU is counted for all its processes
together (by that cgroup, else by a scan of its processes at each poll) and capped
part by part in the judge's order; a cpu cgroup also caps its share of the machine.
When it ends, every process of that id is
killed until none is left, and every file that id owns in the shared temporary
folders is deleted. Only data comes back, read by `child_output` as untrusted.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
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

from autograder import child_output
from autograder.child_output import Refused

CHILD_CODE = Path(__file__).parent / "child"
CHILD_FILES = (CHILD_CODE / "runner.py", CHILD_CODE / "probes.py", Path(__file__).parent / "submission.py")
SANDBOX_USERS = range(61000, 65000)  # unnamed ids that own no file; one per running child
TEMP_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue")  # writable by everyone
POLL_SECONDS = 0.25
OUTPUT_KEEP_BYTES = 4000  # of the child's printing, kept from the start and from the end
OOM_SCORE_ADJ = 1000  # if the container runs out of memory, the kernel kills the child, never the judge
PR_SET_NO_NEW_PRIVS = 38
CLONE_NEWNET = 0x40000000
PR_SET_CHILD_SUBREAPER = 36
IPC_RMID = 0
_LIBC = ctypes.CDLL(None, use_errno=True)  # resolved before any fork: the child between fork and exec only calls it


@dataclass(frozen=True)
class Limits:
    cpu_seconds: float
    wall_seconds: float
    memory_mb: float
    threads: int = 1
    max_processes: int = 256  # per user, threads included; only enforced for the sandbox user
    max_file_mb: int = 256


@dataclass(frozen=True)
class Stage:
    """Part of one child's work with a budget of its own: the cases it runs, its CPU seconds and its wall seconds.

    The child names the case it starts in out/progress; the judge charges the CPU all the
    child's processes use from then on to that case's stage. The judge keeps the order: a
    child only moves forward through the stages, each stage's count runs from the moment it
    was entered, and the whole child is capped by the sum of the budgets. A child that
    claims a later case early only spends a later part's budget on an earlier part.
    """

    name: str
    cases: frozenset
    cpu_seconds: float
    wall_seconds: float


@dataclass(frozen=True)
class Expect:
    """What the judge accepts back from a child: array names with their most elements, and a report schema."""

    arrays: dict = field(default_factory=dict)
    report_schema: dict = field(default_factory=lambda: {"type": "object"})
    report_bytes: int = 2_000_000
    arrays_bytes: int = 64 * 2**20  # all arrays together: the judge's memory stays bounded whatever the names allow


@dataclass
class ChildRun:
    """What came back from one child, and how it ended."""

    outputs: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)
    ending: str = "finished"  # finished | wall-time | cpu-time | memory | killed | exited
    returncode: int | None = None
    printed: str = ""  # head and tail of what the child printed, control characters removed
    printed_bytes: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_memory_mb: float = 0.0
    memory_guard: str = "watchdog"  # "cgroup v2", "cgroup v1" or "watchdog"
    cpu_guard: str = "process scan"  # what counted its CPU: "cgroup v2", "cgroup v1" or "process scan"
    cpu_quota: float | None = None  # the CPUs all its processes together could use at once, where a cgroup caps them
    oom_score_adj: int | None = None
    network: str = "open"  # "none" when the child got an empty network namespace
    stage: str | None = None  # the stage running when the child was stopped or ended
    stage_cpu_seconds: dict = field(default_factory=dict)  # CPU the judge measured in each stage, all its processes
    uid: int | None = None  # the user id it ran under (root only), for staff and the kit's own tests
    refused: list = field(default_factory=list)  # what the judge would not read, and why


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run here as configured; the message tells the instructor what to do."""


# ---------------------------------------------------------------- who the child is, and what it runs


def _status(pid) -> dict:
    """The fields of /proc/PID/status the judge needs: real uid and state."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("State", "Uid"):
                fields[key] = value.split()
                if len(fields) == 2:
                    break
    return fields


def processes_of(uid: int) -> list[int]:
    """Live (not zombie) processes whose real user id is `uid`, read from /proc/PID/status (which a process cannot fake)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                fields = _status(name)
            except (OSError, ValueError):
                continue
            if int(fields["Uid"][0]) == uid and fields["State"][0] not in "ZX":
                found.append(int(name))
    return found


SANDBOX_ID_LOCKS = Path("/run/rnnkit/sandbox-ids")  # root's alone: one lock file per id, held while a child has it


@contextlib.contextmanager
def _sandbox_ids():
    """A user and group id no process has and no other judge holds, or None when we are not root (no privilege separation).

    Judges grading side by side on one machine (staff's bulk grading) each kill every
    process of their child's id and delete its files: two children sharing an id would
    end each other. So an id is reserved by an exclusive flock on its own lock file,
    held until the child is gone and cleaned up; the kernel drops it if the judge dies.
    """
    if os.geteuid() != 0:
        yield None
        return
    try:
        SANDBOX_ID_LOCKS.mkdir(mode=0o700, parents=True, exist_ok=True)
        SANDBOX_ID_LOCKS.parent.chmod(0o700)
        locking = True
    except OSError:  # a read-only /run: one judge per machine (as on Gradescope) needs no lock to be alone
        locking = False
    busy = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                busy.add(int(_status(name)["Uid"][0]))
            except (OSError, ValueError, KeyError):
                pass
    offset = secrets.randbelow(len(SANDBOX_USERS))  # judges starting together rarely try the same ids first
    for index in range(len(SANDBOX_USERS)):
        uid = SANDBOX_USERS[(offset + index) % len(SANDBOX_USERS)]
        if uid in busy:
            continue
        lock = _lock(uid) if locking else None
        if lock == -1:
            continue
        try:
            if processes_of(uid):  # started since the scan, or left by a judge that died: not ours to take
                continue
            yield uid, uid
            return
        finally:
            if lock is not None:
                os.close(lock)
    raise RuntimeError("no free sandbox user id")


def _lock(uid: int) -> int:
    """A descriptor holding the exclusive lock on `uid`'s lock file, or -1 when another judge holds it."""
    lock = os.open(SANDBOX_ID_LOCKS / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(lock)
        return -1
    return lock


def child_python() -> Path:
    """The interpreter the child runs: this virtual environment's, at the place it really lives."""
    if sys.prefix != sys.base_prefix:
        return Path(sys.prefix).resolve() / "bin" / "python"
    return Path(sys.executable).resolve()


def _library_folder() -> Path:
    return Path(sys.base_prefix).resolve() / "lib"


def _reachable_by_others(path: Path) -> bool:
    try:
        if not all(folder.stat().st_mode & stat.S_IXOTH for folder in path.parents):
            return False
        mode = path.stat().st_mode
        return bool(mode & stat.S_IROTH) and (not stat.S_ISDIR(mode) or bool(mode & stat.S_IXOTH))
    except OSError:
        return False


def check_reachable(workspace: Path) -> None:
    """As root, the sandbox user must reach the interpreter and its libraries, and pass through every folder down to
    its work folder; the kit changes no permission to make it so. A closed one is the judge's set-up to fix, not the
    submission's fault (its runner could not even be opened)."""
    needed = [child_python(), child_python().resolve(), Path(sys.prefix).resolve() / "lib", _library_folder()]
    closed = [str(path) for path in needed if not _reachable_by_others(path)]
    if closed:
        raise SandboxUnavailable(
            "Student code runs as an unprivileged user, who cannot reach this Python environment: "
            f"{', '.join(closed)} (a folder above it is closed to other users). Create the environment with "
            "`make venv`, which puts it where that user can reach it, or run the autograder from an environment "
            "outside private folders such as /root.")
    closed = [str(folder) for folder in (workspace, *workspace.parents) if not folder.stat().st_mode & stat.S_IXOTH]
    if closed:
        raise SandboxUnavailable(f"Student code runs as an unprivileged user, who cannot pass through {', '.join(closed)} "
                                 "to reach its work folder. Give the judge a workspace other users may traverse "
                                 "(mode 0711), as make grade and run_autograder do.")


# ---------------------------------------------------------------- time: CPU seconds are the budget, wall time follows


WALL_SLACK = 1.5  # a child may take this much longer than its CPU budget at the CPU share it is given
STARTUP_SECONDS = 30  # and this much more to start Python and TensorFlow on a cold page cache


def cgroup_cpu_quota() -> float | None:
    """The CPUs this container's cgroup allows (Gradescope gives 0.5), when the cgroup filesystem shows it."""
    try:
        v2 = _mount_point("cgroup2")
        own = _own_cgroup(2)
        if v2 is not None and own is not None and (v2 / own.lstrip("/") / "cpu.max").exists():
            limit, period = (v2 / own.lstrip("/") / "cpu.max").read_text().split()
            return None if limit == "max" else int(limit) / int(period)
        v1 = _mount_point("cgroup", "cpu")
        with open("/proc/self/cgroup") as groups:
            path = next(line.rstrip("\n").split(":", 2)[2] for line in groups if "cpu" in line.split(":")[1].split(","))
        folder = v1 / path.lstrip("/")
        limit, period = int((folder / "cpu.cfs_quota_us").read_text()), int((folder / "cpu.cfs_period_us").read_text())
        return None if limit < 0 else limit / period
    except (OSError, ValueError, StopIteration, TypeError, AttributeError):
        return None


def cpu_share() -> tuple[float, str]:
    """The share of one CPU a single-threaded child can count on now, and how it was known.

    The cgroup's quota when it can be read. A container often cannot see its cgroup
    (no cgroup filesystem inside), yet is throttled all the same; then the share is
    measured: what a 0.3 s spin gets, which also sees a busy machine. Either way the
    wall limits follow it, so a throttled or busy machine never costs a student points.
    """
    quota = cgroup_cpu_quota()
    if quota is not None:
        return min(quota, 1.0), "cgroup quota"
    wall_start, cpu_start = time.monotonic(), time.process_time()
    while time.monotonic() - wall_start < 0.3:
        pass
    measured = (time.process_time() - cpu_start) / (time.monotonic() - wall_start)
    return round(min(max(measured, 0.05), 1.0), 2), "measured"


def wall_allowance(cpu_seconds: float, share: float) -> float:
    """Wall seconds for a budget of CPU seconds, at the share of one CPU a single-threaded child gets."""
    return cpu_seconds / min(max(share, 0.05), 1.0) * WALL_SLACK + STARTUP_SECONDS


# ---------------------------------------------------------------- memory: a cgroup of its own, or a watchdog


def _mount_point(fstype: str, option: str | None = None) -> Path | None:
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            _, point, kind, options = line.split()[:4]
            if kind == fstype and (option is None or option in options.split(",")):
                return Path(point)
    return None


def _own_cgroup(version: int, controller: str = "memory") -> str | None:
    with open("/proc/self/cgroup") as groups:
        for line in groups:
            number, controllers, path = line.rstrip("\n").split(":", 2)
            if (version == 2 and number == "0") or (version == 1 and controller in controllers.split(",")):
                return path
    return None


CGROUP_ROLES = ("memory", "cpuacct", "cpu")  # its memory limit, its CPU count, its CPU quota
CPU_PERIOD_US = 100_000


class _Cgroup:
    """The child's own cgroups: the kernel limits its memory, counts its CPU and caps its CPU share, for all its
    processes together (the exited and the never-waited-for included).

    Each role gets a folder where the kernel allows it: cgroup v2 holds every role in one
    folder (its `cpu.stat` counts CPU even without the cpu controller); v1 has a hierarchy
    per controller (this project's machines mount memory, cpu and cpuacct apart). A role the
    kernel refuses is left to the watchdog (memory) or to the process scan (CPU).
    """

    _made = 0

    def __init__(self):
        self.folders: dict[str, tuple[int, Path]] = {}  # role -> (cgroup version, folder)

    @classmethod
    def create(cls, limit_mb: float, cpus: float) -> "_Cgroup | None":
        cls._made += 1
        group, made = cls(), {}  # mount point -> the folder made there, shared by the roles of one hierarchy
        for role in CGROUP_ROLES:
            for version in (2, 1):
                try:
                    folder = cls._folder(version, role, made)
                    if folder is not None and group._set_up(role, version, folder, int(limit_mb * 2**20), cpus):
                        group.folders[role] = (version, folder)
                        break
                except OSError:  # a controller bound elsewhere, a read-only cgroup filesystem, a parent holding processes
                    continue
        used = {folder for _, folder in group.folders.values()}
        for folder in set(made.values()) - used:
            _remove_cgroup_folder(folder)
        return group if group.folders else None

    @classmethod
    def _folder(cls, version: int, role: str, made: dict) -> Path | None:
        mount = _mount_point("cgroup2") if version == 2 else _mount_point("cgroup", role)
        own = _own_cgroup(version, role)
        if mount is None or own is None:
            return None
        if mount not in made:
            parent = mount / own.lstrip("/")
            cls._remove_stale(parent)
            made[mount] = parent / f"rnnkit-{os.getpid()}-{cls._made}"
            made[mount].mkdir()
        return made[mount]

    @staticmethod
    def _set_up(role: str, version: int, folder: Path, memory_bytes: int, cpus: float) -> bool:
        if version == 2 and role in ("memory", "cpu"):
            control = folder.parent / "cgroup.subtree_control"
            if role not in control.read_text().split():
                control.write_text("+" + role)  # refused where the parent holds processes or v1 has the controller
        quota = str(int(cpus * CPU_PERIOD_US))
        if role == "memory" and version == 2:
            (folder / "memory.max").write_text(str(memory_bytes))
            _try_write(folder / "memory.swap.max", "0")
        elif role == "memory":
            (folder / "memory.limit_in_bytes").write_text(str(memory_bytes))
            _try_write(folder / "memory.memsw.limit_in_bytes", str(memory_bytes))
        elif role == "cpuacct":
            return (folder / ("cpu.stat" if version == 2 else "cpuacct.usage")).is_file()
        elif version == 2:
            (folder / "cpu.max").write_text(f"{quota} {CPU_PERIOD_US}")
        else:
            (folder / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
            (folder / "cpu.cfs_quota_us").write_text(quota)
        return True

    @staticmethod
    def _remove_stale(parent: Path) -> None:
        """A judge killed outright cannot remove its groups; the next judge does, once no process is left in them."""
        for folder in parent.glob("rnnkit-*-*"):
            pid = folder.name.split("-")[1]
            if pid.isdigit() and not psutil.pid_exists(int(pid)):
                try:
                    folder.rmdir()
                except OSError:
                    pass  # a process of the dead judge's child still runs in it: the kernel keeps its limit

    def guard(self, role: str) -> str | None:
        """How the kernel does this role for the judge ("cgroup v1", "cgroup v2"), or None when it does not."""
        return f"cgroup v{self.folders[role][0]}" if role in self.folders else None

    def _read(self, role: str, name: str) -> dict:
        """A flat-keyed file of the role's folder ("key value" lines), or {} when it cannot be read."""
        try:
            return dict(line.split()[:2] for line in (self.folders[role][1] / name).read_text().splitlines())
        except (KeyError, OSError, ValueError):
            return {}

    def join(self) -> None:
        """Called in the child before it drops its ids and before exec: it and all it starts are in the groups."""
        for folder in {folder for _, folder in self.folders.values()}:
            with open(folder / "cgroup.procs", "w") as procs:
                procs.write(str(os.getpid()))

    def pids(self) -> list[int]:
        found = set()
        for _, folder in self.folders.values():
            try:
                found.update(int(line) for line in (folder / "cgroup.procs").read_text().split())
            except OSError:
                pass
        return sorted(found)

    def own_memory_mb(self) -> float:
        """Heap and shared memory (memfd, tmpfs) of the group: what the program holds, page cache aside."""
        values = self._read("memory", "memory.stat")
        keys = ("anon", "shmem") if self.folders["memory"][0] == 2 else ("total_rss", "total_shmem")
        return sum(int(values.get(key, 0)) for key in keys) / 2**20

    def cpu_seconds(self) -> float:
        """The CPU every process of the group used since it began, those that ended included."""
        if self.folders["cpuacct"][0] == 2:
            return int(self._read("cpuacct", "cpu.stat").get("usage_usec", 0)) / 1e6
        try:
            return int((self.folders["cpuacct"][1] / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError):
            return 0.0

    def oom_killed(self) -> bool:
        if "memory" not in self.folders:
            return False
        version, folder = self.folders["memory"]
        values = self._read("memory", "memory.events" if version == 2 else "memory.oom_control")
        if "oom_kill" in values:
            return int(values["oom_kill"]) > 0
        try:
            return version == 1 and int((folder / "memory.failcnt").read_text() or 0) > 0
        except (OSError, ValueError):
            return False

    def kill(self) -> None:
        for version, folder in self.folders.values():
            if version == 2:
                _try_write(folder / "cgroup.kill", "1")

    def remove(self) -> None:
        for folder in {folder for _, folder in self.folders.values()}:
            _remove_cgroup_folder(folder)


def _try_write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError:
        pass  # swap accounting is off (there is no swap to limit), or an older kernel has no cgroup.kill


def _remove_cgroup_folder(folder: Path) -> None:
    for _ in range(50):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:  # its last processes are still leaving
            time.sleep(0.02)


_TICKS = os.sysconf("SC_CLK_TCK")


class _ProcessMeter:
    """Where no cgroup counts the child's CPU: every process of the child at each poll, and what each one reaped.

    A process's own time (/proc/PID/stat: utime and stime, all its threads) is kept from the
    last poll that saw it, so a helper that ends unwaited-for, or is reaped by the kernel, keeps
    what it had used by then. The time of children a process reaped (cutime and cstime) counts
    too, less what the meter already saw of those children: a helper born and reaped between
    two polls is caught in its reaper. What escapes: a process's last poll interval, when it is
    reaped by no one the meter sees.
    """

    name = "process scan"

    def __init__(self):
        self.seen: dict[tuple, tuple] = {}  # (pid, start) -> (its parent's (pid, start), own ticks, reaped ticks)

    def cpu_seconds(self, pids) -> float:
        read = {}
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                read[pid] = (int(fields[19]), int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14]))
            except (OSError, IndexError, ValueError):
                continue
        live = {(pid, start) for pid, (start, *_) in read.items()}
        for pid, (start, parent, own, reaped) in read.items():  # a parent known by its start too: pids are reused
            self.seen[(pid, start)] = ((parent, read[parent][0] if parent in read else None), own, reaped)
        seen_reaped = {}  # a parent -> what its ended children had used when last seen
        for key, (parent, own, reaped) in self.seen.items():
            if key not in live:
                seen_reaped[parent] = seen_reaped.get(parent, 0) + own + reaped
        ticks = sum(own + max(0, reaped - seen_reaped.get(key, 0)) for key, (_, own, reaped) in self.seen.items())
        return ticks / _TICKS


class _Watchdog:
    """Where no cgroup can be made: sums what the child's processes hold, including memfd and tmpfs files."""

    name = "watchdog"

    def __init__(self, uid: int | None, tmpfs_folders: list[str]):
        self.uid, self.tmpfs_folders, self.polls = uid, tmpfs_folders, 0
        self.tmpfs_mb = 0.0

    def memory_mb(self, pids) -> float:
        total, memfds = 0, {}
        for pid in pids:
            try:
                with open(f"/proc/{pid}/status") as status:
                    total += sum(int(line.split()[1]) * 1024 for line in status if line.startswith(("RssAnon", "RssShmem")))
                for descriptor in os.listdir(f"/proc/{pid}/fd"):
                    link = f"/proc/{pid}/fd/{descriptor}"
                    if os.readlink(link).startswith("/memfd:"):
                        info = os.stat(link)
                        memfds[(info.st_dev, info.st_ino)] = info.st_blocks * 512
            except (OSError, ValueError, IndexError):
                continue
        self.polls += 1
        if self.uid is not None and self.polls % 4 == 1:  # files in tmpfs are memory too; count them once a second
            self.tmpfs_mb = sum(_bytes_owned(folder, self.uid) for folder in self.tmpfs_folders) / 2**20
        return (total + sum(memfds.values())) / 2**20 + self.tmpfs_mb


def _tmpfs_temp_folders() -> list[str]:
    with open("/proc/self/mounts") as mounts:
        tmpfs = {line.split()[1] for line in mounts if line.split()[2] == "tmpfs"}
    return [folder for folder in TEMP_FOLDERS if folder in tmpfs]


def _entries_below(folders, descend, most_entries: int = 100_000):
    """(entry, stat) of everything in `folders` and in the subfolders `descend(stat)` admits, walked without
    recursion: a child may build a tree deeper than Python's stack."""
    pending, seen = list(folders), 0
    while pending and seen < most_entries:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            yield entry, info
            if stat.S_ISDIR(info.st_mode) and descend(info):
                pending.append(entry.path)


def _owned_entries(folder: str, uid: int):
    """Entries owned by `uid` in a shared writable folder and in the shared writable folders below it."""
    shared = lambda info: info.st_uid != uid and info.st_mode & stat.S_IWOTH  # noqa: E731
    return [(entry, info) for entry, info in _entries_below([folder], shared) if info.st_uid == uid]


def _bytes_owned(folder: str, uid: int) -> int:
    """Bytes the child's files take in `folder`, its own folders' contents included."""
    owned = _owned_entries(folder, uid)
    inside = _entries_below([entry.path for entry, info in owned if stat.S_ISDIR(info.st_mode)], lambda info: True)
    return sum(info.st_blocks * 512 for _, info in [*owned, *inside])


def remove_tree(path) -> None:
    """Delete a tree whatever its depth (shutil.rmtree recurses, and a child may build a tree deeper than Python's stack)."""
    subprocess.run(["rm", "-rf", "--", str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)


# ---------------------------------------------------------------- ending everything the child started


def _kill_every_process_of(uid: int, gid: int) -> None:
    """kill(-1) from a helper running as `uid`: one signal to every process of that id, which none can dodge by forking."""
    helper = os.fork()
    if helper == 0:
        try:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(helper, 0)


def _reap(pids) -> None:
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def _remove_files_of(uid: int) -> list[str]:
    """Delete what `uid` left in the shared temporary folders and System V IPC; the paths removed."""
    removed = []
    for folder in TEMP_FOLDERS:
        for entry, info in _owned_entries(folder, uid):
            remove_tree(entry.path)
            removed.append(entry.path)
    removed += _remove_ipc_of(uid)
    return removed


def _remove_ipc_of(uid: int) -> list[str]:
    """Shared memory segments and message queues outlive their processes: remove the child's."""
    removers = {"shm": lambda ipc_id: _LIBC.shmctl(ipc_id, IPC_RMID, None),
                "msg": lambda ipc_id: _LIBC.msgctl(ipc_id, IPC_RMID, None),
                "sem": lambda ipc_id: _LIBC.semctl(ipc_id, 0, IPC_RMID)}
    removed = []
    for table, remove in removers.items():
        try:
            header, *rows = Path(f"/proc/sysvipc/{table}").read_text().splitlines()
        except (OSError, ValueError):
            continue
        columns = header.split()  # key, then the id column (shmid, msqid, semid), ..., uid, ...
        for row in rows:
            fields = dict(zip(columns, row.split()))
            if int(fields.get("uid", -1)) == uid and remove(int(fields[columns[1]])) == 0:
                removed.append(f"System V {table} {fields[columns[1]]}")
    return removed


# ---------------------------------------------------------------- the child process


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
            return child_output.printable(kept.decode("utf-8", "replace"))
        skipped = self.total - 2 * OUTPUT_KEEP_BYTES
        return child_output.printable(self.head.decode("utf-8", "replace") + f"\n[… {skipped:,} bytes of output skipped …]\n"
                                      + self.tail.decode("utf-8", "replace"))


def _prepare_child(limits: Limits, ids, cgroup: _Cgroup | None):
    """Runs in the child between fork and exec, still as the judge's user: everything that needs privileges first."""
    def prepare():
        with open("/proc/self/oom_score_adj", "w") as file:
            file.write(str(OOM_SCORE_ADJ))
        if cgroup is not None:
            cgroup.join()
        cpu = int(limits.cpu_seconds)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        size = limits.max_file_mb * 2**20
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        if ids is not None:
            _LIBC.unshare(CLONE_NEWNET)  # a network of its own, with nothing in it; refused without CAP_SYS_ADMIN
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))
            _LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  # setuid programs give it nothing
            os.setgroups([])
            os.setresgid(ids[1], ids[1], ids[1])
            os.setresuid(ids[0], ids[0], ids[0])
    return prepare


def _child_environment(out_dir: Path, limits: Limits) -> dict:
    threads = str(limits.threads)
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(out_dir),
        "TMPDIR": str(out_dir),
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(out_dir),
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
    if any(_library_folder().glob("libpython*.so*")):  # a shared-library Python whose run path may be closed to others
        environment["LD_LIBRARY_PATH"] = str(_library_folder())
    return environment


def _lay_out(workdir: Path, job: dict, arrays: dict, files: dict, ids) -> Path:
    """The child's folder: code, job and inputs readable by its group only; out/ its own to write."""
    for path in CHILD_FILES:
        shutil.copy(path, workdir / path.name)
    (workdir / "job.json").write_text(json.dumps(job))
    np.savez(workdir / "inputs.npz", **arrays)
    for name, content in files.items():
        if (workdir / name).exists():
            raise ValueError(f"{name} would replace the child's own code")
        (workdir / name).write_bytes(content)
    out_dir = workdir / "out"
    out_dir.mkdir(mode=0o700)
    if ids is not None:
        for path in workdir.iterdir():
            os.chown(path, 0, ids[1])
            path.chmod(0o640)
        os.chown(out_dir, *ids)
        out_dir.chmod(0o700)
        os.chown(workdir, 0, ids[1])
        workdir.chmod(0o750)
    return out_dir


def run_child(job: dict, arrays: dict, limits: Limits, *, workspace: Path | None = None, expect: Expect = Expect(),
              files: dict | None = None, stages: list[Stage] | None = None) -> ChildRun:
    """Run child/runner.py on `job` (JSON), `arrays` and `files` (bytes) within `limits`; always returns.

    `workspace` is a folder of the judge's own (traversable, not writable, by others) for the child's work folder.
    `stages` give parts of the work budgets of their own; `limits` then caps the whole.
    """
    with _sandbox_ids() as ids:
        if ids is not None:
            check_reachable(Path(workspace or tempfile.gettempdir()))
        workdir = Path(tempfile.mkdtemp(prefix="child-", dir=workspace))
        cgroup = _Cgroup.create(limits.memory_mb, limits.threads)
        supervision = None
        try:
            out_dir = _lay_out(workdir, job, arrays, files or {}, ids)
            supervision = _Supervision(workdir, out_dir, limits, ids, cgroup, stages or [])
            run = supervision.run()
            run.uid = ids[0] if ids else None
            _read_results(out_dir, run, ids, expect)  # a child stopped late keeps the answers it saved before
            return run
        except BaseException:  # the judge told to stop (KeyboardInterrupt) mid-run: its child ends before the cleanup below
            if supervision is not None and supervision.process is not None:
                supervision.end_everything(supervision.process)
            raise
        finally:
            if ids is not None:
                _remove_files_of(ids[0])
            if cgroup is not None:
                cgroup.remove()
            remove_tree(workdir)


class _Supervision:
    """One child from start to the last of its processes: limits, watch, end, reap."""

    MOST_IGNORED_PROGRESS = 5  # records of a progress the judge ignored, per child

    def __init__(self, workdir: Path, out_dir: Path, limits: Limits, ids, cgroup: _Cgroup | None, stages: list[Stage]):
        self.workdir, self.out_dir, self.limits, self.ids, self.cgroup = workdir, out_dir, limits, ids, cgroup
        self.stages = stages or [Stage("all", frozenset(), limits.cpu_seconds, limits.wall_seconds)]
        self.watchdog = None if cgroup and cgroup.guard("memory") else _Watchdog(ids[0] if ids else None, _tmpfs_temp_folders())
        self.process_meter = None if cgroup and cgroup.guard("cpuacct") else _ProcessMeter()
        self.run_record = ChildRun(memory_guard=cgroup and cgroup.guard("memory") or self.watchdog.name,
                                   cpu_guard=cgroup and cgroup.guard("cpuacct") or _ProcessMeter.name,
                                   cpu_quota=float(limits.threads) if cgroup and cgroup.guard("cpu") else None)
        self.ignored_progress: set = set()
        self.process = None

    def members(self) -> list[int]:
        """Every live process of the child: by its user id as root, else the judge's descendants (it reaps orphans)."""
        found = set(processes_of(self.ids[0])) if self.ids is not None else set()
        if self.ids is None:
            for child in psutil.Process().children(recursive=True):
                try:
                    if child.status() != psutil.STATUS_ZOMBIE:
                        found.add(child.pid)
                except psutil.Error:
                    pass
        if self.cgroup is not None:
            found.update(self.cgroup.pids())
        return sorted(found)

    def scanned(self) -> list[int]:
        """The members, where the watchdog or the process meter needs them (a cgroup needs no scan of the machine)."""
        return self.members() if self.watchdog is not None or self.process_meter is not None else []

    def memory_mb(self, members) -> float:
        return self.cgroup.own_memory_mb() if self.watchdog is None else self.watchdog.memory_mb(members)

    def cpu_seconds(self, members) -> float:
        """CPU all the child's processes have used: the kernel's count for its cgroup, else the process scan's."""
        return self.cgroup.cpu_seconds() if self.process_meter is None else self.process_meter.cpu_seconds(members)

    def next_stage(self, index: int) -> int:
        """The stage of the case the child says it has started, when that stage comes after `index` in the judge's order.

        A progress naming an earlier stage, or no case of the job, is ignored (and recorded):
        a stage is entered once, so its count never starts over.
        """
        try:
            file = child_output.open_regular(self.out_dir / "progress", self.ids[0] if self.ids else None, 200)
        except Refused:
            return index
        if file is None:
            return index
        with file:
            case = file.read(200).decode("utf-8", "replace").strip()
        named = next((number for number, stage in enumerate(self.stages) if case in stage.cases), None)
        if case and (named is None or named < index):
            what = f"went back to the {self.stages[named].name} part" if named is not None else "named no case of its job"
            record = f"out/progress {what} during the {self.stages[index].name} part: ignored"
            if record not in self.ignored_progress and len(self.ignored_progress) < self.MOST_IGNORED_PROGRESS:
                self.ignored_progress.add(record)
                self.run_record.refused.append(record)
        return named if named is not None and named > index else index

    def charge(self, index: int, cpu_seconds: float) -> None:
        name = self.stages[index].name
        self.run_record.stage_cpu_seconds[name] = self.run_record.stage_cpu_seconds.get(name, 0.0) + max(0.0, cpu_seconds)

    def run(self) -> ChildRun:
        run, limits = self.run_record, self.limits
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        process = subprocess.Popen(
            [str(child_python()), "-I", "-B", str(self.workdir / "runner.py"), str(self.workdir)],
            cwd=self.out_dir, env=_child_environment(self.out_dir, limits), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_prepare_child(limits, self.ids, self.cgroup))
        self.process = process
        collector = _OutputCollector(process.stdout)
        collector.start()
        run.oom_score_adj = _read_oom_score_adj(process.pid)
        run.network = "none" if _own_network(process.pid) else "open"
        index, stage_cpu, stage_started = 0, 0.0, started
        while process.poll() is None:
            members = self.scanned()
            memory = self.memory_mb(members)
            run.peak_memory_mb = max(run.peak_memory_mb, memory)
            now, cpu = time.monotonic(), self.cpu_seconds(members)
            if len(self.stages) > 1 and (following := self.next_stage(index)) != index:
                self.charge(index, cpu - stage_cpu)
                index, stage_cpu, stage_started = following, cpu, now
            stage = self.stages[index]
            if memory > limits.memory_mb:
                run.ending = "memory"
            elif cpu - stage_cpu > stage.cpu_seconds or cpu > limits.cpu_seconds:  # the stage's budget, then the whole child's
                run.ending = "cpu-time"
            elif now - stage_started > stage.wall_seconds or now - started > limits.wall_seconds:
                run.ending = "wall-time"
            if run.ending != "finished":
                break
            time.sleep(POLL_SECONDS)
        if len(self.stages) > 1 and (following := self.next_stage(index)) != index:
            cpu = self.cpu_seconds(self.scanned())
            self.charge(index, cpu - stage_cpu)
            index, stage_cpu = following, cpu
        run.stage = self.stages[index].name
        self.end_everything(process)
        run.wall_seconds = time.monotonic() - started
        collector.join(timeout=5)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)  # the runner and the orphans the judge reaped
        run.cpu_seconds = max(self.cpu_seconds([]), reaped)  # none of its processes is left
        run.returncode = process.returncode
        self.charge(index, run.cpu_seconds - stage_cpu)
        if self.cgroup is not None and self.cgroup.oom_killed():
            run.ending = "memory"
            run.peak_memory_mb = max(run.peak_memory_mb, limits.memory_mb)
        elif run.ending == "finished" and process.returncode != 0:
            if process.returncode == -signal.SIGXCPU or (process.returncode == -signal.SIGKILL and run.cpu_seconds >= limits.cpu_seconds - 1):
                run.ending = "cpu-time"
            else:
                run.ending = "killed" if process.returncode < 0 else "exited"
        run.printed, run.printed_bytes = collector.text(), collector.total
        return run

    def end_everything(self, process) -> None:
        """Kill until no process of the child is left (a process that forks anew at every hop is caught too), then reap."""
        for attempt in range(200):
            pids = [pid for pid in self.members() if pid != os.getpid()]
            if process.poll() is None:
                pids.append(process.pid)
            if not pids:
                break
            if self.ids is not None:
                _kill_every_process_of(*self.ids)
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if self.cgroup is not None:
                self.cgroup.kill()
            time.sleep(min(0.005 * 2 ** attempt, 0.1))
            _reap([pid for pid in pids if pid != process.pid])  # Popen reaps its own, to keep the exit status
        else:
            self.run_record.refused.append("some of its processes could not be ended")
        process.wait()




def _read_oom_score_adj(pid: int) -> int | None:
    """Checked from the judge, by pid: the kernel must pick the child, not the judge, when memory runs out."""
    try:
        return int(Path(f"/proc/{pid}/oom_score_adj").read_text())
    except (OSError, ValueError):
        return None


def _own_network(pid: int) -> bool:
    """Whether the child is in a network namespace other than the judge's (checked by the judge, not reported)."""
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino != os.stat("/proc/self/ns/net").st_ino
    except OSError:
        return False


def _read_results(out_dir: Path, run: ChildRun, ids, expect: Expect) -> None:
    """Read the child's report and arrays, now that none of its processes is left to change them."""
    owner = ids[0] if ids else None
    try:
        report_file = child_output.open_regular(out_dir / "report.json", owner, expect.report_bytes)
        if report_file is not None:
            with report_file:
                run.report = child_output.read_json(report_file, expect.report_schema)
        max_bytes = expect.arrays_bytes + 4096 * (len(expect.arrays) + 1)
        arrays_file = child_output.open_regular(out_dir / "outputs.npz", owner, max_bytes)
        if arrays_file is not None:
            with arrays_file:
                run.outputs, left_out = child_output.read_arrays(arrays_file, expect.arrays, expect.arrays_bytes)
                run.refused.extend(left_out)
    except Refused as refusal:
        run.refused.append(str(refusal))
        run.outputs = {}
    except Exception as error:  # zipfile and numpy raise many types on malformed input; the child only loses its answers
        run.refused.append(f"its outputs could not be read ({type(error).__name__})")
        run.outputs = {}


def become_subreaper() -> None:
    """Orphans of the child come back to the judge (to be killed and reaped) rather than to init."""
    try:
        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


__all__ = ["Limits", "Stage", "Expect", "cpu_share", "wall_allowance", "ChildRun", "run_child", "processes_of", "SANDBOX_USERS", "SandboxUnavailable",
           "become_subreaper", "child_python", "check_reachable"]
