"""4. LanguageModel.call: embedding, recurrent layer, classifier; causal.

The recurrent layer here is Keras's own (the contract says it computes the same as
MyRNN/MyLSTM), so a bug in MyLSTM does not cost points twice.
"""

import numpy as np
import pytest
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.diagnose import lm_forgets, lm_looks_ahead, softmax_on_logits, tape_cut
from autograder.feedback import CheckFailed, check_tensor

HINT = ("call(inputs) returns unnormalised logits (B, T, vocab_sz): self.embedding, then self.rnn "
        "(return_sequences=True), then self.classifier, with no softmax.")


def expect_logits(lm, session, case):
    """The logits match the reference's, and a gradient reaches every weight (nothing in `call` cuts the tape)."""
    lm.require(case)
    actual, expected = lm.get(case, "logits"), session.expected(case, "logits")
    try:
        check_tensor("logits", actual, expected, public=case.startswith("visible/"), time_axis=1, hint=HINT)
    except CheckFailed as failure:
        softmax = softmax_on_logits(actual, expected)
        raise (failure.adding(softmax.sentence, softmax.label) if softmax else failure) from None
    missing = (lm.info(case) or {}).get("no_gradient", [])
    if missing:
        raise tape_cut(missing, "`LanguageModel.call`").failure()


@pytest.mark.public
@weight(3)
@number("1")
@tags("lm")
@visibility("visible")
def test_lm_logits_on_public_inputs(lm, session):
    """LanguageModel returns the reference's logits and backpropagates to every weight (LSTM cell, public inputs)"""
    expect_logits(lm, session, "visible/lm/lstm")


@weight(4)
@number("2")
@tags("lm")
@visibility("visible")
def test_lm_logits_with_an_lstm(lm, session):
    """LanguageModel(cell="lstm") returns the reference's logits"""
    expect_logits(lm, session, "hidden/lm/lstm")


@weight(3)
@number("3")
@tags("lm")
@visibility("visible")
def test_lm_logits_with_a_vanilla_rnn(lm, session):
    """LanguageModel(cell="rnn") returns the reference's logits"""
    expect_logits(lm, session, "hidden/lm/rnn")


@weight(5)
@number("4")
@tags("lm")
@visibility("visible")
def test_lm_prediction_at_t_uses_tokens_up_to_t_only(lm, session):
    """The prediction at position t depends on the tokens before it and on none after it"""
    for cell in ("lstm", "rnn"):
        case = f"hidden/lm/{cell}"
        lm.require(case)
        cut = next(spec for spec in session.specs_and_arrays("lm")[0] if spec["id"] == case)["cut"]
        before, after, first = lm.get(case, "logits"), lm.get(case, "logits_changed"), lm.get(case, "logits_first_changed")
        if not before.shape == after.shape == first.shape or before.ndim != 3:
            raise CheckFailed(f"logits should have shape (B, T, vocab_sz); yours have shape {before.shape}.")
        if not all(np.all(np.isfinite(array)) for array in (before, after, first)):
            raise CheckFailed("The logits contain NaN or infinity.")
        moved = np.abs(before[:, : cut + 1] - after[:, : cut + 1]).max(axis=(0, 2))
        leaked = np.flatnonzero(moved > 1e-5)
        if leaked.size:
            raise lm_looks_ahead(cell, int(leaked[0]), cut).failure()
        if np.abs(first[:, -1] - before[:, -1]).max() <= 1e-6:
            raise lm_forgets(cell).failure()
