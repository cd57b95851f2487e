"""`make calibrate`: train the reference over several seeds to set the perplexity threshold.

    python -m assignment.calibrate --seeds 5 [--hparams '{"epochs": 4}'] [--write]

Everything runs through the autograder's own engine: a `Session` over a bundle laid
out like the zip (its config.json, its data, no expected values needed) grades the
reference's `train` part with the graded tests themselves, so each seed is trained in
the same sandboxed child, with the same limits, data and windowing, and its hidden-test
perplexity is computed by the same judge code (the leaderboard value of test 6.2). Only
the seed changes (the bundle's `train_seed`, in memory) and, with --hparams, the
reference's HPARAMS (in a modified copy of solution/language_model.py).

Each trained model is evaluated by the judge's own code (autograder/evaluate.py) on the
hidden test split and on the public one the students' checker uses, with its state
carried and with its state reset before every step. It prints a table: the reference
over seeds, the vanilla RNN, the untrained model, the reference trained three times as
long, and count n-grams fitted on the training split (add-one unigram, bigram, trigram),
each with its CPU-seconds and the machine's processor. From these it proposes the
configuration the training part grades with (see the rules below) and, with --write,
records it and the calibration in autograder/config.json. It refuses to write a
threshold that a count bigram would pass.
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
import time
from importlib import metadata
from pathlib import Path

from assignment import ngram
from assignment.corpus import unigram_perplexity
from autograder import data, evaluate
from autograder.parts import budget
from autograder.feedback import CheckFailed
from autograder.grade import run_tests
from autograder.session import WEIGHTS, Bundle, Session, write_expected

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "autograder" / "config.json"
REFERENCE = REPO / "solution" / "language_model.py"
DATA = {"train.txt": REPO / "stencil" / "data" / "train.txt", "vocab.txt": REPO / "stencil" / "data" / "vocab.txt",
        "hidden_test.txt": REPO / "solution" / "data" / "hidden_test.txt"}  # what build_zip ships in data/
PUBLIC = {"valid.txt": REPO / "stencil" / "data" / "valid.txt", "test.txt": REPO / "stencil" / "data" / "test.txt"}
SPLITS = ("hidden_test.txt", "test.txt")  # graded on Gradescope; checked by the students' checker
HPARAM_KEYS = ("cell", "embedding_sz", "hidden_sz", "window_sz", "batch_sz", "epochs", "learning_rate")

# The threshold rule (see propose_threshold).
SEED_MARGIN = 1.10  # threshold >= worst calibrated seed x this
ROUND_TO = 1.0  # then rounded up to a whole perplexity
# The budget rule (see recommend_budget).
BUDGET_SLACK = 2.5  # a student's training may take this many times the reference's worst seed
BUDGET_ROUND_TO = 10  # CPU-seconds
# The rules for what the training part certifies (see check_below_bigram, propose_state_reset_min_ratio, propose_implausible_below).
BIGRAM_MARGIN = 1.05  # the threshold at most the count bigram's perplexity / this
STATE_RATIO_ROOT = 0.5  # the state-reset ratio asked of students: the weakest calibrated ratio to this power
MIN_STATE_RATIO = 1.1  # below this (0.1 nats), a model with and without its state cannot be told apart safely
LONG_RUN_EPOCHS = 3  # the implausibility floor's run: the reference trained this many times as many epochs
IMPLAUSIBLE_FACTOR = 0.75  # a test perplexity under the long run's times this is implausible


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


def check_below_bigram(threshold: float, bigram: float, split: str, margin: float = BIGRAM_MARGIN) -> str | None:
    """Why `threshold` may not be written (None if it may): a count bigram, or within `margin` of it, would pass.

    A bigram's predictions come from the current token alone; a threshold it passes certifies
    no use of context, and a table of bigram counts written into a recurrent model's weights
    (no training, no recurrence) would earn the training part.
    """
    if threshold * margin <= bigram:
        return None
    return (f"the threshold {threshold:g} on {split} is not below the count bigram's perplexity {bigram:.2f} by the "
            f"margin x{margin} (at most {bigram / margin:.2f}): a table of bigram counts written into a recurrent model "
            "would pass the training part")


def propose_state_reset_min_ratio(ratios, root: float = STATE_RATIO_ROOT) -> float:
    """How much worse a trained model must predict with its state reset before every step: the weakest ratio
    (state reset / carried) of the reference's seeds and the vanilla RNN, on either split, to the power `root`,
    rounded down. Halfway (in nats) between "no use of the state" (1) and the weakest honest model, so any
    model trained as the handout asks passes, and a model whose state changes nothing fails."""
    values = [float(v) for v in ratios]
    if not values or not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"every model needs a finite positive ratio, got {values}")
    return math.floor(min(values) ** root * 100) / 100


def propose_implausible_below(long_run_perplexity: float, factor: float = IMPLAUSIBLE_FACTOR) -> float:
    """The perplexity under which a result is implausible: the reference trained LONG_RUN_EPOCHS times as long,
    times `factor` (0.29 nats below it), rounded down. A student may beat the reference; to beat its much longer
    run by that much within the same budget is rather a sign of a model that has seen the test text."""
    return float(math.floor(long_run_perplexity * factor))


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


def updated_config(config: dict, settings: dict, calibration: dict) -> str:
    """config.json's text with `settings` (the keys calibration sets) and the calibration record, every other field as it was."""
    config = {**config, **settings, "calibration": calibration}
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


