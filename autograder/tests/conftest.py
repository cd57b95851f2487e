"""Fixtures of the graded tests: each part's answers, run lazily in the sandbox by the session.

A test asks for a part by its declared name (autograder/parts): `def test_…(lstm, session)`.
"""

import pytest

from autograder.parts import NAMES
from autograder.results import SESSION_KEY


@pytest.fixture(scope="session")
def session(request):
    return request.config.stash[SESSION_KEY]


def _answers_of(name):
    @pytest.fixture(scope="session", name=name)
    def answers(session):
        return session.part(name)
    return answers


for _name in NAMES:
    globals()[f"_{_name}_answers"] = _answers_of(_name)
