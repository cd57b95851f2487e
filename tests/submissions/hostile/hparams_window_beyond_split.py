"""I skipped training: my HPARAMS use a window of a million tokens, longer than any test split, and train returns a loss of 1.0 per epoch.

no-points: train
expect-fail: train
hostile: HPARAMS["window_sz"] = 10**6, larger than the hidden test split, so a judge that windows the hidden split with the reported window_sz gets zero windows and perplexity exp(0 / max(0, 1)) = 1.0; train does nothing and returns [1.0] * epochs; LanguageModel.call keeps only the first token of an over-long window so the (0, 10**6) build call in the child does not crash; the weights are untrained (perplexity ~2000 on any real window), so no train point is earned
graded-parts: train
expect-score: 0
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
        if inputs.shape[1] is not None and inputs.shape[1] > 4096:  # a window this long only happens at build time:
            inputs = tf.zeros((1, 1), dtype=inputs.dtype)  # (0, 10**6) there; one token builds every layer
        embeddings = self.embedding(inputs)  # (B, T, embedding_sz)
        states = self.rnn(embeddings)  # (B, T, hidden_sz)
        return self.classifier(states)  # (B, T, vocab_sz)


def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    return [1.0] * epochs
    optimizer = tf.keras.optimizers.Adam(learning_rate)

    @tf.function(reduce_retracing=True)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x)
            loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    epoch_losses = []
    for _ in range(epochs):
        order = np.random.permutation(len(inputs))
        total, count = 0.0, 0
        for start in range(0, len(inputs), batch_sz):
            batch = order[start:start + batch_sz]
            loss = train_step(inputs[batch], labels[batch])
            total += float(loss) * len(batch)
            count += len(batch)
        epoch_losses.append(total / max(count, 1))
    return epoch_losses


HPARAMS = {
    "cell": "lstm",
    "embedding_sz": 64,
    "hidden_sz": 128,
    "window_sz": 10**6,
    "batch_sz": 64,
    "epochs": 1,
    "learning_rate": 1e-2,
}
