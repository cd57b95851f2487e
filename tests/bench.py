"""`make bench`: grade the reference end to end and print time, CPU and memory per phase.

Figures are for the whole process tree (the judge and every child it starts), next
to Gradescope's default container: 768 MB, 0.5 vCPU, 10 minutes. CPU-seconds are the
number to watch: at 0.5 vCPU a phase takes about twice its CPU-seconds of wall time.

    python -m tests.bench [--submission solution/language_model.ipynb]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from autograder.package.local_grade import close_checkout, lay_out
from autograder.sandbox import anonymous_mb

REPO = Path(__file__).resolve().parents[1]
GRADESCOPE = {"memory_mb": 768, "vcpu": 0.5, "timeout_s": 600}


class TreeSampler(threading.Thread):
    """Samples the memory of a process and all its descendants every 50 ms: resident, and anonymous.

    Resident memory includes ~300 MB of TensorFlow's mapped library code, which the kernel
    can drop under pressure; anonymous memory (heap) is what must fit in the container.
    """

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.root, self.samples, self.running = psutil.Process(pid), [], True

    def run(self):
        while self.running:
            try:
                members = [self.root] + self.root.children(recursive=True)
            except psutil.Error:
                break
            resident = 0
            for member in members:
                try:
                    resident += member.memory_info().rss
                except psutil.Error:
                    pass
            self.samples.append((time.time(), resident / 2**20, anonymous_mb(members)))
            time.sleep(0.05)

    def peak(self, start=0.0, end=float("inf"), column=1) -> float:
        return max((sample[column] for sample in self.samples if start <= sample[0] <= end), default=0.0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submission", type=Path, default=REPO / "solution" / "language_model.ipynb")
    parser.add_argument("--zip", type=Path, default=REPO / "dist" / "autograder.zip")
    args = parser.parse_args(argv)
    close_checkout()
    with tempfile.TemporaryDirectory(prefix="rnnkit-bench-") as folder:
        root = Path(folder)
        started = time.time()
        lay_out(root, args.zip.resolve(), args.submission.resolve())
        judge = subprocess.Popen([sys.executable, "-m", "autograder.grade", "--root", str(root)],
                                 cwd=root / "source", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        sampler = TreeSampler(judge.pid)
        sampler.start()
        log = judge.communicate()[0]
        ended = time.time()
        sampler.running = False
        results = json.loads((root / "results" / "results.json").read_text())
    phases = json.loads(next(line for line in log.splitlines() if line.startswith("phases "))[len("phases "):])
    total_cpu = sum(phase["cpu"] for phase in phases.values())
    groups = {"setup": ["setup"], "tensor and gradient checks": ["windows", "rnn", "lstm", "lm", "perplexity"],
              "training": ["train"], "evaluation": ["evaluation"]}
    print(f"Grading {args.submission.name}: score {results['score']:g}/100\n")
    print(f"{'phase':<28}{'wall s':>8}{'CPU s':>8}{'resident MB':>13}{'anonymous MB':>14}{'≈ s at 0.5 vCPU':>17}")
    for name, members in groups.items():
        present = [phases[m] for m in members if m in phases]
        if not present:
            continue
        wall = sum(p["end"] - p["start"] for p in present)
        cpu = sum(p["cpu"] for p in present)
        resident = max(sampler.peak(p["start"], p["end"]) for p in present)
        anonymous = max(sampler.peak(p["start"], p["end"], column=2) for p in present)
        print(f"{name:<28}{wall:8.1f}{cpu:8.1f}{resident:13.0f}{anonymous:14.0f}{cpu / GRADESCOPE['vcpu']:17.0f}")
    wall = ended - started
    print(f"{'whole grading':<28}{wall:8.1f}{total_cpu:8.1f}{sampler.peak():13.0f}{sampler.peak(column=2):14.0f}"
          f"{total_cpu / GRADESCOPE['vcpu']:17.0f}")
    print(f"\nGradescope's default container: {GRADESCOPE['memory_mb']} MB, {GRADESCOPE['vcpu']} vCPU, "
          f"{GRADESCOPE['timeout_s'] // 60} minutes.")
    print(f"Peak memory of the whole tree: {sampler.peak():.0f} MB resident ({sampler.peak() / GRADESCOPE['memory_mb']:.0%} "
          f"of the container), of which {sampler.peak(column=2):.0f} MB anonymous "
          f"({sampler.peak(column=2) / GRADESCOPE['memory_mb']:.0%}); the rest is library code the kernel can reclaim.")
    print(f"Projected wall time at 0.5 vCPU: {total_cpu / GRADESCOPE['vcpu']:.0f} s "
          f"({total_cpu / GRADESCOPE['vcpu'] / GRADESCOPE['timeout_s']:.0%} of the timeout).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
