"""The committed perplexity threshold agrees with its calibration, and the calibration command's rules work.

Fast: no training here. The calibration itself is `make calibrate` (assignment/calibrate.py),
which trains the reference through the autograder's sandbox over several seeds.
"""

from __future__ import annotations

import json
import math
import shutil

import pytest

from assignment import calibrate
from assignment.corpus import unigram_perplexity
from autograder import data
from autograder.parts import budget
from autograder.sandbox import wall_allowance
from autograder.submission import graded_chunks

CONFIG = json.loads(calibrate.CONFIG.read_text())
REPO = calibrate.CONFIG.parents[1]


@pytest.fixture(scope="module")
def calibration():
    record = CONFIG.get("calibration")
    assert isinstance(record, dict), f"autograder/config.json has no calibration record ({record!r}): run `make calibrate` with --write"
    return record


def test_the_threshold_is_the_rule_applied_to_the_calibrated_seeds(calibration):
    threshold = CONFIG["perplexity_threshold"]
    perplexities = calibration["perplexities"]
    assert len(perplexities) == len(calibration["seeds"]) >= 3
    assert all(math.isfinite(p) and p > 0 for p in perplexities)
    assert threshold >= max(perplexities), "a calibrated reference seed would fail the threshold"
    assert threshold == calibrate.propose_threshold(perplexities)


def test_the_threshold_separates_the_reference_from_models_that_learned_nothing(calibration):
    threshold, baselines = CONFIG["perplexity_threshold"], calibration["baselines"]
    assert threshold < baselines["unigram"], "a unigram model (no context at all) would pass"
    assert threshold < baselines["untrained"], "an untrained model would pass"
    shipped = REPO / "stencil" / "data", REPO / "solution" / "data" / "hidden_test.txt"
    vocab = data.load_vocab(shipped[0] / "vocab.txt")
    unigram = unigram_perplexity(data.load_ids(shipped[0] / "train.txt", vocab), data.load_ids(shipped[1], vocab), len(vocab))
    assert baselines["unigram"] == pytest.approx(unigram, abs=0.01), "the recorded unigram is not this corpus's: recalibrate"


def test_the_threshold_sits_below_the_count_bigram_on_each_split(calibration):
    """A table of bigram counts written into a recurrent model must not reach the threshold (calibrate refuses to write one)."""
    bigram = calibration["baselines"]["count_bigram"]
    assert calibrate.check_below_bigram(CONFIG["perplexity_threshold"], bigram["hidden_test.txt"], "hidden_test") is None
    assert calibrate.check_below_bigram(CONFIG["public_perplexity_threshold"], bigram["test.txt"], "test") is None


def test_the_public_threshold_and_the_state_ratio_are_the_rules_applied_to_the_calibration(calibration):
    assert CONFIG["public_perplexity_threshold"] == calibrate.propose_threshold(calibration["public_perplexities"])
    assert CONFIG["state_reset_min_ratio"] == calibrate.propose_state_reset_min_ratio([calibration["state_reset"]["weakest_ratio"]])
    assert CONFIG["state_reset_min_ratio"] >= calibrate.MIN_STATE_RATIO
    for reset, carried in zip(calibration["state_reset"]["perplexities"], calibration["perplexities"]):
        assert reset / carried >= CONFIG["state_reset_min_ratio"], "a calibrated reference seed would fail the state check"
    long_run = calibration["baselines"]["long_run"]["perplexity"]["hidden_test.txt"]
    assert CONFIG["implausible_below"] == calibrate.propose_implausible_below(long_run) < min(calibration["perplexities"])


def test_the_graded_seed_was_calibrated(calibration):
    assert calibration["train_seed"] == CONFIG["train_seed"]
    assert calibration["seeds"][0] == CONFIG["train_seed"]


def test_the_training_budget_leaves_students_room(calibration):
    seconds, cpu = budget("train", CONFIG), calibration["cpu_seconds"]
    assert len(cpu) == len(calibration["perplexities"])
    assert seconds >= 2 * max(cpu), "a student's training gets less than twice the reference's CPU time"
    assert wall_allowance(seconds, 0.5) >= 2 * seconds, \
        "on Gradescope's 0.5 vCPU the wall limit would stop training before its CPU budget"
    assert max(cpu) <= 75, "the reference's training should take about a minute of one CPU at most"


def test_the_calibration_used_the_reference_hparams(calibration):
    """The threshold holds for the HPARAMS the reference ships; after changing them, run `make calibrate`."""
    hparams = calibrate.with_hparams(calibrate.REFERENCE.read_text(), {})[1]
    assert hparams == calibration["hparams"], (
        f"solution/language_model.py has HPARAMS {hparams}, but the threshold was calibrated with "
        f"{calibration['hparams']}: put those into assignment/language_model.py (make solution), or recalibrate")


# --- the rules, on fake numbers ---------------------------------------------------------


def test_propose_threshold_is_the_worst_seed_with_a_margin_rounded_up():
    assert calibrate.propose_threshold([100.2, 103.7, 98.1]) == 115.0  # 103.7 * 1.1 = 114.07
    assert calibrate.propose_threshold([50.0]) == 55.0
    assert calibrate.propose_threshold([45.01], margin=1.0) == 46.0
    assert calibrate.propose_threshold([45.0, 44.0], margin=1.2, round_to=5) == 55.0
    for seeds in ([43.7, 44.9, 46.2, 44.1, 45.0], [120.5], [2.5, 3.5]):
        threshold = calibrate.propose_threshold(seeds)
        assert threshold >= max(seeds) * calibrate.SEED_MARGIN
        assert threshold == int(threshold)


