"""`make calibrate`: train the reference over several seeds to set the perplexity threshold.

    python -m assignment.calibrate --seeds 5 [--hparams '{"epochs": 4}'] [--write]

Everything runs through the autograder's own engine: a `Session` over a bundle laid
out like the zip (its config.json, its data, no expected values needed) grades the
reference's `train` part with the graded tests themselves, so each seed is trained in
the same sandboxed child, with the same limits, data and windowing, and its hidden-test
perplexity is computed by the same judge code (the leaderboard value of test 6.2). Only
the seed changes (the bundle's `train_seed`, in memory) and, with --hparams, the
reference's HPARAMS (in a modified copy of solution/language_model.py).

It prints each seed's perplexity and CPU-seconds, three baselines (the same model with
a vanilla RNN cell, the untrained model, an add-one unigram), proposes a threshold
with `propose_threshold` and, with --write, records the threshold and the calibration
in autograder/config.json.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime
import io
import json
import math
import platform
import shlex
import shutil
import statistics
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from assignment.corpus import unigram_perplexity
from autograder import data
from autograder.grade import run_tests
from autograder.session import Bundle, Session, write_expected

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "autograder" / "config.json"
REFERENCE = REPO / "solution" / "language_model.py"
DATA = {"train.txt": REPO / "stencil" / "data" / "train.txt", "vocab.txt": REPO / "stencil" / "data" / "vocab.txt",
        "hidden_test.txt": REPO / "solution" / "data" / "hidden_test.txt"}  # what build_zip ships in data/
HPARAM_KEYS = ("cell", "embedding_sz", "hidden_sz", "window_sz", "batch_sz", "epochs", "learning_rate")
LEADERBOARD_NAME = "Test perplexity"  # what test 6.2 publishes

# The threshold rule (see propose_threshold).
SEED_MARGIN = 1.10  # threshold >= worst calibrated seed x this
ROUND_TO = 1.0  # then rounded up to a whole perplexity
# The budget rule (see recommend_budget).
BUDGET_SLACK = 2.5  # a student's training may take this many times the reference's worst seed
BUDGET_ROUND_TO = 10  # CPU-seconds


# --------------------------------------------------------------------------------------
# The rules: pure functions of the measurements, tested on fake numbers.


def propose_threshold(seed_perplexities, margin: float = SEED_MARGIN, round_to: float = ROUND_TO) -> float:
    """The perplexity threshold: the worst reference seed times `margin`, rounded up.

    Why this rule. The threshold must pass every correct submission that trains with the
    reference's HPARAMS, and the calibration measures only one source of spread: the seed.
    A correct student's `train` differs in ways the contract allows and the seeds do not
    sample (how it shuffles, whether it keeps the last partial batch, how it averages the
    loss, float summation order), and Gradescope's CPU and libraries are not ours. So the
    threshold sits above the worst seed, not the median, with a further margin. The margin
    is a factor because perplexity is exp(mean cross-entropy): x1.10 is +0.095 nats per
    token whatever the level, about what a slightly different batch order or one epoch's
    worth of learning-rate luck moves. Rounding up keeps the number readable for students.
    It must stay well below what a model that learned nothing from context reaches (the
    unigram, about 188 here, and the untrained model, about the vocabulary size): see
    `separation`.
    """
    values = [float(v) for v in seed_perplexities]
    if not values or not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"every seed needs a finite positive perplexity, got {values}")
    if margin < 1:
        raise ValueError("the margin must be at least 1: the threshold may not fail a reference seed")
    return float(math.ceil(round(max(values) * margin / round_to, 9)) * round_to)  # round(): 50 x 1.1 is 55, not 56


def separation(threshold: float, untrained: float | None, unigram: float) -> dict:
    """How far the threshold is below the models that learned nothing from context (ratios > 1 separate)."""
    result = {"unigram_over_threshold": unigram / threshold, "separates_unigram": threshold < unigram}
    if untrained is not None:
        result.update(untrained_over_threshold=untrained / threshold, separates_untrained=threshold < untrained)
    return result


def recommend_budget(seed_cpu_seconds, slack: float = BUDGET_SLACK, round_to: int = BUDGET_ROUND_TO) -> dict:
    """limits.train for students: the reference's worst CPU-seconds times `slack`, rounded up.

    A reasonable student `train` can be slower than the reference (no tf.function, a Python
    loss, a smaller batch): 2-2.5x is common, so the budget allows that much. The wall limit
    is not set here: the judge derives it from the CPU the machine gives (sandbox.wall_allowance).
    """
    worst = max(float(v) for v in seed_cpu_seconds)
    return {"cpu_seconds": int(math.ceil(worst * slack / round_to) * round_to)}


def seeds_for(train_seed: int, count: int) -> list[int]:
    """The graded seed first, then the next ones: the reference's own graded run is always calibrated."""
    return [train_seed + k for k in range(count)]


