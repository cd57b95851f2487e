"""My MyRNN.call always returns the last state only, even with return_sequences=True.

expect-fail: rnn
"""


class MyRNN(tf.keras.layers.Layer):
    def __init__(self, units, activation="tanh", return_sequences=False, return_state=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = tf.keras.activations.get(activation)
        self.return_sequences = return_sequences
        self.return_state = return_state

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.W_r = self.add_weight(name="W_r", shape=(input_dim + self.units, self.units), initializer="glorot_uniform")
        self.b_r = self.add_weight(name="b_r", shape=(self.units,), initializer="zeros")

    def step(self, x_t, s_prev):
        return self.activation(tf.concat([x_t, s_prev], axis=-1) @ self.W_r + self.b_r)

    def call(self, inputs, initial_state=None):
        if initial_state is None:
            s = tf.zeros((tf.shape(inputs)[0], self.units), dtype=inputs.dtype)
        elif isinstance(initial_state, (list, tuple)):
            s = initial_state[0]
        else:
            s = initial_state
        states = []
        for t in range(inputs.shape[1]):
            s = self.step(inputs[:, t, :], s)
            states.append(s)
        outputs = s
        return [outputs, s] if self.return_state else outputs


HPARAMS = {
    "cell": "lstm",
    "embedding_sz": 64,
    "hidden_sz": 128,
    "window_sz": 20,
    "batch_sz": 64,
    "epochs": 2,
    "learning_rate": 1e-2,
}
