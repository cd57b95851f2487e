"""Name the mistake behind a wrong answer, when a common one explains it.

The judge knows each case's inputs and weights, so it can recompute an answer in numpy
the right way and the usual wrong ways; if the student's tensor equals one of the
wrong ways, the feedback says which gate or module to look at.

Each mistake is a `Diagnosis`: a short stable label for staff (results.json records it in the
test's extra_data, and a class report counts them) and the sentence a student reads. `LABELS`
lists every label this module can give.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

from autograder.parts.lstm import sigmoid as _sigmoid
from autograder.feedback import CheckFailed

ACTIVATIONS = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "sigmoid": _sigmoid, "linear": lambda z: z}


class Diagnosis(NamedTuple):
    label: str
    sentence: str

    def failure(self) -> CheckFailed:
        """A failed check whose whole message is this diagnosis."""
        return CheckFailed(self.sentence, self.label)


def _close(a, b) -> bool:
    return a is not None and np.shape(a) == np.shape(b) and np.allclose(a, b, atol=1e-4, rtol=1e-3)


RNN_STEP_MISTAKES = {
    "rnn-concat-order": "concatenates in the wrong order: the first rows of W_r multiply x_t, so it must be concat([x_t, s_prev])",
    "rnn-no-activation": "applies no activation: s_t = activation(concat([x_t, s_prev]) @ W_r + b_r)",
    "rnn-always-tanh": "always uses tanh: use the layer's `activation` (tf.keras.activations.get gives a function)",
    "rnn-no-bias": "leaves out the bias b_r",
    "rnn-prev-state-ignored": "ignores the previous state s_prev",
}


def rnn_step_mistake(s_actual, x, s_prev, W_r, b_r, activation: str) -> Diagnosis | None:
    act = ACTIVATIONS[activation]
    guesses = {
        "rnn-concat-order": act(np.concatenate([s_prev, x], -1) @ W_r + b_r),
        "rnn-no-activation": np.concatenate([x, s_prev], -1) @ W_r + b_r,
        "rnn-always-tanh": np.tanh(np.concatenate([x, s_prev], -1) @ W_r + b_r),
        "rnn-no-bias": act(np.concatenate([x, s_prev], -1) @ W_r),
        "rnn-prev-state-ignored": act(np.concatenate([x, np.zeros_like(s_prev)], -1) @ W_r + b_r),
    }
    for label, value in guesses.items():
        if _close(s_actual, value):
            return Diagnosis(label, f"Your s_t is exactly what you get when the step {RNN_STEP_MISTAKES[label]}.")
    return None


def lstm_gates(x, h_prev, W: dict, U: dict, b: dict, squash=None):
    pre = {g: h_prev @ W[g] + x @ U[g] + b[g] for g in "ifoc"}
    gates = {g: _sigmoid(pre[g]) for g in "ifo"}
    gates["c~"] = np.tanh(pre["c"])
    return gates, pre


LSTM_C_MISTAKES = {
    "lstm-gates-swapped": "the input gate i_t and the forget gate f_t are swapped (f_t multiplies c_prev, i_t the candidate)",
    "lstm-candidate-sigmoid": "the candidate c~_t uses a sigmoid; it is tanh(h_prev @ W_c + x_t @ U_c + b_c)",
    "lstm-c-prev-unused": "c_prev is not used: the cell state must be carried, c_t = f_t * c_prev + i_t * c~_t",
    "lstm-h-prev-as-c-prev": "h_prev is used where c_prev belongs in c_t = f_t * c_prev + i_t * c~_t",
    "lstm-output-gate-as-forget": "the output gate o_t is used in place of the forget gate f_t",
    "lstm-output-gate-as-input": "the output gate o_t is used in place of the input gate i_t",
    "lstm-candidate-no-tanh": "the candidate is not squashed by tanh",
}
LSTM_H_MISTAKES = {
    "lstm-h-no-tanh": "h_t is missing the tanh: h_t = o_t * tanh(c_t)",
    "lstm-h-forget-gate": "h_t uses the forget gate instead of the output gate",
    "lstm-h-input-gate": "h_t uses the input gate instead of the output gate",
    "lstm-h-uses-c-prev": "h_t uses c_prev instead of the new c_t",
}
LSTM_CELL_MODULES = ("lstm-cell-state-wrong", "c_t is already wrong, so look at the forget and remember modules "
                     "(f_t, i_t, c~_t and c_t = f_t * c_prev + i_t * c~_t).")
LSTM_OUTPUT_MODULE = ("lstm-output-module-wrong", "Your c_t is right, so the forget and remember modules work; look at the "
                      "output module, h_t = o_t * tanh(c_t).")


def lstm_step_mistake(h_actual, c_actual, x, h_prev, c_prev, W, U, b) -> Diagnosis:
    """Where an LSTM step goes wrong: a named mistake, or at least the module."""
    g, pre = lstm_gates(x, h_prev, W, U, b)
    i, f, o, cand = g["i"], g["f"], g["o"], g["c~"]
    c_right = f * c_prev + i * cand
    c_guesses = {
        "lstm-gates-swapped": i * c_prev + f * cand,
        "lstm-candidate-sigmoid": f * c_prev + i * _sigmoid(pre["c"]),
        "lstm-c-prev-unused": i * cand,
        "lstm-h-prev-as-c-prev": f * h_prev + i * cand,
        "lstm-output-gate-as-forget": o * c_prev + i * cand,
        "lstm-output-gate-as-input": f * c_prev + o * cand,
        "lstm-candidate-no-tanh": f * c_prev + i * pre["c"],
    }
    if not _close(c_actual, c_right):
        for label, value in c_guesses.items():
            if _close(c_actual, value):
                return Diagnosis(label, f"Your c_t is exactly what you get when {LSTM_C_MISTAKES[label]}.")
        return Diagnosis(*LSTM_CELL_MODULES)
    h_guesses = {
        "lstm-h-no-tanh": o * c_right,
        "lstm-h-forget-gate": f * np.tanh(c_right),
        "lstm-h-input-gate": i * np.tanh(c_right),
        "lstm-h-uses-c-prev": o * np.tanh(c_prev),
    }
    for label, value in h_guesses.items():
        if _close(h_actual, value):
            return Diagnosis(label, f"Your c_t is right, but {LSTM_H_MISTAKES[label]}.")
    return Diagnosis(*LSTM_OUTPUT_MODULE)


def lstm_state_order_mistake(returned: list, h_T, c_T) -> Diagnosis | None:
    """MyLSTM.call with return_state gave [outputs, c_T, h_T]: both states right, in the wrong order."""
    if len(returned) == 3 and _close(returned[1], c_T) and _close(returned[2], h_T) and not _close(h_T, c_T):
        return Diagnosis("lstm-state-order", "Your states are right but in the wrong order: you returned "
                         "[outputs, c_T, h_T]. With return_state=True the contract's order is [outputs, h_T, c_T], "
                         "the hidden state before the cell state, as tf.keras.layers.LSTM returns them.")
    return None


def tape_cut(missing: list[str], where: str) -> Diagnosis:
    named = ", ".join(f"`{name}`" for name in missing)
    return Diagnosis("tape-cut", (
        f"No gradient reaches {named}: something in {where} cuts the gradient tape, so backpropagation stops "
        "there and training cannot update these weights. A `.numpy()`, `np.stack` or any other numpy function, "
        "a Python float, or assigning to a `tf.Variable` leaves the tape; use TensorFlow operations on tensors "
        "only (`tf.stack`, `tf.concat`, `@`)."))


def numpy_in_graph(trace: str) -> Diagnosis | None:
    """`.numpy()` on a symbolic tensor: inside a tf.function, where it fails instead of silently cutting the tape."""
    if "object has no attribute 'numpy'" not in trace:
        return None
    return Diagnosis("tape-cut", (
        "`.numpy()` works only on eager tensors: inside a `tf.function` (such as a compiled training step) a tensor "
        "has no value yet, and where it works `.numpy()` cuts the gradient tape anyway. Use TensorFlow operations on "
        "tensors only (`tf.stack`, `tf.concat`, `@`) in `call` and `step`."))


def error_mistake(trace: str) -> Diagnosis | None:
    """The mistake an error's traceback names, when it names one a student can act on."""
    if "No gradients provided for any variable" in trace:
        return Diagnosis("loss-outside-tape", (
            "`tape.gradient` found no path from your loss to the weights, so there is nothing to apply. Compute the "
            "loss inside the tape: call the model and the loss function both under `with tf.GradientTape() as tape:`, "
            "then take `tape.gradient(loss, model.trainable_variables)` after the block."))
    return numpy_in_graph(trace)


