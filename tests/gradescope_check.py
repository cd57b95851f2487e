"""`make gradescope-check`: grade three submissions in an Ubuntu 22.04 root, under Gradescope's default limits.

This check reproduces what Gradescope does with the zip: an Ubuntu 22.04 (jammy)
root built with debootstrap, the zip unzipped into /autograder/source, setup.sh run in a
chroot, then /autograder/run_autograder for each submission from inside a cgroup with
the default container's limits (768 MiB with no swap, 0.5 CPU). It checks each score
against the expected one and the wall time against the assignment's timeout, and prints
a table ready to paste into the README.

The root and the setup are cached under /var/cache/rnnkit: the root is built once
(about 5 minutes), and setup.sh (about 3 minutes) runs again only when the zip's
requirements.txt or setup.sh change. Where Ubuntu's archive is out of reach, it falls
back to Debian bookworm and says so. It needs root.

    python -m tests.gradescope_check [--zip dist/autograder.zip] [--release jammy|bookworm]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import io
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.submissions import zoo  # the bug is laid over the current reference, as the suite grades it

REPO = Path(__file__).resolve().parents[1]
CACHE = Path("/var/cache/rnnkit")
COMMAND = "make gradescope-check"

BUG = zoo.laid_out() / "bugs" / "lstm_input_forget_swapped.py"

# Gradescope's default container.
MEMORY_BYTES = 768 * 2**20
CPU_QUOTA_US, CPU_PERIOD_US = 50_000, 100_000
DEFAULT_TIMEOUT_S = 600
WALL_BUDGET = 0.6  # of the timeout: a run slower than this leaves too little margin for a slower submission
# The most a group can ask for: the graded run must get its half CPU even while other jobs keep both cores busy.
V1_CPU_SHARES, V2_CPU_WEIGHT = 262_144, 10_000

CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BASE_PACKAGES = "python3,python3-pip,curl,git,ca-certificates,unzip"  # Gradescope's base: python3 and pip, no venv


@dataclass
class Release:
    name: str
    label: str
    mirror: str
    components: str
    pockets: list[str]
    security: str


RELEASES = {
    "jammy": Release("jammy", "Ubuntu 22.04 (jammy)", "http://archive.ubuntu.com/ubuntu", "main,universe",
                     ["jammy", "jammy-updates", "jammy-security"], ""),
    "bookworm": Release("bookworm", "Debian 12 (bookworm)", "http://deb.debian.org/debian", "main",
                        ["bookworm", "bookworm-updates"], "http://deb.debian.org/debian-security bookworm-security"),
}
# Debian's index does not carry Ubuntu's archive key: it comes from the ubuntu-keyring package in Ubuntu's own pool.
UBUNTU_KEYRING_DEB = "http://archive.ubuntu.com/ubuntu/pool/main/u/ubuntu-keyring/ubuntu-keyring_2021.03.26_all.deb"
UBUNTU_KEYRING_SHA256 = "0d0e7ed6b112f5d03eabf3c7eb01ebdacf9c57714b279e90495cfc58c8c4520f"
APT_NETWORK_SETTING = re.compile(r"Acquire::(\w+::)?(Proxy|Check-Valid-Until|Check-Date|Verify-\w+|CaInfo|SslCert|SslKey)",
                                 re.IGNORECASE)


def log(message: str) -> None:
    print(message, flush=True)


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, **kwargs)


def in_chroot(root: Path, script: str) -> list[str]:
    """A command run in `root` as Gradescope runs its scripts: as root, with an empty environment."""
    return ["chroot", str(root), "env", "-i", f"PATH={CHROOT_PATH}", "HOME=/root", "bash", "-c", script]


# ---------------------------------------------------------------- mounts, never left behind

def mounts_under(folder: Path) -> list[str]:
    folder = str(folder.resolve())
    with open("/proc/self/mounts") as table:
        targets = [line.split()[1].replace("\\040", " ") for line in table]
    return [target for target in targets if target == folder or target.startswith(folder + "/")]


def unmount_all_under(folder: Path) -> None:
    for target in sorted(mounts_under(folder), key=len, reverse=True):  # deepest first
        if subprocess.run(["umount", target], stderr=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["umount", "-l", target])


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        remove_tree(path)
    else:
        path.unlink()


def remove_tree(folder: Path) -> None:
    """rm -rf, but never through a mount: a bound /dev or /sys would be emptied on the host."""
    unmount_all_under(folder)
    if mounts_under(folder):
        raise SystemExit(f"refusing to delete {folder}: still mounted under it: {mounts_under(folder)}")
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def system_mounts(root: Path):
    """proc, /sys, /dev and /dev/pts in `root`, and a small tmpfs of its own on /dev/shm; all unmounted after, even on failure.

    /sys is bound without its submounts, so the judge sees no cgroup filesystem, as in
    Gradescope's container, where it cannot make cgroups either: it falls back to its
    watchdog, and cannot make groups that escape the container's limits.
    """
    steps = [(["mount", "-t", "proc", "proc"], "proc"), (["mount", "--bind", "/sys"], "sys"),
             (["mount", "--bind", "/dev"], "dev"), (["mount", "--bind", "/dev/pts"], "dev/pts"),
             (["mount", "-t", "tmpfs", "-o", "size=64m,mode=1777,nosuid,nodev", "shm"], "dev/shm")]
    try:
        for command, target in steps:
            (root / target).mkdir(parents=True, exist_ok=True)
            run(command + [str(root / target)])
            # Private, so that nothing mounted here (the tmpfs on dev/shm) shows on the host's /dev.
            run(["mount", "--make-private", str(root / target)])
        yield
    finally:
        unmount_all_under(root / "proc")
        unmount_all_under(root / "sys")
        unmount_all_under(root / "dev")
        if mounts_under(root):
            raise SystemExit(f"could not unmount {mounts_under(root)}: unmount them by hand")


# ---------------------------------------------------------------- the root: debootstrap once, then reuse

def reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status == 200
    except OSError:
        return False


def ensure_debootstrap() -> None:
    if shutil.which("debootstrap"):
        return
    log("installing debootstrap with apt-get")
    if subprocess.run(["apt-get", "install", "-y", "-qq", "debootstrap"]).returncode != 0:
        run(["apt-get", "update", "-qq"])
        run(["apt-get", "install", "-y", "-qq", "debootstrap"])


def ubuntu_keyring(workdir: Path) -> Path:
    deb = workdir / "ubuntu-keyring.deb"
    with urllib.request.urlopen(UBUNTU_KEYRING_DEB, timeout=60) as response:
        deb.write_bytes(response.read())
    if hashlib.sha256(deb.read_bytes()).hexdigest() != UBUNTU_KEYRING_SHA256:
        raise SystemExit(f"{UBUNTU_KEYRING_DEB} does not have the expected SHA-256; not trusting it")
    run(["dpkg-deb", "-x", str(deb), str(workdir / "keyring")])
    return workdir / "keyring" / "usr" / "share" / "keyrings" / "ubuntu-archive-keyring.gpg"


def debootstrap(release: Release, target: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="rnnkit-keyring-") as workdir:
        keyring = (ubuntu_keyring(Path(workdir)) if release.name == "jammy"
                   else Path("/usr/share/keyrings/debian-archive-keyring.gpg"))
        run(["debootstrap", "--variant=minbase", f"--components={release.components}", f"--keyring={keyring}",
             f"--include={BASE_PACKAGES}", release.name, str(target), release.mirror],
            stdout=subprocess.DEVNULL)


def copy_host_network_config(root: Path, release: Release) -> None:
    """What apt and pip inside need to reach the package indexes the host reaches."""
    resolv = root / "etc" / "resolv.conf"
    resolv.unlink(missing_ok=True)  # may be a link into /run
    shutil.copy("/etc/resolv.conf", resolv)
    # The host may reach the indexes through a proxy with a certificate authority of its own.
    local_cas = Path("/usr/local/share/ca-certificates")
    if local_cas.is_dir():
        shutil.copytree(local_cas, root / local_cas.relative_to("/"), dirs_exist_ok=True)
    shutil.copy("/etc/ssl/certs/ca-certificates.crt", root / "etc" / "ssl" / "certs" / "ca-certificates.crt")
    # apt: the host's network settings (proxies, TLS, validity checks, credentials), not its housekeeping.
    for conf in sorted(Path("/etc/apt/apt.conf.d").glob("*")):
        if conf.is_file() and APT_NETWORK_SETTING.search(conf.read_text(errors="replace")):
            shutil.copy(conf, root / "etc" / "apt" / "apt.conf.d" / conf.name)
    if Path("/etc/apt/auth.conf.d").is_dir():
        shutil.copytree("/etc/apt/auth.conf.d", root / "etc" / "apt" / "auth.conf.d", dirs_exist_ok=True)
    components = release.components.replace(",", " ")
    sources = [f"deb {release.mirror} {pocket} {components}" for pocket in release.pockets]
    sources += [f"deb {release.security} {components}"] if release.security else []
    (root / "etc" / "apt" / "sources.list").write_text("\n".join(sources) + "\n")
    # pip: the configuration files it reads as root (HOME=/root in the chroot, as in Gradescope's).
    for source, target in ((Path("/etc/pip.conf"), root / "etc" / "pip.conf"),
                           (Path("/etc/xdg/pip"), root / "etc" / "xdg" / "pip"),
                           (Path.home() / ".config" / "pip", root / "root" / ".config" / "pip")):
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        elif source.is_file():
            shutil.copy(source, target)
        conf = target / "pip.conf" if target.is_dir() else target
        if conf.is_file():
            drop_missing_paths(conf, root)


def drop_missing_paths(conf: Path, root: Path) -> None:
    """Drop the pip settings that name only folders the root does not have (the host's local wheel caches).

    They are not registries the root can reach: pip would only warn about each, for every package.
    """
    kept = []
    for line in conf.read_text().splitlines():
        _, equals, value = line.partition("=")
        paths = [word.removeprefix("file://") for word in value.split()]
        if equals and paths and all(path.startswith("/") and not (root / path.lstrip("/")).exists() for path in paths):
            continue
        kept.append(line)
    conf.write_text("\n".join(kept) + "\n")


def build_root(release: Release, base: Path) -> float:
    """Debootstrap `release` into `base`, configured like Gradescope's base image; returns the seconds it took."""
    started = time.time()
    partial = base.with_name(base.name + ".partial")
    remove_tree(partial)
    ensure_debootstrap()
    try:
        debootstrap(release, partial)
        copy_host_network_config(partial, release)
        with system_mounts(partial):
            # Gradescope's image is kept up to date: upgrade, then make the bundle from the root's CAs and the host's.
            run(in_chroot(partial, "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get -y -qq upgrade"
                                   " >/dev/null && update-ca-certificates >/dev/null"))
    finally:
        unmount_all_under(partial)  # debootstrap mounts proc and sys itself, and leaves them when it fails
    seconds = time.time() - started
    (partial / "etc" / "rnnkit-root.json").write_text(json.dumps(
        {"release": release.name, "built": datetime.datetime.now().isoformat(timespec="seconds"), "seconds": round(seconds)}))
    remove_tree(base)
    partial.rename(base)
    return seconds


def choose_release(forced: str | None) -> tuple[Release, str]:
    """jammy, Gradescope's own, when its root is cached or its archive answers; else bookworm, the nearest Debian."""
    if forced:
        return RELEASES[forced], f"{forced}, as asked (--release)"
    jammy = RELEASES["jammy"]
    if (root_folder(jammy) / "base" / "etc" / "rnnkit-root.json").exists():
        return jammy, "jammy: Gradescope's Ubuntu 22.04 (cached root)"
    if reachable(f"{jammy.mirror}/dists/jammy/Release") and reachable(UBUNTU_KEYRING_DEB):
        return jammy, "jammy: Gradescope's Ubuntu 22.04 (its archive is reachable from here)"
    return RELEASES["bookworm"], ("bookworm: FALLBACK, Ubuntu's archive cannot be reached from here, so this runs on "
                                  "Debian 12, the nearest Debian release (Python 3.11, not Gradescope's 3.10)")


def root_folder(release: Release) -> Path:
    """The cached roots hold the zip (hidden split, expected answers): closed to other users of this machine.

    Inside the chroot, paths start at the root's own /, so the sandbox user there never traverses this folder.
    """
    CACHE.mkdir(parents=True, exist_ok=True)
    CACHE.chmod(0o700)
    return CACHE / f"gradescope-root-{release.name}"


def ensure_base(release: Release) -> Path:
    base = root_folder(release) / "base"
    record = base / "etc" / "rnnkit-root.json"
    if record.exists():
        built = json.loads(record.read_text())
        log(f"root: reusing {base}, built {built['built']} in {built['seconds']} s")
    else:
        log(f"root: building {release.label} in {base} with debootstrap (about 5 minutes)")
        log(f"root: built in {build_root(release, base):.0f} s")
    return base


# ---------------------------------------------------------------- the image: the root after setup.sh

def setup_key(zip_bytes: bytes) -> str:
    """What setup.sh depends on: when neither changed, the last setup is still good."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        return hashlib.sha256(archive.read("requirements.txt") + b"\0" + archive.read("setup.sh")).hexdigest()


def install_zip(image: Path, zip_bytes: bytes) -> None:
    """As Gradescope: the zip unzipped into /autograder/source, run_autograder copied to /autograder."""
    autograder = image / "autograder"
    shutil.rmtree(autograder / "source", ignore_errors=True)
    (autograder / "source").mkdir(parents=True)
    with tempfile.NamedTemporaryFile(suffix=".zip") as copy:
        copy.write(zip_bytes)
        copy.flush()
        run(["unzip", "-q", copy.name, "-d", str(autograder / "source")])
    shutil.copy(autograder / "source" / "run_autograder", autograder / "run_autograder")
    (autograder / "run_autograder").chmod(0o755)


def ensure_image(release: Release, base: Path, zip_bytes: bytes, logs: Path) -> Path:
    """The base root with setup.sh run on it, as Gradescope builds the image; redone when its inputs changed."""
    image = root_folder(release) / "image"
    stamp = image / "autograder" / ".setup-sha256"
    key = setup_key(zip_bytes)
    if stamp.exists() and stamp.read_text() == key and (image / "autograder" / "venv" / "bin" / "python").exists():
        log(f"setup: reusing {image} (requirements.txt and setup.sh unchanged since the last setup)")
        return image
    log(f"setup: copying the base root to {image} and running setup.sh in it (about 3 minutes)")
    remove_tree(image)
    run(["cp", "-a", "--reflink=auto", str(base), str(image)])
    install_zip(image, zip_bytes)
    started = time.time()
    with system_mounts(image), open(logs / "setup.log", "w") as output:
        done = subprocess.run(in_chroot(image, "cd /autograder/source && bash setup.sh"),
                              stdout=output, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = (logs / "setup.log").read_text(errors="replace")[-3000:]
        raise SystemExit(f"setup.sh failed (exit {done.returncode}) in the {release.name} root; "
                         f"log: {logs / 'setup.log'}\n{tail}")
    stamp.write_text(key)
    log(f"setup: setup.sh took {time.time() - started:.0f} s")
    return image


def image_python(image: Path) -> str:
    return subprocess.run(["chroot", str(image), "python3", "--version"], capture_output=True, text=True).stdout.split()[-1]


# ---------------------------------------------------------------- Gradescope's limits, as a cgroup

def v2_mount() -> Path | None:
    for mount in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
        controllers = mount / "cgroup.controllers"
        if controllers.exists() and {"memory", "cpu"} <= set(controllers.read_text().split()):
            return mount
    return None


def own_cgroups() -> dict[str, str]:
    """This process's cgroup per controller ("" for v2's unified hierarchy)."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            paths[controller] = path
    return paths


