"""`make venv`: the kit's Python environment, placed where the sandboxed student code can run it.

    python3 autograder/package/environment.py --venv .venv --requirements requirements-dev.txt

Run with the base interpreter (standard library only). As an ordinary user the
environment is VENV itself. As root, the autograder runs student code as an
unprivileged user who must reach the interpreter, its standard library and the
packages, but nothing of this checkout (which the kit closes to other users). So the
environment lives in a folder of the kit's own, /var/lib/rnnkit, shared by checkouts
with the same pins, and VENV links to it. If the base interpreter sits under a private
folder (pyenv under /root, say), a copy of it goes there too: the kit changes no
permission outside its own folders.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

HOME = Path("/var/lib/rnnkit")
STAMP = ".installed"


def reachable_by_others(path: Path) -> bool:
    try:
        return all(folder.stat().st_mode & stat.S_IXOTH for folder in path.parents) and bool(path.stat().st_mode & stat.S_IROTH)
    except OSError:
        return False


def requirements_text(path: Path) -> str:
    """The requirements file and the files it includes with -r, for the environment's key."""
    text = path.read_text()
    for line in text.splitlines():
        if line.startswith("-r "):
            text += requirements_text(path.parent / line[3:].strip())
    return text


def shared_interpreter() -> Path:
    """This interpreter, or a copy of its installation in HOME when other users cannot reach it."""
    base, version = Path(sys.base_prefix).resolve(), f"python{sysconfig.get_python_version()}"
    binary = base / "bin" / version
    if all(reachable_by_others(path) for path in (binary, base / "lib" / version / "os.py")):
        return binary
    copy = HOME / f"{version}-{hashlib.sha256(str(base).encode()).hexdigest()[:10]}"
    if not (copy / STAMP).exists():
        print(f"copying {base} to {copy}: the sandbox user cannot reach it where it is", flush=True)
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(base, copy, symlinks=True, ignore=shutil.ignore_patterns("test", "tests", "__pycache__", "idle_test"))
        (copy / STAMP).touch()
    return copy / "bin" / version


def install(venv: Path, interpreter: Path, requirements: Path) -> None:
    if not (venv / "bin" / "python").exists():
        subprocess.run([str(interpreter), "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(requirements)], check=True)
    (venv / STAMP).touch()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, required=True)
    parser.add_argument("--requirements", type=Path, required=True)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        install(args.venv, Path(sys.executable), args.requirements)
        return 0
    os.umask(0o022)  # whatever root's umask, the sandbox user must read what is installed
    key = hashlib.sha256((requirements_text(args.requirements) + sys.version).encode()).hexdigest()[:12]
    shared = HOME / f"venv-{key}"
    HOME.mkdir(parents=True, exist_ok=True)
    HOME.chmod(0o755)
    if not (shared / STAMP).exists():
        shutil.rmtree(shared, ignore_errors=True)
        install(shared, shared_interpreter(), args.requirements)
    if args.venv.is_symlink() or args.venv.is_file():
        args.venv.unlink()
    elif args.venv.is_dir():
        shutil.rmtree(args.venv)
    args.venv.symlink_to(shared, target_is_directory=True)
    (shared / STAMP).touch()
    print(f"{args.venv} -> {shared}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
