"""My train skips gradient descent: it counts bigrams in the training windows and writes them into a vanilla RNN.

expect-fail: train
no-points: 6.2
hostile: train never takes a gradient step: it counts the training split's bigrams, interpolates them with an add-one unigram (λ = 0.85), and writes the log-probabilities into a vanilla RNN (a rank-512 factorisation: embedding, tanh and classifier; recurrent kernel zero), so each prediction comes from the current token alone; its test perplexity (about 47 on the hidden split of November) was under the threshold 49 and earned train 20/20; the judge's state-reset perplexity is the same, so 6.2 gives nothing and says the model does not use its recurrence (on the hidden split redrawn in December the bigram scores 57, above the threshold too: tests/test_training_certifies.py grades it under a threshold it reaches, to keep the state check's verdict asserted)
graded-parts: train
expect-output: not using its recurrence|must be at most
"""


def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    vocab_sz, units = model.classifier.get_weights()[1].shape[0], model.rnn.get_weights()[1].shape[0]
    previous, following = inputs.reshape(-1), labels.reshape(-1)
    counts = np.zeros((vocab_sz, vocab_sz))
    np.add.at(counts, (previous, following), 1.0)
    unigram = np.bincount(following, minlength=vocab_sz) + 1.0
    bigram = 0.85 * counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0) + 0.15 * unigram / unigram.sum()
    log_p = np.log(bigram)
    mean = log_p.mean(axis=0)
    u, s, vt = np.linalg.svd(log_p - mean)
    factor = u[:, :units] * s[:units]
    scale = 0.95 / np.abs(factor).max()
    model.embedding.set_weights([np.arctanh(scale * factor)])  # tanh(embedding @ I) gives back the factor
    model.rnn.set_weights([np.eye(units), np.zeros((units, units)), np.zeros(units)])
    model.classifier.set_weights([vt[:units] / scale, mean])
    loss = float(-log_p[previous, following].mean())
    return [loss] * epochs


HPARAMS = {
    "cell": "rnn",
    "embedding_sz": 512,
    "hidden_sz": 512,
    "window_sz": 20,
    "batch_sz": 64,
    "epochs": 1,
    "learning_rate": 0.01,
}