class ContainerCgroup:
    """Gradescope's default container as a cgroup (v2, or v1): 768 MiB with no swap, 0.5 CPU, high CPU priority.

    It is made inside this process's own cgroup where it can be, so that the session
    running the check keeps accounting for it.
    """

    def __init__(self, name: str):
        self.dirs: list[Path] = []
        own = own_cgroups()
        mount = v2_mount()
        if mount is not None:
            self.version = 2
            self.memory = self.cpu = self.cpuacct = self._make_v2(mount, own.get("", "/"), name)
            self._write(self.memory, "memory.max", str(MEMORY_BYTES))
            self._write(self.memory, "memory.swap.max", "0")
            self._write(self.cpu, "cpu.max", f"{CPU_QUOTA_US} {CPU_PERIOD_US}")
            self._write(self.cpu, "cpu.weight", str(V2_CPU_WEIGHT))
            return
        self.version = 1
        made = {}
        for controller in ("memory", "cpu", "cpuacct"):
            hierarchy = Path("/sys/fs/cgroup", controller).resolve()  # cpu and cpuacct may be one hierarchy
            if not hierarchy.is_dir():
                raise SystemExit(f"no cgroup v2 with memory and cpu, and no cgroup v1 {controller} hierarchy here")
            if hierarchy not in made:
                folder = hierarchy / own.get(controller, "/").lstrip("/") / name
                folder.mkdir()
                self.dirs.append(folder)
                made[hierarchy] = folder
            setattr(self, controller, made[hierarchy])
        self._write(self.memory, "memory.limit_in_bytes", str(MEMORY_BYTES))  # before memsw, which may not be below it
        if (self.memory / "memory.memsw.limit_in_bytes").exists():
            self._write(self.memory, "memory.memsw.limit_in_bytes", str(MEMORY_BYTES))
        self._write(self.cpu, "cpu.cfs_period_us", str(CPU_PERIOD_US))
        self._write(self.cpu, "cpu.cfs_quota_us", str(CPU_QUOTA_US))
        self._write(self.cpu, "cpu.shares", str(V1_CPU_SHARES))

    def _make_v2(self, mount: Path, own: str, name: str) -> Path:
        # v2 gives controllers only to groups whose parent holds no process: try our own group, then the top.
        for parent in (mount / own.lstrip("/"), mount):
            try:
                (parent / "cgroup.subtree_control").write_text("+memory +cpu")
                folder = parent / name
                folder.mkdir()
            except OSError:
                continue
            self.dirs.append(folder)
            return folder
        raise SystemExit("could not make a cgroup v2 with the memory and cpu controllers")

    @staticmethod
    def _write(folder: Path, name: str, value: str) -> None:
        (folder / name).write_text(value)

    def enter(self) -> None:  # in the child, between fork and exec
        for folder in self.dirs:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def pids(self) -> list[int]:
        return [int(pid) for pid in (self.memory / "cgroup.procs").read_text().split()]

    def cpu_seconds(self) -> float:
        if self.version == 2:
            return _fields(self.cpu / "cpu.stat")["usage_usec"] / 1e6
        return int((self.cpuacct / "cpuacct.usage").read_text()) / 1e9

    def peak_mb(self) -> float:
        try:
            return int((self.memory / ("memory.peak" if self.version == 2 else "memory.max_usage_in_bytes")).read_text()) / 2**20
        except (OSError, ValueError):  # memory.peak needs Linux 5.19
            return float("nan")

    def refaults(self) -> int:
        stat = _fields(self.memory / "memory.stat")
        if self.version == 2:
            return stat.get("workingset_refault_file", 0) + stat.get("pgmajfault", 0)
        return stat.get("total_pgmajfault", 0)

    def oom_kills(self) -> int:
        return _fields(self.memory / ("memory.events" if self.version == 2 else "memory.oom_control")).get("oom_kill", 0)

    def kill_all(self) -> None:
        """SIGKILL whatever is left in the group (all of it was started by this check), until nothing is."""
        for _ in range(100):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)

    def remove(self) -> None:
        self.kill_all()
        for folder in reversed(self.dirs):
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)


