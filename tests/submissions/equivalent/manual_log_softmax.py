"""perplexity gathers log_softmax by hand; train loops without tf.function using GradientTape and a Keras loss object.

expect-fail: none
"""


def perplexity(labels, logits):
    log_probs = tf.nn.log_softmax(logits, axis=-1)
    picked = tf.gather(log_probs, tf.cast(labels, tf.int32), axis=-1, batch_dims=len(labels.shape))
    return float(np.exp(-np.mean(picked.numpy())))


def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    optimizer = tf.keras.optimizers.Adam(learning_rate)
    loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def update(x, y):
        with tf.GradientTape() as tape:
            loss = loss_object(y, model(x, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_weights), model.trainable_weights))
        return loss

    losses_per_epoch = []
    for epoch in range(epochs):
        shuffle = np.random.permutation(inputs.shape[0])
        x_all, y_all = inputs[shuffle], labels[shuffle]
        batch_losses = [float(update(x_all[i:i + batch_sz], y_all[i:i + batch_sz]))
                        for i in range(0, len(x_all) - batch_sz + 1, batch_sz)]
        losses_per_epoch.append(sum(batch_losses) / len(batch_losses))
        print(f"epoch {epoch + 1}/{epochs}: loss {losses_per_epoch[-1]:.3f}")
    return losses_per_epoch
