"""My train skips gradient descent: it counts bigrams in the training windows and writes them into a vanilla RNN.

expect-fail: train
no-points: 6.2
hostile: train never takes a gradient step: it counts the training split's bigrams, interpolates them with an add-one unigram (λ = 0.85), and writes the log-probabilities into a vanilla RNN (a rank-512 factorisation: embedding, tanh and classifier; recurrent kernel zero), so each prediction comes from the current token alone; its test perplexity (about 47 on the hidden split of November) was under the threshold 49 and earned train 20/20; the judge's state-reset perplexity is the same, so 6.2 gives nothing and says the model does not use its recurrence (on the hidden split redrawn in December the bigram scores 57, above the threshold too: tests/test_training_certifies.py grades it under a threshold it reaches, to keep the state check's verdict asserted)
graded-parts: train
expect-output: not using its recurrence|must be at most
"""

import numpy as np
import tensorflow as tf


def make_windows(ids, window_sz):
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    num_windows = max(len(ids) - 1, 0) // window_sz
    end = num_windows * window_sz
    inputs = ids[:end].reshape(num_windows, window_sz)
    labels = ids[1:end + 1].reshape(num_windows, window_sz)
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
        outputs = tf.stack(states, axis=1) if self.return_sequences else s
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
        self.b_f = self.add_weight(name="b_f", shape=(units,), initializer="ones")
        self.b_o = self.add_weight(name="b_o", shape=(units,), initializer="zeros")
        self.b_c = self.add_weight(name="b_c", shape=(units,), initializer="zeros")

    def step(self, x_t, h_prev, c_prev):
        i_t = tf.sigmoid(h_prev @ self.W_i + x_t @ self.U_i + self.b_i)
        f_t = tf.sigmoid(h_prev @ self.W_f + x_t @ self.U_f + self.b_f)
        o_t = tf.sigmoid(h_prev @ self.W_o + x_t @ self.U_o + self.b_o)
        c_tilde = tf.tanh(h_prev @ self.W_c + x_t @ self.U_c + self.b_c)
        c_t = f_t * c_prev + i_t * c_tilde
        h_t = o_t * tf.tanh(c_t)
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


def perplexity(labels, logits):
    losses = tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    return tf.exp(tf.reduce_mean(losses))


def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    vocab_sz, units = model.classifier.get_weights()[1].shape[0], model.rnn.get_weights()[1].shape[0]
    previous, following = inputs.reshape(-1), labels.reshape(-1)
    counts = np.zeros((vocab_sz, vocab_sz))
    np.add.at(counts, (previous, following), 1.0)
    unigram = np.bincount(following, minlength=vocab_sz) + 1.0
    bigram = 0.85 * counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0) + 0.15 * unigram / unigram.sum()
    log_p = np.log(bigram)
    mean = log_p.mean(axis=0)
    u, s, vt = np.linalg.svd(log_p - mean)
    factor = u[:, :units] * s[:units]
    scale = 0.95 / np.abs(factor).max()
    model.embedding.set_weights([np.arctanh(scale * factor)])  # tanh(embedding @ I) gives back the factor
    model.rnn.set_weights([np.eye(units), np.zeros((units, units)), np.zeros(units)])
    model.classifier.set_weights([vt[:units] / scale, mean])
    loss = float(-log_p[previous, following].mean())
    return [loss] * epochs


HPARAMS = {
    "cell": "rnn",
    "embedding_sz": 512,
    "hidden_sz": 512,
    "window_sz": 20,
    "batch_sz": 64,
    "epochs": 1,
    "learning_rate": 0.01,
}