def _fields(path: Path) -> dict[str, int]:
    fields = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            fields[parts[0]] = int(parts[1])
    return fields


class ProgramMemory(threading.Thread):
    """The program's own memory: summed RssAnon + RssShmem of the group's processes, every 0.5 s.

    The cgroup's figure also counts page cache (TensorFlow's libraries, the data), which
    the kernel reclaims under pressure; this is what the processes cannot give back.
    """

    def __init__(self, cgroup: ContainerCgroup):
        super().__init__(daemon=True)
        self.cgroup, self.peak_mb, self.running = cgroup, 0.0, True

    def run(self):
        while self.running:
            total_kb = 0
            for pid in self.cgroup.pids():
                with contextlib.suppress(OSError):
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith(("RssAnon:", "RssShmem:")):
                            total_kb += int(line.split()[1])
            self.peak_mb = max(self.peak_mb, total_kb / 1024)
            time.sleep(0.5)


# ---------------------------------------------------------------- one grading

@dataclass
class Grading:
    name: str
    expected: float
    score: float | None = None
    wall: float = 0.0
    cpu: float = 0.0
    group_peak_mb: float = 0.0
    program_peak_mb: float = 0.0
    refaults: int = 0
    oom_kills: int = 0
    judge_peak_mb: float | None = None
    children: dict = field(default_factory=dict)
    timed_out: bool = False


