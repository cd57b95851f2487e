"""My HPARAMS dict has no 'cell' key (I hard-coded the cell elsewhere).

expect-fail: train
"""


HPARAMS = {
    "embedding_sz": 64,
    "hidden_sz": 128,
    "window_sz": 20,
    "batch_sz": 64,
    "epochs": 2,
    "learning_rate": 1e-2,
}
