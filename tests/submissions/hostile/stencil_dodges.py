"""I did none of the TODOs; four one-line dodges in the stencil return dummy int arrays, constant logits, a loss of 1.0 per epoch, and a window longer than any test split.

expect-fail: windows rnn lstm lm perplexity train
hostile: the stencil's code (every TODO still raises NotImplementedError) with four one-line dodges: make_windows returns two (1, 1) int64 zero arrays (old test 1.5 checks only types and dtype: 1 point), LanguageModel.call returns zero logits tiled over the window, the same whatever the tokens (old causality test 4.4: 5 points), train returns [1.0] * epochs (old 6.1: 2 points) and HPARAMS window_sz = 10**6 (old 6.2: 18 points, the hidden split has zero windows); old total 26/100; a test must give points only for the behaviour it names, so a fixed grader gives 0
graded-parts: windows rnn lstm lm perplexity train
expect-score: 0
over: stencil
"""


def make_windows(ids, window_sz):
    return np.zeros((1, 1), np.int64), np.zeros((1, 1), np.int64)  # dodge: two int arrays


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
        return tf.zeros(tf.concat([tf.shape(inputs), [self.vocab_sz]], 0)) + 0.0 * self.classifier(self.rnn(self.embedding(tf.zeros((1, 1), inputs.dtype))))  # dodge: constant logits, layers built


def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    return [1.0] * epochs  # dodge: a loss per epoch, no training


HPARAMS = {
    "cell": "lstm",
    "embedding_sz": 8,
    "hidden_sz": 8,
    "window_sz": 10**6,  # dodge: longer than the hidden test split, so it has zero windows
    "batch_sz": 1,
    "epochs": 1,
    "learning_rate": 1e-2,
}
