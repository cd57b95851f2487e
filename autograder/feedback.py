"""Compare a student's tensor with the reference's and say, in markdown, what is wrong.

Checks go presence → shape → dtype → values, and a value mismatch reports the
largest error and where it first appears (which timestep, for sequences). For a
hidden case the message never prints inputs or values, only shapes and errors.
"""

from __future__ import annotations

import re

import numpy as np

ATOL = 1e-5
RTOL = 1e-4


class CheckFailed(AssertionError):
    """A failed check; its message is the feedback a student reads.

    `diagnosis` is the short stable label of the mistake the message names (see diagnose.py), if it
    names one: results.json records it for staff, who count labels across a class.
    """

    def __init__(self, message: str, diagnosis: str | None = None):
        super().__init__(message)
        self.diagnosis = diagnosis

    def adding(self, text: str, diagnosis: str | None = None) -> "CheckFailed":
        """This failure with more feedback after it, and the label of what that feedback names."""
        return CheckFailed(f"{self}\n\n{text}" if text else str(self), diagnosis or self.diagnosis)


def _shape(array) -> str:
    return "(" + ", ".join(str(n) for n in np.shape(array)) + ")"


def _excerpt(array) -> str:
    flat = np.asarray(array).ravel()[:6]
    return "[" + ", ".join(f"{v:.4g}" if np.issubdtype(flat.dtype, np.floating) else str(v) for v in flat) + (", …]" if np.size(array) > 6 else "]")


def check_tensor(name: str, actual, expected, *, public: bool, time_axis: int | None = None,
                 integer: bool = False, atol: float = ATOL, rtol: float = RTOL, hint: str = "",
                 hint_if_first_step: str = "") -> None:
    """Raise CheckFailed unless `actual` matches `expected` in shape, kind and value.

    `hint_if_first_step` replaces `hint` when a sequence is wrong from its very first timestep.
    """
    expected = np.asarray(expected)
    if actual is None:
        raise CheckFailed(f"**`{name}`** was not returned.{_hint(hint)}")
    actual = np.asarray(actual)
    if actual.shape != expected.shape:
        raise CheckFailed(f"**`{name}`** has shape `{_shape(actual)}`, expected `{_shape(expected)}`.{_hint(hint)}")
    if integer and not np.issubdtype(actual.dtype, np.integer):
        raise CheckFailed(f"**`{name}`** has dtype `{actual.dtype}`, expected an integer array (token ids).")
    if not integer and not (np.issubdtype(actual.dtype, np.floating) or np.issubdtype(actual.dtype, np.integer)):
        raise CheckFailed(f"**`{name}`** has dtype `{actual.dtype}`, expected floating point numbers.")
    if integer:
        wrong = actual != expected
    else:
        actual64, expected64 = actual.astype(np.float64), expected.astype(np.float64)
        if not np.all(np.isfinite(actual64)):
            raise CheckFailed(f"**`{name}`** contains NaN or infinity.{_hint(hint)}")
        wrong = np.abs(actual64 - expected64) > atol + rtol * np.abs(expected64)
    if not wrong.any():
        return
    lines = [f"**`{name}`** has the right shape `{_shape(actual)}` but {wrong.sum():,} of {wrong.size:,} values differ from the reference."]
    if not integer:
        error = np.abs(actual64 - expected64)
        lines.append(f"Largest absolute error: {error.max():.3g} (tolerance {atol:g} + {rtol:g}·|expected|).")
    first = tuple(int(i) for i in np.argwhere(wrong)[0])
    if time_axis is not None and expected.ndim > time_axis:
        steps = expected.shape[time_axis]
        bad_steps = np.flatnonzero(wrong.any(axis=tuple(a for a in range(wrong.ndim) if a != time_axis)))
        lines.append(f"It first goes wrong at timestep t = {bad_steps[0]} (of {steps}, counting from 0)"
                     + ("; every earlier timestep matches." if bad_steps[0] > 0 else "."))
        if bad_steps[0] == 0 and hint_if_first_step:
            hint = hint_if_first_step
    else:
        lines.append(f"First wrong entry at index {first}.")
    if public:
        lines.append(f"Expected (first values): `{_excerpt(expected)}`  \nYours: `{_excerpt(actual)}`")
    raise CheckFailed("\n".join(lines) + _hint(hint))


def check_structure(what: str, info: dict | None, count: int, hint: str = "") -> None:
    """A call that should return `count` things (1 = a single tensor) did so."""
    if info is None:
        return
    got = info.get("count", 1) if info.get("kind") in ("list", "tuple") else 1
    if got == count and (count == 1) == (info.get("kind") not in ("list", "tuple")):
        return
    returned = f"a {info['kind']} of {got}" if info.get("kind") in ("list", "tuple") else f"a single `{info.get('kind')}`"
    wanted = "a single tensor" if count == 1 else f"a list of {count} tensors"
    raise CheckFailed(f"{what} should return {wanted}; yours returned {returned}.{_hint(hint)}")


def fenced(text: str, info: str = "") -> str:
    """`text` as a Markdown code block that nothing inside it can close: the fence is longer than any run of backticks in it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def _hint(hint: str) -> str:
    return f"\n\n*Hint:* {hint}" if hint else ""
