"""The students' local checker names the mistakes the notebook's docstrings warn about, on the visible cases alone.

Each bug of the zoo below runs through check.py of dist/stencil.zip (the checker students run, which holds no hidden
case), and its part's visible test must fail with the sentence that names the mistake and with the
mistake's diagnosis label in results.json. The same bugs go through the full grader in test_verdicts.py.
"""

import contextlib
import importlib.util
import io
import re

import pytest

from conftest import REPO, SUBMISSIONS

BUGS = SUBMISSIONS / "bugs"
# bug file, part, the visible test that must catch it, its diagnosis label, what its feedback must say
CAUGHT = [
    ("rnn_numpy_in_call.py", "rnn", "2.3", "tape-cut", r"No gradient reaches `inputs`, `W_r`, `b_r`.*cuts the gradient tape"),
    ("lstm_numpy_stack_in_call.py", "lstm", "3.4", "tape-cut", r"`MyLSTM.call` or `MyLSTM.step` cuts the gradient tape"),
    ("lm_logits_to_numpy.py", "lm", "4.1", "tape-cut", r"`embedding`.*`LanguageModel.call` cuts the gradient tape"),
    ("lstm_return_state_c_before_h.py", "lstm", "3.4", "lstm-state-order", r"\[outputs, c_T, h_T\].*order is \[outputs, h_T, c_T\]"),
    ("windows_count_n_over_t.py", "windows", "1.1", "windows-count", r"Expected 3 windows for N = 20 ids and window_sz = 5.*asked for 4"),
    ("windows_num_windows_off_by_one.py", "windows", "1.1", "windows-count", r"Expected 3 windows .*made 4"),
    ("rnn_initial_state_ones.py", "rnn", "2.3", "initial-state-not-zeros",
     r"no `initial_state`:.*the state must start at zeros.*starts from ones"),
    ("rnn_return_sequences_with_state.py", "rnn", "2.3", "return-sequences-with-state",
     r"return_state=False and no `initial_state`:.*returns `outputs` alone"),
    ("rnn_returns_last_state_only.py", "rnn", "2.3", "return-sequences-ignored",
     r"With return_sequences=True, `outputs` must hold every step's state.*yours has shape \(2, 4\), the last state only"),
    ("rnn_initial_state_list_not_unwrapped.py", "rnn", "2.3", "initial-state-form", r"\*Hint:\* Here `initial_state` is the one-element list `\[s_0\]`"),
    ("lm_returns_softmax.py", "lm", "4.1", "lm-softmax-on-logits", r"exactly the softmax of the reference's logits"),
    ("perplexity_mean_of_exp.py", "perplexity", "5.1", "ppl-mean-of-exp", r"mean of exp\(cross-entropy\)"),
    ("perplexity_not_from_logits.py", "perplexity", "5.1", "ppl-not-from-logits", r"pass from_logits=True"),
]


@pytest.fixture(scope="module")
def checker(students_folder):
    spec = importlib.util.spec_from_file_location("students_check", students_folder / "check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.check


@pytest.mark.xdist_group("checker")
@pytest.mark.parametrize("bug, part, number, label, says", CAUGHT, ids=[row[0] for row in CAUGHT])
def test_the_checker_names_the_mistake(checker, bug, part, number, label, says):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        results = checker(part, notebook=str(BUGS / bug))
    tests = {test["number"]: test for test in results["tests"]}
    assert tests[number]["status"] == "failed", printed.getvalue()
    assert re.search(says, tests[number]["output"], re.DOTALL), tests[number]["output"]
    assert tests[number].get("extra_data") == {"diagnosis": label}
    assert re.search(says, printed.getvalue(), re.DOTALL), "the terminal report shows the feedback too"
