"""One grading session: the submission, the expected values, and each part's child run.

Graded tests ask the session for a part (`session.part("lstm")`); the first ask
runs that part's probes on the student's code in a sandboxed child, later asks
reuse the answers. A part's answers explain themselves: asking for an output that
is missing raises CheckFailed saying why (not defined, raised an error, ran out of
time or memory, …), so every test fails with a message a student can act on.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autograder import data
from autograder.cases import PARTS, make_case_set
from autograder.feedback import CheckFailed
from autograder.sandbox import ChildRun, Limits, run_child
from autograder.submission import Chunk, SubmissionError, find_submission, graded_chunks, read_cells

ENDINGS = {
    "wall-time": "ran out of time: it was stopped after {wall:.0f} s of wall-clock time",
    "cpu-time": "ran out of time: it used its budget of {cpu:.0f} CPU-seconds",
    "memory": ("used {memory:.0f} MB of memory, over the autograder's memory budget, and was stopped "
               "(for training: a smaller hidden_sz, embedding_sz or batch_sz needs less)"),
    "killed": "was killed by signal {signal} (signal 9 usually means the machine ran out of memory)",
    "exited": "ended the process (exit status {code}) before this check ran",
    "finished": "ended the process before this check ran",
}


@dataclass
class Bundle:
    """What `make autograder` ships: configuration, expected values and data, all read-only."""

    root: Path  # the autograder's source folder (/autograder/source on Gradescope)
    config: dict = field(init=False)
    expected: dict = field(init=False)
    expected_info: dict = field(init=False)

    def __post_init__(self):
        self.config = json.loads((self.root / "config.json").read_text())
        self.expected, self.expected_info = read_expected(self.root / "expected" / "expected.json")

    @property
    def data(self) -> Path:
        """The corpus: shipped in the zip, or the stencil's own data/ folder for the local checker."""
        return self.root / self.config["data_dir"]

    @property
    def public_only(self) -> bool:
        """The students' local checker ships visible cases only."""
        return not self.config.get("hidden_seed")


SIGNIFICANT_DIGITS = 7  # far finer than the checks' tolerance, coarse enough to be reproducible


def write_expected(path: Path, arrays: dict, info: dict) -> None:
    """The reference's answers as plain JSON: readable, diffable, and no pickle anywhere."""
    encoded = {name: {"dtype": str(array.dtype), "shape": list(array.shape),
                      "data": [float(f"{v:.{SIGNIFICANT_DIGITS}g}") if array.dtype.kind == "f" else int(v) for v in array.ravel()]}
               for name, array in sorted(arrays.items())}
    path.write_text(json.dumps({"arrays": encoded, "info": info}, sort_keys=True, separators=(",", ":")) + "\n")


def read_expected(path: Path) -> tuple[dict, dict]:
    loaded = json.loads(path.read_text())
    arrays = {name: np.array(entry["data"], dtype=entry["dtype"]).reshape(entry["shape"]) for name, entry in loaded["arrays"].items()}
    return arrays, loaded["info"]


class PartAnswers:
    """The outputs of one part's probes, with an explanation for anything missing."""

    def __init__(self, part: str, run: ChildRun | None, problem: str | None = None):
        self.part, self.run, self.problem = part, run, problem

    def _why_missing(self, case: str) -> str:
        if self.problem:
            return self.problem
        report = self.run.report
        if self.raised(case):
            return _explain_error(report["errors"][case], report.get("load_notes", []))
        if case in report.get("finished", []):
            return "Your code returned nothing usable for this check."
        if not report:
            detail = _ending(self.run)
            return (f"Your notebook could not be loaded: the process {detail}. "
                    "Make sure top-level code does not exit or crash."
                    + _printed(self.run))
        running = next((c for c in self.run.report.get("running_order", []) if c not in report.get("finished", [])), None)
        detail = _ending(self.run)
        if running is None or running == case:
            return f"While running this check, your code {detail}." + _printed(self.run)
        return f"This check did not run: during an earlier check of this part your code {detail}."

    def get(self, case: str, name: str):
        if self.run is not None and f"{case}:{name}" in self.run.outputs:
            return self.run.outputs[f"{case}:{name}"]
        raise CheckFailed(self._why_missing(case))

    def info(self, case: str):
        return (self.run.report.get("info", {}) if self.run else {}).get(case)

    def raised(self, case: str) -> bool:
        return self.run is not None and case in self.run.report.get("errors", {})

    def ran_cleanly(self, case: str) -> bool:
        return (not self.problem and self.run is not None and not self.raised(case)
                and case in self.run.report.get("finished", []))

    def require(self, case: str) -> None:
        """Fail with the reason if the case did not finish cleanly."""
        if not self.ran_cleanly(case):
            raise CheckFailed(self._why_missing(case))