def fresh_grading_area(image: Path, zip_bytes: bytes, submission: Path) -> None:
    """A fresh container from the image: the zip as setup left it, the submission, an empty results/, no leftovers."""
    autograder = image / "autograder"
    keep = {"source", "venv", "run_autograder", ".setup-sha256"}
    for entry in autograder.iterdir():
        if entry.name not in keep:
            remove(entry)
    install_zip(image, zip_bytes)  # the judge may write into source/ (caches); each container starts from the zip
    for scratch in ("tmp", "var/tmp"):
        for entry in (image / scratch).iterdir():
            remove(entry)
    (autograder / "submission").mkdir()
    (autograder / "results").mkdir()
    shutil.copy(submission, autograder / "submission" / submission.name)


def drop_page_cache() -> None:
    """Start each grading cold, as a new container does: pages cached by an earlier run were charged to its group."""
    subprocess.run(["sync"])
    with contextlib.suppress(OSError):
        Path("/proc/sys/vm/drop_caches").write_text("1")


def grade(image: Path, zip_bytes: bytes, name: str, submission: Path, expected: float, timeout_s: int, logs: Path) -> Grading:
    fresh_grading_area(image, zip_bytes, submission)
    result = Grading(name, expected)
    slug = re.sub(r"\W+", "-", name).strip("-")
    drop_page_cache()
    with system_mounts(image):
        cgroup = ContainerCgroup(f"rnnkit-gradescope-{os.getpid()}")
        try:
            with open(logs / f"{slug}.log", "w") as output:
                started = time.time()
                judge = subprocess.Popen(["chroot", str(image), "env", "-i", f"PATH={CHROOT_PATH}", "HOME=/root",
                                          "/autograder/run_autograder"], stdout=output, stderr=subprocess.STDOUT,
                                         cwd="/", preexec_fn=cgroup.enter)
                sampler = ProgramMemory(cgroup)
                sampler.start()
                try:
                    judge.wait(timeout=timeout_s)
                except subprocess.TimeoutExpired:  # Gradescope stops the container at the timeout
                    result.timed_out = True
                    cgroup.kill_all()
                    judge.wait()
                result.wall = time.time() - started
                sampler.running = False
                sampler.join()
            cgroup.kill_all()
            result.cpu, result.group_peak_mb = cgroup.cpu_seconds(), cgroup.peak_mb()
            result.refaults, result.oom_kills = cgroup.refaults(), cgroup.oom_kills()
            result.program_peak_mb = sampler.peak_mb
        finally:
            cgroup.remove()
    results_path = image / "autograder" / "results" / "results.json"
    if results_path.exists():
        results = json.loads(results_path.read_text())
        result.score = results.get("score")
        extra = results.get("extra_data") or {}
        result.judge_peak_mb = extra.get("judge_peak_memory_mb")
        result.children = extra.get("children", {})
        shutil.copy(results_path, logs / f"{slug}.results.json")
    return result


