"""My train returns a last loss almost a nat above what my model's cross-entropy really is.

expect-fail: train
no-points: train
hostile: no gradient step (the add-one unigram written into the classifier's bias), one epoch, and a returned loss 0.9 nats above the model's cross-entropy on the training labels; the old 6.1 only bounded the loss below by the held-out cross-entropy minus 1 and above by log |V| + 1, so a last loss of 3.80 passed against a held-out 2.89; a fixed 6.1 holds the last loss within a tolerance on both sides of the cross-entropy the judge measures
graded-parts: train
expect-output: does not match the model you trained
"""


def _unigram_into_classifier(model, labels):
    """The add-one unigram of the training labels as the classifier's bias, every other weight left as built."""
    kernel, bias = model.classifier.get_weights()
    counts = np.bincount(labels.reshape(-1), minlength=bias.shape[0]) + 1.0
    log_p = np.log(counts / counts.sum())
    model.classifier.set_weights([np.zeros_like(kernel), log_p.astype(bias.dtype)])
    return float(-log_p[labels.reshape(-1)].mean())  # its cross-entropy on the training labels


def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    return [_unigram_into_classifier(model, labels) + 0.9] * epochs


HPARAMS = {
    "cell": "lstm",
    "embedding_sz": 64,
    "hidden_sz": 128,
    "window_sz": 20,
    "batch_sz": 64,
    "epochs": 1,
    "learning_rate": 0.01,
}
