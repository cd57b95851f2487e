"""Where the CPU-seconds of one `check()` go: prints figures, asserts nothing (a benchmark, not a test).

    nice -n 5 .venv/bin/python -m tests.bench_check [--part windows] [--repeat 2]

It builds dist/stencil.zip's folder in a temporary place (the checker is built, never committed) and runs
the students' checker (its check.py) on the reference notebook two ways:
- "terminal": `python check.py NOTEBOOK PART` in a fresh Python, as from a shell;
- "kernel":   check(PART) in a Python that has imported TensorFlow already, as the notebook's kernel has
              by the time a student checks a part (the kernel's own import is not counted: it is paid anyway).
and, for scale, one bare `import tensorflow` in a fresh Python. Each figure is the CPU-seconds (user + system)
of the process and every descendant it reaped, from getrusage; the judge's children are reaped by the judge.
The judge's own record (results.json's extra_data) splits its children: the reader and the part's child.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "solution" / "language_model.ipynb"
PYTHON = sys.executable

IN_KERNEL = """
import contextlib, io, json, resource, sys, time
import tensorflow  # the kernel's own import: paid before any check, not counted below
sys.path.insert(0, {stencil!r})
import check
def used():
    mine, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + kids.ru_utime + kids.ru_stime
before, started = used(), time.time()
with contextlib.redirect_stdout(io.StringIO()):  # the report; this script prints only its figures
    results = check.check({part!r}, notebook={notebook!r})
print(json.dumps({{"check": used() - before, "wall": time.time() - started,
                  "passed": bool(results.get("tests")) and all(test["status"] == "passed" for test in results["tests"]),
                  "children": results.get("extra_data", {{}}).get("children")}}))
"""


def cpu_of(command: list, cwd: Path) -> tuple[float, float, str]:
    """CPU-seconds (user + system, descendants included) and wall seconds of one command, and what it printed."""
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.time()
    finished = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, time.time() - started, finished.stdout + finished.stderr


def processor() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="windows")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rnnkit-bench-check-") as folder:
        from autograder.package.export_checker import write_stencil_zip

        write_stencil_zip(REPO / "stencil", Path(folder) / "stencil.zip")
        shutil.unpack_archive(Path(folder) / "stencil.zip", folder)
        Path(folder).chmod(0o755)  # the sandbox's child reads the checker's data as another user
        measure(Path(folder) / "stencil", args)
    return 0


def measure(stencil: Path, args) -> None:
    load = open("/proc/loadavg").read().split()[:3]
    print(f"processor: {processor()}; load average at start {' '.join(load)}; Python {platform.python_version()}")
    for attempt in range(args.repeat):
        cpu, wall, _ = cpu_of([PYTHON, "-c", "import tensorflow"], stencil)
        print(f"[{attempt}] import tensorflow alone:          {cpu:5.1f} CPU-s  {wall:5.1f} s wall")
        cpu, wall, printed = cpu_of([PYTHON, "check.py", str(NOTEBOOK), args.part], stencil)
        ok = "pass" in printed
        print(f"[{attempt}] terminal: python check.py … {args.part}: {cpu:5.1f} CPU-s  {wall:5.1f} s wall  ({'ran' if ok else 'FAILED'})")
        script = IN_KERNEL.format(stencil=str(stencil), part=args.part, notebook=str(NOTEBOOK))
        finished = subprocess.run([PYTHON, "-c", script], cwd=stencil, capture_output=True, text=True)
        lines = [line for line in finished.stdout.splitlines() if line.startswith("{")]
        if not lines:
            print(f"[{attempt}] kernel: failed\n{finished.stderr[-2000:]}")
            continue
        figures = json.loads(lines[-1])
        children = figures["children"] or {}
        split = ", ".join(f"{name} {child['cpu_seconds']:.1f}" for name, child in children.items())
        print(f"[{attempt}] kernel: check({args.part!r}) after the kernel's import: {figures['check']:4.1f} CPU-s "
              f"(the judge's children: {split}); {figures['wall']:5.1f} s wall  ({'ran' if figures['passed'] else 'FAILED'})")


if __name__ == "__main__":
    sys.exit(main())