def with_hparams(source: str, overrides: dict) -> tuple[str, dict]:
    """The reference's source with its top-level HPARAMS replaced by HPARAMS updated with `overrides`."""
    module = ast.parse(source)
    found = [node for node in module.body if isinstance(node, ast.Assign)
             and any(isinstance(t, ast.Name) and t.id == "HPARAMS" for t in node.targets)]
    if len(found) != 1:
        raise ValueError(f"the reference must assign HPARAMS exactly once at the top level (found {len(found)})")
    node = found[0]
    hparams = {**ast.literal_eval(node.value), **overrides}
    lines = source.splitlines(keepends=True)
    replacement = "HPARAMS = {\n" + "".join(f"    {key!r}: {value!r},\n" for key, value in hparams.items()) + "}\n"
    return "".join(lines[: node.lineno - 1]) + replacement + "".join(lines[node.end_lineno:]), hparams


def updated_config(config: dict, threshold: float, calibration: dict, partial_credit_until: float | None = None) -> str:
    """config.json's text with the threshold, the partial-credit end and the calibration record set, every other field as it was."""
    config = dict(config)
    config["perplexity_threshold"] = threshold
    config["perplexity_partial_credit_until"] = partial_credit_until
    config["calibration"] = calibration
    return json.dumps(config, indent=2) + "\n"


