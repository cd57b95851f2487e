"""My notebook has every TODO left undone, but a failing cell's error message closes the feedback's code block and prints a table saying I scored 100/100.

expect-fail: windows rnn lstm lm perplexity train
hostile: the stencil's NotImplementedError everywhere; an UPPER_CASE assignment raises an error whose message holds a ``` fence, a fake markdown table "| total | 100 / 100 |" and a new fence, so the load note, which the summary shows in a fenced block, ends the block and the fake table renders as the grader's; make_windows's error and printed lines carry the same; a fixed grader quotes student text so it can never close its fence (a longer fence or indentation), and no rendered table other than its own appears
graded-parts: windows rnn lstm lm perplexity train
expect-score: 0
"""


def make_windows(ids, window_sz):
    """TODO 1: cut a sequence of token ids into non-overlapping windows of inputs and their labels.

    ids:        N token ids, a 1-D list or np.ndarray of ints
    window_sz:  T, the number of tokens in a window
    returns     (inputs, labels), two int np.ndarrays of shape (num_windows, T) with
                num_windows = (N - 1) // T (what is left over is dropped; zero windows when N - 1 < T):
                inputs[k, j] = ids[k*T + j] and labels[k, j] = ids[k*T + j + 1]

    Hint: labels are the inputs shifted by ONE position, and the windows do not overlap: window k
    starts at k*T, not at k. Count windows with N - 1, since the last id has no next id to predict.
    """
    print(INJECTION)
    raise NotImplementedError(INJECTION + "TODO 1: make_windows — return (inputs, labels), each (num_windows, window_sz), labels shifted by one")


class MyRNN(tf.keras.layers.Layer):
    """A vanilla RNN layer: s_t = activation(concat(x_t, s_{t-1}) @ W_r + b_r), s_0 = 0."""

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
        """TODO 2: one step of the RNN.

        x_t:     (B, input_dim), the input at step t
        s_prev:  (B, units), the state s_{t-1}
        returns  s_t, (B, units)

        Hint: concatenate in the order [x_t, s_prev] along the last axis: that is the row order of W_r.
        """
        raise NotImplementedError("TODO 2: MyRNN.step — return s_t = activation(concat([x_t, s_prev], -1) @ W_r + b_r), shape (B, units)")

    def call(self, inputs, initial_state=None):
        """TODO 3: run the RNN over a batch of sequences.

        inputs:         (B, T, input_dim)
        initial_state:  s_0, a (B, units) tensor or a one-element list holding it; None means zeros
        returns         outputs: all states stacked (B, T, units) if self.return_sequences, else s_T (B, units);
                        the list [outputs, s_T] if self.return_state

        Hint: carry the state from one step to the next (s = self.step(x_t, s)), starting from s_0; and
        initial_state may come as a list [s_0], as Keras layers accept it.
        """
        raise NotImplementedError("TODO 3: MyRNN.call — loop step over the T steps of inputs (B, T, input_dim) and return the states")


class MyLSTM(tf.keras.layers.Layer):
    """An LSTM layer with input (i), forget (f) and output (o) gates and candidate memory (c)."""

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
        """TODO 4: one step of the LSTM, the six equations above.

        x_t:     (B, input_dim), the input at step t
        h_prev:  (B, units), the hidden state h_{t-1}
        c_prev:  (B, units), the cell state c_{t-1}
        returns  (h_t, c_t), both (B, units)

        Hint: the forget gate multiplies the OLD cell state c_prev; the input gate multiplies the
        candidate c~_t. And h_t takes tanh of the NEW cell state c_t.
        """
        raise NotImplementedError("TODO 4: MyLSTM.step — return (h_t, c_t), both (B, units), from the LSTM equations")

    def call(self, inputs, initial_state=None):
        """TODO 5: run the LSTM over a batch of sequences.

        inputs:         (B, T, input_dim)
        initial_state:  [h_0, c_0], two (B, units) tensors; None means zeros
        returns         outputs: all hidden states stacked (B, T, units) if self.return_sequences, else h_T (B, units);
                        the list [outputs, h_T, c_T] if self.return_state

        Hint: use TensorFlow operations only (tf.stack, not np.stack or .numpy()), or no gradient flows
        back through time.
        """
        raise NotImplementedError("TODO 5: MyLSTM.call — loop step over the T steps of inputs (B, T, input_dim) and return the hidden states")


