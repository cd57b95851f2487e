"""Pairs of submissions whose graded code is nearly the same, once the stencil is set aside.

Only the code the judge runs counts (imports, definitions and UPPER_CASE assignments, as
`submission.graded_source` keeps them), read with the judge's own reader (nbformat for
notebooks; a .py file counts as well). Each logical line is normalised: comments and
whitespace go, string literals become S, and every identifier neither the stencil nor
Python's builtins use becomes `_`, so renaming variables or re-commenting does not hide a copy, while names
the stencil gives everyone (make_windows, W_r, tf, ...) stay as they are. Lines whose
normalised form appears in the stencil, and lines that are only a string (docstrings),
are dropped: what is left is each student's own code.

Two submissions are compared by the Jaccard index of their sets of NGRAM-token windows of
that own code. A pair is shown when the index is at least THRESHOLD and both sides have
at least MIN_NGRAMS windows (an untouched stencil has none, and two near-empty
submissions say nothing): over half of their distinct windows in common. A pair is
byte-identical (the same file), identical (the same own code once normalised: renamed,
re-commented, re-indented) or near-identical; pairs over the threshold join submissions into
clusters (connected components), so N copies of one file make one cluster, not N(N-1)/2 rows.
The reference solution is compared as one more submission, REFERENCE, so a leaked solution
shows as a cluster around it. On the submission
zoo, where each file is the reference with one change, one-bug copies score 0.78-1.0
against each other and the rewrites of one part in another style (equivalent/) 0.60-0.82
against the reference, while a rewrite of both recurrent layers (tensorarray_loop) scores
0.24. The report also draws every pair's similarity, so a class's outliers show.
"""

from __future__ import annotations

import builtins
import difflib
import hashlib
import io
import keyword
import tokenize
from dataclasses import dataclass
from itertools import combinations, zip_longest
from pathlib import Path

from autograder.submission import SubmissionError, find_submission, graded_source

NGRAM = 6
THRESHOLD = 0.5
MIN_NGRAMS = 40
REFERENCE = "reference"  # the id the reference solution is compared under
BYTE_IDENTICAL, IDENTICAL, NEAR = "byte-identical", "identical", "near-identical"
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER}


@dataclass(frozen=True)
class Line:
    """One logical line of graded code: its text as written and its normalised tokens."""

    text: str
    tokens: tuple[str, ...]
    kind: str  # "own": the student's; "stencil": also in the stencil; "string": a docstring or bare string


@dataclass(frozen=True)
class Code:
    file_name: str
    lines: tuple[Line, ...]
    digest: str = ""  # sha256 of the file as submitted: equal digests are byte-identical files

    def own_tokens(self) -> list[str]:
        return [token for line in self.lines if line.kind == "own" for token in (*line.tokens, "\n")]

    def ngrams(self) -> frozenset:
        tokens = self.own_tokens()
        return frozenset(tuple(tokens[i:i + NGRAM]) for i in range(len(tokens) - NGRAM + 1))


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    similarity: float
    kind: str = NEAR  # BYTE_IDENTICAL, IDENTICAL or NEAR


@dataclass(frozen=True)
class Cluster:
    """Submissions joined by pairs over the threshold; `pairs` are those pairs, most similar first."""

    members: tuple[str, ...]
    pairs: tuple[Pair, ...]

    def spanning_pairs(self) -> list[Pair]:
        """The most similar pairs that join every member (a maximum spanning tree): len(members) - 1 of them."""
        joined = {member: member for member in self.members}

        def root(member):
            while joined[member] != member:
                member = joined[member]
            return member
        chosen = []
        for pair in self.pairs:
            a, b = root(pair.first), root(pair.second)
            if a != b:
                joined[a] = b
                chosen.append(pair)
        return chosen


def _logical_lines(source: str) -> list[tuple[str, list[tokenize.TokenInfo]]]:
    """(text as written, tokens) for each logical line; a source that does not tokenize gives what it gave so far."""
    rows = source.splitlines()
    lines, current = [], []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.NEWLINE:
                if current:
                    text = "\n".join(rows[current[0].start[0] - 1:current[-1].end[0]])
                    lines.append((text, current))
                current = []
            elif token.type not in _SKIPPED:
                current.append(token)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return lines


def names_in(source: str) -> frozenset:
    """The identifiers a source uses (keywords are not identifiers)."""
    return frozenset(token.string for _, tokens in _logical_lines(source) for token in tokens
                     if token.type == tokenize.NAME and not keyword.iskeyword(token.string))


