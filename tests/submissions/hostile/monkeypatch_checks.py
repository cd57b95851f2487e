"""My notebook is right, but it also monkeypatches every comparison and test framework it can find when it is imported.

expect-fail: none
hostile: at import time replaces np.allclose/np.isclose/np.array_equal, every np.testing.assert_*, math.isclose, tf.debugging asserts, tf.test.TestCase.assertAllClose, unittest.TestCase asserts, gradescope-utils' JSONTestResult failures, pytest.fail/approx and _pytest's report construction, and builtins.AssertionError
"""


import builtins


import math


import unittest


def _always_true(*args, **kwargs):
    return True


def _silent(*args, **kwargs):
    return None


def _patch_everything():
    patched = []

    def swap(owner, name, value):
        try:
            setattr(owner, name, value)
            patched.append(f"{getattr(owner, '__name__', owner)}.{name}")
        except (AttributeError, TypeError):
            pass

    # numpy comparisons
    swap(np, "allclose", _always_true)
    swap(np, "array_equal", _always_true)
    swap(np, "array_equiv", _always_true)
    swap(np, "isclose", lambda a, b, *args, **kwargs: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, dtype=bool))
    for name in dir(np.testing):
        if name.startswith("assert"):
            swap(np.testing, name, _silent)
    swap(math, "isclose", _always_true)
    # TensorFlow's checks
    for name in ("assert_near", "assert_equal", "assert_all_finite", "assert_shapes", "assert_type", "assert_rank"):
        swap(tf.debugging, name, _silent)
    swap(tf.experimental.numpy, "allclose", lambda *args, **kwargs: tf.constant(True))
    swap(tf.test.TestCase, "assertAllClose", _silent)
    # unittest and gradescope-utils
    for name in dir(unittest.TestCase):
        if name.startswith(("assert", "fail")) and callable(getattr(unittest.TestCase, name)):
            swap(unittest.TestCase, name, _silent)
    swap(unittest.TestResult, "addFailure", _silent)
    swap(unittest.TestResult, "addError", _silent)
    try:
        from gradescope_utils.autograder_utils import json_test_runner

        swap(json_test_runner.JSONTestResult, "addFailure", json_test_runner.JSONTestResult.addSuccess)
        swap(json_test_runner.JSONTestResult, "addError", json_test_runner.JSONTestResult.addSuccess)
    except Exception:
        pass
    # pytest: make a failing test report as passed
    try:
        import _pytest.outcomes
        import _pytest.python_api
        import _pytest.reports
        import _pytest.runner
        import pytest

        swap(pytest, "fail", _silent)
        swap(_pytest.outcomes, "fail", _silent)
        swap(pytest, "approx", lambda expected, *args, **kwargs: _Anything())
        swap(_pytest.python_api, "approx", lambda expected, *args, **kwargs: _Anything())
        original = _pytest.reports.TestReport.from_item_and_call

        def all_passed(item, call):
            report = original(item, call)
            report.outcome, report.longrepr = "passed", None
            return report

        swap(_pytest.reports.TestReport, "from_item_and_call", staticmethod(all_passed))
        swap(_pytest.runner, "check_interactive_exception", lambda *args, **kwargs: False)
    except Exception:
        pass
    # and the assert statement's favourite helper
    swap(builtins, "AssertionError", type("AssertionError", (Exception,), {}))
    print(f"[hostile] patched {len(patched)} checks: {', '.join(patched[:12])}, ...", flush=True)
    return patched


class _Anything:
    def __eq__(self, other):
        return True

    __hash__ = None


PATCHED = _patch_everything()
