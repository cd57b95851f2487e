"""The handout's long-range demo (part 7) shows the lecture's point with the reference, for five seeds.

The lecture: a vanilla RNN remembers the subject over a few words but forgets it over many,
and an LSTM keeps it. The notebook trains both models with seed 0; a student's own layers draw
their random numbers in their own order, so the point must not hang on one seed. Both models
cost about a CPU-minute per seed on one thread, so this test takes about 6 minutes;
`make long-range` prints the same measurements as a table (assignment/long_range_check.py).
"""

import pytest

from assignment.long_range_check import GOOD, POOR, SHORT, broken_claims, load_reference, measure

SEEDS = range(5)


@pytest.fixture(scope="module")
def reference():
    return load_reference()


@pytest.mark.xdist_group("long_range")
@pytest.mark.parametrize("seed", SEEDS)
def test_the_rnn_forgets_the_subject_at_long_distances_and_the_lstm_does_not(reference, seed):
    rnn, lstm = (measure(reference, cell, seed)["accuracy"] for cell in ("rnn", "lstm"))
    assert broken_claims(rnn, lstm) == [], f"seed {seed}: RNN {rnn}, LSTM {lstm}"


def test_the_claims_are_what_the_lecture_says():
    remembers = {d: 1.0 for d in (1, 2, 4, 64)}
    forgets_far = {**remembers, 4: 0.6, 64: 0.25}
    assert broken_claims(forgets_far, remembers) == []
    assert broken_claims(remembers, remembers), "an RNN that remembers far does not show the point"
    assert broken_claims({**forgets_far, SHORT[0]: 0.25}, remembers), "an RNN that learned nothing does not either"
    assert broken_claims(forgets_far, forgets_far), "nor an LSTM that forgets"
    assert broken_claims(forgets_far, {**remembers, 4: 0.5}), "nor one that forgets at any distance"
    assert 0.25 < POOR < GOOD
