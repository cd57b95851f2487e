"""I set epochs to 0 in HPARAMS while debugging and forgot to change it back, so the model is never trained.

expect-fail: train
"""


HPARAMS = {
    "cell": "lstm",
    "embedding_sz": 64,
    "hidden_sz": 128,
    "window_sz": 20,
    "batch_sz": 64,
    "epochs": 0,
    "learning_rate": 3e-3,
}
