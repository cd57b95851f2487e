"""2. MyRNN: the vanilla RNN from scratch, against the reference (which equals Keras's SimpleRNN)."""

import pytest
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.cases import CALL_OPTIONS, VISIBLE_CALL_OPTIONS, option_id, option_words
from autograder.diagnose import rnn_step_mistake
from autograder.feedback import CheckFailed, check_tensor
from autograder.tests.recurrent import expect_call, expect_gradient


def expect_step(rnn, session, case, activation):
    rnn.require(case)
    actual = rnn.get(case, "s")
    try:
        check_tensor("s_t", actual, session.expected(case, "s"), public=case.startswith("visible/"),
                     hint="s_t = activation(concat([x_t, s_prev], axis=-1) @ W_r + b_r)")
    except CheckFailed as failure:
        given = {name: session.inputs["rnn"][f"{case}:{name}"] for name in ("x", "s_prev", "W_r", "b_r")}
        mistake = rnn_step_mistake(actual, given["x"], given["s_prev"], given["W_r"], given["b_r"], activation)
        raise (failure.adding(mistake.sentence, mistake.label) if mistake else failure) from None


@pytest.mark.public
@weight(2)
@number("1")
@tags("rnn")
@visibility("visible")
def test_rnn_step_with_tanh_on_public_inputs(rnn, session):
    """MyRNN.step computes s_t = tanh(concat([x_t, s_prev]) @ W_r + b_r)"""
    expect_step(rnn, session, "visible/rnn/step/tanh", "tanh")


@weight(2)
@number("2")
@tags("rnn")
@visibility("visible")
def test_rnn_step_with_every_activation(rnn, session):
    """MyRNN.step matches the reference with tanh, relu and sigmoid activations"""
    for activation in ("tanh", "relu", "sigmoid"):
        expect_step(rnn, session, f"hidden/rnn/step/{activation}", activation)


@pytest.mark.public
@weight(2)
@number("3")
@tags("rnn")
@visibility("visible")
def test_rnn_call_on_public_inputs(rnn, session):
    """MyRNN.call returns every state and the final state from a given initial state, and backpropagates through time; with return_sequences alone, from zeros, it returns the states alone"""
    for options in VISIBLE_CALL_OPTIONS:
        expect_call(rnn, session, f"visible/rnn/call/{option_id(options)}", "rnn")


@weight(1)
@number("4")
@tags("rnn")
@visibility("visible")
@pytest.mark.parametrize("options", CALL_OPTIONS, ids=option_words)
def test_rnn_call_matches_simple_rnn(rnn, session, options):
    """MyRNN.call matches the reference for this combination of options"""
    expect_call(rnn, session, f"hidden/rnn/call/{option_id(options)}", "rnn")


@weight(2)
@number("5")
@tags("rnn")
@visibility("visible")
@pytest.mark.parametrize("wrt", ["inputs", "W_r", "b_r"], ids=lambda wrt: f"with respect to {wrt}")
def test_rnn_gradients_through_time(rnn, session, wrt):
    """Backpropagation through the whole window gives the reference's gradient"""
    expect_gradient(rnn, session, "hidden/rnn/gradients", [wrt], "rnn")
