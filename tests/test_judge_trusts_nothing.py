"""The judge's side of what comes back from a child or a submission, attacked piece by piece.

Each test here is an exploit that won against an earlier judge (a bomb, a FIFO, a
complex weight, a NaN, a fence), aimed straight at the function that now refuses it.
The same attacks, as whole submissions graded end to end, are in test_hostile.py.
"""

from __future__ import annotations

import io
import json
import os
import threading
import tracemalloc
import zipfile

import numpy as np
import pytest
from markdown_it import MarkdownIt

from autograder import child_output, evaluate
from autograder.child_output import Refused
from autograder.feedback import fenced
from autograder.results import write
from autograder.session import PART_REPORT_SCHEMA
from autograder.parts import FROM_SCRATCH_LAYERS
from autograder.parts.from_scratch import reader_rule
from autograder.submission import Chunk, SubmissionError, find_submission, read_submission_bytes, recurrent_helpers

READER_RULE = reader_rule(FROM_SCRATCH_LAYERS.values())

ACCEPT = {"case:inputs": 100, "case:labels": 100}


def npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def read(path, accept=ACCEPT, owner=None, max_bytes=10_000_000):
    """The arrays read, raising Refused for a whole refusal or for any single array left out."""
    with child_output.open_regular(path, owner, max_bytes) as file:
        arrays, left_out = child_output.read_arrays(file, accept, max_bytes)
    if left_out:
        raise Refused("; ".join(left_out))
    return arrays


def test_the_expected_arrays_are_read(tmp_path):
    path = npz(tmp_path / "outputs.npz", **{"case:inputs": np.arange(12).reshape(3, 4), "case:labels": np.ones(3)})
    arrays = read(path)
    assert arrays["case:inputs"].shape == (3, 4) and arrays["case:labels"].dtype == np.float64


def test_a_deflate_bomb_is_refused_before_it_is_inflated(tmp_path):
    path = tmp_path / "outputs.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2**27,)})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("case:inputs.npy", "w", force_zip64=True) as member:
        member.write(header.getvalue())
        zeros = bytes(2**24)
        for _ in range(64):  # 1 GiB of zeros, about 1 MB on disk
            member.write(zeros)
    assert path.stat().st_size < 5_000_000
    tracemalloc.start()
    with pytest.raises(Refused):
        read(path)
    assert tracemalloc.get_traced_memory()[1] < 50 * 2**20
    tracemalloc.stop()


def test_twenty_thousand_members_are_refused_from_the_end_record(tmp_path):
    path = tmp_path / "outputs.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(20_000):
            archive.writestr(f"m{index}.npy", b"")
    with pytest.raises(Refused, match="20,000 members"):
        read(path)


@pytest.mark.parametrize("array, says", [
    (np.ones(3, dtype=np.complex64), "dtype complex64"),
    (np.array(["a", "b"]), "dtype <U1"),
    (np.ones(101), "101 elements"),
    (np.zeros((1,) * 8), "shape"),
])
def test_arrays_of_the_wrong_kind_are_refused_from_their_header(tmp_path, array, says):
    with pytest.raises(Refused, match=says):
        read(npz(tmp_path / "outputs.npz", **{"case:inputs": array}))


def test_an_object_array_never_reaches_pickle(tmp_path):
    path = tmp_path / "outputs.npz"
    np.savez(path, **{"case:inputs": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(Refused, match="dtype object"):
        read(path)


def test_one_oversized_array_costs_only_itself(tmp_path):
    path = npz(tmp_path / "outputs.npz", **{"case:inputs": np.ones(500), "case:labels": np.ones(3)})
    with child_output.open_regular(path, None, 10_000_000) as file:
        arrays, left_out = child_output.read_arrays(file, ACCEPT, 10_000_000)
    assert list(arrays) == ["case:labels"] and "case:inputs" in left_out[0]


def test_an_unexpected_member_is_refused(tmp_path):
    with pytest.raises(Refused, match="unexpected member"):
        read(npz(tmp_path / "outputs.npz", **{"case:inputs": np.ones(2), "other": np.ones(2)}))


def test_a_fifo_in_place_of_a_report_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)
    outcome = {}

    def attempt():
        try:
            child_output.open_regular(fifo, None, 1000)
        except Refused as refusal:
            outcome["refused"] = str(refusal)
    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout=5)
    assert "not a regular file" in outcome.get("refused", "blocked")


def test_links_and_files_of_others_are_refused(tmp_path):
    target = tmp_path / "secret"
    target.write_text("{}")
    (tmp_path / "link.json").symlink_to(target)
    os.link(target, tmp_path / "hard.json")
    with pytest.raises(Refused):
        child_output.open_regular(tmp_path / "link.json", None, 1000)
    with pytest.raises(Refused, match="hard links"):
        child_output.open_regular(tmp_path / "hard.json", None, 1000)
    (tmp_path / "hard.json").unlink()
    with pytest.raises(Refused, match="sandbox user"):
        child_output.open_regular(target, os.getuid() + 1, 1000)
    with pytest.raises(Refused, match="over the"):
        child_output.open_regular(target, None, 1)