class LanguageModel(tf.keras.Model):
    """Embedding, then MyLSTM or MyRNN over the window, then a Dense layer that scores the next word."""

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
        """TODO 6: the logits of the next word at every position.

        inputs:   (B, T) int token ids
        returns   logits (B, T, vocab_sz), unnormalised: no softmax

        Hint: return the classifier's output as it is; applying softmax here breaks the loss and the
        perplexity, which both take logits.
        """
        raise NotImplementedError("TODO 6: LanguageModel.call — return logits (B, T, vocab_sz): embedding, then self.rnn, then self.classifier")


def perplexity(labels, logits):
    """TODO 7: the perplexity of logits against labels.

    labels:  (B, T) int ids of the true next words (or any shape S)
    logits:  (B, T, vocab_sz) unnormalised scores (shape S + (vocab_sz,))
    returns  a scalar: exp of the MEAN sparse softmax cross-entropy over every position

    Hint: take the mean of the cross-entropy, not its sum, before exp; and the inputs are logits,
    so tell the loss function (from_logits=True).
    """
    raise NotImplementedError("TODO 7: perplexity — return exp(mean sparse softmax cross-entropy of logits against labels), a scalar")


def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    """TODO 8: train model in place with Adam and return the mean training loss of each epoch.

    model:          a LanguageModel
    inputs, labels: (num_windows, window_sz) int arrays, as make_windows returns them
    epochs:         the number of passes over all windows (shuffled anew each epoch)
    batch_sz:       the number of windows in a batch
    learning_rate:  Adam's learning rate
    returns         a list of `epochs` floats: the mean cross-entropy over the windows of each epoch

    Hint: call the model and compute the loss INSIDE `with tf.GradientTape() as tape:`; the tape
    differentiates only what it saw.
    """
    raise NotImplementedError("TODO 8: train — train with Adam over shuffled batches and return a list of `epochs` mean losses (floats)")


def long_range_sentences(num_sentences, distances, sentence_len, seed):
    """Sentences 'subject, d fillers, had, answer, fillers', each sentence_len ids, concatenated into one sequence.

    Returns the ids (one more than num_sentences * sentence_len, so make_windows gives one window per
    sentence) and the distance d of each sentence.
    """
    rng = np.random.default_rng(seed)
    ids, ds = [], rng.choice(distances, size=num_sentences)
    for d in ds:
        k = rng.integers(len(subjects))
        sentence = [subjects[k], *rng.choice(fillers, size=d), "had", answers[k]]
        sentence += list(rng.choice(fillers, size=sentence_len - len(sentence)))
        ids += [toy_id[word] for word in sentence]
    return np.array(ids + [toy_id["had"]]), ds


HPARAMS = {
    "cell": ...,  # "lstm" or "rnn"
    "embedding_sz": ...,  # int, the size of a word's embedding
    "hidden_sz": ...,  # int, the size of the recurrent state
    "window_sz": ...,  # int, tokens in a window (the autograder windows its data with it)
    "batch_sz": ...,  # int, windows in a batch
    "epochs": ...,  # int, passes over the training windows
    "learning_rate": ...,  # float, Adam's learning rate
}


INJECTION = "\n```\n\n**All checks passed.**\n\n| part | points |\n|---|---|\n| windows | 10 / 10 |\n| rnn | 20 / 20 |\n| lstm | 25 / 25 |\n| lm | 15 / 15 |\n| perplexity | 10 / 10 |\n| train | 20 / 20 |\n| **total** | **100 / 100** |\n\n```\n"


def _show_off():
    raise RuntimeError(INJECTION)


SHOW_OFF = _show_off()
