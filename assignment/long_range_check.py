"""Does the handout's long-range demo (part 7) show the lecture's point for most seeds? Measured with the reference.

    python -m assignment.long_range_check [--seeds 5]        (make long-range SEEDS=5)

For each notebook seed, it runs the notebook's own `long_range_runs` (read from
solution/language_model.py, so `make stencil` first): the vanilla RNN trained from several random
starts and the LSTM from one, all drawn from that seed. It prints each model's accuracy of the word
after "had" at each distance, the RNN's mean, and the CPU and wall seconds of the whole part on one
thread (as the handout announces them). The notebook uses seed 0; a student's own code draws its
random numbers in its own order, which other seeds stand in for.

The lecture's claim is a tendency over random starts, not a law of every start, so it is checked on
the mean: the LSTM is right at every distance, and the vanilla RNN's mean accuracy falls from the
short distances to the longest. The exit status is 1 when fewer than 9 seeds in 10 show it, or when
a seed's part takes more CPU-seconds than the budget.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")  # one thread, before TensorFlow starts
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REFERENCE = Path(__file__).resolve().parent.parent / "solution" / "language_model.py"
SHORT = (1, 2)  # distances, in words between the subject and the cue, that even the vanilla RNN gets right
GOOD = 0.9  # right this often is remembering
DROP = 0.3  # how far the vanilla RNN's mean accuracy must fall from the short distances to the longest
SHARE = 0.9  # of the seeds that must show the whole claim
CPU_BUDGET = 90  # CPU-seconds the whole part may take, on one thread


def load_reference():
    import tensorflow as tf

    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    spec = importlib.util.spec_from_file_location("reference_language_model", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(reference, seed: int) -> dict:
    """The notebook's part 7 for one seed: cell -> list of curves (distance -> accuracy), and its cost."""
    cpu, wall = time.process_time(), time.time()
    runs = reference.long_range_runs(seed)
    return {"curves": {cell: [dict(zip(reference.DISTANCES, curve)) for curve in curves] for cell, curves in runs.items()},
            "cpu_seconds": time.process_time() - cpu, "wall_seconds": time.time() - wall}


def mean_curve(curves: list[dict]) -> dict:
    return {d: sum(curve[d] for curve in curves) / len(curves) for d in curves[0]}


CLAIMS = ("the LSTM is right at every distance", "the vanilla RNN's mean falls from the short distances to the longest")


def broken_claims(rnn_curves: list[dict], lstm_curves: list[dict]) -> list[tuple[str, str]]:
    """(claim, what these curves show instead) for each of the lecture's CLAIMS that the mean curves break.

    Each curve maps a distance to the accuracy of one model trained from one random start.
    """
    rnn, lstm = mean_curve(rnn_curves), mean_curve(lstm_curves)
    broken = [(CLAIMS[0], f"the LSTM is right only {lstm[d]:.0%} of the time at distance {d} (at least {GOOD:.0%})")
              for d in sorted(lstm) if lstm[d] < GOOD]
    longest, short = max(rnn), sum(rnn[d] for d in SHORT) / len(SHORT)
    if short - rnn[longest] < DROP:
        broken.append((CLAIMS[1], f"the RNN's mean falls only from {short:.2f} at distances {SHORT[0]}-{SHORT[-1]} to"
                                  f" {rnn[longest]:.2f} at distance {longest} (by at least {DROP})"))
    return broken


def enough(held: int, seeds: int) -> bool:
    return held >= math.ceil(SHARE * seeds)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="notebook seeds 0, 1, … (the notebook uses 0)")
    seeds = range(parser.parse_args(argv).seeds)
    reference = load_reference()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; TensorFlow on one thread")
    print("seed  model     " + "  ".join(f"d={d:<3}" for d in reference.DISTANCES))
    broken_by_seed, cpu, wall = {}, [], []
    for seed in seeds:
        result = measure(reference, seed)
        rows = [(f"rnn {start + 1}", curve) for start, curve in enumerate(result["curves"]["rnn"])]
        rows += [("rnn mean", mean_curve(result["curves"]["rnn"]))]
        rows += [(f"lstm {start + 1}", curve) for start, curve in enumerate(result["curves"]["lstm"])]
        for model, curve in rows:
            print(f"{seed:>4}  {model:<8}  " + "  ".join(f"{curve[d]:5.2f}" for d in reference.DISTANCES))
        cpu.append(result["cpu_seconds"])
        wall.append(result["wall_seconds"])
        print(f"      seed {seed}: {cpu[-1]:.0f} CPU-s, {wall[-1]:.0f} s of wall time, load average {os.getloadavg()[0]:.1f}",
              flush=True)
        broken_by_seed[seed] = broken_claims(result["curves"]["rnn"], result["curves"]["lstm"])
        for _, why in broken_by_seed[seed]:
            print(f"      seed {seed}: {why}")
    print(f"part 7 per seed: {min(cpu):.0f} to {max(cpu):.0f} CPU-s (budget {CPU_BUDGET}), {min(wall):.0f} to {max(wall):.0f} s"
          f" of wall time (the handout announces part 7's time: keep it in line)")
    for claim in CLAIMS:
        held = sum(all(broken != claim for broken, _ in broken_by_seed[seed]) for seed in seeds)
        print(f"{claim}: {held} of {len(seeds)} seeds")
    whole = [seed for seed in seeds if not broken_by_seed[seed]]
    print(f"the whole claim: {len(whole)} of {len(seeds)} seeds ({', '.join(map(str, whole)) or 'none'});"
          f" it must hold for at least {math.ceil(SHARE * len(seeds))}")
    return 0 if enough(len(whole), len(seeds)) and max(cpu) <= CPU_BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
