"""My MyLSTM.step runs Keras's LSTMCell on my weights: I take the cell's own `call` back out of the autograder's wrapper.

no-points: lstm
expect-fail: lstm
hostile: MyLSTM.step looks up LSTMCell by a name built from strings (the reader cannot see it) and calls the original `LSTMCell.call` that the child's tripwire keeps in its wrapper's closure (`call.__closure__`), so the cell runs while the tripwire is armed; the tripwire lives in the student's own process, so it got 25/25
graded-parts: lstm
known-gap: the tripwire runs in the student's own process, so the originals it guards stay reachable there (a wrapper's closure, gc, or Keras's source re-executed); no behaviour the judge measures tells a cell's answer from a hand-written one, so a determined student who also dodges the reader gets the part; the AI-similarity review and staff's reading remain
expect-output: (?i)LSTMCell.*from scratch
"""


def _unwrapped(function):
    """What a wrapper calls: the function held in its closure, or the function itself."""
    for cell in getattr(function, "__closure__", None) or ():
        inner = cell.cell_contents
        if callable(inner) and getattr(inner, "__name__", None) == function.__name__ and inner is not function:
            return _unwrapped(inner)
    return function


class MyLSTM(tf.keras.layers.Layer):

    def __init__(self, units, return_sequences=False, return_state=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.return_sequences = return_sequences
        self.return_state = return_state

    def build(self, input_shape):
        input_dim = input_shape[-1]
        units = self.units
        self.W_i = self.add_weight(name="W_i", shape=(units, units), initializer="orthogonal")
        self.W_f = self.add_weight(name="W_f", shape=(units, units), initializer="orthogonal")
        self.W_o = self.add_weight(name="W_o", shape=(units, units), initializer="orthogonal")
        self.W_c = self.add_weight(name="W_c", shape=(units, units), initializer="orthogonal")
        self.U_i = self.add_weight(name="U_i", shape=(input_dim, units), initializer="glorot_uniform")
        self.U_f = self.add_weight(name="U_f", shape=(input_dim, units), initializer="glorot_uniform")
        self.U_o = self.add_weight(name="U_o", shape=(input_dim, units), initializer="glorot_uniform")
        self.U_c = self.add_weight(name="U_c", shape=(input_dim, units), initializer="glorot_uniform")
        self.b_i = self.add_weight(name="b_i", shape=(units,), initializer="zeros")
        self.b_f = self.add_weight(name="b_f", shape=(units,), initializer="ones")  # remember by default
        self.b_o = self.add_weight(name="b_o", shape=(units,), initializer="zeros")
        self.b_c = self.add_weight(name="b_c", shape=(units,), initializer="zeros")

    def step(self, x_t, h_prev, c_prev):
        cell = getattr(tf.keras.layers, "LSTM" + "Cell")(self.units)
        order = ("i", "f", "c", "o")  # Keras's gate order
        cell.kernel = tf.concat([getattr(self, f"U_{gate}") for gate in order], axis=1)
        cell.recurrent_kernel = tf.concat([getattr(self, f"W_{gate}") for gate in order], axis=1)
        cell.bias = tf.concat([getattr(self, f"b_{gate}") for gate in order], axis=0)
        h_t, (_, c_t) = _unwrapped(type(cell).call)(cell, x_t, [h_prev, c_prev])
        return h_t, c_t

    def call(self, inputs, initial_state=None):
        if initial_state is None:
            h = tf.zeros((tf.shape(inputs)[0], self.units), dtype=inputs.dtype)  # h_0 = 0: (B, units)
            c = tf.zeros((tf.shape(inputs)[0], self.units), dtype=inputs.dtype)  # c_0 = 0: (B, units)
        else:
            h, c = initial_state
        hidden_states = []
        for t in range(inputs.shape[1]):
            h, c = self.step(inputs[:, t, :], h, c)  # (B, units), (B, units)
            hidden_states.append(h)
        outputs = tf.stack(hidden_states, axis=1) if self.return_sequences else h  # (B, T, units) or (B, units)
        return [outputs, h, c] if self.return_state else outputs


del perplexity


del train


del HPARAMS
