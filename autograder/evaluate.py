"""Test perplexity of a trained model, computed by the judge itself from the model's weights.

The student's code trains the model in the sandbox and hands back its weights; the
judge checks them (real numbers, finite, shapes that make one model of the judge's
vocabulary with the cell HPARAMS names) and runs that cell's declared equations here in numpy
(Keras's weight layout), over windows the judge cuts itself. No
figure the student's code reports is used (the cell it names only picks the equations its
weights must fit), and the hidden test split never reaches the sandbox. The forward pass streams over windows in float32, so the judge's
memory does not grow with the test split or the model's width.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.parts import CELLS

CHUNK_ELEMENTS = 4_000_000  # logits computed at once: 16 MB in float32


class UnusableModel(ValueError):
    """The returned weights do not make a model the judge can evaluate; the message says why."""


@dataclass(frozen=True)
class TrainedModel:
    cell: str  # the cell HPARAMS names, whose declaration (autograder/parts) gives its equations
    embedding: np.ndarray  # (V, E)
    kernel: np.ndarray  # (E, G*H), G the cell's gates: blocks of H columns in Keras's layout
    recurrent_kernel: np.ndarray  # (H, G*H)
    bias: np.ndarray  # (G*H,)
    classifier_kernel: np.ndarray  # (H, V)
    classifier_bias: np.ndarray  # (V,)

    @property
    def hidden_sz(self) -> int:
        return self.recurrent_kernel.shape[0]


def trained_model(weights: dict, cell: str, vocab_sz: int, max_width: int) -> TrainedModel:
    """The model the weights make with the cell HPARAMS names, after checking every dtype, shape and value
    against what that cell and the judge's vocabulary expect."""
    if cell not in CELLS:
        raise UnusableModel(f"HPARAMS['cell'] is not one of the cells {', '.join(repr(name) for name in CELLS)}.")
    gates = CELLS[cell].gates
    for name, array in weights.items():
        if array.dtype.kind != "f":
            raise UnusableModel(f"the trained `{name}` has dtype `{array.dtype}`; a model's weights are real floating-point numbers.")
        if not np.all(np.isfinite(array)):
            raise UnusableModel(f"the trained `{name}` contains NaN or infinity: training diverged. "
                                "Lower the learning rate (or check the loss).")
    embedding, recurrent = weights["embedding"], weights["recurrent_kernel"]
    if embedding.ndim != 2 or embedding.shape[0] != vocab_sz or not 1 <= embedding.shape[1] <= max_width:
        raise UnusableModel(f"the embedding has shape {embedding.shape}; expected (vocab_sz={vocab_sz}, embedding_sz ≤ {max_width}).")
    hidden = recurrent.shape[0] if recurrent.ndim == 2 else 0
    if not 1 <= hidden <= max_width or recurrent.shape[1] != gates * hidden:
        many = "hidden_sz" if gates == 1 else f"{gates} * hidden_sz"
        raise UnusableModel(f"the recurrent kernel has shape {recurrent.shape}; a {cell!r} cell's is (hidden_sz, {many}) "
                            f"with hidden_sz ≤ {max_width}.")
    expected = {"kernel": (embedding.shape[1], gates * hidden), "bias": (gates * hidden,),
                "classifier_kernel": (hidden, vocab_sz), "classifier_bias": (vocab_sz,)}
    for name, shape in expected.items():
        if weights[name].shape != shape:
            raise UnusableModel(f"the trained `{name}` has shape {weights[name].shape}; with these embedding and hidden "
                                f"sizes it must be {shape}.")
    as32 = {name: np.ascontiguousarray(array, dtype=np.float32) for name, array in weights.items()}
    return TrainedModel(cell=cell, **as32)


def recurrent_states(cell: str, embedded, kernel, recurrent_kernel, bias, carry_state: bool = True):
    """Hidden states (B, T, H) of the cell over embedded inputs (B, T, E), from zero state, by its declared equations.

    With carry_state=False the state (h, and c for an LSTM) is reset to zero before every
    step, so each state comes from its own token only: the ablation that shows whether a
    trained model uses its recurrence.
    """
    declared = CELLS[cell]
    batch, steps, _ = embedded.shape
    zeros = tuple(np.zeros((batch, recurrent_kernel.shape[0]), dtype=embedded.dtype) for _ in range(declared.states))
    state = zeros
    projected = embedded @ kernel + bias  # (B, T, G*H): every step's input part at once
    hidden = np.empty((batch, steps, recurrent_kernel.shape[0]), dtype=embedded.dtype)
    for t in range(steps):
        state = declared.numpy_step(projected[:, t], state if carry_state else zeros, recurrent_kernel)
        hidden[:, t] = state[0]
    return hidden


