"""My perplexity averages exp(loss) per position instead of taking the exp of the mean loss.

expect-output: mean of exp

expect-fail: perplexity
"""


def perplexity(labels, logits):
    losses = tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    return tf.reduce_mean(tf.exp(losses))
