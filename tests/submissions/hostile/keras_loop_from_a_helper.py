"""My MyRNN hands its step to Keras's own time loop, through a helper function of mine outside the class.

no-points: rnn
expect-fail: rnn
hostile: a module-level helper imports `rnn` from keras.src.backend.tensorflow.rnn, where Keras defines it, and MyRNN.call loops with it; the old reader read only the class bodies and the old tripwire replaced only the re-exports (keras.src.backend.rnn), so it got 20/20; a fixed reader follows MyRNN to the helper, and the loop fails inside the rnn stage wherever it is imported from; the language model part, which swaps Keras's own layers in, keeps its points in the same child
graded-parts: rnn lstm lm
expect-output: (?i)`rnn`.*from scratch
"""


from keras.src.backend.tensorflow.rnn import rnn as scan_over_time


def run_over_time(step, inputs, state):
    """Keras's loop: it calls step(x_t, [s]) and wants (output, [new state]) back."""
    def one_step(x_t, states):
        s = step(x_t, states[0])
        return s, [s]
    last, outputs, states = scan_over_time(one_step, inputs, [state])
    return last, outputs, states[0]


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
            s = tf.zeros((tf.shape(inputs)[0], self.units), dtype=inputs.dtype)
        elif isinstance(initial_state, (list, tuple)):
            s = initial_state[0]
        else:
            s = initial_state
        last, all_states, s = run_over_time(self.step, inputs, s)
        outputs = all_states if self.return_sequences else last
        return [outputs, s] if self.return_state else outputs


del perplexity


del train


del HPARAMS