def _ending(run: ChildRun) -> str:
    code = run.returncode if run.returncode is not None else 0
    return ENDINGS[run.ending].format(wall=run.wall_seconds, cpu=run.cpu_seconds, memory=run.peak_memory_mb,
                                      signal=-code, code=code)


def _printed(run: ChildRun) -> str:
    if not run.printed.strip():
        return ""
    return f"\n\nThe last lines it printed:\n```\n{run.printed[-1500:].strip()}\n```"


_UNDEFINED = re.compile(r"module 'language_model' has no attribute '(\w+)'")


def _explain_error(trace: str, load_notes: list[str]) -> str:
    undefined = _UNDEFINED.search(trace)
    if undefined:
        name = undefined.group(1)
        text = f"Your submission does not define `{name}`, which the contract requires."
        related = [note for note in load_notes if name in note]
        return text + ("\n\nWhile loading your code:\n```\n" + "\n".join(related)[-1500:] + "\n```" if related else "")
    if "NotImplementedError" in trace:
        return "This part is still a TODO: it raised NotImplementedError.\n```\n" + trace[-1000:] + "\n```"
    return "Your code raised an error:\n```\n" + trace + "\n```"


class Session:
    """Everything one grading run knows; parts run lazily and at most once."""

    def __init__(self, bundle: Bundle, submission_path: Path):
        self.bundle = bundle
        self.started = time.time()
        self.answers: dict[str, PartAnswers] = {}
        self.chunks: list[Chunk] = []
        self.notes: list[str] = []
        self.problem: str | None = None
        self.runs: dict[str, ChildRun] = {}
        self.inputs: dict[str, dict] = {}  # each part's case arrays, for diagnoses
        self.phases: dict[str, dict] = {}  # wall-clock start/end and CPU of each phase, for `make bench`
        try:
            self.submission = find_submission(submission_path)
            self.chunks, self.notes = graded_chunks(read_cells(self.submission))
            if not self.chunks:
                self.problem = (f"`{self.submission.name}` defines nothing we can grade: it has no top-level "
                                "imports, functions, classes or UPPER_CASE assignments.")
        except SubmissionError as error:
            self.problem = str(error)

    def specs_and_arrays(self, part: str):
        config = self.bundle.config
        specs, arrays = make_case_set(part, config.get("hidden_seed"))
        if part == "train":
            vocab = data.load_vocab(self.bundle.data / "vocab.txt")
            arrays = {"train:ids": data.load_ids(self.bundle.data / "train.txt", vocab)}
            specs = [{"id": "train", "kind": "train", "part": "train", "vocab_sz": len(vocab), "seed": config["train_seed"],
                      "limits": {"max_width": config["max_width"]}}]
        return specs, arrays

    def limits(self, part: str) -> Limits:
        config = self.bundle.config
        budget = config["limits"][part]
        remaining = config["deadline_seconds"] - (time.time() - self.started)
        return Limits(cpu_seconds=budget["cpu_seconds"], wall_seconds=max(1.0, min(budget["wall_seconds"], remaining)),
                      memory_mb=config["memory_mb"], threads=config["threads"])

    def part(self, part: str) -> PartAnswers:
        if part not in self.answers:
            self.answers[part] = self._run(part)
        return self.answers[part]

    def _run(self, part: str) -> PartAnswers:
        if self.problem:
            return PartAnswers(part, None, self.problem)
        limits = self.limits(part)
        if limits.wall_seconds <= 1.0:
            return PartAnswers(part, None, "This part was not graded: the earlier parts used up the autograder's time budget.")
        specs, arrays = self.specs_and_arrays(part)
        self.inputs[part] = arrays
        job = {"chunks": [chunk.__dict__ for chunk in self.chunks], "specs": specs,
               "seed": self.bundle.config["train_seed"], "threads": limits.threads}
        started = time.time()
        run = run_child(job, arrays, limits)
        self.phases[part] = {"start": started, "end": time.time(), "cpu": run.cpu_seconds}
        run.report["running_order"] = [spec["id"] for spec in specs]
        self.runs[part] = run
        return PartAnswers(part, run)

    def expected(self, case: str, name: str):
        return self.bundle.expected[f"{case}:{name}"]

    def expected_info(self, case: str):
        return self.bundle.expected_info.get(case)


__all__ = ["Bundle", "Session", "PartAnswers", "PARTS"]