def perplexity(model: TrainedModel, inputs: np.ndarray, labels: np.ndarray, carry_state: bool = True) -> float:
    """exp(mean cross-entropy) of the model's next-token predictions over every position of every window
    (with carry_state=False, each prediction from its own token only: see recurrent_states)."""
    if inputs.size == 0:
        raise ValueError("no windows to evaluate on")
    vocab_sz = model.classifier_bias.shape[0]
    batch = max(1, CHUNK_ELEMENTS // (inputs.shape[1] * vocab_sz))
    total = 0.0
    for start in range(0, len(inputs), batch):
        x, y = inputs[start:start + batch], labels[start:start + batch]
        states = recurrent_states(model.cell, model.embedding[x], model.kernel, model.recurrent_kernel, model.bias,
                                  carry_state)
        logits = states @ model.classifier_kernel + model.classifier_bias  # (B, T, V), float32
        logits -= logits.max(axis=-1, keepdims=True)
        log_norm = np.log(np.exp(logits).sum(axis=-1, dtype=np.float64))
        picked = np.take_along_axis(logits, y[..., None], axis=-1)[..., 0]
        total += float((log_norm - picked).sum())
    return float(np.exp(total / labels.size))


def windows(ids: np.ndarray, window_sz: int):
    """Non-overlapping windows and next-token labels, the remainder dropped (the contract's make_windows)."""
    count = max(len(ids) - 1, 0) // window_sz
    return ids[:count * window_sz].reshape(count, window_sz), ids[1:count * window_sz + 1].reshape(count, window_sz)


def uses_state(test_perplexity: float, state_reset_perplexity: float, min_ratio: float) -> bool:
    """Whether the model predicts worse, by at least `min_ratio`, when its state is reset before every step.

    A model that predicts as well from the current token alone is a table of bigrams in a
    recurrent model's clothes, however it got its weights (written in, or trained with the
    recurrence cut). The ratio is calibrated (`make calibrate`) far below what the reference
    and the vanilla RNN show.
    """
    return bool(np.isfinite(test_perplexity) and state_reset_perplexity >= test_perplexity * min_ratio)


def implausible(test_perplexity: float, floor: float | None) -> dict | None:
    """For staff: a perplexity far below what the reference reaches with a much longer training run (`floor`,
    calibrated by `make calibrate`) is recorded, not rewarded silently; None when it is not."""
    if floor is None or not np.isfinite(test_perplexity) or test_perplexity >= floor:
        return None
    return {"test_perplexity": round(float(test_perplexity), 2), "floor": float(floor)}


# How far the last epoch's mean training loss may lie from the held-out cross-entropy the judge measures, either
# way. Above: an epoch's mean still carries the loss of its first batches, most of all after a single epoch (the
# reference, hidden split, measured under load on an AMD EPYC: +0.76 nats after one epoch, +0.18 after two). Below:
# a model fits its training text better than unseen text. A loss outside this band (the trial's exploit: 0.91
# above) does not describe the model that was trained.
LOSS_TOLERANCE_NATS = 0.85


def loss_matches(last_loss: float, held_out_cross_entropy: float) -> bool:
    return abs(last_loss - held_out_cross_entropy) <= LOSS_TOLERANCE_NATS


PERPLEXITY_POINTS = 18


def perplexity_points(perplexity: float | None, threshold: float, until: float | None, points: float) -> float:
    """Points for a test perplexity: all at or under the threshold, then falling linearly to none at `until` (if set)."""
    if perplexity is None or not np.isfinite(perplexity):
        return 0.0
    if perplexity <= threshold:
        return float(points)
    if until and perplexity < until:
        return round(points * (until - perplexity) / (until - threshold), 2)
    return 0.0
