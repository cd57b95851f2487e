"""My perplexity returns the mean cross-entropy and forgets the exp.

expect-output: leaves out the exp

expect-fail: perplexity
"""


def perplexity(labels, logits):
    losses = tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    return tf.reduce_mean(losses)
