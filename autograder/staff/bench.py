"""How fast bulk grading goes: grade N copies of one submission with 1, then 2, … local workers.

    python -m autograder.staff.bench [--submission solution/language_model.py] [--copies 4] [--workers 1 2]

Prints submissions per hour for each worker count, the speed-up over one worker,
and the memory a worker needs (the judge's peak plus its largest child's peak, from
the results' extra_data). On a shared machine the figures are only as good as the
CPUs that were free: run it niced, and say how busy the machine was.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from autograder.package.local_grade import REPO
from autograder.staff import grade_export


def copies_export(submission: Path, copies: int, folder: Path) -> Path:
    """A folder export of `copies` identical submissions (no metadata: the bench needs no names)."""
    export = folder / "export"
    for index in range(copies):
        target = export / f"submission_{index + 1}"
        target.mkdir(parents=True)
        shutil.copy(submission, target / submission.name)
    return export


def run(export: Path, out: Path, workers: int) -> dict:
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with contextlib.redirect_stdout(io.StringIO()):
        code = grade_export.main(["--export", str(export), "--out", str(out), "--workers", str(workers)])
    wall = time.monotonic() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0:
        raise SystemExit(f"grading with {workers} worker(s) failed (exit {code}); see {out}")
    endings = json.loads((out / "endings.json").read_text())
    memory, scores = [], []
    for path in (out / "results").glob("*.json"):
        results = json.loads(path.read_text())
        scores.append(results["score"])
        extra = results.get("extra_data") or {}
        children = [child["peak_memory_mb"] for child in extra.get("children", {}).values()]
        memory.append(extra.get("judge_peak_memory_mb", 0) + max(children, default=0))
    return {"workers": workers, "wall_seconds": wall, "per_hour": len(endings) * 3600 / wall,
            "cpu_seconds": (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime),
            "endings": sorted({ending["ending"] for ending in endings.values()}), "worker_memory_mb": max(memory, default=0),
            "scores": sorted(scores)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submission", type=Path, default=REPO / "solution" / "language_model.py")
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    print(f"{args.copies} copies of {args.submission.name}; {os.cpu_count()} cores, load average "
          f"{' '.join(f'{load:.1f}' for load in os.getloadavg())} at the start", flush=True)
    figures = []
    with tempfile.TemporaryDirectory(prefix="rnnkit-bench-") as folder:
        export = copies_export(args.submission.resolve(), args.copies, Path(folder))
        for workers in args.workers:
            figures.append(run(export, Path(folder) / f"out-{workers}", workers))
            done = figures[-1]
            print(f"{workers} worker(s): {done['wall_seconds']:.0f} s wall, {done['per_hour']:.1f} submissions/hour, "
                  f"speed-up {done['per_hour'] / figures[0]['per_hour']:.2f}x, {done['cpu_seconds'] / args.copies:.0f} CPU-s "
                  f"per submission, {done['worker_memory_mb']:.0f} MB per worker (judge + largest child), "
                  f"endings {', '.join(done['endings'])}, scores {', '.join(f'{score:g}' for score in done['scores'])} "
                  "(a score below the reference's means a child ran out of wall time on a busy machine)", flush=True)
    print(f"load average at the end {' '.join(f'{load:.1f}' for load in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
