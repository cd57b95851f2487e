"""The data recipe (assignment/corpus.py) and the committed data it produces."""

import math
import re
from pathlib import Path

import numpy as np
import pytest

from assignment import corpus

ROOT = Path(__file__).resolve().parent.parent
STENCIL = ROOT / "stencil" / "data"
HIDDEN = ROOT / "solution" / "data" / "hidden_test.txt"
STAFF_SOURCE = ROOT / "solution" / "data" / "SOURCE.txt"  # where the hidden split comes from
SPLIT_FILES = {"train": STENCIL / "train.txt", "valid": STENCIL / "valid.txt",
               "test": STENCIL / "test.txt", "hidden_test": HIDDEN}
GENERATED = ["train.txt", "valid.txt", "test.txt", "vocab.txt", "SOURCE.txt"]
# The committed data is the default recipe's; an instructor who rebuilt it from another
# corpus (assignment/CORPUS.md) keeps the format checks and loses the default-only ones.
DEFAULT_DATA = (STENCIL / "SOURCE.txt").read_text(encoding="utf-8").startswith(
    "Corpus: the World English Bible")
default_only = pytest.mark.skipif(not DEFAULT_DATA, reason="committed data is not the default")


def lines_of(path):
    return Path(path).read_text(encoding="utf-8").split("\n")[:-1]


def check_format(split_files, vocab_path):
    """The format rules of CORPUS.md, for any built data set."""
    raw = Path(vocab_path).read_bytes()
    assert raw.endswith(b"\n") and b"\r" not in raw
    vocab = corpus.load_vocab(vocab_path)
    assert vocab[:2] == ["<eos>", "<unk>"]
    assert len(set(vocab)) == len(vocab) and all(t and t == t.strip() for t in vocab)
    known = set(vocab)
    counts = {}
    for name, path in split_files.items():
        raw = Path(path).read_bytes()
        raw.decode("utf-8")
        assert raw.endswith(b"\n") and b"\r" not in raw, name
        lines = lines_of(path)
        assert lines, f"{name} is empty"
        for line in lines:
            tokens = line.split(" ")
            assert all(tokens), f"{name}: empty token or stray space in {line!r}"
            assert line == line.lower(), name
            assert set(tokens) <= known, f"{name}: out-of-vocabulary token in {line!r}"
            if name == "train":
                for t in tokens:
                    counts[t] = counts.get(t, 0) + 1
    # after the specials: decreasing training frequency, ties alphabetical
    ranked = [(-counts.get(t, 0), t) for t in vocab[2:]]
    assert ranked == sorted(ranked)
    assert all(counts.get(t, 0) > 0 for t in vocab[2:])
    return vocab


def check_round_trip(split_path, vocab_path):
    vocab = corpus.load_vocab(vocab_path)
    ids = corpus.load_ids(split_path, vocab_path)
    assert ids.dtype == np.int64 and ids.ndim == 1
    expected = [t for line in lines_of(split_path) for t in line.split(" ") + ["<eos>"]]
    assert [vocab[i] for i in ids] == expected


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    out = tmp_path_factory.mktemp("rebuilt")
    summary = corpus.build_data(out)
    return out, summary


@default_only
def test_regeneration_reproduces_committed_files(rebuilt):
    out, _ = rebuilt
    for name in GENERATED:
        assert (out / "stencil" / "data" / name).read_bytes() == (STENCIL / name).read_bytes(), (
            f"stencil/data/{name} differs from a fresh build: run `make data` and commit")
    assert (out / "solution" / "data" / "hidden_test.txt").read_bytes() == HIDDEN.read_bytes()
    assert (out / "solution" / "data" / "SOURCE.txt").read_bytes() == STAFF_SOURCE.read_bytes()
    assert sorted(p.name for p in (out / "stencil" / "data").iterdir()) == sorted(GENERATED)


