"""5. perplexity(labels, logits): exp of the mean sparse softmax cross-entropy."""

import numpy as np
import pytest
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.diagnose import perplexity_mistake
from autograder.feedback import CheckFailed

HINT = ("perplexity = exp(mean over every position of the cross-entropy of the softmax of logits against labels); "
        "take the mean, not the sum, and remember the exp.")


def expect_perplexity(perplexity, session, case):
    perplexity.require(case)
    value, expected = perplexity.get(case, "value"), float(session.expected(case, "value"))
    if np.ndim(value) != 0:
        raise CheckFailed(f"perplexity should return a scalar; yours returned shape {np.shape(value)}. *Hint:* {HINT}")
    if not np.isfinite(value) or not np.isclose(float(value), expected, rtol=1e-4):
        shown = f"{expected:.6g}" if case.startswith("visible/") else "the reference's value"
        given = session.inputs["perplexity"]
        mistake = perplexity_mistake(float(value), given[f"{case}:labels"], given[f"{case}:logits"])
        raise CheckFailed(f"Your perplexity is {float(value):.6g}; expected {shown} "
                          f"(relative error {abs(float(value) - expected) / expected:.2g}).\n\n"
                          + (mistake.sentence if mistake else f"*Hint:* {HINT}"), mistake and mistake.label)


@pytest.mark.public
@weight(3)
@number("1")
@tags("perplexity")
@visibility("visible")
def test_perplexity_of_the_four_token_example(perplexity, session):
    """perplexity of the four-token example is 2.4446"""
    expect_perplexity(perplexity, session, "visible/perplexity/four-tokens")


@weight(4)
@number("2")
@tags("perplexity")
@visibility("visible")
def test_perplexity_of_a_batch_of_windows(perplexity, session):
    """perplexity of a batch of windows matches the reference"""
    expect_perplexity(perplexity, session, "hidden/perplexity/moderate")


@weight(3)
@number("3")
@tags("perplexity")
@visibility("visible")
def test_perplexity_of_confident_logits(perplexity, session):
    """perplexity stays exact for large logits (numerically stable)"""
    expect_perplexity(perplexity, session, "hidden/perplexity/confident")
