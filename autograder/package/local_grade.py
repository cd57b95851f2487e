"""`make grade`: grade one submission exactly as Gradescope would, in a local folder laid out like /autograder.

    python -m autograder.package.local_grade --zip dist/autograder.zip --submission NOTEBOOK_OR_FOLDER --results results.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path


def lay_out(root: Path, zip_path: Path, submission: Path) -> None:
    """root/source from the zip, root/submission with the student's files (links copied as links), an empty root/results."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    if submission.is_dir() and not submission.is_symlink():
        shutil.copytree(submission, root / "submission", symlinks=True, dirs_exist_ok=True)
    elif os.path.lexists(submission):
        shutil.copy2(submission, root / "submission" / submission.name, follow_symlinks=False)


def judge_command(root: Path, tags: str | None = None) -> list[str]:
    """The command run_autograder runs, with this interpreter and `root` for /autograder (run it from root/source)."""
    return [sys.executable, "-m", "autograder.grade", "--root", str(root), *(["--tags", tags] if tags else [])]


REPO = Path(__file__).resolve().parents[2]


def close_checkout() -> None:
    """As root, close this checkout (the reference, the hidden split, the tests' submissions) to other users.

    Student code runs as an unprivileged user, who may read anything world-readable.
    On Gradescope nothing but the zip is there; on a developer's or TA's machine the
    checkout is. Its top folder loses o+rwx, which closes everything in it; the
    environment the sandbox runs lives outside it (see `make venv`). The Makefile does
    the same before any other command.
    """
    if os.geteuid() == 0:
        REPO.chmod(REPO.stat().st_mode & ~0o007)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", type=Path, required=True)
    parser.add_argument("--submission", type=Path, required=True)
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--tags", help="grade only these parts, comma-separated (for this project's own tests)")
    args = parser.parse_args(argv)
    close_checkout()
    with tempfile.TemporaryDirectory(prefix="rnnkit-grade-") as folder:  # root's own, not writable by others
        Path(folder).chmod(0o711)  # children traverse it to reach their workspace; nobody else may write or list here
        root = Path(folder) / "autograder"
        root.mkdir()
        lay_out(root, args.zip.resolve(), Path(os.path.abspath(args.submission)))
        subprocess.run(judge_command(root, args.tags), cwd=root / "source", check=True)
        args.results.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(root / "results" / "results.json", args.results)
    results = json.loads(args.results.read_text())
    for test in results["tests"]:
        mark = "PASS" if test["status"] == "passed" else "FAIL"
        print(f"{mark} {test['number']:>7} {test['score']:g}/{test['max_score']:g}  {test['name']}")
    print(f"results written to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
