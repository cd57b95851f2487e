"""My learning rate was far too high: training diverged and every weight of my model is NaN.

no-points: train
expect-fail: train
hostile: train takes one Adam step at learning rate 1e4 and then (as a diverged run ends) sets every trainable weight to NaN and returns a NaN loss; the judge's test perplexity is nan, which the old judge records on the leaderboard before its finiteness check, so results.json holds NaN (not JSON); a fixed judge fails 6.1 and 6.2 with a message and writes strict JSON (json.loads with parse_constant raising)
graded-parts: train
expect-output: (?i)finite|nan|learning rate|perplexity
"""


def train(model, inputs, labels, epochs, batch_sz, learning_rate):
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
            break  # one step at 1e4 is enough to diverge
        epoch_losses.append(total / max(count, 1))
        break
    for variable in model.trainable_variables:
        variable.assign(tf.fill(tf.shape(variable), float("nan")))
    return [float("nan")] * epochs


HPARAMS = {
    "cell": "lstm",
    "embedding_sz": 64,
    "hidden_sz": 128,
    "window_sz": 20,
    "batch_sz": 64,
    "epochs": 1,
    "learning_rate": 1e4,
}
