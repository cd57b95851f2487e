"""I skipped training; my notebook hands back a complex-valued classifier bias whose phases cancel the softmax's denominator.

no-points: train
expect-fail: train
hostile: train does nothing and returns [1.0] * epochs; at load time an UPPER_CASE assignment wraps sys.modules["probes"].as_array so the train probe returns a zero classifier kernel and a complex128 classifier bias 1j * 2*pi*v/V; the judge's numpy evaluation then sums V unit phasors (|sum| ~ 1e-13), log() of it has a real part ~ -30 and float() drops the imaginary part, giving a test perplexity ~ 1e-13 (or 0.0), far under the threshold; a fixed judge must refuse any weight whose dtype is not the float dtype (and shape) it expects
graded-parts: train
expect-score: 0
"""


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
    "window_sz": 20,
    "batch_sz": 64,
    "epochs": 1,
    "learning_rate": 1e-2,
}


def _complex_weights():
    probes = sys.modules.get("probes")
    if probes is None:
        return "no probes module"
    original = probes.as_array

    def as_array(value, what):
        array = original(value, what)
        if what == "classifier kernel":
            return np.zeros_like(array)
        if what == "classifier bias":
            phases = 2 * np.pi * np.arange(array.shape[-1]) / array.shape[-1]
            return (1j * phases).astype(np.complex128)  # exp(1j * phases) sums to ~0
        return array

    probes.as_array = as_array
    return "patched"


COMPLEX_WEIGHTS = _complex_weights()
