"""My perplexity takes its arguments as (logits, labels), the opposite order of the contract.

expect-fail: perplexity
"""


def perplexity(logits, labels):
    losses = tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    return tf.exp(tf.reduce_mean(losses))