# ---------------------------------------------------------------- the report

def expected_scores(zip_bytes: bytes) -> list[tuple[str, Path, float]]:
    """Each submission, and the score it must get from the zip's graded tests (its expected/tests.json): the reference
    every point, the stencil none, the bug every point but those of the parts its header says it breaks."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        tests = json.loads(archive.read("expected/tests.json"))
    broken = zoo.read_entry(BUG).expect_fail
    return [("reference", REPO / "solution" / "language_model.ipynb", sum(test["max_score"] for test in tests)),
            ("stencil", REPO / "stencil" / "language_model.ipynb", 0),
            (f"bug: {BUG.stem}", BUG, sum(test["max_score"] for test in tests if test["tags"][0] not in broken))]


def timeout_of(zip_bytes: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        config = json.loads(archive.read("config.json")) if "config.json" in archive.namelist() else {}
    return int(config.get("timeout_seconds", DEFAULT_TIMEOUT_S))


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def children_summary(children: dict) -> str:
    endings = {part: child.get("ending") for part, child in children.items()}
    odd = [f"{part}: {ending}" for part, ending in endings.items() if ending != "finished"]
    guards = sorted({child.get("memory_guard", "?") for child in children.values()})
    cpu = sum(child.get("cpu_seconds", 0) for child in children.values())
    return ((", ".join(odd) if odd else f"all {len(children)} finished") + f", {cpu:.0f} CPU s"
            + (f"; guard {'/'.join(guards)}" if guards else ""))


def fmt(value, spec: str = ".0f") -> str:
    return "–" if value is None else format(value, spec)


def problems_of(grading: Grading, timeout_s: int) -> list[str]:
    problems = []
    if grading.score != grading.expected:
        problems.append(f"{grading.name}: score {fmt(grading.score, 'g')}, expected {grading.expected:g}")
    if grading.wall > WALL_BUDGET * timeout_s or grading.timed_out:
        problems.append(f"{grading.name}: {grading.wall:.0f} s wall, over {WALL_BUDGET:.0%} of the {timeout_s} s timeout")
    return problems


def print_row(g: Grading) -> None:
    log(f"{g.name:<34}{fmt(g.score, 'g'):>6}{g.expected:>6g}{g.wall:>8.1f}{g.cpu:>8.1f}{g.group_peak_mb:>9.0f}"
        f"{g.program_peak_mb:>9.0f}{fmt(g.judge_peak_mb):>8}{g.refaults:>10}{g.oom_kills:>5}   {children_summary(g.children)}")


def markdown(gradings: list[Grading], release: Release, python: str, cgroup_version: int, timeout_s: int) -> str:
    fallback = "" if release.name == "jammy" else " (fallback: Ubuntu's archive was out of reach)"
    lines = [
        f"`{COMMAND}`, {datetime.date.today().isoformat()}: {cpu_model()}, {os.cpu_count()} cores; "
        f"{release.label} root{fallback}, python3 {python}; limits: {MEMORY_BYTES // 2**20} MiB with no swap, "
        f"{CPU_QUOTA_US / CPU_PERIOD_US:g} CPU (cgroup v{cgroup_version}), timeout {timeout_s} s.",
        "",
        "| submission | score (expected) | wall s | CPU s | container peak MB | program peak MB | judge peak MB | refaults | OOM kills |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for g in gradings:
        lines.append(f"| {g.name} | {fmt(g.score, 'g')} ({g.expected:g}) | {g.wall:.0f} | {g.cpu:.0f} | {g.group_peak_mb:.0f} | "
                     f"{g.program_peak_mb:.0f} | {fmt(g.judge_peak_mb)} | {g.refaults} | {g.oom_kills} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", type=Path, default=REPO / "dist" / "autograder.zip")
    parser.add_argument("--release", choices=sorted(RELEASES), help="skip the choice: build or reuse this release's root")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        log("make gradescope-check needs root (debootstrap, chroot, mounts, cgroups)")
        return 2
    zip_bytes = args.zip.read_bytes()  # read once: the zip may be rebuilt while this runs
    timeout_s = timeout_of(zip_bytes)
    release, why = choose_release(args.release)
    log(f"release: {why}")
    logs = root_folder(release) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    base = ensure_base(release)
    image = ensure_image(release, base, zip_bytes, logs)
    python = image_python(image)
    log(f"image: {release.label}, python3 {python}; logs in {logs}\n")
    log(f"{'submission':<34}{'score':>6}{'exp.':>6}{'wall s':>8}{'CPU s':>8}{'cg MB':>9}{'prog MB':>9}"
        f"{'judge':>8}{'refaults':>10}{'OOM':>5}   children")
    gradings = []
    for name, path, expected in expected_scores(zip_bytes):
        gradings.append(grade(image, zip_bytes, name, path, expected, timeout_s, logs))
        print_row(gradings[-1])
    cgroup_version = 2 if v2_mount() else 1
    log(f"\ncg MB: the container's peak (memory.{'peak' if cgroup_version == 2 else 'max_usage_in_bytes'}, "
        "page cache included); prog MB: the processes' own peak (RssAnon + RssShmem, every 0.5 s); "
        "judge: the judge's peak from results.json; refaults: "
        + ("workingset_refault_file + pgmajfault" if cgroup_version == 2 else "total_pgmajfault") + ".")
    for g in gradings:
        if g.oom_kills:
            log(f"warning: {g.name}: {g.oom_kills} out-of-memory kill(s) in the container")
    # At its quota the group runs 0.5 CPU-seconds per second; less means other jobs took its share.
    starved = [g.name for g in gradings if g.wall and g.cpu / g.wall < 0.9 * CPU_QUOTA_US / CPU_PERIOD_US]
    if starved:
        log(f"note: {', '.join(starved)} got less than its 0.5 CPU (load average {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} cores): other jobs competed for the CPU, so those wall times are inflated")
    log("\nFor the README's \"Measured\" section:\n")
    log(markdown(gradings, release, python, cgroup_version, timeout_s))
    problems = [problem for grading in gradings for problem in problems_of(grading, timeout_s)]
    log("\n" + ("\n".join(f"FAIL {problem}" for problem in problems) if problems else
                f"OK: every score as expected, every run under {WALL_BUDGET:.0%} of the {timeout_s} s timeout"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