@default_only
def test_hidden_split_not_in_stencil():
    stencil_lines = set()
    for name in ("train", "valid", "test"):
        stencil_lines.update(lines_of(SPLIT_FILES[name]))
    hidden = lines_of(HIDDEN)
    shared = [line for line in hidden if line in stencil_lines]
    # The splits are disjoint sets of verses by construction; only short formulaic verses
    # ("yahweh spoke to moses, saying,") recur verbatim elsewhere in the Bible.
    assert len(shared) < 0.05 * len(hidden)
    assert all(len(line.split()) <= 12 for line in shared), shared


def public_span():
    """The verses the students' SOURCE.txt says the public splits were read from (indices into web_verses)."""
    _, refs = corpus.web_verses()
    text = (STENCIL / "SOURCE.txt").read_text(encoding="utf-8")
    first, last = re.search(r"^Lines used: (.+?) to (.+?) \(", text, re.M).groups()
    return refs.index(first), refs.index(last)


@default_only
def test_students_source_does_not_lead_to_the_hidden_split():
    """Knowing the public recipe must not give the hidden lines: they are none of the verses the
    students' SOURCE.txt names, and that file says nothing about the hidden split."""
    student_text = (STENCIL / "SOURCE.txt").read_text(encoding="utf-8")
    assert "hidden" not in student_text.lower()
    verses, _ = corpus.web_verses()
    first, last = public_span()
    vocab = set(corpus.load_vocab(STENCIL / "vocab.txt"))

    def as_line(verse):
        return " ".join(t if t in vocab else "<unk>" for t in corpus.tokenize(verse))

    inside = {as_line(v) for v in verses[first:last + 1]}
    after = {as_line(v) for v in verses[last + 1:]}
    hidden = lines_of(HIDDEN)
    assert all(line in after for line in hidden), "every hidden line is a verse after the public span"
    # Formulaic verses recur; a hidden line that also occurs inside the span must be one of those.
    shared = [line for line in hidden if line in inside]
    assert len(shared) < 0.05 * len(hidden) and all(len(line.split()) <= 12 for line in shared), shared
    assert "Staff side only" in STAFF_SOURCE.read_text(encoding="utf-8")


@default_only
def test_hidden_split_reads_like_the_public_test_split(rebuilt):
    """Drawn from other books, the hidden split still has the public test split's <unk> rate and
    close to its unigram perplexity, so a model is judged on text of the same difficulty to read."""
    _, summary = rebuilt
    splits, unigram = summary["splits"], summary["unigram_ppl"]
    assert splits["hidden_test"]["unk_rate"] <= splits["test"]["unk_rate"]
    assert splits["hidden_test"]["unk_rate"] > 0.8 * splits["test"]["unk_rate"]
    assert abs(math.log(unigram["hidden_test"] / unigram["test"])) < math.log(1.1)


def test_committed_format():
    check_format(SPLIT_FILES, STENCIL / "vocab.txt")
    assert not (STENCIL / "hidden_test.txt").exists()


@default_only
def test_default_sizes(rebuilt):
    _, summary = rebuilt
    vocab = corpus.load_vocab(STENCIL / "vocab.txt")
    assert len(vocab) == corpus.VOCAB_SIZE == summary["vocab_size"]
    sizes = summary["splits"]
    assert 190_000 <= sizes["train"]["ids"] <= 210_000
    for name in ("valid", "test", "hidden_test"):
        assert 20_000 <= sizes[name]["ids"] <= 25_000
        assert sizes[name]["unk_rate"] < 0.08
    for name, path in SPLIT_FILES.items():
        assert len(corpus.load_ids(path, STENCIL / "vocab.txt")) == sizes[name]["ids"]
    assert 100 < summary["unigram_ppl"]["test"] < 400


@pytest.mark.parametrize("name", ["train", "test", "hidden_test"])
def test_load_ids_round_trips(name):
    check_round_trip(SPLIT_FILES[name], STENCIL / "vocab.txt")


