"""6. train and HPARAMS: the student's model, trained by the student's code, reaches the threshold.

The sandbox trains `LanguageModel` with `train` and `HPARAMS` on the training split
(windowed with the contract's make_windows, not the student's, and under a vocabulary
relabelling secret to this grading) and returns the weights. The judge checks them and
computes test perplexity itself, over windows of its own configured size: on the
hidden test split on Gradescope, on the public one in the students' local checker.
It also computes the perplexity with the recurrent state reset before every step: a
model that predicts as well from each token alone is not using its recurrence, and
gets no points for its perplexity. Nothing the student's code reports decides a point here.
"""

import math
import time

import numpy as np
import pytest
from gradescope_utils.autograder_utils.decorators import leaderboard, number, partial_credit, tags, visibility, weight

from autograder import data, evaluate
from autograder.evaluate import PERPLEXITY_POINTS, perplexity_points
from autograder.parts.train import PERPLEXITY_TEST
from autograder.feedback import CheckFailed
from autograder.session import WEIGHTS
from autograder.training_time import other_versions, trust_note


@pytest.fixture(scope="session")
def evaluation(train, session):
    """The trained model and the judge's windows of the evaluation split, or the reason there is none."""
    train.require("train")
    config = session.bundle.config
    try:
        model = evaluate.trained_model({name: train.get("train", name) for name in WEIGHTS},
                                       cell=(train.info("hparams") or {}).get("cell"), vocab_sz=_vocab_sz(session),
                                       max_width=config["max_width"])
    except evaluate.UnusableModel as problem:
        raise CheckFailed(f"The trained model cannot be evaluated: {problem}") from None
    folder = session.bundle.data
    ids = session.relabel(data.load_ids(folder / config["evaluation_split"], data.load_vocab(folder / "vocab.txt")))
    return model, *evaluate.windows(ids, config["evaluation_window_sz"])


@pytest.fixture(scope="session")
def test_perplexity(evaluation, session):
    """The test perplexity of the trained model; an implausibly low one is recorded for staff."""
    started, cpu = time.time(), time.process_time()
    value = evaluate.perplexity(*evaluation)
    session.phases["evaluation"] = {"start": started, "end": time.time(), "cpu": time.process_time() - cpu}
    session.test_perplexity = float(value)
    session.implausible = evaluate.implausible(value, session.bundle.config.get("implausible_below"))
    return value


@pytest.fixture(scope="session")
def state_reset_perplexity(evaluation, session):
    """The test perplexity with the recurrent state reset to zero before every step: each prediction from its own token."""
    value = evaluate.perplexity(*evaluation, carry_state=False)
    session.state_reset_perplexity = float(value)
    return value


def _vocab_sz(session) -> int:
    return len(data.load_vocab(session.bundle.data / "vocab.txt"))


@pytest.mark.public
@weight(2)
@number("1")
@tags("train")
@visibility("visible")
def test_train_returns_the_mean_loss_of_each_epoch(train, session, test_perplexity):
    """train trains the model and returns its mean training loss of each epoch"""
    losses, epochs = train.info("losses"), (train.info("hparams") or {}).get("epochs")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        found = f"it is {epochs}" if isinstance(epochs, int) and not isinstance(epochs, bool) else f"it is {_a_value_of(epochs)}"
        raise CheckFailed(f"HPARAMS['epochs'] must be a whole number of at least 1 ({found}): `train` must train the "
                          "model for at least one epoch.", "train-no-epochs")
    if not isinstance(losses, list) or len(losses) != epochs:
        shown = f"{len(losses)} values" if isinstance(losses, list) else _a_value_of(losses)
        raise CheckFailed(f"train should return a list of floats, one mean loss per epoch ({epochs} epochs); it returned {shown}.",
                          "train-losses-not-per-epoch")
    if not all(isinstance(loss, (int, float)) and math.isfinite(loss) for loss in losses):
        raise CheckFailed("The training losses are not all finite numbers. Lower the learning rate.", "train-diverged")
    vocab_sz = _vocab_sz(session)
    if test_perplexity > vocab_sz / 2:
        raise CheckFailed(f"The trained model has not learned: its test perplexity is {test_perplexity:.0f}, and guessing "
                          f"uniformly among the vocabulary's {vocab_sz} tokens gives {vocab_sz}. `train` must update the weights every batch "
                          "(tape.gradient, then optimizer.apply_gradients).", "train-not-learning")
    measured = math.log(test_perplexity)
    if not evaluate.loss_matches(losses[-1], measured):
        raise CheckFailed(f"The last epoch's mean loss you returned ({losses[-1]:.3f}) does not match the model you trained: "
                          f"its cross-entropy on held-out text is {measured:.3f} nats, and the two may differ by at most "
                          f"{evaluate.LOSS_TOLERANCE_NATS:g}. Return the mean of the batch losses of each epoch (sparse "
                          "softmax cross-entropy, from logits).", "train-losses-mismatch")
    print(f"Epoch losses: {', '.join(f'{loss:.3f}' for loss in losses)}; held-out cross-entropy {measured:.3f} nats.")


