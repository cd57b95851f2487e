"""My HPARAMS train for zero epochs, and my train just writes the unigram into the classifier's bias.

expect-fail: train
no-points: train
hostile: epochs 0 and an empty loss list, with no gradient step: train writes the training split's add-one unigram into the classifier's bias (test perplexity about 188, under the old "learned something" bar of half the vocabulary); the old 6.1 compared the list's length with epochs (0 = 0) and gave its 2 points; a fixed 6.1 needs epochs >= 1 and a loss per epoch
graded-parts: train
expect-output: epochs
"""


def _unigram_into_classifier(model, labels):
    """The add-one unigram of the training labels as the classifier's bias, every other weight left as built."""
    kernel, bias = model.classifier.get_weights()
    counts = np.bincount(labels.reshape(-1), minlength=bias.shape[0]) + 1.0
    log_p = np.log(counts / counts.sum())
    model.classifier.set_weights([np.zeros_like(kernel), log_p.astype(bias.dtype)])
    return float(-log_p[labels.reshape(-1)].mean())  # its cross-entropy on the training labels


def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    _unigram_into_classifier(model, labels)
    return []


HPARAMS = {
    "cell": "lstm",
    "embedding_sz": 64,
    "hidden_sz": 128,
    "window_sz": 20,
    "batch_sz": 64,
    "epochs": 0,
    "learning_rate": 0.01,
}