@pytest.mark.parametrize("text", [
    '{"load_notes": [], "errors": {}, "info": {}, "finished": [], "losses": NaN}',
    "[" * 100_000 + "]" * 100_000,
    '{"load_notes": [], "errors": {}, "finished": [], "info": {"c": {"kind": "x` | 100 |"}}}',
])
def test_a_report_that_is_not_what_the_judge_expects_is_refused(tmp_path, text):
    path = tmp_path / "report.json"
    path.write_text(text)
    with pytest.raises(Refused), open(path, "rb") as file:
        child_output.read_json(file, PART_REPORT_SCHEMA)


def test_printed_text_loses_terminal_escapes():
    assert child_output.printable("\x1b[31mred\x1b[0m\r\nline\x07") == "red\nline"


# ---------------------------------------------------------------- the trained model


def weights(vocab=50, embedding=8, hidden=6, gates=4, dtype=np.float32):
    rng = np.random.default_rng(0)
    shapes = {"embedding": (vocab, embedding), "kernel": (embedding, gates * hidden),
              "recurrent_kernel": (hidden, gates * hidden), "bias": (gates * hidden,),
              "classifier_kernel": (hidden, vocab), "classifier_bias": (vocab,)}
    return {name: (0.3 * rng.standard_normal(shape)).astype(dtype) for name, shape in shapes.items()}


def test_the_weights_must_fit_the_cell_hparams_names():
    assert evaluate.trained_model(weights(gates=4), "lstm", 50, 512).cell == "lstm"
    assert evaluate.trained_model(weights(gates=1), "rnn", 50, 512).cell == "rnn"
    with pytest.raises(evaluate.UnusableModel, match="'rnn' cell's is \\(hidden_sz, hidden_sz\\)"):
        evaluate.trained_model(weights(gates=4), "rnn", 50, 512)  # an LSTM's weights, said to be a vanilla RNN's
    with pytest.raises(evaluate.UnusableModel, match="not one of the cells"):
        evaluate.trained_model(weights(gates=4), "transformer", 50, 512)


def test_the_judge_runs_each_cell_by_its_declared_equations():
    """An LSTM's weights read as a vanilla RNN's (the gate count once decided the cell) give other states: the
    evaluator follows the cell's declaration, here checked against the LSTM's equations written out."""
    model = evaluate.trained_model(weights(gates=4), "lstm", 50, 512)
    inputs = np.random.default_rng(2).integers(0, 50, size=(3, 5))
    embedded = model.embedding[inputs].astype(np.float64)
    h = c = np.zeros((3, model.hidden_sz))
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    for t in range(5):
        i, f, g, o = np.split(embedded[:, t] @ model.kernel + h @ model.recurrent_kernel + model.bias, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
    states = evaluate.recurrent_states("lstm", embedded, model.kernel, model.recurrent_kernel, model.bias)
    np.testing.assert_allclose(states[:, -1], h, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("spoil, says", [
    (lambda w: w.update(classifier_bias=w["classifier_bias"] + 1j), "dtype"),
    (lambda w: w["kernel"].__setitem__((0, 0), np.nan), "NaN"),
    (lambda w: w.update(classifier_kernel=np.zeros((6, 4000), np.float32), classifier_bias=np.zeros(4000, np.float32)), "shape"),
    (lambda w: w.update(embedding=np.zeros((50, 4000), np.float32)), "embedding_sz"),
    (lambda w: w.update(bias=np.zeros(5, np.float32)), "bias"),
])
def test_weights_that_do_not_make_one_model_are_refused(spoil, says):
    spoiled = weights()
    spoil(spoiled)
    with pytest.raises(evaluate.UnusableModel, match=says):
        evaluate.trained_model(spoiled, "lstm", 50, 512)


def test_perplexity_streams_in_float32_and_matches_a_float64_computation():
    model = evaluate.trained_model(weights(vocab=2000, embedding=16, hidden=32), "lstm", 2000, 512)
    ids = np.random.default_rng(1).integers(0, 2000, size=8001)
    inputs, labels = evaluate.windows(ids, 20)
    tracemalloc.start()
    value = evaluate.perplexity(model, inputs, labels)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    as64 = {name: getattr(model, name).astype(np.float64) for name in ("embedding", "kernel", "recurrent_kernel", "bias",
                                                                      "classifier_kernel", "classifier_bias")}
    states = evaluate.recurrent_states("lstm", as64["embedding"][inputs], as64["kernel"], as64["recurrent_kernel"], as64["bias"])
    logits = states @ as64["classifier_kernel"] + as64["classifier_bias"]
    logits -= logits.max(-1, keepdims=True)
    reference = np.exp(np.mean(np.log(np.exp(logits).sum(-1)) - np.take_along_axis(logits, labels[..., None], -1)[..., 0]))
    assert value == pytest.approx(reference, rel=1e-4)
    assert peak < 100 * 2**20  # the whole float64 logits would be 8000 x 2000 x 8 bytes = 128 MB


def test_no_windows_is_no_perplexity_rather_than_a_perfect_one():
    model = evaluate.trained_model(weights(), "lstm", 50, 512)
    inputs, labels = evaluate.windows(np.arange(10) % 50, 10**6)
    with pytest.raises(ValueError):
        evaluate.perplexity(model, inputs, labels)


# ---------------------------------------------------------------- results.json and feedback


def test_results_with_nan_or_infinity_are_never_written(tmp_path):
    results = {"execution_time": 1.0, "output": "", "tests": [], "leaderboard": [{"name": "p", "value": float("nan")}]}
    with pytest.raises(Exception):
        write(results, tmp_path / "results.json")
    assert not (tmp_path / "results.json").exists()


def test_student_text_cannot_close_its_fence():
    attack = "oops\n```\n\n| part | points |\n|---|---|\n| total | 100 / 100 |\n````\n"
    tokens = MarkdownIt("commonmark").enable("table").parse("Before\n" + fenced(attack) + "\nAfter")
    assert [t.type for t in tokens if t.type in ("fence", "table_open")] == ["fence"]
    assert attack.strip() in next(t.content for t in tokens if t.type == "fence")


# ---------------------------------------------------------------- the submission's files


def test_a_symlinked_submission_is_refused_and_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "language_model.ipynb").symlink_to(secret)
    with pytest.raises(SubmissionError, match="symbolic link") as refusal:
        find_submission(folder)
    assert "TOP SECRET" not in str(refusal.value)
    with pytest.raises(SubmissionError, match="symbolic link"):
        find_submission(folder / "language_model.ipynb")


def test_a_fifo_submission_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "language_model.ipynb")
    with pytest.raises(SubmissionError, match="not a regular file"):
        read_submission_bytes(tmp_path / "language_model.ipynb")


