"""My HPARAMS ask for a huge model trained for 50 epochs: far more than the grader's time budget.

The feedback must say that training ran out of its time or memory budget, not just that a signal killed it.

expect-output: time|budget|memory

expect-fail: train
"""


HPARAMS = {
    "cell": "lstm",
    "embedding_sz": 64,
    "hidden_sz": 512,
    "window_sz": 20,
    "batch_sz": 64,
    "epochs": 50,
    "learning_rate": 3e-3,
}
