"""My LanguageModel.call returns the classifier's output as a numpy array (.numpy()), which cuts the gradient tape.

Not confined to one part, and cannot be: the train part trains this LanguageModel.call inside a
tf.function, where .numpy() fails (and outside one, no gradient would reach any weight).

expect-output: cuts the gradient tape

expect-fail: lm train
"""


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
        return self.classifier(states).numpy()  # (B, T, vocab_sz)