def test_load_ids_id_rule(tmp_path):
    (tmp_path / "vocab.txt").write_text("<eos>\n<unk>\nb\na\n", encoding="utf-8")
    (tmp_path / "s.txt").write_text("a b <unk>\nb\n", encoding="utf-8")
    ids = corpus.load_ids(tmp_path / "s.txt", tmp_path / "vocab.txt")
    assert ids.tolist() == [3, 2, 1, 0, 2, 0] and ids.dtype == np.int64


def test_autograder_reader_agrees():
    """The autograder carries its own copy of the reader; it must read the same ids."""
    data = pytest.importorskip("autograder.data")
    vocab_path = STENCIL / "vocab.txt"
    vocab = data.load_vocab(vocab_path)
    assert vocab == corpus.load_vocab(vocab_path)
    for path in (STENCIL / "valid.txt", HIDDEN):
        np.testing.assert_array_equal(data.load_ids(path, vocab),
                                      corpus.load_ids(path, vocab_path))


WORDS = ["the", "cat", "dog", "sat", "on", "a", "mat", "and", "ran", "away", "Tom's", "big",
         "red", "ball", "jumped", "over", "fence", "quickly", "zebra", "42"]


def made_up_sentences(n, seed=0):
    rng = np.random.default_rng(seed)
    return [" ".join(WORDS[i] for i in rng.integers(0, len(WORDS), rng.integers(3, 12)))
            .capitalize() + rng.choice([".", "!", "?", ","]) for _ in range(n)]


def made_up_text(n_paragraphs=60):
    """A small deterministic plain-text corpus with paragraphs of lines wrapped mid-word."""
    sentences = made_up_sentences(5 * n_paragraphs)
    paragraphs = []
    for k in range(0, len(sentences), 5):
        text = " ".join(sentences[k:k + 5])
        paragraphs.append("\n".join(text[i:i + 60] for i in range(0, len(text), 60)))
    return "\n\n".join(paragraphs) + "\n"


def test_text_option_on_a_small_file(tmp_path, capsys):
    src = tmp_path / "story.txt"
    src.write_text(made_up_text(), encoding="utf-8")
    out = tmp_path / "out"
    corpus.main(["--text", str(src), "--out", str(out), "--vocab-size", "12"])
    assert "hidden_test" in capsys.readouterr().out
    assert "hidden" not in (out / "stencil" / "data" / "SOURCE.txt").read_text(encoding="utf-8")
    assert "hidden split" in (out / "solution" / "data" / "SOURCE.txt").read_text(encoding="utf-8")
    files = {name: out / "stencil" / "data" / f"{name}.txt" for name in ("train", "valid", "test")}
    files["hidden_test"] = out / "solution" / "data" / "hidden_test.txt"
    vocab = check_format(files, out / "stencil" / "data" / "vocab.txt")
    assert len(vocab) == 12
    for path in files.values():
        check_round_trip(path, out / "stencil" / "data" / "vocab.txt")
    all_lines = [line for path in files.values() for line in lines_of(path)]
    assert any("<unk>" in line for line in all_lines)
    # sentences, not the wrapped input lines: each ends where a sentence or paragraph ends
    assert all(line.split()[-1] in {".", "!", "?", ",", "<unk>"} for line in all_lines)
    # Same input, same bytes.
    again = tmp_path / "again"
    corpus.main(["--text", str(src), "--out", str(again), "--vocab-size", "12"])
    for sub in ("stencil/data/train.txt", "stencil/data/vocab.txt",
                "solution/data/hidden_test.txt"):
        assert (out / sub).read_bytes() == (again / sub).read_bytes()