def grade_training(bundle_root: Path, submission: Path, seed: int, splits: dict, budget_factor: int = 1) -> dict:
    """Grade the `train` part of `submission` with the bundle's config and `seed`, as the judge does, and evaluate the
    trained model on each of `splits` ({name: ids}) with its state carried and reset. `budget_factor` multiplies
    the training budget (for the long run only); the session's workspace is removed afterwards."""
    bundle = Bundle(bundle_root)
    bundle.config["train_seed"] = seed
    bundle.config.setdefault("limits", {})["train"] = {"cpu_seconds": bundle.budget("train") * budget_factor}
    bundle.config["timeout_seconds"] *= budget_factor
    session = Session(bundle, submission, parts={"train"})
    try:
        if session.problem:
            raise SystemExit(f"the engine cannot grade {submission}: {session.problem}")
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            plugin = run_tests(REPO, session, {"train"})
        run, answers = session.runs.get("train"), session.answers.get("train")
        result = {"seed": seed, "cpu_seconds": round(run.cpu_seconds, 1) if run else None,
                  "wall_seconds": round(run.wall_seconds, 1) if run else None,
                  "peak_memory_mb": round(run.peak_memory_mb) if run else None, "ending": run.ending if run else None,
                  "losses": answers.info("losses") if answers else None, "hparams": answers.info("hparams") if answers else None,
                  "perplexity": {}, "state_reset": {}}
        try:
            model = evaluate.trained_model({name: answers.get("train", name) for name in WEIGHTS},
                                           cell=(answers.info("hparams") or {}).get("cell"), vocab_sz=len(data.load_vocab(bundle.data / "vocab.txt")), max_width=bundle.config["max_width"])
        except (CheckFailed, evaluate.UnusableModel, AttributeError):
            failures = [entry["output"] for entry in plugin.entries.values() if entry["status"] != "passed"]
            result["problem"] = "\n".join(failures)[:2000] or printed.getvalue()[-2000:]
            return result
        started = time.process_time()
        for name, ids in splits.items():
            windows = evaluate.windows(session.relabel(ids), bundle.config["evaluation_window_sz"])
            result["perplexity"][name] = round(evaluate.perplexity(model, *windows), 2)
            result["state_reset"][name] = round(evaluate.perplexity(model, *windows, carry_state=False), 2)
        result["evaluation_cpu_seconds"] = round(time.process_time() - started, 1)
        return result
    finally:
        shutil.rmtree(session.workspace, ignore_errors=True)


def _describe(result: dict) -> str:
    if not result["perplexity"]:
        return f"NO PERPLEXITY ({result['ending']}, cpu {result['cpu_seconds']} s)\n  {result.get('problem')}"
    losses = result["losses"] if isinstance(result["losses"], list) else []
    shown = "  ".join(f"{split} {result['perplexity'][split]:7.2f} (state reset {result['state_reset'][split]:8.2f})"
                      for split in SPLITS)
    return (f"{shown}   cpu {result['cpu_seconds']:6.1f} s   wall {result['wall_seconds']:6.1f} s   "
            f"epoch losses {', '.join(f'{loss:.3f}' for loss in losses)}")


