"""`make corpus`: one command to switch corpus (data, calibration that writes the thresholds, stencil, zip), ending
with what the calibration changed.

No training here: the Makefile's plan is read with `make -n`, its stages are run with a stand-in interpreter that
only logs what it is asked to run, and the closing comparison is checked on hand-made configurations.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from assignment import calibration_diff

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "autograder" / "config.json"
CONFIG_BEFORE = REPO / "dist" / "config-before-corpus.json"  # the Makefile's saved copy


def configuration(thresholds, public_perplexities, median, unigram, bigram, trigram, worst_cpu, recommended,
                  configured=150, date="2026-12-06"):
    """The fields of autograder/config.json the comparison reads, shaped as calibrate writes them."""
    return {
        "limits": {"train": {"cpu_seconds": configured}},
        "perplexity_threshold": thresholds[0], "public_perplexity_threshold": thresholds[1],
        "state_reset_min_ratio": 1.15, "implausible_below": 32.0,
        "calibration": {
            "date": date, "command": "python -m assignment.calibrate --seeds 5 --write", "machine": "AMD EPYC",
            "public_perplexities": public_perplexities,
            "summary": {"median": median, "cpu_seconds_max": worst_cpu},
            "baselines": {"unigram": unigram,
                          "count_bigram": {"hidden_test.txt": bigram[0], "test.txt": bigram[1]},
                          "interpolated_trigram": {"hidden_test.txt": trigram[0], "test.txt": trigram[1]}},
            "budget": {"recommended": {"cpu_seconds": recommended}},
        },
    }


BEFORE = configuration((52.0, 44.0), [39.13, 38.93, 38.31], 46.7, 188.6, (57.14, 47.51), (48.66, 34.88), 43.1, 110)
AFTER = configuration((61.0, 58.0), [50.2, 51.0, 52.4], 54.0, 240.3, (70.5, 66.0), (60.1, 55.2), 48.0, 120,
                      date="2026-12-07")


def test_changes_pair_each_figure_before_and_after():
    rows = {label: (old, new) for label, old, new in calibration_diff.changes(BEFORE, AFTER)}
    assert rows["threshold, hidden_test (Gradescope)"] == (52.0, 61.0)
    assert rows["threshold, test (students' checker)"] == (44.0, 58.0)
    assert rows["reference median, hidden_test"] == (46.7, 54.0)
    assert rows["reference median, test"] == (38.93, 51.0)
    assert rows["add-one unigram, hidden_test"] == (188.6, 240.3)
    assert rows["count bigram, hidden_test"] == (57.14, 70.5)
    assert rows["count bigram, test"] == (47.51, 66.0)
    assert rows["interpolated trigram, test"] == (34.88, 55.2)
    assert rows["training budget, recommended"] == (110, 120)
    assert rows["training budget, configured"] == (150, 150)


def test_the_report_marks_what_changed_and_says_what_the_budget_rule_recommends():
    text = calibration_diff.report(BEFORE, AFTER)
    row = {line.split("  ")[0]: line.split() for line in text.splitlines()}
    assert row["threshold, hidden_test (Gradescope)"][-3:] == ["52", "61", "changed"]
    assert row["threshold, test (students' checker)"][-3:] == ["44", "58", "changed"]
    assert row["state_reset_min_ratio"][-2:] == ["1.15", "1.15"]  # the same: not marked
    assert row["training budget, configured"][-2:] == ["150", "150"]
    assert "Calibrated 2026-12-07 on AMD EPYC" in text
    assert "stays 150 CPU-seconds" in text and "recommends 120" in text
    assert "WARNING" not in text
    same = calibration_diff.report(AFTER, AFTER)
    assert "changed" not in same.replace("What the recalibration changed", "")


def test_the_report_after_a_first_calibration_and_with_a_tight_budget():
    first = {"limits": {"train": {"cpu_seconds": 90}}, "perplexity_threshold": 200.0}
    after = configuration((61.0, 58.0), [50.2], 54.0, 240.3, (70.5, 66.0), (60.1, 55.2), 48.0, 90, configured=90)
    text = calibration_diff.report(first, after)
    row = {line.split("  ")[0]: line.split() for line in text.splitlines()}
    assert row["threshold, hidden_test (Gradescope)"][-3:] == ["200", "61", "changed"]
    assert row["count bigram, hidden_test"][-3:] == ["–", "70.5", "changed"]
    assert "recommends" not in text  # the configured budget is the recommended one
    assert "WARNING: 90 CPU-seconds leave a student less than 2x the reference's worst 48" in text


def test_the_command_line_reads_two_configuration_files(tmp_path, capsys):
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_text(json.dumps(BEFORE))
    after.write_text(json.dumps(AFTER))
    assert calibration_diff.main([str(before), str(after)]) == 0
    assert capsys.readouterr().out.strip() == calibration_diff.report(BEFORE, AFTER)


def make(*arguments, **environment) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *arguments], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **environment})


def order_of(lines: list[str], steps: list[str]) -> list[int]:
    """The index of the line holding each step, each searched after the one before (-1 where none does)."""
    found, start = [], 0
    for step in steps:
        index = next((i for i in range(start, len(lines)) if step in lines[i]), -1)
        found.append(index)
        start = index + 1 if index >= 0 else start
    return found


def test_make_corpus_plans_the_stages_in_order():
    planned = make("-n", "corpus", "TEXT=my_course_text.txt", "SEEDS=3")
    assert planned.returncode == 0, planned.stderr
    lines = [" ".join(line.split()) for line in planned.stdout.splitlines()]
    steps = ["cp autograder/config.json", "-m assignment.corpus --text my_course_text.txt",
             "-m assignment.calibrate --seeds 3 --write", "-m assignment.build", "-m autograder.package.export_checker",
             "--no-print-directory autograder", "-m assignment.calibration_diff"]
    found = order_of(lines, steps)
    assert -1 not in found and found == sorted(found), "\n".join(lines)

    folder = make("-n", "corpus", "SPLITS=my_splits", "CORPUS_ARGS=--vocab-size 5000")
    assert "-m assignment.corpus --splits my_splits --vocab-size 5000" in " ".join(folder.stdout.split())


@pytest.fixture
def stand_in_venv(tmp_path):
    """A VENV whose python logs each command it is given and does nothing else; `calibrate` exits with $REFUSE."""
    venv, log = tmp_path / "venv", tmp_path / "calls.log"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\n'
                      'case "$*" in *assignment.calibrate*) exit "${REFUSE:-0}";; esac\n')
    python.chmod(0o755)
    (venv / ".installed").touch()  # newer than the pins: make sets up no environment
    return venv, log


def called_modules(log: Path) -> list[str]:
    """The modules run, less a build of the handout before calibrating (make's, when the generated reference is older
    than its source)."""
    modules = [line.split()[1] for line in log.read_text().splitlines()]
    if modules[1:3] == ["assignment.build", "assignment.calibrate"]:
        del modules[1]
    return modules


def test_make_corpus_runs_the_stages_in_order_and_ends_with_the_comparison(stand_in_venv):
    venv, log = stand_in_venv
    ran = make("corpus", "TEXT=my_course_text.txt", f"VENV={venv}")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    modules = [m for m in called_modules(log) if m != "autograder.package.build_zip"]  # only when the zip is stale
    assert modules == ["assignment.corpus", "assignment.calibrate", "assignment.build",
                       "autograder.package.export_checker", "assignment.calibration_diff"]
    assert "--write" in log.read_text().splitlines()[1].split()
    assert f"calibration_diff {CONFIG_BEFORE.relative_to(REPO)} autograder/config.json" in log.read_text()
    assert not CONFIG_BEFORE.exists()


def test_a_refused_calibration_stops_make_corpus_and_says_what_to_do(stand_in_venv):
    venv, log = stand_in_venv
    config = CONFIG.read_bytes()
    ran = make("corpus", "TEXT=my_course_text.txt", f"VENV={venv}", REFUSE="1")
    assert ran.returncode != 0
    assert called_modules(log) == ["assignment.corpus", "assignment.calibrate"]  # no stencil, no zip, no comparison
    assert "make corpus stopped" in ran.stdout and "git checkout -- stencil/data solution/data" in ran.stdout
    assert CONFIG.read_bytes() == config
    assert not CONFIG_BEFORE.exists()