def initial_state_form(states: tuple, as_list: bool) -> Diagnosis:
    """A call that failed on its given initial state: say which form it came in (`states`: the layer's declared states)."""
    if len(states) > 1:
        listed = ", ".join(f"{state}_0" for state in states)
        return Diagnosis("initial-state-form", f"Here `initial_state` is the list `[{listed}]`: unpack it with "
                         f"`{', '.join(states)} = initial_state`.")
    came = f"the one-element list `[{states[0]}_0]`" if as_list else "a bare `(B, units)` tensor"
    return Diagnosis("initial-state-form", (
        f"Here `initial_state` is {came}; the contract allows both forms (as Keras layers do), and your code failed "
        f"on this one. Accept both, for instance: `{states[0]} = initial_state[0] if isinstance(initial_state, (list, tuple)) "
        "else initial_state`."))


def rnn_start_not_zeros(outputs, x, W_r, b_r, activation: str) -> Diagnosis | None:
    """Every step carries the state right, but the first one starts from another s_0 than zeros."""
    act, outputs = ACTIVATIONS[activation], np.asarray(outputs, dtype=np.float64)
    if outputs.ndim != 3 or outputs.shape[:2] != x.shape[:2] or outputs.shape[1] < 2:
        return None
    carried = all(_close(outputs[:, t], act(np.concatenate([x[:, t], outputs[:, t - 1]], -1) @ W_r + b_r))
                  for t in range(1, outputs.shape[1]))
    zeros = np.zeros((x.shape[0], W_r.shape[1]))
    if not carried or _close(outputs[:, 0], act(np.concatenate([x[:, 0], zeros], -1) @ W_r + b_r)):
        return None
    ones = _close(outputs[:, 0], act(np.concatenate([x[:, 0], zeros + 1], -1) @ W_r + b_r))
    return Diagnosis("initial-state-not-zeros", (
        "No `initial_state` was given in this call, so the state must start at zeros: "
        "`s = tf.zeros((tf.shape(inputs)[0], self.units))`. Your steps carry the state correctly, but your first "
        f"step starts from {'ones' if ones else 'something else'}."))


