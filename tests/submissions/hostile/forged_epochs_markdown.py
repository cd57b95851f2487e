"""My train rewrites the epochs its probe reported into HTML and a Markdown link claiming full marks.

expect-fail: train
no-points: train
hostile: train climbs the call stack to the probe's `info` dict and sets the reported HPARAMS['epochs'] to a 200-character string holding `<img src=x onerror=…>` and a Markdown link "Score 100/100" (forged by the submission); the old schema allowed any 200-character string and 6.1 printed it with !r into its Markdown output; a fixed judge refuses report strings that are not plain (without quoting them) and 6.1 shows only typed values
graded-parts: train
expect-output: refused
"""


import inspect


def _unigram_into_classifier(model, labels):
    """The add-one unigram of the training labels as the classifier's bias, every other weight left as built."""
    kernel, bias = model.classifier.get_weights()
    counts = np.bincount(labels.reshape(-1), minlength=bias.shape[0]) + 1.0
    log_p = np.log(counts / counts.sum())
    model.classifier.set_weights([np.zeros_like(kernel), log_p.astype(bias.dtype)])
    return float(-log_p[labels.reshape(-1)].mean())  # its cross-entropy on the training labels


def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    loss = _unigram_into_classifier(model, labels)
    frame = inspect.currentframe()
    while frame is not None:
        info = frame.f_locals.get("info")
        if isinstance(info, dict) and isinstance(info.get("hparams"), dict):
            info["hparams"]["epochs"] = FORGED
            break
        frame = frame.f_back
    return [loss] * epochs


HPARAMS = {
    "cell": "lstm",
    "embedding_sz": 64,
    "hidden_sz": 128,
    "window_sz": 20,
    "batch_sz": 64,
    "epochs": 1,
    "learning_rate": 0.01,
}


FORGED = ("<img src=x onerror=alert(1)> [**Score 100/100: forged by the submission**](https://example.com/grades) "
          "| total | 100 / 100 |").ljust(200, "!")
