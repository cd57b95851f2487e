"""What the training part certifies: a trained model that uses its recurrent state, a loss that describes it,
figures a student cannot forge, and implausible results set aside for staff.

Fast: numpy only. The end-to-end verdicts are in tests/test_hostile.py (bigram_written_into_rnn,
epochs_zero_unigram, loss_off_by_a_nat, forged_epochs_markdown) and below, one cheap grading.
"""

from __future__ import annotations

import io
import json
import math
import zipfile

import numpy as np
import pytest

from assignment import calibrate, ngram
from autograder import child_output, evaluate
from autograder.parts.train import PERPLEXITY_TEST
from autograder.session import PART_REPORT_SCHEMA
from autograder.staff.regrade import rescore
from conftest import REPO, SUBMISSIONS, ZIP, grade_submission

RNG = np.random.default_rng(0)
V, E, H = 30, 6, 5


def _model(cell: str, recurrent_scale: float = 1.0) -> evaluate.TrainedModel:
    gates = 4 * H if cell == "lstm" else H
    weights = {"embedding": RNG.normal(size=(V, E)), "kernel": RNG.normal(size=(E, gates)),
               "recurrent_kernel": recurrent_scale * RNG.normal(size=(H, gates)), "bias": RNG.normal(size=gates),
               "classifier_kernel": RNG.normal(size=(H, V)), "classifier_bias": RNG.normal(size=V)}
    return evaluate.trained_model({name: array.astype(np.float32) for name, array in weights.items()}, cell, V, 64)


def _windows():
    return evaluate.windows(RNG.integers(0, V, size=401), 8)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_the_state_reset_predicts_each_token_from_itself_alone(cell):
    model, (inputs, labels) = _model(cell), _windows()
    reset = evaluate.recurrent_states(cell, model.embedding[inputs], model.kernel, model.recurrent_kernel, model.bias,
                                      carry_state=False)
    first_steps = evaluate.recurrent_states(cell, model.embedding[inputs.reshape(-1, 1)], model.kernel,
                                            model.recurrent_kernel, model.bias)  # every token read as a window of one
    np.testing.assert_allclose(reset.reshape(-1, H), first_steps.reshape(-1, H), rtol=1e-5, atol=1e-6)
    assert evaluate.perplexity(model, inputs, labels) != pytest.approx(evaluate.perplexity(model, inputs, labels, carry_state=False))


def test_a_model_whose_recurrent_kernel_is_zero_predicts_the_same_without_its_state():
    model, (inputs, labels) = _model("rnn", recurrent_scale=0.0), _windows()
    carried, reset = evaluate.perplexity(model, inputs, labels), evaluate.perplexity(model, inputs, labels, carry_state=False)
    assert carried == pytest.approx(reset, rel=1e-6)
    assert not evaluate.uses_state(carried, reset, min_ratio=1.2)


def test_uses_state_needs_the_calibrated_ratio():
    assert evaluate.uses_state(40.0, 80.0, 1.5) and evaluate.uses_state(40.0, 60.0, 1.5)
    assert not evaluate.uses_state(40.0, 59.9, 1.5) and not evaluate.uses_state(float("nan"), 80.0, 1.5)


def test_implausible_is_recorded_only_under_the_floor():
    assert evaluate.implausible(17.94, 25.0) == {"test_perplexity": 17.94, "floor": 25.0}
    assert evaluate.implausible(25.0, 25.0) is None and evaluate.implausible(40.0, 25.0) is None
    assert evaluate.implausible(10.0, None) is None and evaluate.implausible(float("nan"), 25.0) is None


def test_the_last_loss_must_match_the_held_out_cross_entropy_on_both_sides():
    held_out = math.log(44.0)  # 3.78
    assert evaluate.loss_matches(held_out, held_out)
    assert evaluate.loss_matches(held_out + 0.5, held_out) and evaluate.loss_matches(held_out - 0.5, held_out)
    assert not evaluate.loss_matches(3.80, 2.89)  # the trial's exploit: 0.91 nats above
    assert not evaluate.loss_matches(held_out - 0.9, held_out)


def test_a_forged_report_string_is_refused_without_being_quoted():
    forged = "<img src=x onerror=alert(1)> [Score 100/100](https://example.com)"
    report = {"load_notes": [], "errors": {}, "finished": ["train"], "info": {"hparams": {"epochs": forged, "cell": "lstm"}}}
    with pytest.raises(child_output.Refused) as refused:
        child_output.read_json(io.BytesIO(json.dumps(report).encode()), PART_REPORT_SCHEMA)
    assert "img" not in str(refused.value) and "Score" not in str(refused.value)
    assert "report/info/hparams/epochs" in str(refused.value)
    report["info"]["hparams"]["epochs"] = 2
    assert child_output.read_json(io.BytesIO(json.dumps(report).encode()), PART_REPORT_SCHEMA)["info"]["hparams"]["cell"] == "lstm"


def test_a_regrade_under_another_threshold_gives_nothing_to_a_model_that_does_not_use_its_state():
    test = {"number": PERPLEXITY_TEST, "score": 0.0, "max_score": float(evaluate.PERPLEXITY_POINTS), "status": "failed",
            "extra_data": {"diagnosis": "train-state-unused"}}
    results = {"score": 0.0, "tests": [test], "extra_data": {"test_perplexity": 47.3, "state_reset_perplexity": 47.3}}
    assert rescore(results, threshold=60.0, until=None)["score"] == 0.0
    del test["extra_data"]
    assert rescore(results, threshold=60.0, until=None)["score"] == test["max_score"] > 0


