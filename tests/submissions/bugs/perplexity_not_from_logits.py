"""My perplexity calls sparse_categorical_crossentropy without from_logits=True, treating the logits as probabilities.

expect-output: from_logits=True

expect-fail: perplexity
"""


def perplexity(labels, logits):
    losses = tf.keras.losses.sparse_categorical_crossentropy(labels, logits)
    return tf.exp(tf.reduce_mean(losses))
