"""6. train and HPARAMS: the student's model, trained by the student's code, reaches the threshold.

The sandbox trains `LanguageModel` with `train` and `HPARAMS` on the training split
(windowed with the contract's make_windows, not the student's) and returns the
weights; the judge computes test perplexity itself, on the hidden test split on
Gradescope and on the public one in the students' local checker.
"""

import math
import time

import numpy as np
import pytest
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder import data, evaluate
from autograder.feedback import CheckFailed

WEIGHTS = ("embedding", "kernel", "recurrent_kernel", "bias", "classifier_kernel", "classifier_bias")


@pytest.fixture(scope="session")
def test_perplexity(training, session):
    """The hidden-test perplexity of the trained model, or the reason there is none."""
    training.require("train")
    weights = {name: training.get("train", name) for name in WEIGHTS}
    hparams = training.info("hparams")
    folder = session.bundle.data
    ids = data.load_ids(folder / session.bundle.config["evaluation_split"], data.load_vocab(folder / "vocab.txt"))
    inputs, labels = evaluate.windows(ids, int(hparams["window_sz"]))
    started, cpu = time.time(), time.process_time()
    value = evaluate.perplexity(hparams["cell"], weights, inputs, labels)
    session.phases["evaluation"] = {"start": started, "end": time.time(), "cpu": time.process_time() - cpu}
    return value


@pytest.mark.public
@weight(2)
@number("6.1")
@tags("train")
@visibility("visible")
def test_train_returns_the_mean_loss_of_each_epoch(training, session):
    """train returns one mean training loss per epoch, as a list of floats"""
    training.require("train")
    losses, epochs = training.info("losses"), training.info("hparams")["epochs"]
    if not isinstance(losses, list) or len(losses) != epochs:
        raise CheckFailed(f"train should return a list of {epochs} floats (one mean loss per epoch); it returned `{losses}`.")
    if not all(math.isfinite(loss) for loss in losses):
        raise CheckFailed(f"The training losses are not all finite: {losses}. Lower the learning rate.")


@pytest.mark.public
@weight(18)
@number("6.2")
@tags("train")
@visibility("visible")
def test_trained_model_reaches_the_perplexity_threshold(test_perplexity, session, leaderboard):
    """The model trained with your train and HPARAMS reaches the test perplexity threshold"""
    threshold = session.bundle.config["perplexity_threshold"]
    leaderboard("Test perplexity", round(test_perplexity, 2), order="asc")
    if not np.isfinite(test_perplexity) or test_perplexity > threshold:
        raise CheckFailed(
            f"Your trained model's test perplexity is {test_perplexity:.1f}; it must be at most "
            f"{threshold:.1f}. Check that `train` updates the weights every batch (optimizer.apply_gradients), and tune "
            "HPARAMS (more epochs or a larger learning rate) within the time budget.")
    print(f"Test perplexity {test_perplexity:.1f} (threshold {threshold:.1f}).")
