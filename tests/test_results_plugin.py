"""gradescope-utils' decorators are honoured as Gradescope's own runner would: points, partial credit, hidden errors, leaderboard."""

import textwrap

import pytest

from autograder.results import GradescopeResults

TESTS = '''
from gradescope_utils.autograder_utils.decorators import hide_errors, leaderboard, number, partial_credit, tags, visibility, weight


@weight(2)
@number("1")
@tags("windows")
@visibility("visible")
def test_plain():
    """passes"""


@hide_errors("Something is off in your windows.")
@weight(3)
@number("2")
@tags("windows")
@visibility("after_due_date")
def test_hidden_error():
    """fails with a secret message"""
    assert False, "the hidden inputs were [1, 2, 3]"


@partial_credit(10)
@leaderboard("Accuracy", "asc")
@number("3")
@tags("windows")
@visibility("visible")
def test_partial(set_score=None, set_leaderboard_value=None):
    """earns part of its points and a leaderboard value"""
    set_leaderboard_value(0.75)
    set_score(7.5)
    print("three quarters")
'''


@pytest.fixture(scope="module")
def entries(tmp_path_factory):
    folder = tmp_path_factory.mktemp("decorated")
    (folder / "test_decorated.py").write_text(textwrap.dedent(TESTS))
    plugin = GradescopeResults(None)
    pytest.main([str(folder), "-q", "-p", "no:cacheprovider", "--rootdir", str(folder), "--import-mode=importlib"],
                plugins=[plugin])
    return {entry["number"]: entry for entry in plugin.entries.values()}, plugin.leaderboard_entries


def test_weight_number_tags_and_visibility_are_read(entries):
    tests, _ = entries
    assert (tests["1.1"]["score"], tests["1.1"]["max_score"], tests["1.1"]["status"]) == (2.0, 2.0, "passed")
    assert tests["1.2"]["visibility"] == "after_due_date" and tests["1.1"]["tags"] == ["windows"]


def test_hide_errors_replaces_the_failure_text(entries):
    tests, _ = entries
    assert tests["1.2"]["output"] == "Something is off in your windows." and tests["1.2"]["score"] == 0


def test_partial_credit_and_leaderboard_are_recorded(entries):
    tests, leaderboard = entries
    assert (tests["1.3"]["score"], tests["1.3"]["max_score"], tests["1.3"]["status"]) == (7.5, 10.0, "failed")
    assert "three quarters" in tests["1.3"]["output"]
    assert leaderboard == [{"name": "Accuracy", "value": 0.75, "order": "asc"}]