# --- the count n-grams and the calibration's rules -------------------------------------


def test_ngrams_count_what_they_should():
    ids = np.array([0, 2, 3] * 50 + [1, 2, 4] * 50)  # after 2 comes 3 or 4: the word before 2 tells which
    counts = ngram.Counts.of(ids, 6)  # 5 never occurs
    assert ngram.fit(counts, ids, order=2)[0] == 0.0
    bigram, trigram = ngram.perplexity(counts, ids, 0.0, 0.95), ngram.perplexity(counts, ids, 0.9, 0.05)
    assert 1.0 < trigram < bigram < 5.0
    unseen = ngram.perplexity(counts, np.array([5, 5, 5, 5]), 0.5, 0.4)  # histories never seen: the add-one unigram alone
    assert unseen == pytest.approx(len(ids) + 6)


def test_calibrate_refuses_a_threshold_a_count_bigram_passes():
    assert calibrate.check_below_bigram(44.0, 47.02, "hidden_test") is None
    problem = calibrate.check_below_bigram(49.0, 47.02, "hidden_test")
    assert problem and "49" in problem and "bigram" in problem
    assert calibrate.check_below_bigram(45.0, 47.02, "hidden_test") is not None  # within the margin


def test_the_state_reset_ratio_is_halfway_to_the_weakest_honest_model():
    assert calibrate.propose_state_reset_min_ratio([4.0, 9.0, 6.25]) == 2.0
    assert calibrate.propose_state_reset_min_ratio([2.0]) == 1.41
    with pytest.raises(ValueError):
        calibrate.propose_state_reset_min_ratio([float("nan")])


def test_the_implausibility_floor_is_far_below_the_long_run():
    assert calibrate.propose_implausible_below(34.0) == 25.0


def test_the_table_names_both_splits_and_both_ways():
    text = calibrate.table([("reference, seed 1", {"hidden_test.txt": 40.0, "test.txt": 41.5},
                             {"hidden_test.txt": 300.0, "test.txt": 310.0}, 50.0),
                            ("count bigram", {"hidden_test.txt": 47.0, "test.txt": 47.5}, {}, 0.1)])
    assert "| reference, seed 1 | 40.00 | 41.50 | 300.00 | 310.00 | 50.0 |" in text
    assert "| count bigram | 47.00 | 47.50 | – | – | 0.1 |" in text


# --- the configuration the judge and the checker read --------------------------------------


def test_the_students_checker_judges_the_public_split_against_its_own_threshold(students_folder):
    engine = json.loads((REPO / "autograder" / "config.json").read_text())
    checker = json.loads((students_folder / "checker" / "config.json").read_text())
    assert checker["evaluation_split"] == "test.txt"
    assert checker["perplexity_threshold"] == engine["public_perplexity_threshold"]
    assert checker["state_reset_min_ratio"] == engine["state_reset_min_ratio"]
    assert "implausible_below" not in checker and "hidden_seed" not in checker


def _zip_with(config: dict, folder) -> "Path":
    """A copy of the autograder zip whose config.json has `config`'s keys changed."""
    zipped = folder / "autograder.zip"
    with zipfile.ZipFile(ZIP) as source, zipfile.ZipFile(zipped, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "config.json":
                content = json.dumps({**json.loads(content), **config}).encode()
            target.writestr(item, content)
    return zipped


HOSTILE = SUBMISSIONS / "hostile"  # laid over the reference, as the suite grades the zoo


def test_a_bigram_written_into_a_recurrent_model_gets_nothing_even_under_a_threshold_it_reaches(tmp_path):
    """One cheap grading (no gradient step), under a threshold of 70 that the bigram table (about 57) reaches."""
    results = grade_submission(HOSTILE / "bigram_written_into_rnn.py", tmp_path / "results.json", tags={"train"},
                               zip_path=_zip_with({"perplexity_threshold": 70.0}, tmp_path))
    scored = {test["number"]: test for test in results["tests"]}
    assert scored["6.2"]["score"] == 0 and "not using its recurrence" in scored["6.2"]["output"]
    assert scored["6.2"]["extra_data"]["diagnosis"] == "train-state-unused"
    record = results["extra_data"]
    assert record["test_perplexity"] < 70 and record["state_reset_perplexity"] == pytest.approx(record["test_perplexity"], rel=1e-4)


def test_an_implausible_result_is_kept_off_the_leaderboard_without_changing_its_points(tmp_path):
    """One cheap grading (no gradient step): the unigram submission, under a zip whose floor is set above it."""
    results = grade_submission(HOSTILE / "loss_off_by_a_nat.py", tmp_path / "results.json", tags={"train"},
                               zip_path=_zip_with({"implausible_below": 1000.0}, tmp_path))
    implausible = results["extra_data"]["implausible"]
    assert implausible["floor"] == 1000.0 and 150 < implausible["test_perplexity"] < 250
    assert results["extra_data"]["state_reset_perplexity"] > 0
    assert results["leaderboard"] == []
    assert [test["score"] for test in results["tests"]] == [0.0, 0.0]
    assert not any("implausib" in test["output"].lower() for test in results["tests"])
