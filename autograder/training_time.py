"""Will the student's training fit its budget? One epoch timed as the judge times it, then projected.

    python -m autograder.training_time --root ROOT

ROOT is laid out as for autograder.grade (the students' checker lays it out: see
check.py's time_training). A sandboxed child trains the student's model with their
`train` and HPARAMS for one epoch, exactly as the train part does (one thread, the
training split, the same limits); the judge charges it the CPU seconds it measured.
HPARAMS["epochs"] such epochs are projected against the training budget in
config.json. The verdict goes to results/training_time.json and is printed.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from autograder import sandbox
from autograder.feedback import CheckFailed
from autograder.grade import protect
from autograder.session import TRAINING, Bundle, Session

# A CPU-second is not a fixed amount of work: the same training took 1.8x the CPU-seconds on this kit's Intel Xeon
# as on an AMD EPYC, and Gradescope's processor is not known in advance. A projection "fits" only when it would
# still fit on a processor that much slower; past that share of the budget it is too close to call.
PROCESSOR_SPREAD = 1.8
SAFE_SHARE = 1 / PROCESSOR_SPREAD
# Package versions change it more: one epoch of the reference took 14.0 CPU-seconds with Keras 3.15.1 and 26.3 with
# Gradescope's Keras 3.12.4 (25.9 with Keras 3.12.4 on the other's TensorFlow 2.20, NumPy 2.5 and Python 3.12: Keras
# is the cause), side by side on an AMD EPYC under load. With other versions than Gradescope's, allow twice as much.
VERSION_SPREAD = 2.0
TIMED_BY = ("tensorflow", "keras", "numpy")  # the packages that set how many CPU-seconds training takes
CHEAPER_EPOCH = "make an epoch cheaper: a smaller `hidden_sz` or `embedding_sz`, or a larger `batch_sz`"
HOW_TIMED = ("Timed as Gradescope times it: one CPU thread, in CPU-seconds, which a busy machine inflates little. "
             "The first epoch also builds and compiles the model, so the projection errs on the safe side; "
             "\"it fits\" leaves room for what the note below says.")


def other_versions(graded_with: dict) -> list[str]:
    """The packages this Python trains with at other versions than Gradescope's (`graded_with`: {package: version})."""
    differ = []
    for package, version in graded_with.items():
        here = None
        for name in (package, f"{package}-cpu") if package == "tensorflow" else (package,):
            try:
                here = importlib.metadata.version(name)
                break
            except importlib.metadata.PackageNotFoundError:
                continue
        if here != version:
            differ.append(f"{package} {here} (Gradescope: {version})")
    return differ


def trust_note(budget: float, versions: list[str]) -> str:
    """How far CPU-seconds measured on the student's machine carry to Gradescope's."""
    note = (f"How far to trust this figure for Gradescope: processors differ, and Gradescope's may need up to "
            f"{PROCESSOR_SPREAD:g}x the CPU-seconds measured here")
    if not versions:
        return note + f", so above {budget / PROCESSOR_SPREAD:.0f} CPU-seconds here your training may run out of time there."
    margin = PROCESSOR_SPREAD * VERSION_SPREAD
    return (note + f"; and this Python trains with {', '.join(versions)}: Keras 3.15 trained the reference in about half "
            f"the CPU-seconds of Gradescope's Keras 3.12. So above {budget / margin:.0f} CPU-seconds here your training "
            "may run out of time there. For a closer figure, train with Gradescope's versions (on a laptop: "
            "`pip install -r requirements.txt` in a fresh environment).")


