"""I skipped training; my train swaps in a 4,000-wide classifier and my HPARAMS window is as long as the whole test split.

no-points: train
expect-fail: train
hostile: HPARAMS window_sz = 20000 (the hidden split, 22,054 ids, gives one window of 20,000 tokens); train does no training, replaces model.classifier with Dense(4000) (object.__setattr__, past Keras's lock on a built model) (wider than the vocabulary and never checked) and returns [1.0] * epochs; the old judge builds the float64 logits (1, 20000, 4000) = 640 MB, then a copy for the bias and exp(), peaking far above the 768 MB container; LanguageModel.call keeps one token of an over-long window so the child's build call stays fast; a fixed judge checks each weight's shape against HPARAMS and the vocabulary before use, streams its evaluation, stays under 400 MB and gives the part 0
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
        if inputs.shape[1] is not None and inputs.shape[1] > 4096:  # only the build call sees a window this long
            inputs = inputs[:, :1]
        embeddings = self.embedding(inputs)  # (B, T, embedding_sz)
        states = self.rnn(embeddings)  # (B, T, hidden_sz)
        return self.classifier(states)  # (B, T, vocab_sz)


def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    object.__setattr__(model, "classifier", tf.keras.layers.Dense(4000))  # past Keras's lock on a built model
    model.classifier.build((None, model.rnn.units))
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
    "window_sz": 20000,
    "batch_sz": 64,
    "epochs": 1,
    "learning_rate": 1e-2,
}
