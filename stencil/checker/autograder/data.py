"""Read the prepared corpus: a split is lines of space-separated tokens, `<eos>` after each line."""

from pathlib import Path

import numpy as np

EOS = "<eos>"


def load_vocab(path: Path) -> list[str]:
    """Tokens in id order: the token on line k has id k."""
    return Path(path).read_text(encoding="utf-8").split("\n")[:-1]


def load_ids(path: Path, vocab: list[str]) -> np.ndarray:
    """The split's token ids, each line's tokens followed by `<eos>`."""
    index = {token: i for i, token in enumerate(vocab)}
    ids = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        ids.extend(index[token] for token in line.split())
        ids.append(index[EOS])
    return np.array(ids, dtype=np.int64)
