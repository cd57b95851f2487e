"""The mistakes the feedback diagnosed in one results.json, as the judge's labels.

The judge marks a test whose feedback names a mistake with `extra_data: {"diagnosis": label}`.
Results written before that mark existed are read from their feedback instead: the sentences
of `autograder/diagnose.py`'s mistake tables (`RNN_STEP_MISTAKES` and the like, {label: sentence})
are looked for in it, so old and new results count a mistake under the same label and a mistake
added there is recognised here without copying its text.
"""

from __future__ import annotations

from functools import lru_cache

from autograder import diagnose

LABEL_KEY = "diagnosis"


@lru_cache(maxsize=None)
def known_mistakes() -> dict[str, str]:
    """{sentence diagnose.py may write: its label}, e.g. 'concatenates in the wrong order: …': 'rnn-concat-order'."""
    found = {}
    for name, table in vars(diagnose).items():
        if name.endswith("_MISTAKES") and isinstance(table, dict):
            found.update({sentence: label for label, sentence in table.items()})
    return found


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
