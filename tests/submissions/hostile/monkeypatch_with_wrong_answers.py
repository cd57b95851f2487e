"""Three of my answers are wrong (labels not shifted, no tanh in h_t, no exp in perplexity), and my notebook monkeypatches every comparison and test framework it can find, hoping that hides it.

expect-fail: windows lstm perplexity
hostile: the same import-time patches as monkeypatch_checks.py (numpy, math, TensorFlow, unittest, gradescope-utils, pytest, AssertionError) on top of three wrong answers; if any check ran in the student's process those parts would pass
graded-parts: windows rnn lstm lm perplexity
over: hostile/monkeypatch_checks.py
"""


def make_windows(ids, window_sz):
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    num_windows = max(len(ids) - 1, 0) // window_sz
    end = num_windows * window_sz
    inputs = ids[:end].reshape(num_windows, window_sz)
    labels = ids[:end].reshape(num_windows, window_sz)
    return inputs, labels


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
        self.b_f = self.add_weight(name="b_f", shape=(units,), initializer="ones")
        self.b_o = self.add_weight(name="b_o", shape=(units,), initializer="zeros")
        self.b_c = self.add_weight(name="b_c", shape=(units,), initializer="zeros")

    def step(self, x_t, h_prev, c_prev):
        i_t = tf.sigmoid(h_prev @ self.W_i + x_t @ self.U_i + self.b_i)
        f_t = tf.sigmoid(h_prev @ self.W_f + x_t @ self.U_f + self.b_f)
        o_t = tf.sigmoid(h_prev @ self.W_o + x_t @ self.U_o + self.b_o)
        c_tilde = tf.tanh(h_prev @ self.W_c + x_t @ self.U_c + self.b_c)
        c_t = f_t * c_prev + i_t * c_tilde
        h_t = o_t * c_t
        return h_t, c_t

    def call(self, inputs, initial_state=None):
        if initial_state is None:
            h = tf.zeros((tf.shape(inputs)[0], self.units), dtype=inputs.dtype)
            c = tf.zeros((tf.shape(inputs)[0], self.units), dtype=inputs.dtype)
        else:
            h, c = initial_state
        hidden_states = []
        for t in range(inputs.shape[1]):
            h, c = self.step(inputs[:, t, :], h, c)
            hidden_states.append(h)
        outputs = tf.stack(hidden_states, axis=1) if self.return_sequences else h
        return [outputs, h, c] if self.return_state else outputs


def perplexity(labels, logits):
    losses = tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    return tf.reduce_mean(losses)