def return_sequences_with_state(states: tuple) -> Diagnosis:
    final = ", ".join(f"{state}_T" for state in states)
    return Diagnosis("return-sequences-with-state", (
        "With return_sequences=True and return_state=False, `call` returns `outputs` alone: every step's state "
        f"stacked, shape (batch, T, units). The final state comes too, as the list [outputs, {final}], only when "
        "return_state=True: the two flags are independent, as in Keras (the lecture's \"whole sequence of outputs + "
        "final state\" is what both together give)."))


RETURN_SEQUENCES_SHAPES = re.compile(r"Incompatible shapes: \[(\d+),(\d+)\] vs\. \[\1,(\d+),\2\]")


def return_sequences_ignored(error: str) -> Diagnosis | None:
    """The autograder multiplies `outputs` by a (batch, T, units) tensor to take gradients: a (batch, units) one fails so."""
    shapes = RETURN_SEQUENCES_SHAPES.search(error)
    if not shapes:
        return None
    batch, units, steps = shapes.groups()
    return Diagnosis("return-sequences-ignored", (
        f"With return_sequences=True, `outputs` must hold every step's state, shape (batch, T, units) = "
        f"({batch}, {steps}, {units}); yours has shape ({batch}, {units}), the last state only. Keep each step's "
        "state in a list and stack them over time: `tf.stack(states, axis=1)`. (The error below comes from the "
        "autograder multiplying your `outputs` by a tensor of the right shape to take gradients.)"))


def softmax_on_logits(actual, expected_logits) -> Diagnosis | None:
    expected = np.asarray(expected_logits, dtype=np.float64)
    shifted = np.exp(expected - expected.max(axis=-1, keepdims=True))
    if _close(actual, shifted / shifted.sum(axis=-1, keepdims=True)):
        return Diagnosis("lm-softmax-on-logits", (
            "Your values are exactly the softmax of the reference's logits: `call` applies a softmax and returns "
            "probabilities. Return the classifier's output as it is; the loss and the perplexity apply the softmax "
            "themselves (from_logits=True)."))
    return None


def lm_looks_ahead(cell: str, moved: int, cut: int) -> Diagnosis:
    return Diagnosis("lm-looks-ahead", (
        f"With cell={cell!r}, the logits at position t = {moved} changed when only tokens after t = {cut} changed: "
        "the model looks into the future. The prediction at t may use tokens 0..t only (no reversing, no "
        "bidirectional layers, no use of the labels)."))