@dataclass(frozen=True)
class Estimate:
    budget_cpu_seconds: float
    epoch_cpu_seconds: float | None = None  # None: no epoch could be timed (see problem)
    epochs: int | None = None
    problem: str | None = None
    other_versions: tuple = ()  # what this Python trains with that Gradescope does not (see other_versions())

    @property
    def safe_share(self) -> float:
        """The share of the budget a projection may reach here and still fit at Gradescope."""
        return SAFE_SHARE / (VERSION_SPREAD if self.other_versions else 1.0)

    @property
    def projected_cpu_seconds(self) -> float | None:
        return None if self.epoch_cpu_seconds is None or self.epochs is None else self.epochs * self.epoch_cpu_seconds

    @property
    def verdict(self) -> str:
        """fits, close (over safe_share of the budget), over (the budget), or unknown (no epoch timed)."""
        projected = self.projected_cpu_seconds
        if projected is None:
            return "unknown"
        if projected > self.budget_cpu_seconds:
            return "over"
        return "close" if projected > self.safe_share * self.budget_cpu_seconds else "fits"

    @property
    def epochs_that_fit(self) -> int | None:
        """The most epochs whose projection stays within safe_share of the budget."""
        if not self.epoch_cpu_seconds:
            return None
        return math.floor(self.safe_share * self.budget_cpu_seconds / self.epoch_cpu_seconds)

    def message(self) -> str:
        budget = f"{self.budget_cpu_seconds:g} CPU-seconds"
        if self.problem:
            return f"**Training could not be timed.** {self.problem}"
        epoch = f"**One epoch: {self.epoch_cpu_seconds:.1f} CPU-s.**"
        if self.epochs == 0:
            return f"{epoch} Your `HPARAMS['epochs']` is 0, so the autograder would not train your model at all."
        plural = "epoch" if self.epochs == 1 else "epochs"
        projection = (f"{epoch} Your {self.epochs} {plural} need about {self.projected_cpu_seconds:.0f} of the {budget} "
                      "training may use on Gradescope:")
        safe = f"{self.safe_share * self.budget_cpu_seconds:.0f} CPU-s"
        trust = HOW_TIMED + "\n\n" + trust_note(self.budget_cpu_seconds, list(self.other_versions))
        if self.verdict == "fits":
            return f"{projection} **it fits.**\n\n{trust}"
        room = (f"use at most {self.epochs_that_fit} {'epoch' if self.epochs_that_fit == 1 else 'epochs'} "
                f"(about {self.epochs_that_fit * self.epoch_cpu_seconds:.0f} CPU-s), or "
                if self.epochs_that_fit else f"even one epoch is more than {safe}, so ")
        if self.verdict == "close":
            return (f"{projection} **that is too close to the budget**: it fits here, but Gradescope's processor "
                    f"may need up to {PROCESSOR_SPREAD:g}x as many CPU-seconds"
                    + (" and its package versions more (see below)" if self.other_versions else "")
                    + f". To keep under {safe}, {room}{CHEAPER_EPOCH}.\n\n{trust}")
        return f"{projection} **it does not fit.** To keep under {safe}, {room}{CHEAPER_EPOCH}.\n\n{trust}"

    def as_json(self) -> dict:
        return {**asdict(self), "projected_cpu_seconds": self.projected_cpu_seconds, "verdict": self.verdict,
                "epochs_that_fit": self.epochs_that_fit, "message": self.message()}


def estimate(session: Session) -> Estimate:
    """Train one epoch of the submission in a child and read what it cost; the child's report is only checked, never trusted."""
    budget = session.bundle.budget(TRAINING.name)
    answers = session.time_one_epoch()
    run = answers.run
    if run is not None and run.ending == "cpu-time" and run.stage == TRAINING.name:
        return Estimate(budget, problem=f"One epoch used all {budget:g} CPU-seconds training may use, and was stopped: "
                                       f"{CHEAPER_EPOCH}.")
    try:
        answers.require(TRAINING.name)
    except CheckFailed as failure:
        return Estimate(budget, problem=str(failure))
    epochs = (answers.info("hparams") or {}).get("epochs")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or not 0 <= epochs <= 10**6:
        return Estimate(budget, problem=f"`HPARAMS['epochs']` must be a whole number of epochs; it is {epochs!r}.")
    return Estimate(budget, epoch_cpu_seconds=round(run.stage_cpu_seconds.get(TRAINING.name, 0.0), 1), epochs=epochs,
                    other_versions=tuple(other_versions(session.bundle.config.get("graded_with", {}))))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="folder laid out like /autograder")
    root = parser.parse_args(argv).root.resolve()
    sandbox.become_subreaper()
    workspace = protect(root)
    session = Session(Bundle(root / "source"), root / "submission", workspace, parts={TRAINING.name})
    result = estimate(session)
    (root / "results" / "training_time.json").write_text(json.dumps(result.as_json(), indent=1) + "\n")
    print(result.message())
    return 0


if __name__ == "__main__":
    sys.exit(main())
