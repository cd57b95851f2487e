"""Count n-gram baselines for calibration: what a model that reads one or two tokens back reaches.

The threshold of the training part must sit below the count bigram, or a table of
bigrams written into a recurrent model passes; the trigram says what a model that uses
two tokens of context reaches by counting alone (the lecture's question: does the RNN
do better than the N-gram model?). Both are fitted on the training split, their
interpolation weights chosen on the validation split, and evaluated over ids with
`<eos>` and `<unk>` counted as targets, as the judge computes a model's perplexity.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

GRID = np.round(np.arange(0.05, 1.0, 0.05), 2)  # candidate interpolation weights, 0.05 apart


@dataclass(frozen=True)
class Counts:
    """How often each unigram, bigram and trigram occurs in the training ids."""

    vocab_sz: int
    unigram: np.ndarray  # (V,)
    bigram_keys: np.ndarray  # sorted u * V + w
    bigram_counts: np.ndarray
    trigram_keys: np.ndarray  # sorted (u * V + v) * V + w
    trigram_counts: np.ndarray

    @classmethod
    def of(cls, ids: np.ndarray, vocab_sz: int) -> "Counts":
        ids = np.asarray(ids, dtype=np.int64)
        bigrams = np.unique(ids[:-1] * vocab_sz + ids[1:], return_counts=True)
        trigrams = np.unique((ids[:-2] * vocab_sz + ids[1:-1]) * vocab_sz + ids[2:], return_counts=True)
        return cls(vocab_sz, np.bincount(ids, minlength=vocab_sz).astype(np.float64), *bigrams, *trigrams)


def _lookup(keys: np.ndarray, counts: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The count of each wanted key (0 where unseen)."""
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, counts[at], 0).astype(np.float64)


def _probabilities(counts: Counts, ids: np.ndarray):
    """For each target from the third id on: add-one unigram, bigram and trigram estimates (nan where unseen)."""
    v = counts.vocab_sz
    ids = np.asarray(ids, dtype=np.int64)
    u, prev, w = ids[:-2], ids[1:-1], ids[2:]
    unigram = (counts.unigram[w] + 1.0) / (counts.unigram.sum() + v)
    history = counts.unigram[prev]  # c(prev) as a history: the training stream's last id is not one, a negligible bias
    with np.errstate(invalid="ignore", divide="ignore"):
        bigram = _lookup(counts.bigram_keys, counts.bigram_counts, prev * v + w) / history
        pair = _lookup(counts.bigram_keys, counts.bigram_counts, u * v + prev)
        trigram = _lookup(counts.trigram_keys, counts.trigram_counts, (u * v + prev) * v + w) / pair
    return unigram, bigram, trigram


def _interpolated(unigram, bigram, trigram, l3: float, l2: float) -> np.ndarray:
    """l3 P3 + l2 P2 + (1 - l3 - l2) P1, a weight passed down where its history was never seen."""
    seen3, seen2 = np.isfinite(trigram), np.isfinite(bigram)
    l2 = np.where(seen3, l2, l2 + l3)
    p = np.where(seen3, l3 * np.nan_to_num(trigram), 0.0)
    p += np.where(seen2, l2 * np.nan_to_num(bigram), 0.0)
    return p + np.where(seen2, 1.0 - l2 - np.where(seen3, l3, 0.0), 1.0) * unigram


def perplexity(counts: Counts, ids: np.ndarray, l3: float, l2: float) -> float:
    return float(np.exp(-np.log(_interpolated(*_probabilities(counts, ids), l3, l2)).mean()))


def fit(counts: Counts, valid_ids: np.ndarray, order: int) -> tuple[float, float]:
    """The weights (l3, l2) with the lowest validation perplexity: l3 = 0 for the bigram (order 2)."""
    parts = _probabilities(counts, valid_ids)
    if order == 2:
        pairs = [(0.0, float(l2)) for l2 in GRID]
    else:
        pairs = [(float(l3), float(l2)) for l3, l2 in itertools.product(GRID, GRID) if l3 + l2 < 1.0 - 1e-9]
    return min(pairs, key=lambda pair: -np.log(_interpolated(*parts, *pair)).mean())
