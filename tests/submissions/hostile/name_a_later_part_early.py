"""My make_windows is far too slow, so my notebook tells the autograder it is already checking MyRNN.

expect-fail: windows
no-points: windows
hostile: at load time it reads the job (job.json beside runner.py), writes the id of an rnn case (its `part` field) into out/progress, and then make_windows spins 15 CPU-seconds in pure Python against a windows budget of 12; the judge moves forward to the part a progress names, so the windows work is charged to rnn's 40 CPU-seconds and windows gets full marks; one child's parts share its processes, so only the sum of the budgets is firm
graded-parts: windows rnn
cpu-budget: windows 12 rnn 40
known-gap: one child runs every part, and only the child says which part it is in, so it can charge a part's work to a later part's budget (or precompute a later part's answers from inputs.npz under an earlier one); the judge only records the progress that went back. A fix: read each part's outputs from a copy the judge takes when the child moves past that part, so answers made after a claim to be elsewhere count for nothing; precomputing needs a child per part
expect-output: ran out of time
"""

import json
import os
import sys
import time

import numpy as np
import tensorflow as tf


def _claim_a_later_part():
    try:
        workdir = sys.argv[1]
        with open(os.path.join(workdir, "job.json")) as file:
            specs = json.load(file)["specs"]
        later = next(spec["id"] for spec in specs if spec.get("part") == "rnn")
        with open(os.path.join(workdir, "out", "progress.mine"), "w") as file:
            file.write(later)
        os.replace(os.path.join(workdir, "out", "progress.mine"), os.path.join(workdir, "out", "progress"))
        time.sleep(1)  # the judge polls: let it see the claim before the windows work starts
    except Exception:
        pass


CLAIMED = _claim_a_later_part()  # an UPPER_CASE assignment, so the grader runs it
SPUN = []


def make_windows(ids, window_sz):
    if not SPUN:
        SPUN.append(True)
        start = time.process_time()
        while time.process_time() - start < 15:  # the slow part, in pure Python
            pass
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)  # (N,)
    num_windows = max(len(ids) - 1, 0) // window_sz
    end = num_windows * window_sz
    inputs = ids[:end].reshape(num_windows, window_sz)  # (num_windows, T)
    labels = ids[1:end + 1].reshape(num_windows, window_sz)  # (num_windows, T), one position later
    return inputs, labels


class MyRNN(tf.keras.layers.Layer):

    def __init__(self, units, activation="tanh", return_sequences=False, return_state=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = tf.keras.activations.get(activation)
        self.return_sequences = return_sequences
        self.return_state = return_state

    def build(self, input_shape):
        input_dim = input_shape[-1]
        # rows [0, input_dim) multiply x_t, rows [input_dim, input_dim + units) multiply s_{t-1}
        self.W_r = self.add_weight(name="W_r", shape=(input_dim + self.units, self.units), initializer="glorot_uniform")
        self.b_r = self.add_weight(name="b_r", shape=(self.units,), initializer="zeros")

    def step(self, x_t, s_prev):
        return self.activation(tf.concat([x_t, s_prev], axis=-1) @ self.W_r + self.b_r)  # (B, units)

    def call(self, inputs, initial_state=None):
        if initial_state is None:
            s = tf.zeros((tf.shape(inputs)[0], self.units), dtype=inputs.dtype)  # s_0 = 0: (B, units)
        elif isinstance(initial_state, (list, tuple)):
            s = initial_state[0]
        else:
            s = initial_state
        states = []
        for t in range(inputs.shape[1]):
            s = self.step(inputs[:, t, :], s)  # (B, units)
            states.append(s)
        outputs = tf.stack(states, axis=1) if self.return_sequences else s  # (B, T, units) or (B, units)
        return [outputs, s] if self.return_state else outputs


