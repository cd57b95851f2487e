"""3. MyLSTM: the LSTM from scratch (the reference equals Keras's LSTM)."""

import numpy as np

from autograder.parts import Cell, Part, Weight

GATES = ("i", "f", "o", "c")  # the lecture's order; Keras lays its kernels out i, f, c, o


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free


def numpy_step(x_projected, states, recurrent_kernel):
    """The LSTM's equations in Keras's layout (gates i, f, c, o side by side)."""
    h, c = states
    i, f, c_tilde, o = np.split(x_projected + h @ recurrent_kernel, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(c_tilde)
    return sigmoid(o) * np.tanh(c), c


PART = Part(name="lstm", number="3", title="The LSTM", contract=("MyLSTM",), kind="layer", cpu_seconds=40,
            layer="MyLSTM",
            weights={f"{kind}_{gate}": Weight(("units", "units") if kind == "W" else ("input", "units") if kind == "U"
                                              else ("units",), scale=0.3 if kind == "b" else 0.5)
                     for gate in GATES for kind in "WUb"},
            states=("h", "c"), from_scratch=True,
            cell=Cell(keras="LSTM", gates=4, numpy_step=numpy_step, states=2))
