"""The students' training timer (check.py's time_training): one epoch timed in the sandbox, projected against the budget.

The end-to-end tests train one epoch of the reference each (about 30 CPU-seconds); the
projection's arithmetic and messages are tested on their own, without training.
"""

import importlib.util
import json

import pytest

from autograder.parts import budget
from autograder.training_time import SAFE_SHARE, Estimate
from conftest import REFERENCE_NOTEBOOK, REPO

BUDGET = budget("train", json.loads((REPO / "autograder" / "config.json").read_text()))


@pytest.fixture(scope="module")
def students_checker(students_folder):
    """check.py as a student's notebook imports it from the unpacked stencil; it runs the judge, and the judge the
    code, in processes of their own."""
    spec = importlib.util.spec_from_file_location("students_check", students_folder / "check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference_with_epochs(folder, epochs: int):
    source = (REPO / "solution" / "language_model.py").read_text()
    assert source.count('"epochs": 2,') == 1, "the reference's HPARAMS changed: update this test"
    path = folder / "language_model.py"
    path.write_text(source.replace('"epochs": 2,', f'"epochs": {epochs},'))
    return path


@pytest.mark.xdist_group("checker")
def test_the_reference_fits_its_budget_and_its_projection_is_its_epochs_times_one_epoch(students_checker):
    estimate = students_checker.time_training(notebook=REFERENCE_NOTEBOOK)
    assert estimate["problem"] is None, estimate["message"]
    assert estimate["budget_cpu_seconds"] == BUDGET
    assert estimate["epochs"] == 2  # the reference's HPARAMS
    assert estimate["epoch_cpu_seconds"] > 0
    assert estimate["projected_cpu_seconds"] == pytest.approx(2 * estimate["epoch_cpu_seconds"])
    assert estimate["verdict"] in ("fits", "close"), estimate["message"]  # calibration keeps the reference within the budget
    assert estimate["projected_cpu_seconds"] <= BUDGET
    assert f"of the {BUDGET:g} CPU-seconds" in estimate["message"]


@pytest.mark.xdist_group("checker")
def test_hparams_with_too_many_epochs_do_not_fit_and_the_timer_says_how_many_do(students_checker, tmp_path):
    estimate = students_checker.time_training(notebook=reference_with_epochs(tmp_path, 40))
    assert estimate["epochs"] == 40
    assert estimate["verdict"] == "over", estimate["message"]
    assert estimate["projected_cpu_seconds"] > BUDGET
    fit = estimate["epochs_that_fit"]
    assert fit < 40 and fit * estimate["epoch_cpu_seconds"] <= SAFE_SHARE * BUDGET
    assert "does not fit" in estimate["message"] and f"at most {fit} epochs" in estimate["message"]


def test_an_error_in_the_students_code_is_reported_instead_of_a_time(students_checker, tmp_path):
    path = tmp_path / "language_model.py"
    path.write_text((REPO / "solution" / "language_model.py").read_text().replace("HPARAMS = {", "HPARAMS_TYPO = {"))
    estimate = students_checker.time_training(notebook=path)
    assert estimate["verdict"] == "unknown" and estimate["epoch_cpu_seconds"] is None
    assert "HPARAMS" in estimate["problem"] and "could not be timed" in estimate["message"]


@pytest.mark.parametrize("epochs, budget_share, verdict", [
    (2, 0.25, "fits"),
    (1, 0.55, "fits"),
    (2, 0.3, "close"),  # 90 of 150 here: 162 on a processor 1.8x slower
    (2, 0.45, "close"),
    (1, 1.0, "close"),  # all of the budget: too close to call
    (3, 0.37, "over"),
])
def test_the_verdict_compares_the_projection_with_the_budget(epochs, budget_share, verdict):
    epoch_cpu = budget_share * BUDGET
    estimate = Estimate(BUDGET, epoch_cpu_seconds=epoch_cpu, epochs=epochs)
    assert estimate.projected_cpu_seconds == pytest.approx(epochs * epoch_cpu)
    assert estimate.verdict == verdict
    assert estimate.epochs_that_fit * epoch_cpu <= SAFE_SHARE * BUDGET < (estimate.epochs_that_fit + 1) * epoch_cpu


def test_when_even_one_epoch_is_too_much_the_timer_asks_for_a_cheaper_epoch():
    message = Estimate(BUDGET, epoch_cpu_seconds=BUDGET, epochs=5).message()
    assert "even one epoch" in message and "hidden_sz" in message and "at most" not in message


def test_zero_epochs_is_named_rather_than_called_a_fit():
    estimate = Estimate(BUDGET, epoch_cpu_seconds=10.0, epochs=0)
    assert "is 0" in estimate.message() and "fits" not in estimate.message()


def test_one_epoch_that_fits_is_one_epoch_not_one_epochs():
    message = Estimate(BUDGET, epoch_cpu_seconds=0.5 * BUDGET, epochs=20).message()
    assert "use at most 1 epoch (about" in message and "1 epochs" not in message


def test_fits_leaves_room_for_a_processor_1_8_times_slower():
    """A student's projection that fits here must not time out on a slower processor at Gradescope."""
    fits = Estimate(BUDGET, epoch_cpu_seconds=BUDGET / 1.8 / 4, epochs=4)
    assert fits.verdict == "fits" and fits.projected_cpu_seconds * 1.8 <= BUDGET + 1e-9
    close = Estimate(BUDGET, epoch_cpu_seconds=11.2 * 2, epochs=4)  # the trial's laptop: 92 here, 84 on Gradescope
    assert close.verdict == "close" and "up to 1.8x as many CPU-seconds" in close.message()
    assert "How far to trust this figure for Gradescope" in fits.message()