def table(rows: list[tuple]) -> str:
    """The calibration as a Markdown table (for assignment/CORPUS.md): (model, {split: perplexity}, {split: reset}, CPU-s)."""
    def number(value):
        return "–" if value is None else f"{value:.2f}"
    lines = ["| model | hidden_test | test (public) | state reset: hidden_test | state reset: test | CPU-s |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, perplexity, reset, cpu in rows:
        lines.append(f"| {name} | {number(perplexity.get('hidden_test.txt'))} | {number(perplexity.get('test.txt'))} | "
                     f"{number(reset.get('hidden_test.txt'))} | {number(reset.get('test.txt'))} | "
                     f"{'–' if cpu is None else f'{cpu:.1f}'} |")
    return "\n".join(lines)


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


def count_models(folder: Path, splits: dict) -> list[tuple]:
    """The add-one unigram, count bigram and interpolated trigram fitted on train (weights chosen on valid), as table rows."""
    vocab = data.load_vocab(folder / "vocab.txt")
    train_ids = data.load_ids(folder / "train.txt", vocab)
    valid_ids = data.load_ids(PUBLIC["valid.txt"], vocab)
    rows, started = [], time.process_time()
    unigram = {name: round(unigram_perplexity(train_ids, ids, len(vocab)), 2) for name, ids in splits.items()}
    rows.append(("add-one unigram (train)", unigram, {}, time.process_time() - started))
    for order, name in ((2, "count bigram"), (3, "interpolated trigram")):
        started = time.process_time()
        counts = ngram.Counts.of(train_ids, len(vocab))
        l3, l2 = ngram.fit(counts, valid_ids, order)
        weights = f"λ = {l2:g}" if order == 2 else f"λ3 = {l3:g}, λ2 = {l2:g}"
        rows.append((f"{name} (train; {weights}, chosen on valid)",
                     {split: round(ngram.perplexity(counts, ids, l3, l2), 2) for split, ids in splits.items()}, {},
                     time.process_time() - started))
    return rows


def main(argv=None) -> int:
    args = parse_args(argv)
    config = json.loads(args.config.read_text())
    source, hparams = with_hparams(args.reference.read_text(), args.hparams)
    machine = _machine()
    print(f"reference {args.reference.relative_to(REPO) if args.reference.is_relative_to(REPO) else args.reference}, "
          f"HPARAMS {hparams}")
    print(f"training budget {budget('train', config):g} CPU-s, threads {config['threads']}, memory {config['memory_mb']} MB")
    print(f"machine: {machine}")

    with tempfile.TemporaryDirectory(prefix="rnnkit-calibrate-") as folder:
        folder = Path(folder)
        bundle_root = lay_out_bundle(folder / "source", config)
        vocab = data.load_vocab(bundle_root / "data" / "vocab.txt")
        splits = {"hidden_test.txt": data.load_ids(bundle_root / "data" / "hidden_test.txt", vocab),
                  "test.txt": data.load_ids(PUBLIC["test.txt"], vocab)}
        counted = count_models(bundle_root / "data", splits)
        unigram, bigram = counted[0][1], counted[1][1]

        def submission(name: str, overrides: dict) -> Path:
            path = folder / name / "language_model.py"
            path.parent.mkdir()
            path.write_text(with_hparams(source, overrides)[0])
            return path

        def graded(label: str, path: Path, seed: int, budget_factor: int = 1) -> dict:
            result = grade_training(bundle_root, path, seed, splits, budget_factor)
            print(f"{label:<34}" + _describe(result), flush=True)
            return result

        reference = submission("reference", {})
        seeds = seeds_for(int(config["train_seed"]), args.seeds)
        print(f"\nThe reference over {len(seeds)} seeds (one at a time), each evaluated on {' and '.join(SPLITS)}:")
        results = [graded(f"seed {seed}", reference, seed) for seed in seeds]
        rnn = untrained = long_run = None
        if not args.no_baselines:
            print("\nBaselines (graded seed):")
            rnn = graded("vanilla RNN, the same HPARAMS", submission("rnn", {"cell": "rnn"}), seeds[0])
            untrained = graded("untrained (epochs 0)", submission("untrained", {"epochs": 0}), seeds[0])
            long_epochs = int(hparams["epochs"]) * LONG_RUN_EPOCHS
            long_run = graded(f"the reference, {long_epochs} epochs", submission("long", {"epochs": long_epochs}),
                              seeds[0], budget_factor=LONG_RUN_EPOCHS + 1)

    failed = [r for r in [*results, rnn, untrained, long_run] if r is not None and not r["perplexity"]]
    if failed:
        print(f"\n{len(failed)} run(s) produced no perplexity: fix the reference or the limits before calibrating.")
        return 1
    rows = [(f"reference, seed {r['seed']}", r["perplexity"], r["state_reset"], r["cpu_seconds"]) for r in results]
    if not args.no_baselines:
        rows += [("vanilla RNN (cell rnn), graded seed", rnn["perplexity"], rnn["state_reset"], rnn["cpu_seconds"]),
                 ("untrained (epochs 0)", untrained["perplexity"], untrained["state_reset"], untrained["cpu_seconds"]),
                 (f"reference, {long_epochs} epochs, graded seed", long_run["perplexity"], long_run["state_reset"],
                  long_run["cpu_seconds"])]
    rows += [(name, perplexity, reset, round(cpu, 2)) for name, perplexity, reset, cpu in counted]
    print(f"\n{table(rows)}\n\nMeasured on {machine}; CPU-s is training for the trained models, fitting and evaluating "
          f"for the counts; the judge's evaluation of one model on both splits, both ways, took "
          f"{results[0]['evaluation_cpu_seconds']} CPU-s.")

    hidden = [r["perplexity"]["hidden_test.txt"] for r in results]
    public = [r["perplexity"]["test.txt"] for r in results]
    cpu = [r["cpu_seconds"] for r in results]
    threshold, public_threshold = propose_threshold(hidden), propose_threshold(public)
    honest = [*results, *([rnn] if rnn else [])]
    ratios = [r["state_reset"][split] / r["perplexity"][split] for r in honest for split in SPLITS]
    min_ratio = propose_state_reset_min_ratio(ratios)
    untrained_ppl = untrained["perplexity"]["hidden_test.txt"] if untrained else None
    apart = separation(threshold, untrained_ppl, unigram["hidden_test.txt"])
    recommended = recommend_budget(cpu)
    gaps = [r["losses"][-1] - math.log(r["perplexity"]["hidden_test.txt"]) for r in honest
            if isinstance(r["losses"], list) and r["losses"]]

    print(f"\nhidden_test: perplexity min {min(hidden):.2f}  median {statistics.median(hidden):.2f}  max {max(hidden):.2f}")
    print(f"test:        perplexity min {min(public):.2f}  median {statistics.median(public):.2f}  max {max(public):.2f}")
    print(f"cpu seconds min {min(cpu):.1f}  median {statistics.median(cpu):.1f}  max {max(cpu):.1f}")
    print(f"\nproposed perplexity_threshold {threshold:g} = ceil(worst seed {max(hidden):.2f} x {SEED_MARGIN}) "
          f"(current {config.get('perplexity_threshold')}); count bigram {bigram['hidden_test.txt']:.2f}")
    print(f"proposed public_perplexity_threshold {public_threshold:g} = ceil(worst seed {max(public):.2f} x {SEED_MARGIN}) "
          f"(current {config.get('public_perplexity_threshold')}); count bigram {bigram['test.txt']:.2f}")
    print(f"proposed state_reset_min_ratio {min_ratio:g} = weakest ratio {min(ratios):.3f} ** {STATE_RATIO_ROOT} "
          f"(current {config.get('state_reset_min_ratio')})")
    if rnn:
        verdict = "passes" if rnn["perplexity"]["hidden_test.txt"] <= threshold else "fails"
        print(f"  the vanilla RNN ({rnn['perplexity']['hidden_test.txt']:.2f}) {verdict} the threshold")
    print(f"  unigram ({unigram['hidden_test.txt']:.2f}) is {apart['unigram_over_threshold']:.2f}x above it: "
          f"{'separated' if apart['separates_unigram'] else 'NOT SEPARATED'}")
    if untrained_ppl is not None:
        print(f"  untrained ({untrained_ppl:.2f}) is {apart['untrained_over_threshold']:.2f}x above it: "
              f"{'separated' if apart['separates_untrained'] else 'NOT SEPARATED'}")
    implausible_below = None
    if long_run:
        implausible_below = propose_implausible_below(long_run["perplexity"]["hidden_test.txt"])
        print(f"proposed implausible_below {implausible_below:g} = floor({long_epochs} epochs' "
              f"{long_run['perplexity']['hidden_test.txt']:.2f} x {IMPLAUSIBLE_FACTOR}) (current {config.get('implausible_below')})")
    if gaps:
        print(f"last epoch's loss minus held-out cross-entropy: {', '.join(f'{gap:+.3f}' for gap in gaps)} nats "
              f"(test 6.1 allows ±{evaluate.LOSS_TOLERANCE_NATS})")
    current = budget("train", config)
    print(f"\nbudget: worst reference {max(cpu):.1f} CPU-s; training's budget is {current:g} CPU-s "
          f"({current / max(cpu):.1f}x the reference); the rule (x{BUDGET_SLACK}) recommends {recommended}")
    if current < 2 * max(cpu):
        print("  WARNING: the training budget leaves a student less than 2x the reference's CPU time")

    refusals = [problem for problem in (check_below_bigram(threshold, bigram["hidden_test.txt"], "hidden_test"),
                                        check_below_bigram(public_threshold, bigram["test.txt"], "test")) if problem]
    if min_ratio < MIN_STATE_RATIO:
        refusals.append(f"the reference predicts almost as well with its state reset (ratio {min(ratios):.3f}): "
                        f"a state_reset_min_ratio of {min_ratio:g} (under {MIN_STATE_RATIO}) cannot tell a recurrent model "
                        "from a table of bigrams")
    if refusals:
        print("\n" + "!" * 100 + "\nTHE TRAINING PART CANNOT CERTIFY A RECURRENT MODEL WITH THESE NUMBERS:\n- "
              + "\n- ".join(refusals) + "\n\nWhat to do: make the reference better than counting within the budget "
              "(more epochs, a larger model or a learning-rate schedule: try them with --hparams, then put them into "
              "assignment/language_model.py); or, on your own corpus, choose text where context beyond the last word "
              "helps (a count bigram here is within reach of a trained RNN when the text is very formulaic or the "
              "training split small: more training text, a larger vocabulary). Nothing was written.\n" + "!" * 100)
        return 1
    if args.write:
        if not (apart["separates_unigram"] and apart.get("separates_untrained", False)):
            print("\nnot written: the threshold does not separate the reference from the baselines")
            return 1
        if args.partial_credit_until is not None and args.partial_credit_until <= threshold:
            print(f"\nnot written: --partial-credit-until must be above the threshold {threshold:g}")
            return 1
        settings = {"perplexity_threshold": threshold, "perplexity_partial_credit_until": args.partial_credit_until,
                    "public_perplexity_threshold": public_threshold, "state_reset_min_ratio": min_ratio,
                    "implausible_below": implausible_below}
        calibration = {
            "date": datetime.date.today().isoformat(),
            "command": shlex.join(["python", "-m", "assignment.calibrate", *(sys.argv[1:] if argv is None else argv)]),
            "hparams": hparams,
            "train_seed": int(config["train_seed"]),
            "seeds": seeds,
            "perplexities": hidden,
            "public_perplexities": public,
            "state_reset": {"perplexities": [r["state_reset"]["hidden_test.txt"] for r in results],
                            "public_perplexities": [r["state_reset"]["test.txt"] for r in results],
                            "weakest_ratio": round(min(ratios), 3)},
            "cpu_seconds": cpu,
            "wall_seconds": [r["wall_seconds"] for r in results],
            "summary": {"min": min(hidden), "median": statistics.median(hidden), "max": max(hidden),
                        "cpu_seconds_max": max(cpu)},
            "baselines": {"rnn": rnn["perplexity"], "rnn_state_reset": rnn["state_reset"], "rnn_cpu_seconds": rnn["cpu_seconds"],
                          "untrained": untrained_ppl, "unigram": unigram["hidden_test.txt"],
                          "count_bigram": bigram, "interpolated_trigram": counted[2][1],
                          "long_run": {"epochs": long_epochs, "perplexity": long_run["perplexity"],
                                       "cpu_seconds": long_run["cpu_seconds"]}},
            "rule": (f"threshold = ceil(max(perplexities) x {SEED_MARGIN}) and at most the count bigram / {BIGRAM_MARGIN}, "
                     f"on each split; state_reset_min_ratio = weakest ratio ** {STATE_RATIO_ROOT}; implausible_below = "
                     f"floor({LONG_RUN_EPOCHS}x-epochs run x {IMPLAUSIBLE_FACTOR}); see assignment/calibrate.py"),
            "margin": {"threshold_over_worst": round(threshold / max(hidden), 4),
                       "bigram_over_threshold": round(bigram["hidden_test.txt"] / threshold, 4),
                       "unigram_over_threshold": round(apart["unigram_over_threshold"], 4),
                       "untrained_over_threshold": round(apart["untrained_over_threshold"], 4)},
            "budget": {"limits_train": {"cpu_seconds": current}, "recommended": recommended,
                       "slack_over_worst_cpu": round(current / max(cpu), 2)},
            "machine": machine,
            "versions": {name: _version(name) for name in ("tensorflow-cpu", "keras", "numpy")},
        }
        args.config.write_text(updated_config(config, settings, calibration))
        print(f"\nwrote {', '.join(f'{key} {value}' for key, value in settings.items())} and the calibration to {args.config}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
