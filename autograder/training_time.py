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
import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from autograder import sandbox
from autograder.feedback import CheckFailed
from autograder.grade import protect
from autograder.session import Bundle, Session

# A CPU-second is not a fixed amount of work: the same training took 1.8x the CPU-seconds on this kit's Intel Xeon
# as on an AMD EPYC, and Gradescope's processor is not known in advance. A projection "fits" only when it would
# still fit on a processor that much slower; past that share of the budget it is too close to call.
PROCESSOR_SPREAD = 1.8
SAFE_SHARE = 1 / PROCESSOR_SPREAD
CHEAPER_EPOCH = "make an epoch cheaper: a smaller `hidden_sz` or `embedding_sz`, or a larger `batch_sz`"
HOW_TIMED = ("Timed as Gradescope times it: one CPU thread, in CPU-seconds, which a busy machine inflates little. "
             "The first epoch also builds and compiles the model, so the projection errs on the safe side. How far to "
             f"trust it: processors differ (one needed {PROCESSOR_SPREAD:g}x the CPU-seconds of another for the same "
             f"training), so \"it fits\" means it would fit on a processor {PROCESSOR_SPREAD:g}x slower than this one.")


@dataclass(frozen=True)
class Estimate:
    budget_cpu_seconds: float
    epoch_cpu_seconds: float | None = None  # None: no epoch could be timed (see problem)
    epochs: int | None = None
    problem: str | None = None

    @property
    def projected_cpu_seconds(self) -> float | None:
        return None if self.epoch_cpu_seconds is None or self.epochs is None else self.epochs * self.epoch_cpu_seconds

    @property
    def verdict(self) -> str:
        """fits, close (over SAFE_SHARE of the budget), over (the budget), or unknown (no epoch timed)."""
        projected = self.projected_cpu_seconds
        if projected is None:
            return "unknown"
        if projected > self.budget_cpu_seconds:
            return "over"
        return "close" if projected > SAFE_SHARE * self.budget_cpu_seconds else "fits"

    @property
    def epochs_that_fit(self) -> int | None:
        """The most epochs whose projection stays within SAFE_SHARE of the budget."""
        if not self.epoch_cpu_seconds:
            return None
        return math.floor(SAFE_SHARE * self.budget_cpu_seconds / self.epoch_cpu_seconds)

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
        safe = f"{SAFE_SHARE * self.budget_cpu_seconds:.0f} CPU-s"
        if self.verdict == "fits":
            return f"{projection} **it fits.**\n\n{HOW_TIMED}"
        room = (f"use at most {self.epochs_that_fit} {'epoch' if self.epochs_that_fit == 1 else 'epochs'} "
                f"(about {self.epochs_that_fit * self.epoch_cpu_seconds:.0f} CPU-s), or "
                if self.epochs_that_fit else f"even one epoch is more than {safe}, so ")
        if self.verdict == "close":
            return (f"{projection} **that is too close to the budget**: it fits on this processor, but Gradescope's may "
                    f"need up to {PROCESSOR_SPREAD:g}x as many CPU-seconds. To keep under {safe}, "
                    f"{room}{CHEAPER_EPOCH}.\n\n{HOW_TIMED}")
        return f"{projection} **it does not fit.** To keep under {safe}, {room}{CHEAPER_EPOCH}.\n\n{HOW_TIMED}"

    def as_json(self) -> dict:
        return {**asdict(self), "projected_cpu_seconds": self.projected_cpu_seconds, "verdict": self.verdict,
                "epochs_that_fit": self.epochs_that_fit, "message": self.message()}


def estimate(session: Session) -> Estimate:
    """Train one epoch of the submission in a child and read what it cost; the child's report is only checked, never trusted."""
    budget = float(session.bundle.config["limits"]["train"]["cpu_seconds"])
    answers = session.time_one_epoch()
    run = answers.run
    if run is not None and run.ending == "cpu-time" and run.stage == "train":
        return Estimate(budget, problem=f"One epoch used all {budget:g} CPU-seconds training may use, and was stopped: "
                                       f"{CHEAPER_EPOCH}.")
    try:
        answers.require("train")
    except CheckFailed as failure:
        return Estimate(budget, problem=str(failure))
    epochs = (answers.info("hparams") or {}).get("epochs")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or not 0 <= epochs <= 10**6:
        return Estimate(budget, problem=f"`HPARAMS['epochs']` must be a whole number of epochs; it is {epochs!r}.")
    return Estimate(budget, epoch_cpu_seconds=round(run.stage_cpu_seconds.get("train", 0.0), 1), epochs=epochs)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="folder laid out like /autograder")
    root = parser.parse_args(argv).root.resolve()
    sandbox.become_subreaper()
    workspace = protect(root)
    session = Session(Bundle(root / "source"), root / "submission", workspace, parts={"train"})
    result = estimate(session)
    (root / "results" / "training_time.json").write_text(json.dumps(result.as_json(), indent=1) + "\n")
    print(result.message())
    return 0


if __name__ == "__main__":
    sys.exit(main())
