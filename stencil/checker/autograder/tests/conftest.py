"""Fixtures of the graded tests: each part's answers, run lazily in the sandbox by the session."""

import pytest

from autograder.results import SESSION_KEY


@pytest.fixture(scope="session")
def session(request):
    return request.config.stash[SESSION_KEY]


@pytest.fixture(scope="session")
def windows(session):
    return session.part("windows")


@pytest.fixture(scope="session")
def rnn(session):
    return session.part("rnn")


@pytest.fixture(scope="session")
def lstm(session):
    return session.part("lstm")


@pytest.fixture(scope="session")
def lm(session):
    return session.part("lm")


@pytest.fixture(scope="session")
def perplexity(session):
    return session.part("perplexity")


@pytest.fixture(scope="session")
def training(session):
    return session.part("train")
