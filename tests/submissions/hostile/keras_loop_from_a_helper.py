"""My MyRNN hands its step to Keras's own time loop, through a helper function of mine outside the class.

no-points: rnn
expect-fail: rnn
hostile: a module-level helper imports `rnn` from keras.src.backend.tensorflow.rnn, where Keras defines it, and MyRNN.call loops with it; the old reader read only the class bodies and the old tripwire replaced only the re-exports (keras.src.backend.rnn), so it got 20/20; a fixed reader follows MyRNN to the helper, and the loop fails inside the rnn stage wherever it is imported from; the language model part, which swaps Keras's own layers in, keeps its points in the same child
graded-parts: rnn lstm lm
expect-output: (?i)`rnn`.*from scratch
"""

import numpy as np
import tensorflow as tf
from keras.src.backend.tensorflow.rnn import rnn as scan_over_time


def run_over_time(step, inputs, state):
    """Keras's loop: it calls step(x_t, [s]) and wants (output, [new state]) back."""
    def one_step(x_t, states):
        s = step(x_t, states[0])
        return s, [s]
    last, outputs, states = scan_over_time(one_step, inputs, [state])
    return last, outputs, states[0]


def make_windows(ids, window_sz):
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
            s = tf.zeros((tf.shape(inputs)[0], self.units), dtype=inputs.dtype)
        elif isinstance(initial_state, (list, tuple)):
            s = initial_state[0]
        else:
            s = initial_state
        last, all_states, s = run_over_time(self.step, inputs, s)
        outputs = all_states if self.return_sequences else last
        return [outputs, s] if self.return_state else outputs


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
        i_t = tf.sigmoid(h_prev @ self.W_i + x_t @ self.U_i + self.b_i)  # (B, units) input gate
        f_t = tf.sigmoid(h_prev @ self.W_f + x_t @ self.U_f + self.b_f)  # (B, units) forget gate
        o_t = tf.sigmoid(h_prev @ self.W_o + x_t @ self.U_o + self.b_o)  # (B, units) output gate
        c_tilde = tf.tanh(h_prev @ self.W_c + x_t @ self.U_c + self.b_c)  # (B, units) candidate memory
        c_t = f_t * c_prev + i_t * c_tilde  # (B, units) forget, then remember
        h_t = o_t * tf.tanh(c_t)  # (B, units) output
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


class LanguageModel(tf.keras.Model):

    def __init__(self, vocab_sz, cell="lstm", embedding_sz=64, hidden_sz=128, **kwargs):
        super().__init__(**kwargs)
        self.vocab_sz = vocab_sz
        self.embedding = tf.keras.layers.Embedding(vocab_sz, embedding_sz)
        if cell == "lstm":
            self.rnn = MyLSTM(hidden_sz, return_sequences=True)
        elif cell == "rnn":
            self.rnn = MyRNN(hidden_sz, return_sequences=True)
        else:
            raise ValueError(f"cell must be 'lstm' or 'rnn', not {cell!r}")
        self.classifier = tf.keras.layers.Dense(vocab_sz)

    def call(self, inputs):
        embeddings = self.embedding(inputs)  # (B, T, embedding_sz)
        states = self.rnn(embeddings)  # (B, T, hidden_sz)
        return self.classifier(states)  # (B, T, vocab_sz)
