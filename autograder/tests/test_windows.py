"""1. make_windows: non-overlapping windows of token ids, labels shifted by one."""

import numpy as np
import pytest
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.diagnose import window_count, windows_requested
from autograder.feedback import CheckFailed, check_tensor

LABEL_HINT = "labels[k, j] must be ids[k * window_sz + j + 1], the token right after inputs[k, j]; windows do not overlap."
COUNT_HINT = "num_windows = (N - 1) // window_sz: the last label needs one token after the last input, and a partial window is dropped."


def expect_windows(windows, session, case):
    """Both arrays hold the reference's token ids, and are numpy integer arrays."""
    public = case.startswith("visible/")
    if windows.problem:  # nothing ran (an unreadable submission, a crash at start-up): its reason is the feedback
        windows.require(case)
    length = len(session.inputs["windows"][f"{case}:ids"])
    window_sz = next(spec for spec in session.specs_and_arrays("windows")[0] if spec["id"] == case)["window_sz"]
    expected_count = session.expected(case, "inputs").shape[0]
    try:
        windows.require(case)
    except CheckFailed as failure:
        count = window_count(length, window_sz, expected_count, windows_requested(windows.error(case)), raised=True, public=public)
        raise (failure.adding(count.sentence, count.label) if count else failure) from None
    inputs = windows.get(case, "inputs")
    count = window_count(length, window_sz, expected_count, np.shape(inputs)[0] if np.ndim(inputs) == 2 else None,
                         raised=False, public=public)
    if count:
        raise count.failure()
    for name, hint in (("inputs", COUNT_HINT), ("labels", LABEL_HINT)):
        check_tensor(name, windows.get(case, name), session.expected(case, name), integer=True, public=public, hint=hint)
    types = windows.info(case).get("types", [])
    if types != ["numpy.ndarray", "numpy.ndarray"]:
        raise CheckFailed(f"The windows are right, but make_windows should return two `np.ndarray`s; yours returned "
                          f"{', '.join(f'`{t}`' for t in types)}. Convert with np.array(...) before returning.", "windows-not-arrays")


@pytest.mark.public
@weight(2)
@number("1")
@tags("windows")
@visibility("visible")
def test_windows_of_the_demo_sequence(windows, session):
    """make_windows(range(23), 5) gives 4 windows and make_windows(range(20), 5) gives 3, with labels shifted by one"""
    expect_windows(windows, session, "visible/windows/demo")
    expect_windows(windows, session, "visible/windows/length-multiple")


@weight(4)
@number("2")
@tags("windows")
@visibility("visible")
def test_windows_drop_the_remainder(windows, session):
    """make_windows drops the remainder of a long sequence passed as a Python list"""
    expect_windows(windows, session, "hidden/windows/remainder")


@weight(2)
@number("3")
@tags("windows")
@visibility("visible")
def test_windows_keep_every_full_window(windows, session):
    """make_windows keeps every full window when nothing remains, down to exactly one window"""
    expect_windows(windows, session, "hidden/windows/exact")
    expect_windows(windows, session, "hidden/windows/length-multiple")
    expect_windows(windows, session, "hidden/windows/one-window")


@weight(2)
@number("4")
@tags("windows")
@visibility("visible")
def test_windows_of_a_too_short_sequence(windows, session):
    """make_windows returns zero windows, shaped (0, window_sz), for a sequence too short for one window"""
    expect_windows(windows, session, "hidden/windows/too-short")
    expect_windows(windows, session, "hidden/windows/empty")
