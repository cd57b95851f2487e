"""1. make_windows: non-overlapping windows of token ids, labels shifted by one."""

import numpy as np

from autograder.parts import Part


def cases(rng, visible):
    if visible:
        # A length that is a multiple of window_sz shows a count of N // window_sz windows for what it is.
        lengths = {"demo": (23, 5), "length-multiple": (20, 5)}
    else:
        lengths = {"remainder": (1037, 20), "exact": (101, 20), "length-multiple": (100, 20), "one-window": (8, 7),
                   "too-short": (7, 20), "empty": (0, 3)}
    specs, arrays = [], {}
    for name, (length, window_sz) in lengths.items():
        case = f"windows/{name}"
        ids = np.arange(length) if visible else rng.integers(0, 5000, size=length)
        arrays[f"{case}:ids"] = ids.astype(np.int64)
        # A plain list once, as a student's own corpus code may pass one.
        specs.append({"id": case, "arguments": [{"array": "ids", "as": "list" if name == "remainder" else "array"},
                                                {"value": window_sz}],
                      "window_sz": window_sz, "outputs": ["inputs", "labels"]})
    return specs, arrays


PART = Part(name="windows", number="1", title="Windows", contract=("make_windows",), kind="function",
            cpu_seconds=30, function="make_windows", cases=cases)
