"""Test perplexity of a trained model, computed by the judge itself from the model's weights.

The student's code trains the model in the sandbox and hands back its weights; the
judge runs the contract's forward pass here in numpy (Keras's weight layout: gates
i, f, c, o side by side), so no number the student's code reports is trusted and
the hidden test split never reaches the sandbox.
"""

import numpy as np


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free


def recurrent_states(cell: str, embedded, kernel, recurrent_kernel, bias):
    """Hidden states (B, T, H) of a SimpleRNN (tanh) or LSTM over embedded inputs (B, T, E), from zero state."""
    batch, steps, _ = embedded.shape
    units = recurrent_kernel.shape[0]
    h = np.zeros((batch, units), dtype=np.float64)
    c = np.zeros_like(h)
    states = np.empty((batch, steps, units), dtype=np.float64)
    for t in range(steps):
        z = embedded[:, t] @ kernel + h @ recurrent_kernel + bias
        if cell == "rnn":
            h = np.tanh(z)
        else:
            i, f, c_tilde, o = np.split(z, 4, axis=-1)
            c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(c_tilde)
            h = _sigmoid(o) * np.tanh(c)
        states[:, t] = h
    return states


def perplexity(cell: str, weights: dict, inputs: np.ndarray, labels: np.ndarray, batch: int = 128) -> float:
    """exp(mean cross-entropy) of the model's next-token predictions over every position of every window."""
    total, count = 0.0, 0
    for start in range(0, len(inputs), batch):
        x, y = inputs[start:start + batch], labels[start:start + batch]
        embedded = weights["embedding"][x].astype(np.float64)
        states = recurrent_states(cell, embedded, weights["kernel"], weights["recurrent_kernel"], weights["bias"])
        logits = states @ weights["classifier_kernel"] + weights["classifier_bias"]  # (B, T, V)
        logits -= logits.max(axis=-1, keepdims=True)
        log_norm = np.log(np.exp(logits).sum(axis=-1))
        picked = np.take_along_axis(logits, y[..., None], axis=-1)[..., 0]
        total += float((log_norm - picked).sum())
        count += y.size
    return float(np.exp(total / max(count, 1)))


def windows(ids: np.ndarray, window_sz: int):
    """Non-overlapping windows and next-token labels, the remainder dropped (the contract's make_windows)."""
    count = max(len(ids) - 1, 0) // window_sz
    return ids[:count * window_sz].reshape(count, window_sz), ids[1:count * window_sz + 1].reshape(count, window_sz)
