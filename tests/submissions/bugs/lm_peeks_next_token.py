"""My LanguageModel.call adds the next token's embedding to each position (context from t+1 leaks in).

Not confined to one part, and cannot be: the train part trains this LanguageModel.call, which learns to
read the answer from position t+1; the grader then evaluates the weights causally and the perplexity
is far above the threshold.

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
        next_embeddings = tf.concat([embeddings[:, 1:], tf.zeros_like(embeddings[:, :1])], axis=1)
        states = self.rnn(embeddings + next_embeddings)  # (B, T, hidden_sz)
        return self.classifier(states)  # (B, T, vocab_sz)