def _a_value_of(value) -> str:
    """What a reported value is, by its JSON type only: nothing the child wrote is shown."""
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "a dict"}
    return "missing" if value is None else kinds.get(type(value), "something else")


@pytest.mark.public
@partial_credit(PERPLEXITY_POINTS)
@leaderboard("Test perplexity", "asc")
@number(PERPLEXITY_TEST.split(".")[-1])
@tags("train")
@visibility("visible")
def test_trained_model_reaches_the_perplexity_threshold(test_perplexity, state_reset_perplexity, train, session,
                                                        set_score=None, set_leaderboard_value=None):
    """The model trained with your train and HPARAMS reaches the test perplexity threshold, using its recurrent state"""
    config = session.bundle.config
    threshold, until = config["perplexity_threshold"], config.get("perplexity_partial_credit_until")
    # results.json is strict JSON (no NaN or Infinity); an implausibly low perplexity waits for staff (extra_data)
    if np.isfinite(test_perplexity) and session.implausible is None:
        set_leaderboard_value(round(test_perplexity, 2))
    used, budget = train.run.stage_cpu_seconds.get("train", 0.0), session.bundle.budget("train")
    timing = (f"Training took {used:.0f} of the {budget:.0f} CPU-seconds it may use; CPU time counts computation only, "
              "so a slow or busy machine does not matter.")
    if session.bundle.public_only:  # the students' checker, on their processor and packages: how far the figure carries
        timing += " " + trust_note(budget, other_versions(config.get("graded_with", {})))
    advice = ("Check that `train` updates the weights every batch (optimizer.apply_gradients), and tune HPARAMS (more "
              "epochs or a larger learning rate) within the time budget.")
    points = perplexity_points(test_perplexity, threshold, until, PERPLEXITY_POINTS)
    min_ratio = config["state_reset_min_ratio"]
    if points > 0 and not evaluate.uses_state(test_perplexity, state_reset_perplexity, min_ratio):
        raise CheckFailed(f"Your trained model's test perplexity is {test_perplexity:.1f}, but your model predicts as well "
                          f"without its state: it is not using its recurrence. With the state reset to zero before every "
                          f"step (each prediction from its own token only) its perplexity is {state_reset_perplexity:.1f}; "
                          f"a model that uses what it has read is at least {min_ratio:g} times worse without it. The "
                          "recurrent kernel must carry the state from step to step, and `train` must train it by "
                          "gradient descent through the whole window.", "train-state-unused")
    if points == PERPLEXITY_POINTS:
        set_score(points)
        print(f"Test perplexity {test_perplexity:.1f} (threshold {threshold:g}). {timing}")
    elif points > 0:
        set_score(points)
        print(f"Your trained model's test perplexity is {test_perplexity:.1f}: full points need at most {threshold:g}, "
              f"and points fall linearly to none at {until:g}, so this earns {points / PERPLEXITY_POINTS:.0%} of them. "
              f"{advice} {timing}")
    else:
        raise CheckFailed(f"Your trained model's test perplexity is {test_perplexity:.1f}; it must be at most "
                          f"{threshold:g}. {advice} {timing}")
