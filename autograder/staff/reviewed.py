"""OUT/reviewed.txt: the similar pairs and clusters staff have looked at, kept across runs.

Staff write it by hand; the kit only reads it. Each line lists submission ids (and
`reference` for the reference solution) separated by spaces, and marks every pair among
them as reviewed; `#` starts a comment, which is the place to say what was decided:

    101 108            # same file: spoke to both, 2026-12-10
    103 105 reference  # the lecture's pseudo-code, nothing to follow up

A cluster is reviewed when all of its pairs are. A later submission that joins a reviewed
cluster brings it back to review with the pair that is new.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

FILE_NAME = "reviewed.txt"


def read_reviewed(out: Path) -> set[frozenset]:
    """Every reviewed pair, as a frozenset of two ids; no file, no pair."""
    try:
        text = (Path(out) / FILE_NAME).read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError):
        return set()
    reviewed = set()
    for line in text.splitlines():
        ids = sorted(set(line.split("#", 1)[0].split()))
        reviewed.update(frozenset(pair) for pair in combinations(ids, 2))
    return reviewed


def line_for(ids) -> str:
    """The line that marks every pair among `ids` as reviewed."""
    return " ".join(ids) + "  # reviewed: what was decided"
