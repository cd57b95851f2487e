"""The claim `make long-range` checks for part 7's demo, over seeds, with the reference.

The lecture: a vanilla RNN remembers the subject over a few words but forgets it over many,
and an LSTM keeps it. `make long-range` (assignment/long_range_check.py) trains both models
with the notebook's `long_range_accuracy` for several seeds and says which seeds break the
claim; it is not part of `make test` because the demo does not yet show the point for every
seed (the README says which). Here, only the claim itself is tested.
"""

from assignment.long_range_check import GOOD, POOR, SHORT, broken_claims


def test_the_claims_are_what_the_lecture_says():
    remembers = {d: 1.0 for d in (1, 2, 4, 64)}
    forgets_far = {**remembers, 4: 0.6, 64: 0.25}
    assert broken_claims(forgets_far, remembers) == []
    assert broken_claims(remembers, remembers), "an RNN that remembers far does not show the point"
    assert broken_claims({**forgets_far, SHORT[0]: 0.25}, remembers), "an RNN that learned nothing does not either"
    assert broken_claims(forgets_far, forgets_far), "nor an LSTM that forgets"
    assert broken_claims(forgets_far, {**remembers, 4: 0.5}), "nor one that forgets at any distance"
    assert 0.25 < POOR < GOOD