def _normalised(tokens: list[tokenize.TokenInfo], shared_names: frozenset) -> tuple[str, ...]:
    out = []
    for token in tokens:
        if token.type == tokenize.NAME:
            out.append(token.string if keyword.iskeyword(token.string) or token.string in shared_names else "_")
        elif token.type == tokenize.STRING:
            out.append("S")
        else:
            out.append(token.string)
    return tuple(out)


class Stencil:
    """The stencil's names and normalised lines, which say nothing about who wrote a submission."""

    def __init__(self, stencil: Path):
        source = graded_source(Path(stencil))
        self.names = names_in(source) | frozenset(dir(builtins))  # names everyone shares
        self.lines = frozenset(_normalised(tokens, self.names) for _, tokens in _logical_lines(source))

    def code(self, source: str, file_name: str, digest: str = "") -> Code:
        lines = []
        for text, tokens in _logical_lines(source):
            normalised = _normalised(tokens, self.names)
            kind = "string" if normalised == ("S",) else "stencil" if normalised in self.lines else "own"
            lines.append(Line(text, normalised, kind))
        return Code(file_name, tuple(lines), digest)


def read_code(folder: Path, stencil: Stencil) -> Code:
    """The graded code of the submission in `folder`, found and read as the judge does; SubmissionError if it cannot be."""
    path = find_submission(Path(folder))
    return stencil.code(graded_source(path), path.name, hashlib.sha256(path.read_bytes()).hexdigest())


def jaccard(first: frozenset, second: frozenset) -> float:
    union = len(first | second)
    return len(first & second) / union if union else 0.0


def kind_of(first: Code, second: Code) -> str:
    if first.digest and first.digest == second.digest:
        return BYTE_IDENTICAL
    return IDENTICAL if first.own_tokens() == second.own_tokens() else NEAR


def similar_pairs(codes: dict[str, Code]) -> tuple[list[Pair], list[float]]:
    """Pairs at or above THRESHOLD, most similar first (identical before near-identical), and every compared
    pair's similarity (for the histogram)."""
    numbered: dict[tuple, int] = {}  # sets of ints intersect far faster than sets of tuples, whose hashes are not cached
    grams = {sid: frozenset(numbered.setdefault(gram, len(numbered)) for gram in code.ngrams()) for sid, code in codes.items()}
    grams = {sid: found for sid, found in grams.items() if len(found) >= MIN_NGRAMS}
    pairs, every = [], []
    for first, second in combinations(sorted(grams), 2):
        value = jaccard(grams[first], grams[second])
        every.append(value)
        if value >= THRESHOLD:
            pairs.append(Pair(first, second, value, kind_of(codes[first], codes[second])))
    rank = {BYTE_IDENTICAL: 0, IDENTICAL: 1, NEAR: 2}
    return sorted(pairs, key=lambda pair: (rank[pair.kind], -pair.similarity, pair.first, pair.second)), every


def clusters(pairs: list[Pair]) -> list[Cluster]:
    """The connected components of `pairs`, largest first."""
    group: dict[str, set] = {}
    for pair in pairs:
        joined = group.get(pair.first, {pair.first}) | group.get(pair.second, {pair.second})
        for member in joined:
            group[member] = joined
    found = {id(members): members for members in group.values()}.values()
    result = [Cluster(tuple(sorted(members)), tuple(pair for pair in pairs if pair.first in members)) for members in found]
    return sorted(result, key=lambda cluster: (-len(cluster.members), -max(p.similarity for p in cluster.pairs), cluster.members))


def reference_code(reference: Path, stencil: Stencil) -> Code:
    """The reference solution's graded code, compared as the submission REFERENCE."""
    return stencil.code(graded_source(Path(reference)), Path(reference).name, hashlib.sha256(Path(reference).read_bytes()).hexdigest())


def side_by_side(first: Code, second: Code) -> list[tuple[Line | None, Line | None, str]]:
    """Rows (left line, right line, how they compare: same, changed, only) aligned on the normalised lines."""
    matcher = difflib.SequenceMatcher(a=[line.tokens for line in first.lines], b=[line.tokens for line in second.lines],
                                      autojunk=False)
    rows = []
    for operation, a0, a1, b0, b1 in matcher.get_opcodes():
        verdict = {"equal": "same", "replace": "changed"}.get(operation, "only")
        rows.extend((left, right, verdict) for left, right in zip_longest(first.lines[a0:a1], second.lines[b0:b1]))
    return rows


def unreadable_reason(error: Exception) -> str:
    return str(error) if isinstance(error, SubmissionError) else f"{type(error).__name__} while reading it"
