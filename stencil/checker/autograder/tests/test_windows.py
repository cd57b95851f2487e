"""1. make_windows: non-overlapping windows of token ids, labels shifted by one."""

import pytest
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.feedback import CheckFailed, check_tensor

LABEL_HINT = "labels[k, j] must be ids[k * window_sz + j + 1], the token right after inputs[k, j]; windows do not overlap."
COUNT_HINT = "num_windows = (N - 1) // window_sz: the last label needs one token after the last input, and a partial window is dropped."


def expect_windows(windows, session, case):
    """Both arrays hold the reference's token ids, and are numpy integer arrays."""
    windows.require(case)
    public = case.startswith("visible/")
    for name, hint in (("inputs", COUNT_HINT), ("labels", LABEL_HINT)):
        check_tensor(name, windows.get(case, name), session.expected(case, name), integer=True, public=public, hint=hint)
    types = windows.info(case).get("types", [])
    if types != ["numpy.ndarray", "numpy.ndarray"]:
        raise CheckFailed(f"The windows are right, but make_windows should return two `np.ndarray`s; yours returned "
                          f"{', '.join(f'`{t}`' for t in types)}. Convert with np.array(...) before returning.")


@pytest.mark.public
@weight(2)
@number("1.1")
@tags("windows")
@visibility("visible")
def test_windows_of_the_demo_sequence(windows, session):
    """make_windows(range(23), 5) gives 4 windows with labels shifted by one"""
    expect_windows(windows, session, "visible/windows/demo")


@weight(4)
@number("1.2")
@tags("windows")
@visibility("visible")
def test_windows_drop_the_remainder(windows, session):
    """make_windows drops the remainder of a long sequence passed as a Python list"""
    expect_windows(windows, session, "hidden/windows/remainder")


@weight(2)
@number("1.3")
@tags("windows")
@visibility("visible")
def test_windows_keep_every_full_window(windows, session):
    """make_windows keeps every full window when nothing remains, down to exactly one window"""
    expect_windows(windows, session, "hidden/windows/exact")
    expect_windows(windows, session, "hidden/windows/length-multiple")
    expect_windows(windows, session, "hidden/windows/one-window")


@weight(2)
@number("1.4")
@tags("windows")
@visibility("visible")
def test_windows_of_a_too_short_sequence(windows, session):
    """make_windows returns zero windows, shaped (0, window_sz), for a sequence too short for one window"""
    expect_windows(windows, session, "hidden/windows/too-short")
    expect_windows(windows, session, "hidden/windows/empty")
