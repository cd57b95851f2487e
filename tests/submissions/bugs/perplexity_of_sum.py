"""My perplexity exponentiates the summed cross-entropy instead of its mean.

expect-output: sums the cross-entropy

expect-fail: perplexity
"""


def perplexity(labels, logits):
    losses = tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    return tf.exp(tf.reduce_sum(losses))
