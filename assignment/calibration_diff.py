"""What a recalibration changed: two autograder configurations' thresholds, baselines and training budget side by side.

    python -m assignment.calibration_diff BEFORE.json AFTER.json

`make corpus` keeps a copy of autograder/config.json from before it rebuilds the data and recalibrates, and ends
with this comparison, so that whoever switched the corpus sees what the students and the judge will now be held to.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

HIDDEN, PUBLIC = "hidden_test.txt", "test.txt"


def _at(config: dict, *keys):
    """config[keys[0]][keys[1]]…, or None where a key is missing (a first calibration has no "before")."""
    value = config
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _public_median(config: dict):
    values = _at(config, "calibration", "public_perplexities")
    return statistics.median(values) if values else None


# (label, how to read it from a configuration). Thresholds and ratios are the settings calibrate writes; the rest is
# its evidence (calibration.baselines, .summary, .budget) and the budget the configuration grades with (limits.train).
ROWS = [
    ("threshold, hidden_test (Gradescope)", lambda c: _at(c, "perplexity_threshold")),
    ("threshold, test (students' checker)", lambda c: _at(c, "public_perplexity_threshold")),
    ("state_reset_min_ratio", lambda c: _at(c, "state_reset_min_ratio")),
    ("implausible_below", lambda c: _at(c, "implausible_below")),
    ("reference median, hidden_test", lambda c: _at(c, "calibration", "summary", "median")),
    ("reference median, test", _public_median),
    ("add-one unigram, hidden_test", lambda c: _at(c, "calibration", "baselines", "unigram")),
    ("count bigram, hidden_test", lambda c: _at(c, "calibration", "baselines", "count_bigram", HIDDEN)),
    ("count bigram, test", lambda c: _at(c, "calibration", "baselines", "count_bigram", PUBLIC)),
    ("interpolated trigram, hidden_test", lambda c: _at(c, "calibration", "baselines", "interpolated_trigram", HIDDEN)),
    ("interpolated trigram, test", lambda c: _at(c, "calibration", "baselines", "interpolated_trigram", PUBLIC)),
    ("reference's worst CPU-seconds", lambda c: _at(c, "calibration", "summary", "cpu_seconds_max")),
    ("training budget, recommended", lambda c: _at(c, "calibration", "budget", "recommended", "cpu_seconds")),
    ("training budget, configured", lambda c: _at(c, "limits", "train", "cpu_seconds")),
]


def changes(before: dict, after: dict) -> list[tuple[str, object, object]]:
    """Every row of ROWS as (label, value before, value after); None where a configuration has no such value."""
    return [(label, read(before), read(after)) for label, read in ROWS]


def _shown(value) -> str:
    return "–" if value is None else f"{value:g}" if isinstance(value, (int, float)) else str(value)


def report(before: dict, after: dict) -> str:
    """The comparison as text: a table marking what changed, where the new calibration was measured, and the budget."""
    rows = changes(before, after)
    width = max(len(label) for label, _, _ in rows)
    lines = ["What the recalibration changed in autograder/config.json:",
             f"{'':<{width}}  {'before':>9}  {'after':>9}"]
    for label, old, new in rows:
        lines.append(f"{label:<{width}}  {_shown(old):>9}  {_shown(new):>9}" + ("  changed" if old != new else ""))
    calibration = after.get("calibration") or {}
    if isinstance(calibration, dict) and calibration.get("date"):
        lines.append(f"\nCalibrated {calibration['date']} on {calibration.get('machine', 'an unnamed machine')}: "
                     f"{calibration.get('command', '')}")
    configured = _at(after, "limits", "train", "cpu_seconds")
    recommended = _at(after, "calibration", "budget", "recommended", "cpu_seconds")
    worst = _at(after, "calibration", "summary", "cpu_seconds_max")
    if configured is not None and recommended is not None and configured != recommended:
        lines.append(f"The training budget (limits.train) stays {configured:g} CPU-seconds: recalibrating never changes it.\n"
                     f"The budget rule recommends {recommended:g}; to apply that, edit limits.train in autograder/config.json,\n"
                     "then run `make stencil` and `make autograder`.")
    if configured is not None and worst and configured < 2 * worst:
        lines.append(f"WARNING: {configured:g} CPU-seconds leave a student less than 2x the reference's worst "
                     f"{worst:g}.")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assignment.calibration_diff", description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="autograder/config.json as it was")
    parser.add_argument("after", type=Path, help="autograder/config.json as it is now")
    args = parser.parse_args(argv)
    print(report(json.loads(args.before.read_text()), json.loads(args.after.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
