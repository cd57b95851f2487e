"""2. MyRNN: the vanilla RNN from scratch (the reference equals Keras's SimpleRNN)."""

import numpy as np

from autograder.parts import Cell, Part, Weight


def numpy_step(x_projected, states, recurrent_kernel):
    """s_t = tanh(x_t @ kernel + s_prev @ recurrent_kernel + bias): SimpleRNN's default activation."""
    return (np.tanh(x_projected + states[0] @ recurrent_kernel),)


PART = Part(name="rnn", number="2", title="The vanilla RNN", contract=("MyRNN",), kind="layer", cpu_seconds=40,
            layer="MyRNN", weights={"W_r": Weight(("input+units", "units")), "b_r": Weight(("units",), scale=0.1)},
            states=("s",), activations=("tanh", "sigmoid", "relu"), from_scratch=True,
            cell=Cell(keras="SimpleRNN", gates=1, numpy_step=numpy_step))
