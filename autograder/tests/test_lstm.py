"""3. MyLSTM: the LSTM from scratch, against the reference (which equals Keras's LSTM)."""

import pytest
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.cases import CALL_OPTIONS, VISIBLE_CALL_OPTIONS, option_id, option_words
from autograder.diagnose import lstm_step_mistake
from autograder.feedback import CheckFailed, check_tensor
from autograder.parts.lstm import GATES as LSTM_GATES
from autograder.tests.recurrent import expect_call, expect_gradient


def expect_step(lstm, session, case, only=("c", "h")):
    """h_t and c_t of one step match; a mismatch names the gate or module at fault where it can."""
    lstm.require(case)
    h, c = lstm.get(case, "h"), lstm.get(case, "c")
    try:
        for name in only:
            check_tensor(f"{name}_t", h if name == "h" else c, session.expected(case, name), public=case.startswith("visible/"))
    except CheckFailed as failure:
        given = session.inputs["lstm"]
        weights = {kind: {g: given[f"{case}:{kind}_{g}"] for g in LSTM_GATES} for kind in "WUb"}
        where = lstm_step_mistake(h, c, given[f"{case}:x"], given[f"{case}:h_prev"], given[f"{case}:c_prev"],
                                  weights["W"], weights["U"], weights["b"])
        raise failure.adding(where.sentence, where.label) from None


@pytest.mark.public
@weight(2)
@number("1")
@tags("lstm")
@visibility("visible")
def test_lstm_step_on_public_inputs(lstm, session):
    """MyLSTM.step returns the reference's (h_t, c_t) on the public inputs"""
    expect_step(lstm, session, "visible/lstm/step")


@weight(3)
@number("2")
@tags("lstm")
@visibility("visible")
def test_lstm_cell_state_after_one_step(lstm, session):
    """The LSTM's cell state after one step matches the reference"""
    expect_step(lstm, session, "hidden/lstm/step", only=("c",))


@weight(2)
@number("3")
@tags("lstm")
@visibility("visible")
def test_lstm_hidden_state_after_one_step(lstm, session):
    """The LSTM's hidden state after one step matches the reference"""
    expect_step(lstm, session, "hidden/lstm/step", only=("c", "h"))


@pytest.mark.public
@weight(2)
@number("4")
@tags("lstm")
@visibility("visible")
def test_lstm_call_on_public_inputs(lstm, session):
    """MyLSTM.call returns every hidden state and [h_T, c_T] from a given [h_0, c_0], and backpropagates through time; with return_sequences alone, from zeros, it returns the hidden states alone"""
    for options in VISIBLE_CALL_OPTIONS:
        expect_call(lstm, session, f"visible/lstm/call/{option_id(options)}", "lstm")


@weight(1)
@number("5")
@tags("lstm")
@visibility("visible")
@pytest.mark.parametrize("options", CALL_OPTIONS, ids=option_words)
def test_lstm_call_matches_keras_lstm(lstm, session, options):
    """MyLSTM.call matches the reference for this combination of options"""
    expect_call(lstm, session, f"hidden/lstm/call/{option_id(options)}", "lstm")


@weight(2)
@number("6")
@tags("lstm")
@visibility("visible")
@pytest.mark.parametrize("kind", ["inputs", "W", "U", "b"],
                         ids=lambda kind: "with respect to " + ("inputs" if kind == "inputs" else ", ".join(f"{kind}_{g}" for g in LSTM_GATES)))
def test_lstm_gradients_through_time(lstm, session, kind):
    """Backpropagation through the whole window gives the reference's gradients"""
    names = ["inputs"] if kind == "inputs" else [f"{kind}_{g}" for g in LSTM_GATES]
    expect_gradient(lstm, session, "hidden/lstm/gradients", names, "lstm")
