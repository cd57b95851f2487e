"""Diagnosis labels for staff, and test names students can read: without a sandbox, in the judge's own modules."""

import ast
import re

import numpy as np
import pytest

from autograder import diagnose, results
from autograder.cases import CALL_OPTIONS, option_words
from autograder.feedback import CheckFailed
from autograder.grade import run_tests
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
    assert len(parametrized) == 2 * len(CALL_OPTIONS) + 3 + 4
    for name in parametrized:
        assert not re.search(r"\b(seq|state|init)\d|-", name.rsplit("[", 1)[1]), name
    assert option_words({"return_sequences": False, "return_state": True, "initial_state": True}) == \
        "last output only, with final state, given initial state"


def test_numpy_in_a_tf_function_is_named_as_a_cut_tape():
    trace = "AttributeError: in user code: ... 'SymbolicTensor' object has no attribute 'numpy'"
    assert diagnose.numpy_in_graph(trace).label == "tape-cut"
    assert diagnose.numpy_in_graph("ValueError: shapes (2, 3) and (4, 5) not aligned") is None