def lm_forgets(cell: str) -> Diagnosis:
    return Diagnosis("lm-no-recurrence", (
        f"With cell={cell!r}, the prediction at the last position did not change when the first token of the window "
        "changed: the model does not carry what it has read. `call` must run the embedded tokens through self.rnn "
        "(return_sequences=True) and the classifier, in that order."))


_RESHAPE = re.compile(r"cannot reshape array of size \d+ into shape \((\d+), ?\d+\)")


def windows_requested(trace: str) -> int | None:
    """The number of windows a numpy reshape error in the student's traceback shows the code asked for."""
    match = _RESHAPE.search(trace)
    return int(match.group(1)) if match else None


def window_count(length: int, window_sz: int, expected: int, found: int | None, *, raised: bool, public: bool) -> Diagnosis | None:
    """make_windows made (or, raising, asked for) N // window_sz windows where the contract counts (N - 1) // window_sz."""
    if found is None or found == expected or found != length // window_sz:
        return None
    given = f" for N = {length} ids and window_sz = {window_sz}" if public else ""
    return Diagnosis("windows-count", (
        f"Expected {expected} windows{given}, (N - 1) // window_sz; your make_windows {'asked for' if raised else 'made'} "
        f"{found}, N // window_sz. The last label is the token after the last input, so only N - 1 ids can start a "
        "label: count windows with (N - 1) // window_sz."))


def _cross_entropy(labels, logits):
    """Per-position sparse softmax cross-entropy, in float64."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=-1))
    return log_norm - np.take_along_axis(shifted, np.asarray(labels)[..., None], axis=-1)[..., 0]


PERPLEXITY_MISTAKES = {
    "ppl-mean-of-exp": "takes the mean of exp(cross-entropy) over positions: perplexity is exp of the *mean* cross-entropy",
    "ppl-no-exp": "leaves out the exp: the mean cross-entropy is the log of the perplexity",
    "ppl-sum": "sums the cross-entropy instead of averaging it",
    "ppl-not-from-logits": "treats the logits as probabilities: pass from_logits=True (the model returns unnormalised logits)",
    "ppl-softmax-twice": "applies a softmax before a loss that already applies one: give the loss the raw logits",
}


def perplexity_mistake(value: float, labels, logits) -> Diagnosis | None:
    """The usual wrong ways to compute perplexity, recomputed from the case's inputs; the one the value equals."""
    right = _cross_entropy(labels, logits)
    logits64 = np.asarray(logits, dtype=np.float64)
    as_probabilities = np.log(np.clip(logits64, 1e-7, 1 - 1e-7))  # what a loss with from_logits=False reads
    probabilities = np.exp(logits64 - np.log(np.exp(logits64).sum(-1, keepdims=True)))
    guesses = {
        "ppl-mean-of-exp": [np.mean(np.exp(right))],
        "ppl-no-exp": [np.mean(right)],
        "ppl-sum": [np.exp(np.sum(right))],
        "ppl-not-from-logits": [np.exp(np.mean(_cross_entropy(labels, as_probabilities)))],
        "ppl-softmax-twice": [np.exp(np.mean(_cross_entropy(labels, probabilities)))],
    }
    for label, values in guesses.items():
        if any(np.isfinite(guess) and np.isclose(value, guess, rtol=1e-4, atol=1e-6) for guess in values):
            return Diagnosis(label, f"Your value is exactly what you get when the computation {PERPLEXITY_MISTAKES[label]}.")
    return None


LABELS = tuple(RNN_STEP_MISTAKES) + tuple(LSTM_C_MISTAKES) + tuple(LSTM_H_MISTAKES) + (
    LSTM_CELL_MODULES[0], LSTM_OUTPUT_MODULE[0], "lstm-state-order", "tape-cut", "initial-state-form",
    "initial-state-not-zeros", "return-sequences-with-state", "return-sequences-ignored", "loss-outside-tape",
    "lm-softmax-on-logits", "lm-looks-ahead", "lm-no-recurrence", "windows-count")
# Labels the checks give without a sentence from here (their messages need the check's own figures).
LABELS += ("windows-not-arrays", "not-from-scratch", "train-losses-not-per-epoch", "train-diverged", "train-not-learning",
           "train-losses-mismatch", "train-no-epochs", "train-state-unused") + tuple(PERPLEXITY_MISTAKES)