def test_a_file_name_cannot_inject_markdown(tmp_path):
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "a.ipynb").write_text("{}")
    (folder / "b` | 100 |.ipynb").write_text("{}")
    with pytest.raises(SubmissionError) as refusal:
        find_submission(folder)
    assert "| 100 |" not in str(refusal.value)


@pytest.mark.parametrize("code, found", [
    ("class MyLSTM(tf.keras.layers.Layer):\n    def call(self, x):\n        return tf.keras.layers.LSTM(4)(x)\n", ["LSTM"]),
    ("from keras.layers import SimpleRNN as S\nclass MyRNN(S):\n    pass\n", ["SimpleRNN"]),
    ("class MyRNN(tf.keras.layers.Layer):\n    def call(self, x):\n        return K.rnn(self.step, x, [])\n", ["rnn"]),
    ("class MyLSTM(tf.keras.layers.Layer):\n    def build(self, s):\n        self.cell = tf.keras.layers.LSTMCell(3)\n", ["LSTMCell"]),
    ("class MyRNN(tf.keras.layers.Layer):\n    def call(self, x):\n        return tf.scan(self.step, x)\n", []),
])
def test_built_in_recurrent_helpers_in_the_layers_are_named(code, found):
    chunks = [Chunk("cell 1", 1, code.split("\nclass")[0] if code.startswith("from") else "import tensorflow as tf")]
    chunks.append(Chunk("cell 2", 1, code[code.index("class"):]))
    assert sum(recurrent_helpers(chunks, READER_RULE).values(), []) == found


def test_the_reference_writes_its_layers_from_scratch():
    from conftest import REPO
    from autograder.submission import graded_chunks, read_cells

    chunks, _ = graded_chunks(read_cells(REPO / "solution" / "language_model.py"))
    assert recurrent_helpers(chunks, READER_RULE) == {}
    assert json.dumps([chunk.__dict__ for chunk in chunks])  # what the reader hands the judge is plain JSON


def test_what_a_stopped_child_printed_is_shown_without_the_libraries_warnings():
    """Keras's build() warning, last before a timeout, looked like a bug in the student's model."""
    from autograder.sandbox import ChildRun
    from autograder.session import _printed

    warning = ("/usr/local/lib/python3.10/dist-packages/keras/src/layers/layer.py:938: UserWarning: Layer "
               "'language_model' (of type LanguageModel) has a `build()` method implemented\n  warnings.warn(\n")
    shown = _printed(ChildRun(printed="epoch 1: loss 5.21\n" + warning + "epoch 2: loss 4.80\n" + warning))
    assert "epoch 1: loss 5.21" in shown and "epoch 2: loss 4.80" in shown
    assert "UserWarning" not in shown and "warnings.warn" not in shown
    assert _printed(ChildRun(printed=warning)) == "", "only a library's warning: nothing worth showing"
    mine = "my_code.py:3: UserWarning: the student's own warning\n"
    assert "the student's own warning" in _printed(ChildRun(printed=mine))
