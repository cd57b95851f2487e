"""The mistakes the feedback diagnosed in one results.json, as short labels.

The judge marks a test whose feedback names a mistake with `extra_data: {"diagnosis": label}`.
Results written before that mark existed are read from their feedback instead: the mistakes
`autograder/diagnose.py` can name are the string keys of the guess tables in its `*_mistake`
functions, read from the module's own source so that a mistake added there is recognised
here without copying its text.
"""

from __future__ import annotations

import ast
import inspect
import re
from functools import lru_cache

from autograder import diagnose

LABEL_KEY = "diagnosis"


@lru_cache(maxsize=None)
def known_mistakes() -> dict[str, str]:
    """{sentence diagnose.py may write: short label}, e.g. 'rnn step: concatenates in the wrong order'."""
    found = {}
    for function in ast.parse(inspect.getsource(diagnose)).body:
        if not (isinstance(function, ast.FunctionDef) and function.name.endswith("_mistake")):
            continue
        where = function.name.removesuffix("_mistake").replace("_", " ")
        for node in ast.walk(function):
            if isinstance(node, ast.Dict):
                for key in node.keys:
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        found[key.value] = f"{where}: {_short(key.value)}"
    return found


def _short(sentence: str) -> str:
    """The sentence up to its explanation (after a colon, semicolon or parenthesis)."""
    return re.split(r"[:;]| \(", sentence, maxsplit=1)[0].strip()


def test_diagnosis(test: dict) -> str | None:
    """The label of the mistake a test's feedback diagnosed, if any."""
    extra = test.get("extra_data")
    if isinstance(extra, dict) and isinstance(extra.get(LABEL_KEY), str) and extra[LABEL_KEY].strip():
        return extra[LABEL_KEY].strip()
    output = test.get("output")
    if not isinstance(output, str) or test.get("status") == "passed":
        return None
    return next((label for sentence, label in known_mistakes().items() if sentence in output), None)


def diagnosed(results: dict) -> dict[str, list[str]]:
    """{label: numbers of the tests that diagnosed it} for one submission's results."""
    found: dict[str, list[str]] = {}
    for test in results.get("tests", []):
        label = test_diagnosis(test)
        if label:
            found.setdefault(label, []).append(str(test.get("number", "")))
    return found