def test_splits_option_carves_hidden_from_test(tmp_path, capsys):
    """Pre-split, pre-tokenised files in the PTB style; no hidden file given."""
    lines = [" ".join(corpus.tokenize(s)) for s in made_up_sentences(500, seed=1)]
    lines[0] = " ".join(corpus.tokenize(" ".join(WORDS) + " . ! ? ,"))  # all words in train
    names = []
    for name, part in (("ptb.train.txt", lines[:300]), ("ptb.valid.txt", lines[300:340]),
                       ("ptb.test.txt", lines[340:])):
        (tmp_path / name).write_text(" " + "\n ".join(part) + "\n", encoding="utf-8")
        names.append(str(tmp_path / name))
    out = tmp_path / "out"
    corpus.main(["--splits", *names, "--tokenizer", "whitespace", "--out", str(out),
                 "--vocab-size", "10000", "--train-tokens", "0", "--eval-tokens", "0"])
    assert "carved" in capsys.readouterr().out
    data = out / "stencil" / "data"
    files = {"train": data / "train.txt", "valid": data / "valid.txt", "test": data / "test.txt",
             "hidden_test": out / "solution" / "data" / "hidden_test.txt"}
    check_format(files, data / "vocab.txt")
    assert lines_of(files["train"]) == lines[:300]  # whole, in order, nothing unknown
    test, hidden = lines_of(files["test"]), lines_of(files["hidden_test"])
    assert test and hidden and sorted(test + hidden) == sorted(lines[340:])
    # The students learn nothing about the hidden split; the staff side learns where it came from.
    assert "hidden" not in (data / "SOURCE.txt").read_text(encoding="utf-8")
    assert "carved" in (out / "solution" / "data" / "SOURCE.txt").read_text(encoding="utf-8")


def test_interleave_covers_and_balances():
    pattern = ["train"] * 9 + ["valid", "test", "hidden_test"]
    assigned = corpus.interleave(6000, 50, pattern, seed=1)
    assert len(assigned) == 6000
    blocks = [assigned[i:i + 50] for i in range(0, 6000, 50)]
    assert all(len(set(b)) == 1 for b in blocks)
    for g in range(0, len(blocks), 12):  # every group holds each split
        assert sorted(b[0] for b in blocks[g:g + 12]) == sorted(pattern)
    tiny = corpus.interleave(20, 50, pattern, seed=1)
    assert set(tiny) == set(pattern)


def test_splits_option_takes_a_folder(tmp_path, capsys):
    """`--splits FOLDER` (what `make corpus SPLITS=FOLDER` passes) reads the folder's train, valid and test files, and
    its hidden_test.txt when there is one; without it the hidden split is carved out of test, as with three files."""
    lines = [" ".join(corpus.tokenize(s)) for s in made_up_sentences(400, seed=2)]
    lines[0] = " ".join(corpus.tokenize(" ".join(WORDS) + " . ! ? ,"))  # all words in train
    folder = tmp_path / "mine"
    folder.mkdir()
    parts = {"train": lines[:250], "valid": lines[250:300], "test": lines[300:350], "hidden_test": lines[350:]}
    for name, part in parts.items():
        (folder / f"{name}.txt").write_text("\n".join(part) + "\n", encoding="utf-8")
    options = ["--tokenizer", "whitespace", "--vocab-size", "10000", "--train-tokens", "0", "--eval-tokens", "0"]

    out = tmp_path / "given"
    corpus.main(["--splits", str(folder), "--out", str(out), *options])
    assert "carved" not in capsys.readouterr().out
    assert lines_of(out / "stencil" / "data" / "train.txt") == parts["train"]
    assert lines_of(out / "stencil" / "data" / "test.txt") == parts["test"]
    assert lines_of(out / "solution" / "data" / "hidden_test.txt") == parts["hidden_test"]
    assert "hidden_test.txt" in (out / "solution" / "data" / "SOURCE.txt").read_text(encoding="utf-8")

    (folder / "hidden_test.txt").unlink()
    carved = tmp_path / "carved"
    corpus.main(["--splits", str(folder), "--out", str(carved), *options])
    assert "carved" in capsys.readouterr().out
    test, hidden = lines_of(carved / "stencil" / "data" / "test.txt"), lines_of(carved / "solution" / "data" / "hidden_test.txt")
    assert test and hidden and sorted(test + hidden) == sorted(parts["test"])

    (folder / "valid.txt").unlink()
    with pytest.raises(SystemExit, match="missing valid.txt"):
        corpus.main(["--splits", str(folder), "--out", str(tmp_path / "none"), *options])
