"""Name the mistake behind a wrong recurrent step, when a common one explains it.

The judge knows each case's inputs and weights, so it can recompute a step in numpy
the right way and the usual wrong ways; if the student's tensor equals one of the
wrong ways, the feedback says which gate or module to look at.
"""

from __future__ import annotations

import numpy as np

from autograder.evaluate import _sigmoid

ACTIVATIONS = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "sigmoid": _sigmoid, "linear": lambda z: z}


def _close(a, b) -> bool:
    return a is not None and np.shape(a) == np.shape(b) and np.allclose(a, b, atol=1e-4, rtol=1e-3)


def rnn_step_mistake(s_actual, x, s_prev, W_r, b_r, activation: str) -> str | None:
    act = ACTIVATIONS[activation]
    guesses = {
        "concatenates in the wrong order: the first rows of W_r multiply x_t, so it must be concat([x_t, s_prev])":
            act(np.concatenate([s_prev, x], -1) @ W_r + b_r),
        "applies no activation: s_t = activation(concat([x_t, s_prev]) @ W_r + b_r)":
            np.concatenate([x, s_prev], -1) @ W_r + b_r,
        "always uses tanh: use the layer's `activation` (tf.keras.activations.get gives a function)":
            np.tanh(np.concatenate([x, s_prev], -1) @ W_r + b_r),
        "leaves out the bias b_r": act(np.concatenate([x, s_prev], -1) @ W_r),
        "ignores the previous state s_prev": act(np.concatenate([x, np.zeros_like(s_prev)], -1) @ W_r + b_r),
    }
    for mistake, value in guesses.items():
        if _close(s_actual, value):
            return f"Your s_t is exactly what you get when the step {mistake}."
    return None


def lstm_gates(x, h_prev, W: dict, U: dict, b: dict, squash=None):
    pre = {g: h_prev @ W[g] + x @ U[g] + b[g] for g in "ifoc"}
    gates = {g: _sigmoid(pre[g]) for g in "ifo"}
    gates["c~"] = np.tanh(pre["c"])
    return gates, pre


def lstm_step_mistake(h_actual, c_actual, x, h_prev, c_prev, W, U, b) -> str:
    """A sentence on where an LSTM step goes wrong: a named mistake, or at least the module."""
    g, pre = lstm_gates(x, h_prev, W, U, b)
    i, f, o, cand = g["i"], g["f"], g["o"], g["c~"]
    c_right = f * c_prev + i * cand
    c_guesses = {
        "the input gate i_t and the forget gate f_t are swapped (f_t multiplies c_prev, i_t the candidate)": i * c_prev + f * cand,
        "the candidate c~_t uses a sigmoid; it is tanh(h_prev @ W_c + x_t @ U_c + b_c)": f * c_prev + i * _sigmoid(pre["c"]),
        "c_prev is not used: the cell state must be carried, c_t = f_t * c_prev + i_t * c~_t": i * cand,
        "h_prev is used where c_prev belongs in c_t = f_t * c_prev + i_t * c~_t": f * h_prev + i * cand,
        "the output gate o_t is used in place of the forget gate f_t": o * c_prev + i * cand,
        "the output gate o_t is used in place of the input gate i_t": f * c_prev + o * cand,
        "the candidate is not squashed by tanh": f * c_prev + i * pre["c"],
    }
    if not _close(c_actual, c_right):
        for mistake, value in c_guesses.items():
            if _close(c_actual, value):
                return f"Your c_t is exactly what you get when {mistake}."
        return ("c_t is already wrong, so look at the forget and remember modules "
                "(f_t, i_t, c~_t and c_t = f_t * c_prev + i_t * c~_t).")
    h_guesses = {
        "h_t is missing the tanh: h_t = o_t * tanh(c_t)": o * c_right,
        "h_t uses the forget gate instead of the output gate": f * np.tanh(c_right),
        "h_t uses the input gate instead of the output gate": i * np.tanh(c_right),
        "h_t uses c_prev instead of the new c_t": o * np.tanh(c_prev),
    }
    for mistake, value in h_guesses.items():
        if _close(h_actual, value):
            return f"Your c_t is right, but {mistake}."
    return "Your c_t is right, so the forget and remember modules work; look at the output module, h_t = o_t * tanh(c_t)."


def _cross_entropy(labels, logits):
    """Per-position sparse softmax cross-entropy, in float64."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=-1))
    return log_norm - np.take_along_axis(shifted, np.asarray(labels)[..., None], axis=-1)[..., 0]


def perplexity_mistake(value: float, labels, logits) -> str | None:
    """The usual wrong ways to compute perplexity, recomputed from the case's inputs; the one the value equals."""
    right = _cross_entropy(labels, logits)
    as_probabilities = np.log(np.clip(np.asarray(logits, dtype=np.float64), 1e-7, 1 - 1e-7))  # from_logits=False
    probabilities = np.exp(np.asarray(logits, np.float64) - np.log(np.exp(np.asarray(logits, np.float64)).sum(-1, keepdims=True)))
    guesses = {
        "takes the mean of exp(cross-entropy) over positions: perplexity is exp of the *mean* cross-entropy":
            np.mean(np.exp(right)),
        "leaves out the exp: the mean cross-entropy is the log of the perplexity": np.mean(right),
        "sums the cross-entropy instead of averaging it": np.exp(np.sum(right)),
        "treats the logits as probabilities: pass from_logits=True (the model returns unnormalised logits)":
            np.exp(np.mean(_cross_entropy(labels, as_probabilities))),
        "applies a softmax before a loss that already applies one: give the loss the raw logits":
            np.exp(np.mean(_cross_entropy(labels, probabilities))),
    }
    for mistake, guess in guesses.items():
        if np.isfinite(guess) and np.isclose(value, guess, rtol=1e-4, atol=1e-6):
            return f"Your value is exactly what you get when the computation {mistake}."
    return None