@pytest.mark.parametrize("bad", [[], [float("nan")], [40.0, float("inf")], [0.0], [-3.0]])
def test_propose_threshold_refuses_broken_measurements(bad):
    with pytest.raises(ValueError):
        calibrate.propose_threshold(bad)


def test_propose_threshold_never_goes_below_the_worst_seed():
    with pytest.raises(ValueError):
        calibrate.propose_threshold([50.0], margin=0.9)


def test_separation():
    apart = calibrate.separation(50.0, untrained=2000.0, unigram=188.0)
    assert apart["separates_unigram"] and apart["separates_untrained"]
    assert apart["unigram_over_threshold"] == pytest.approx(3.76)
    assert not calibrate.separation(190.0, untrained=2000.0, unigram=188.0)["separates_unigram"]
    assert "separates_untrained" not in calibrate.separation(50.0, untrained=None, unigram=188.0)


def test_recommend_budget():
    assert calibrate.recommend_budget([48.2, 51.9, 50.0]) == {"cpu_seconds": 130}  # 51.9 * 2.5 = 129.75
    assert calibrate.recommend_budget([60.0]) == {"cpu_seconds": 150}


def test_seeds_start_with_the_graded_seed():
    assert calibrate.seeds_for(2025, 3) == [2025, 2026, 2027]


def test_arguments():
    args = calibrate.parse_args(["--seeds", "3", "--hparams", '{"epochs": 4, "learning_rate": 0.01}', "--write"])
    assert (args.seeds, args.hparams, args.write, args.no_baselines) == (3, {"epochs": 4, "learning_rate": 0.01}, True, False)
    defaults = calibrate.parse_args([])
    assert (defaults.seeds, defaults.hparams, defaults.write, defaults.reference) == (5, {}, False, calibrate.REFERENCE)


@pytest.mark.parametrize("bad", [["--seeds", "0"], ["--hparams", "[1]"], ["--hparams", "{epochs: 4}"],
                                 ["--hparams", '{"epoch": 4}'], ["--write", "--no-baselines"]])
def test_bad_arguments_are_refused(bad, capsys):
    with pytest.raises(SystemExit):
        calibrate.parse_args(bad)


REFERENCE_LIKE = '''import numpy as np

def train(model):
    return []


HPARAMS = {
    "cell": "lstm",
    "epochs": 3,
    "learning_rate": 3e-3,
}


def corpus_perplexity():
    pass
'''


def test_with_hparams_replaces_the_one_assignment_and_keeps_the_rest():
    text, hparams = calibrate.with_hparams(REFERENCE_LIKE, {"epochs": 2, "cell": "rnn"})
    assert hparams == {"cell": "rnn", "epochs": 2, "learning_rate": 3e-3}
    chunks, notes = graded_chunks([("copy", text)])
    assert not notes
    sources = [chunk.source for chunk in chunks]
    assert len(sources) == 4 and sum("HPARAMS" in s for s in sources) == 1
    namespace = {}
    exec(next(s for s in sources if s.startswith("HPARAMS")), namespace)
    assert namespace["HPARAMS"] == hparams
    assert calibrate.with_hparams(REFERENCE_LIKE, {})[1] == {"cell": "lstm", "epochs": 3, "learning_rate": 3e-3}
    with pytest.raises(ValueError):
        calibrate.with_hparams("X = 1\n", {})


def test_with_hparams_on_the_reference():
    text, hparams = calibrate.with_hparams(calibrate.REFERENCE.read_text(), {"epochs": 0})
    assert hparams["epochs"] == 0 and set(hparams) == set(calibrate.HPARAM_KEYS)
    assert text.count("HPARAMS = {") == 1


def test_updated_config_changes_only_what_calibration_sets():
    before = {"train_seed": 1, "limits": {"train": {"cpu_seconds": 150}}, "perplexity_threshold": 200.0,
              "perplexity_partial_credit_until": None, "state_reset_min_ratio": 1.5, "calibration": "not yet"}
    settings = {"perplexity_threshold": 55.0, "perplexity_partial_credit_until": 70.0, "public_perplexity_threshold": 57.0,
                "state_reset_min_ratio": 2.1, "implausible_below": 30.0}
    text = calibrate.updated_config(before, settings, {"seeds": [1]})
    after = json.loads(text)
    assert after == {**before, **settings, "calibration": {"seeds": [1]}}
    assert text == json.dumps(after, indent=2) + "\n"
    assert before["perplexity_threshold"] == 200.0  # not modified in place


def test_the_committed_config_is_written_the_way_calibrate_writes_it():
    text = calibrate.CONFIG.read_text()
    assert text == json.dumps(json.loads(text), indent=2) + "\n"


def test_the_engine_reads_the_reference_from_calibrations_private_folder(tmp_path):
    """make calibrate lays out its bundle in a folder only root may list; as root, the reader child (another user)
    could not reach its own workspace there, and the reference was called unreadable."""
    from autograder.session import Bundle, Session

    tmp_path.chmod(0o700)
    config = json.loads((calibrate.REPO / "autograder" / "config.json").read_text())
    bundle_root = calibrate.lay_out_bundle(tmp_path / "source", config)
    reference = tmp_path / "reference" / "language_model.py"
    reference.parent.mkdir()
    reference.write_text((calibrate.REPO / "solution" / "language_model.py").read_text())
    session = Session(Bundle(bundle_root), reference, parts={"train"})
    shutil.rmtree(session.workspace)
    assert session.problem is None, session.problem