def _hparams_argument(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not JSON: {error}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object such as '{\"epochs\": 4}'")
    unknown = sorted(set(value) - set(HPARAM_KEYS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown keys {unknown}; HPARAMS has {list(HPARAM_KEYS)}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m assignment.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=_positive, default=5, help="how many seeds to train the reference with (default 5)")
    parser.add_argument("--hparams", type=_hparams_argument, default={},
                        help="JSON object overriding the reference's HPARAMS, e.g. '{\"epochs\": 4, \"hidden_sz\": 192}'")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="the reference's graded code")
    parser.add_argument("--config", type=Path, default=CONFIG, help="the autograder's config.json")
    parser.add_argument("--no-baselines", action="store_true", help="skip the vanilla RNN and untrained runs (for quick experiments)")
    parser.add_argument("--write", action="store_true", help="record the threshold and the calibration in --config")
    parser.add_argument("--partial-credit-until", type=float, default=None, metavar="PERPLEXITY",
                        help="partial credit for the perplexity test: full points at the threshold, none at PERPLEXITY "
                             "(recorded with --write; without it the test is all or nothing)")
    args = parser.parse_args(argv)
    if args.write and args.no_baselines:
        parser.error("--write needs the baselines: the threshold must be checked against the untrained model")
    return args


# --------------------------------------------------------------------------------------
# Running the engine.


def lay_out_bundle(root: Path, config: dict) -> Path:
    """What Bundle and the train tests read, laid out like the zip: config.json, data/, expected/."""
    (root / "data").mkdir(parents=True)
    for name, path in DATA.items():
        shutil.copy(path, root / "data" / name)
    (root / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (root / "expected").mkdir()
    write_expected(root / "expected" / "expected.json", {}, {})  # training compares with the threshold only
    return root


def grade_training(bundle_root: Path, submission: Path, seed: int) -> dict:
    """Grade the `train` part of `submission` with the bundle's config and `seed`, as the judge does."""
    bundle = Bundle(bundle_root)
    bundle.config["train_seed"] = seed
    session = Session(bundle, submission, parts={"train"})
    if session.problem:
        raise SystemExit(f"the engine cannot grade {submission}: {session.problem}")
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        plugin = run_tests(REPO, session, {"train"})
    run = session.runs.get("train")
    answers = session.answers.get("train")
    values = [entry["value"] for entry in plugin.leaderboard_entries if entry["name"] == LEADERBOARD_NAME]
    result = {"seed": seed, "perplexity": float(values[0]) if values else None,
              "cpu_seconds": round(run.cpu_seconds, 1) if run else None,
              "wall_seconds": round(run.wall_seconds, 1) if run else None,
              "peak_memory_mb": round(run.peak_memory_mb) if run else None,
              "ending": run.ending if run else None,
              "losses": answers.info("losses") if answers else None,
              "hparams": answers.info("hparams") if answers else None}
    if result["perplexity"] is None:
        failures = [entry["output"] for entry in plugin.entries.values() if entry["status"] != "passed"]
        result["problem"] = "\n".join(failures)[:2000] or printed.getvalue()[-2000:]
    return result


def _describe(result: dict) -> str:
    if result["perplexity"] is None:
        return f"seed {result['seed']}: NO PERPLEXITY ({result['ending']}, cpu {result['cpu_seconds']} s)\n  {result['problem']}"
    losses = result["losses"] if isinstance(result["losses"], list) else []
    return (f"seed {result['seed']:>5}: perplexity {result['perplexity']:8.2f}   cpu {result['cpu_seconds']:6.1f} s   "
            f"wall {result['wall_seconds']:6.1f} s   peak {result['peak_memory_mb']:5d} MB   "
            f"epoch losses {', '.join(f'{loss:.3f}' for loss in losses)}")


def _machine() -> str:
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    return f"{model}; {platform.system()} {platform.machine()}; Python {platform.python_version()}"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def main(argv=None) -> int:
    args = parse_args(argv)
    config = json.loads(args.config.read_text())
    source, hparams = with_hparams(args.reference.read_text(), args.hparams)
    print(f"reference {args.reference.relative_to(REPO) if args.reference.is_relative_to(REPO) else args.reference}, "
          f"HPARAMS {hparams}")
    print(f"limits.train {config['limits']['train']}, threads {config['threads']}, memory {config['memory_mb']} MB")

    with tempfile.TemporaryDirectory(prefix="rnnkit-calibrate-") as folder:
        folder = Path(folder)
        bundle_root = lay_out_bundle(folder / "source", config)
        vocab = data.load_vocab(bundle_root / "data" / "vocab.txt")
        train_ids = data.load_ids(bundle_root / "data" / "train.txt", vocab)
        test_ids = data.load_ids(bundle_root / "data" / "hidden_test.txt", vocab)
        unigram = unigram_perplexity(train_ids, test_ids, len(vocab))

        def submission(name: str, overrides: dict) -> Path:
            path = folder / name / "language_model.py"
            path.parent.mkdir()
            path.write_text(with_hparams(source, overrides)[0])
            return path

        reference = submission("reference", {})
        seeds = seeds_for(int(config["train_seed"]), args.seeds)
        print(f"\nThe reference over {len(seeds)} seeds (one at a time):")
        results = []
        for seed in seeds:
            results.append(grade_training(bundle_root, reference, seed))
            print(_describe(results[-1]), flush=True)
        rnn = untrained = None
        if not args.no_baselines:
            print("\nBaselines (graded seed):")
            rnn = grade_training(bundle_root, submission("rnn", {"cell": "rnn"}), seeds[0])
            print("vanilla RNN, otherwise the same HPARAMS: " + _describe(rnn), flush=True)
            untrained = grade_training(bundle_root, submission("untrained", {"epochs": 0}), seeds[0])
            print("untrained (epochs 0):                   " + _describe(untrained), flush=True)
        print(f"add-one unigram on train, hidden_test:    perplexity {unigram:8.2f}")

    failed = [r for r in results if r["perplexity"] is None]
    if failed:
        print(f"\n{len(failed)} seed(s) produced no perplexity: fix the reference or the limits before calibrating.")
        return 1
    perplexities = [r["perplexity"] for r in results]
    cpu = [r["cpu_seconds"] for r in results]
    threshold = propose_threshold(perplexities)
    untrained_ppl = untrained["perplexity"] if untrained else None
    apart = separation(threshold, untrained_ppl, unigram)
    budget = recommend_budget(cpu)

    print(f"\nperplexity  min {min(perplexities):.2f}  median {statistics.median(perplexities):.2f}  max {max(perplexities):.2f}")
    print(f"cpu seconds min {min(cpu):.1f}  median {statistics.median(cpu):.1f}  max {max(cpu):.1f}")
    print(f"\nproposed threshold {threshold:g} = ceil(worst seed {max(perplexities):.2f} x {SEED_MARGIN})  "
          f"(current {config.get('perplexity_threshold')})")
    print(f"  worst seed is {threshold / max(perplexities):.3f}x below it "
          f"({math.log(threshold / max(perplexities)):.3f} nats of cross-entropy per token)")
    if rnn and rnn["perplexity"] is not None:
        verdict = "passes" if rnn["perplexity"] <= threshold else "fails"
        print(f"  the vanilla RNN ({rnn['perplexity']:.2f}) {verdict}: threshold / RNN = {threshold / rnn['perplexity']:.3f}")
    print(f"  unigram ({unigram:.2f}) is {apart['unigram_over_threshold']:.2f}x above it: "
          f"{'separated' if apart['separates_unigram'] else 'NOT SEPARATED'}")
    if untrained_ppl is not None:
        print(f"  untrained ({untrained_ppl:.2f}) is {apart['untrained_over_threshold']:.2f}x above it: "
              f"{'separated' if apart['separates_untrained'] else 'NOT SEPARATED'}")
    current = config["limits"]["train"]
    print(f"\nbudget: worst reference {max(cpu):.1f} CPU-s; limits.train is {current} "
          f"({current['cpu_seconds'] / max(cpu):.1f}x the reference); the rule (x{BUDGET_SLACK}) recommends {budget}")
    if current["cpu_seconds"] < 2 * max(cpu):
        print("  WARNING: limits.train.cpu_seconds leaves a student less than 2x the reference's CPU time")

    if args.write:
        if not (apart["separates_unigram"] and apart.get("separates_untrained", False)):
            print("\nnot written: the threshold does not separate the reference from the baselines")
            return 1
        calibration = {
            "date": datetime.date.today().isoformat(),
            "command": shlex.join(["python", "-m", "assignment.calibrate", *(sys.argv[1:] if argv is None else argv)]),
            "hparams": hparams,
            "train_seed": int(config["train_seed"]),
            "seeds": seeds,
            "perplexities": perplexities,
            "cpu_seconds": cpu,
            "wall_seconds": [r["wall_seconds"] for r in results],
            "summary": {"min": min(perplexities), "median": statistics.median(perplexities), "max": max(perplexities),
                        "cpu_seconds_max": max(cpu)},
            "baselines": {"rnn": rnn["perplexity"], "rnn_cpu_seconds": rnn["cpu_seconds"], "untrained": untrained_ppl,
                          "unigram": round(unigram, 2)},
            "rule": f"threshold = ceil(max(perplexities) x {SEED_MARGIN}); see assignment/calibrate.py propose_threshold",
            "margin": {"threshold_over_worst": round(threshold / max(perplexities), 4),
                       "unigram_over_threshold": round(apart["unigram_over_threshold"], 4),
                       "untrained_over_threshold": round(apart["untrained_over_threshold"], 4)},
            "budget": {"limits_train": current, "recommended": budget,
                       "slack_over_worst_cpu": round(current["cpu_seconds"] / max(cpu), 2)},
            "machine": _machine(),
            "versions": {name: _version(name) for name in ("tensorflow-cpu", "keras", "numpy")},
        }
        if args.partial_credit_until is not None and args.partial_credit_until <= threshold:
            print(f"\nnot written: --partial-credit-until must be above the threshold {threshold:g}")
            return 1
        args.config.write_text(updated_config(config, threshold, calibration, args.partial_credit_until))
        print(f"\nwrote perplexity_threshold {threshold:g}"
              + (f", partial credit down to {args.partial_credit_until:g}" if args.partial_credit_until else "")
              + f" and the calibration to {args.config}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
