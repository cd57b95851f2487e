"""Diagnosis labels for staff, and test names students can read: without a sandbox, in the judge's own modules."""

import ast
import re

import numpy as np
import pytest

from autograder import diagnose, results
from autograder.cases import CALL_OPTIONS, option_words
from autograder.feedback import CheckFailed
from autograder.grade import run_tests
from autograder.parts import of_kind
from autograder.results import SCHEMA, VALIDATOR, assemble
from conftest import REPO

pytestmark = pytest.mark.quick  # make test-quick: the mistakes' labels

LABEL = re.compile(SCHEMA["$defs"]["test"]["properties"]["extra_data"]["properties"]["diagnosis"]["pattern"])


def test_labels_are_unique_and_plain():
    assert len(diagnose.LABELS) == len(set(diagnose.LABELS))
    assert all(LABEL.match(label) for label in diagnose.LABELS), [l for l in diagnose.LABELS if not LABEL.match(l)]


def _labels_in_source():
    """Every literal label the engine gives: Diagnosis("label", …) and CheckFailed(…, "label")."""
    for path in (REPO / "autograder").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                position = {"Diagnosis": 0, "CheckFailed": 1}.get(node.func.id)
                if position is not None and len(node.args) > position and isinstance(node.args[position], ast.Constant):
                    yield path.name, node.args[position].value
        if path.name == "session.py":
            yield path.name, re.search(r'NOT_FROM_SCRATCH = "([^"]+)"', path.read_text()).group(1)


def test_every_label_the_engine_gives_is_listed():
    found = list(_labels_in_source())
    assert len(found) >= 10
    assert [(where, label) for where, label in found if label not in diagnose.LABELS] == []


def test_a_failed_check_carries_its_label_into_results_json():
    meta = {"id": "t", "name": "n", "number": "1.1", "max_score": 2.0, "tags": ["windows"], "visibility": "visible"}
    failure = CheckFailed("shape wrong").adding("Your windows are counted with N // window_sz.", "windows-count")
    entry = results.test_entry(meta, 0.0, str(failure), failure.diagnosis)
    assert entry["extra_data"] == {"diagnosis": "windows-count"} and "N // window_sz" in entry["output"]
    assert "extra_data" not in results.test_entry(meta, 2.0, "")
    VALIDATOR.validate(assemble([meta], {"t": entry}, [], "", 1.0, "missing"))
    entry["extra_data"]["diagnosis"] = "Not a label!"
    with pytest.raises(Exception):
        VALIDATOR.validate(assemble([meta], {"t": entry}, [], "", 1.0, "missing"))


def test_windows_counted_with_n_over_t_are_named_and_others_are_not():
    made = diagnose.window_count(20, 5, 3, 4, raised=False, public=True)
    assert made.label == "windows-count" and "Expected 3 windows for N = 20" in made.sentence and "made 4" in made.sentence
    hidden = diagnose.window_count(100, 20, 4, diagnose.windows_requested("ValueError: cannot reshape array of size 99 into shape (5,20)"),
                                   raised=True, public=False)
    assert "asked for 5" in hidden.sentence and "100" not in hidden.sentence  # a hidden case's length is not shown
    assert diagnose.window_count(20, 5, 3, 16, raised=False, public=True) is None  # stride 1: another mistake
    assert diagnose.window_count(20, 5, 3, 3, raised=False, public=True) is None


def test_lstm_states_in_the_wrong_order_are_named():
    rng = np.random.default_rng(0)
    outputs, h, c = rng.standard_normal((3, 2, 4))
    assert diagnose.lstm_state_order_mistake([outputs, c, h], h, c).label == "lstm-state-order"
    assert diagnose.lstm_state_order_mistake([outputs, h, c], h, c) is None


def test_a_softmax_over_the_logits_is_named():
    logits = np.random.default_rng(1).standard_normal((2, 3, 5))
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    assert diagnose.softmax_on_logits(probabilities, logits).label == "lm-softmax-on-logits"
    assert diagnose.softmax_on_logits(logits * 2, logits) is None


def test_every_parametrized_test_name_is_in_words():
    collected = run_tests(REPO, None, None, collect_only=True).collected
    parametrized = [meta["name"] for meta in collected if meta["name"].endswith("]")]
    for layer in of_kind("layer"):  # each layer's call is tested with every set of options, named in words
        ids = {meta["name"].rsplit(" [", 1)[1][:-1] for meta in collected if meta["tags"] == [layer.name] and meta["name"].endswith("]")}
        assert {option_words(options) for options in CALL_OPTIONS} <= ids, layer.name
    for name in parametrized:
        assert not re.search(r"\b(seq|state|init)\d|-", name.rsplit("[", 1)[1]), name
    assert option_words({"return_sequences": False, "return_state": True, "initial_state": True}) == \
        "last output only, with final state, given initial state"


def test_numpy_in_a_tf_function_is_named_as_a_cut_tape():
    trace = "AttributeError: in user code: ... 'SymbolicTensor' object has no attribute 'numpy'"
    assert diagnose.numpy_in_graph(trace).label == "tape-cut"
    assert diagnose.numpy_in_graph("ValueError: shapes (2, 3) and (4, 5) not aligned") is None


def test_a_loss_computed_outside_the_tape_gets_a_hint_before_keras_error():
    from autograder.session import _explain_error

    trace = 'File "the cell defining train", line 9, in train\nValueError: No gradients provided for any variable.'
    assert diagnose.error_mistake(trace).label == "loss-outside-tape"
    said = _explain_error(trace, [])
    assert said.startswith("*Hint:* `tape.gradient` found no path from your loss to the weights")
    assert "inside the tape" in said and "No gradients provided" in said.split("Your code raised an error:")[1]


def _run(**fields):
    from autograder.sandbox import ChildRun

    return ChildRun(report={"load_notes": [], "errors": {}, "info": {}, "finished": [], "recurrent_helpers": {}}, **fields)


def test_a_training_out_of_cpu_time_ends_its_sentence_once_and_quotes_no_tensorflow_log():
    from autograder.session import PartAnswers

    printed = ("epoch 1 loss 6.2\n"
               "2026-12-05 10:00:00.123456: E external/local_xla/xla/stream_executor/cuda/cuda_driver.cc:152] failed call "
               "to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)\n"
               "W0000 00:00:1733412345.123456   12345 gpu_device.cc:2344] Cannot dlopen some GPU libraries.\n")
    answers = PartAnswers("train", _run(ending="cpu-time", cpu_seconds=150, printed=printed), budget=150, order=("train",))
    said = answers._why_missing("train")
    assert "shows what fits before you submit." in said and ".." not in said
    assert "epoch 1 loss 6.2" in said and "cuInit" not in said and "dlopen" not in said


@pytest.mark.parametrize("calls_pass, says", [(True, "the call tests pass, so the forward pass matches"),
                                              (False, "the call tests fail too: fix the forward pass first")])
def test_the_gradient_hint_says_whether_the_forward_pass_matches(monkeypatch, calls_pass, says):
    from autograder.tests import recurrent

    class Answers:
        def require(self, case): pass
        def info(self, case): return {}
        def get(self, case, name): return np.ones(3)

    class Session:
        def expected(self, case, name): return np.zeros(3)

    monkeypatch.setattr(recurrent, "_calls_match", lambda answers, session, layer: calls_pass)
    with pytest.raises(CheckFailed, match=says):
        recurrent.expect_gradient(Answers(), Session(), "hidden/rnn/gradients", ["inputs"], "rnn")
