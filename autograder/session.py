"""One grading session: the submission, the expected values, and each part's child run.

Graded tests ask the session for a part (`session.part(name)`); the first ask
runs that part's probes on the student's code in a sandboxed child, later asks
reuse the answers. A part's answers explain themselves: asking for an output that
is missing raises CheckFailed saying why (not defined, raised an error, ran out of
time or memory, …), so every test fails with a message a student can act on.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autograder import data
from autograder.cases import make_case_set, output_names, stand_in
from autograder.diagnose import error_mistake
from autograder.feedback import CheckFailed, fenced
from autograder.parts import CELLS, FROM_SCRATCH_LAYERS, LOOP_ADVICE, NAMES, PARTS, budget
from autograder.parts import get as get_part
from autograder.parts.from_scratch import reader_rule, tripwire_rule
from autograder.sandbox import ChildRun, Expect, Limits, Stage, cpu_share, run_child, wall_allowance
from autograder.submission import (CANDIDATE_SUFFIXES, MAX_LARGE_LITERALS, Chunk, SubmissionError, find_submission,
                                   read_submission_bytes, shown_name)

ENDINGS = {
    "wall-time": ("was stopped after {wall:.0f} s of wall-clock time while it had used only {cpu:.0f} CPU-seconds: "
                  "it was waiting rather than computing (sleeping, or blocked reading input)"),
    "cpu-time": ("ran out of time: it used all {budget:.0f} CPU-seconds this part may use (the budget counts computation "
                 "only, so a slow or busy machine does not count against you). {advice}"),
    "memory": ("used {memory:.0f} MB of memory, over the autograder's memory budget of {limit:.0f} MB, and was stopped "
               "(for training: a smaller hidden_sz, embedding_sz or batch_sz needs less)"),
    "killed": "was killed by signal {signal} (signal 9 usually means the machine ran out of memory)",
    "exited": "ended the process (exit status {code}) before this check ran",
    "finished": "ended the process before this check ran",
}
NOT_FROM_SCRATCH = "not-from-scratch"  # the diagnosis label of a layer built on Keras's recurrent layers
WEIGHTS = ("embedding", "kernel", "recurrent_kernel", "bias", "classifier_kernel", "classifier_bias")  # Keras's layout
# The from-scratch layers run first: the child's tripwire is armed from loading the notebook to the last of them,
# and must never follow a part that ran Keras's own recurrent layers (a function traced then would carry them in).
RUN_ORDER = tuple(sorted(NAMES, key=lambda name: not get_part(name).from_scratch))
TRAINING = next((part for part in PARTS if part.kind == "training"), None)  # what `time_training()` times
ARRAY_SLACK = 16  # a wrong answer may be bigger than the right one (overlapping windows); still read, to say so

# What the judge accepts in a child's report: every string it may show is bounded, and every
# name it may print matches a plain pattern, so a report cannot inject Markdown or flood memory.
_NAME = {"type": "string", "pattern": r"^[A-Za-z_][\w.]{0,80}$"}
_TEXT = {"type": "string", "maxLength": 20_000}
_INFO = {"type": "object", "additionalProperties": False, "properties": {
    "kind": _NAME, "count": {"type": "integer", "minimum": 0, "maximum": 10**9},
    "types": {"type": "array", "maxItems": 16, "items": _NAME},
    "no_gradient": {"type": "array", "maxItems": 32, "items": _NAME}}}
_HPARAM = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^[\w.+-]{0,40}$"}, {"type": "boolean"}, {"type": "null"}]}
PART_REPORT_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["load_notes", "errors", "info", "finished"],
    "properties": {
        "load_notes": {"type": "array", "maxItems": 500, "items": _TEXT},
        "errors": {"type": "object", "maxProperties": 100, "additionalProperties": _TEXT},
        "finished": {"type": "array", "maxItems": 100, "items": {"type": "string", "maxLength": 200}},
        "info": {"type": "object", "maxProperties": 100, "properties": {
            "hparams": {"type": "object", "maxProperties": 16, "additionalProperties": _HPARAM},
            "losses": {"anyOf": [{"type": "array", "maxItems": 100_000,
                                  "items": {"anyOf": [{"type": "number"}, {"type": "string", "maxLength": 20}]}},
                                 {"type": "string", "maxLength": 300}]}},
            "additionalProperties": _INFO}}}
READER_REPORT_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["chunks", "notes", "problem", "recurrent_helpers", "large_literals"],
    "properties": {
        "chunks": {"type": "array", "maxItems": 100_000, "items": {
            "type": "object", "additionalProperties": False, "required": ["label", "first_line", "source"],
            "properties": {"label": {"type": "string", "pattern": r"^[\w .()\[\]+-]{1,100}$"},
                           "first_line": {"type": "integer", "minimum": 1}, "source": {"type": "string"}}}},
        "notes": {"type": "array", "maxItems": 10_000, "items": {"type": "string", "maxLength": 2000}},
        "problem": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 5000}]},
        "recurrent_helpers": {"type": "object", "additionalProperties": False,
                              "properties": {name: {"type": "array", "maxItems": 32, "items": _NAME}
                                             for name in FROM_SCRATCH_LAYERS.values()}},
        "large_literals": {"type": "array", "maxItems": MAX_LARGE_LITERALS, "items": {
            "type": "object", "additionalProperties": False, "required": ["line", "kind", "size"],
            "properties": {"line": {"type": "integer", "minimum": 1, "maximum": 10**9},
                           "kind": {"enum": ["str", "bytes", "list", "tuple", "set", "dict"]},
                           "size": {"type": "integer", "minimum": 0, "maximum": 10**9}}}}}}
READER_LIMITS = Limits(cpu_seconds=30, wall_seconds=60, memory_mb=500)
RESULTS_MARGIN_SECONDS = 45  # of Gradescope's timeout, kept for writing results.json
MIN_CHILD_SECONDS = 15  # a child needs this long just to start TensorFlow
START_UP_CPU_SECONDS = 30  # importing TensorFlow and loading the notebook, charged apart when training is timed
MAX_CHUNK_BYTES = 40_000_000


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

    def budget(self, part: str) -> float:
        return budget(part, self.config)

    @property
    def public_only(self) -> bool:
        """The students' local checker ships visible cases only."""
        return not self.config.get("hidden_seed")


SIGNIFICANT_DIGITS = 7  # far finer than the checks' tolerance, coarse enough to be reproducible


def write_expected(path: Path, arrays: dict, info: dict, previous: dict | None = None) -> None:
    """The reference's answers as plain JSON: readable, diffable, and no pickle anywhere.

    An answer within a hair of the one `previous` recorded (far inside the checks' tolerance)
    is written as recorded, so a rebuild on a machine whose float kernels round the last digit
    otherwise changes no byte: the same source always gives the same files.
    """
    previous = previous or {}
    kept = {}
    for name, array in arrays.items():
        old = previous.get(name)
        same_kind = old is not None and old.shape == array.shape and old.dtype == array.dtype
        if same_kind and (np.array_equal(old, array) or array.dtype.kind == "f" and np.allclose(old, array, rtol=1e-5, atol=1e-7)):
            array = old
        kept[name] = array
    encoded = {name: {"dtype": str(array.dtype), "shape": list(array.shape),
                      "data": [float(f"{v:.{SIGNIFICANT_DIGITS}g}") if array.dtype.kind == "f" else int(v) for v in array.ravel()]}
               for name, array in sorted(kept.items())}
    path.write_text(json.dumps({"arrays": encoded, "info": info}, sort_keys=True, separators=(",", ":")) + "\n")


def read_expected(path: Path) -> tuple[dict, dict]:
    loaded = json.loads(path.read_text())
    arrays = {name: np.array(entry["data"], dtype=entry["dtype"]).reshape(entry["shape"]) for name, entry in loaded["arrays"].items()}
    return arrays, loaded["info"]


class PartAnswers:
    """The outputs of one part's probes, with an explanation for anything missing."""

    def __init__(self, part: str, run: ChildRun | None, problem: str | None = None, budget: float = 0.0,
                 memory_limit: float = 0.0, order: tuple = (), diagnosis: str | None = None):
        self.part, self.run, self.problem = part, run, problem
        self.diagnosis = diagnosis  # the label of the mistake `problem` names, if it names one
        self.order = order  # the case ids of the child's job, in the order it ran them
        self.budget, self.memory_limit = budget, memory_limit  # the part's CPU seconds and the child's memory, for messages

    def _why_missing(self, case: str) -> str:
        if self.problem:
            return self.problem
        report = self.run.report
        if self.raised(case):
            return _explain_error(report["errors"][case], report.get("load_notes", []))
        if case in report.get("finished", []):
            return "Your code returned nothing usable for this check." + _refused(self.run)
        if not report and self.run.refused:
            return ("Your code's answers could not be used: the autograder refused what the process handed back: "
                    + "; ".join(self.run.refused) + ". Leave the grader's own files alone.")
        if not report:
            detail = self._ending()
            return (f"Your notebook could not be loaded: the process {_sentence(detail)} "
                    "Make sure top-level code does not exit or crash." + _refused(self.run) + _printed(self.run))
        running = next((c for c in self.order if c not in report.get("finished", [])), None)
        detail = self._ending()
        if running is None or running == case:
            return f"While running this check, your code {_sentence(detail)}" + _printed(self.run)
        return f"This check did not run: during an earlier check of this part your code {_sentence(detail)}"

    def get(self, case: str, name: str):
        if self.run is not None and f"{case}:{name}" in self.run.outputs:
            return self.run.outputs[f"{case}:{name}"]
        raise self._missing(case)

    def info(self, case: str):
        return (self.run.report.get("info", {}) if self.run else {}).get(case)

    def error(self, case: str) -> str:
        """The traceback of the error the case raised ("" if none): the student's text, to read, never to trust."""
        return self.run.report.get("errors", {}).get(case, "") if self.run is not None else ""

    def raised(self, case: str) -> bool:
        return self.run is not None and case in self.run.report.get("errors", {})

    def ran_cleanly(self, case: str) -> bool:
        return (not self.problem and self.run is not None and not self.raised(case)
                and case in self.run.report.get("finished", []))

    def require(self, case: str) -> None:
        """Fail with the reason if the case did not finish cleanly."""
        if not self.ran_cleanly(case):
            raise self._missing(case)

    def _missing(self, case: str) -> CheckFailed:
        if self.problem:
            return CheckFailed(self._why_missing(case), self.diagnosis)
        layer, helper = FROM_SCRATCH_LAYERS.get(self.part), _FAILED_HELPER.search(self.error(case))
        if layer and helper:  # the child's own words, which can only cost it the points the missing answer costs
            return CheckFailed(not_from_scratch(layer, [helper.group(1)], "when it ran"), NOT_FROM_SCRATCH)
        named = error_mistake(self.error(case))
        return CheckFailed(self._why_missing(case), named and named.label)


    def _ending(self) -> str:
        run = self.run
        code = run.returncode if run.returncode is not None else 0
        return ENDINGS[run.ending].format(wall=run.wall_seconds, cpu=run.cpu_seconds, memory=run.peak_memory_mb,
                                          limit=self.memory_limit, signal=-code, code=code, budget=self.budget,
                                          advice=get_part(self.part).cpu_advice if self.part in NAMES else LOOP_ADVICE)


def _sentence(text: str) -> str:
    """`text` ending with one full stop: an ending's own advice may end in one already."""
    return text if text.endswith((".", "!", "?")) else text + "."


def not_from_scratch(layer: str, helpers: list[str], how: str) -> str:
    named = ", ".join(f"`{helper}`" for helper in helpers)
    return (f"`{layer}` uses {named} ({how}): the contract asks for this layer from scratch, so its tests give no "
            "points. Compute each step with tensor operations (matrix products, activations) and loop over time "
            "yourself; Keras's and TensorFlow's recurrent layers, cells, `rnn` loops and fused kernels (such as "
            "`tf.raw_ops.BlockLSTM`) are not allowed here.")


# How the child's tripwire fails a recurrent helper while a from-scratch layer is graded (child/runner.py, NotFromScratch).
_FAILED_HELPER = re.compile(r"\b([A-Za-z_][\w.]{0,80}) is not allowed in a layer the contract asks for from scratch:")


def _reader_ending(run: ChildRun) -> str:
    return PartAnswers("read", run, budget=READER_LIMITS.cpu_seconds, memory_limit=READER_LIMITS.memory_mb)._ending()


# A library's warning, as Python prints it: "<path>/site-packages/keras/...py:938: UserWarning: ...", then the
# source line "  warnings.warn(". Keras's build() warning looks like a bug in the student's model; it is not.
_LIBRARY_WARNING = re.compile(r"^\S*[/\\](site|dist)-packages[/\\]\S+:\d+: \w*Warning: .*\n(  \S.*\n)?", re.MULTILINE)
# TensorFlow's and XLA's own log lines, in either of their formats: "2026-12-05 10:00:00.123456: E external/…/
# cuda_driver.cc:152] failed call to cuInit: …" and "W0000 00:00:1733412345.123456   12345 gpu_device.cc:2344] …",
# and absl's preamble. They say nothing about the student's code, which printed the lines around them.
_LIBRARY_LOG = re.compile(r"^((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: )?[IWEF]\d{0,4}[ \d:.]*[\w/.-]+\.(cc|h|py):\d+\] .*"
                          r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR)\n",
                          re.MULTILINE)


def _printed(run: ChildRun) -> str:
    """The end of what the student's code printed, without the libraries' warnings and logs."""
    printed = _LIBRARY_LOG.sub("", _LIBRARY_WARNING.sub("", run.printed + "\n")).strip()
    if not printed:
        return ""
    return "\n\nThe last lines it printed:\n" + fenced(printed[-1500:])


def _refused(run: ChildRun) -> str:
    if not run.refused:
        return ""
    return "\n\nThe autograder refused what your code handed back: " + "; ".join(run.refused) + "."


_UNDEFINED = re.compile(r"module 'language_model' has no attribute '(\w+)'")


def _explain_error(trace: str, load_notes: list[str]) -> str:
    undefined = _UNDEFINED.search(trace)
    if undefined:
        name = undefined.group(1)
        text = f"Your submission does not define `{name}`, which the contract requires."
        related = [note for note in load_notes if name in note]
        return text + ("\n\nWhile loading your code:\n" + fenced("\n".join(related)[-1500:]) if related else "")
    if "NotImplementedError" in trace:
        return "This part is still a TODO: it raised NotImplementedError.\n" + fenced(trace[-1000:])
    named = error_mistake(trace)
    if named:  # the fix first: a library's traceback names where it failed, not what to change
        return f"*Hint:* {named.sentence}\n\nYour code raised an error:\n" + fenced(trace)
    return "Your code raised an error:\n" + fenced(trace)


def _digest_seed(*parts) -> int:
    return int.from_bytes(hashlib.sha256(":".join(str(part) for part in parts).encode()).digest()[:8], "little")


class Session:
    """Everything one grading run knows; parts run lazily and at most once."""

    def __init__(self, bundle: Bundle, submission_path: Path, workspace: Path | None = None, parts=None):
        self.bundle = bundle
        self.selected = set(parts or NAMES)
        self.cpu_share, self.cpu_share_source = cpu_share()
        if workspace is None:  # children (another user, as root) traverse it to reach their own folder; none may list it
            workspace = Path(tempfile.mkdtemp(prefix="rnnkit-workspace-"))
            workspace.chmod(0o711)
        self.workspace = workspace
        self.started = time.time()
        self.answers: dict[str, PartAnswers] = {}
        self.chunks: list[Chunk] = []
        self.notes: list[str] = []
        self.recurrent_helpers: dict[str, list[str]] = {}
        self.large_literals: list[dict] = []  # for staff: data pasted into the code (weights, say); costs no points
        self.problem: str | None = None
        self.shown_name = "your submission"
        self.digest = ""
        self.runs: dict[str, ChildRun] = {}
        self.inputs: dict[str, dict] = {}  # each part's case arrays, for diagnoses
        self.phases: dict[str, dict] = {}  # wall-clock start/end and CPU of each phase, for `make bench`
        self.test_perplexity: float | None = None  # measured by the judge, kept for staff to re-score under another threshold
        self.state_reset_perplexity: float | None = None  # the same with the state reset before every step
        self.implausible: dict | None = None  # {"test_perplexity", "floor"} when far below the calibrated floor, for staff
        try:
            found = find_submission(submission_path)
            self.shown_name = shown_name(found.name)
            content = read_submission_bytes(found)
            self.digest = hashlib.sha256(content).hexdigest()
            self._read(content, found)
        except SubmissionError as error:
            self.problem = str(error)

    def _read(self, content: bytes, found: Path) -> None:
        """Parse the submission in the reader child: a parser can crash or eat memory, the judge must not."""
        file = "upload" + (found.suffix if found.suffix in CANDIDATE_SUFFIXES else ".py")  # never a name of the kit's child code
        job = {"kind": "read", "file": file, "name": found.name, "from_scratch": reader_rule(FROM_SCRATCH_LAYERS.values())}
        expect = Expect(report_schema=READER_REPORT_SCHEMA, report_bytes=MAX_CHUNK_BYTES)
        run = run_child(job, {}, READER_LIMITS, workspace=self.workspace, expect=expect, files={file: content})
        self.runs["read"] = run
        report = run.report
        if not report:
            why = ("reading it crashed the Python parser: look for a very long line or deeply nested brackets"
                   if run.ending in ("killed", "exited") else f"reading it {_reader_ending(run)}")
            raise SubmissionError(f"{self.shown_name} could not be read: {why}. Make sure it is your notebook as "
                                  "Jupyter or Colab saves it." + _refused(run))
        if report["problem"]:
            raise SubmissionError(report["problem"])
        self.chunks = [Chunk(**chunk) for chunk in report["chunks"]]
        self.notes = report["notes"]
        self.recurrent_helpers = report["recurrent_helpers"]
        self.large_literals = report["large_literals"]

    def specs_and_arrays(self, name: str):
        config, part = self.bundle.config, get_part(name)
        if part.kind != "training":
            return make_case_set(part, config.get("hidden_seed"))
        vocab = data.load_vocab(self.bundle.data / "vocab.txt")
        arrays = {f"{name}:ids": self.relabel(data.load_ids(self.bundle.data / "train.txt", vocab))}
        return [{"id": name, "kind": "training", "part": name, "function": part.function, "vocab_sz": len(vocab),
                 "seed": config["train_seed"], "cells": {cell: stand_in(cell) for cell in CELLS},
                 "limits": {"max_width": config["max_width"]}}], arrays

    def relabel(self, ids: np.ndarray) -> np.ndarray:
        """Token ids under a relabelling of the vocabulary secret to this grading (the same for the same file).

        A model trained from scratch does as well under any labelling; weights trained
        elsewhere and shipped inside a notebook do not, so the train part's points need training here.
        """
        vocab_sz = len(data.load_vocab(self.bundle.data / "vocab.txt"))
        permutation = np.random.default_rng(_digest_seed(self.bundle.config.get("hidden_seed"), self.digest)).permutation(vocab_sz)
        return permutation[ids]

    def expect(self, part: str, specs: list[dict]) -> Expect:
        """The arrays the judge will read back from this part's child, each with its most elements."""
        if get_part(part).kind == "training":
            vocab_sz, width = specs[0]["vocab_sz"], self.bundle.config["max_width"]
            gates = max(cell.gates for cell in CELLS.values())
            sizes = {"embedding": vocab_sz * width, "kernel": width * gates * width, "recurrent_kernel": width * gates * width,
                     "bias": gates * width, "classifier_kernel": width * vocab_sz, "classifier_bias": vocab_sz}
            return Expect(arrays={f"{part}:{name}": size for name, size in sizes.items()}, report_schema=PART_REPORT_SCHEMA,
                          arrays_bytes=8 * sum(sizes.values()))
        accepted = {}
        for spec in specs:
            names = output_names(spec)
            largest = max((self.bundle.expected[name].size for name in names if name in self.bundle.expected), default=1)
            accepted.update({name: max(ARRAY_SLACK * largest, 2**20) for name in names})
        return Expect(arrays=accepted, report_schema=PART_REPORT_SCHEMA)

    def timeout_left(self) -> float:
        """Seconds left before Gradescope's timeout, less what writing results.json needs."""
        config = self.bundle.config
        return config["timeout_seconds"] - RESULTS_MARGIN_SECONDS - (time.time() - self.started)

    def stage(self, part: str, cases) -> Stage:
        """A part's budget: CPU seconds from the configuration, wall seconds from the CPU this machine gives."""
        cpu = self.bundle.budget(part)
        return Stage(part, frozenset(cases), cpu, wall_allowance(cpu, self.cpu_share))

    def part(self, part: str) -> PartAnswers:
        if part not in self.answers:
            self._run_parts([p for p in RUN_ORDER if p in self.selected and p not in self.answers] or [part])
        return self.answers[part]

    def _run_parts(self, parts: list[str]) -> None:
        """Every selected part in one child (one TensorFlow start-up), each part a stage with its own budget.

        When the child is stopped in a part (time, memory, a crash), that part keeps the
        reason, and a new child runs the parts after it.
        """
        pending = []
        for part in parts:
            layer = FROM_SCRATCH_LAYERS.get(part)
            if self.problem:
                self.answers[part] = PartAnswers(part, None, self.problem)
            elif layer in self.recurrent_helpers:
                self.answers[part] = PartAnswers(part, None, not_from_scratch(layer, self.recurrent_helpers[layer], "in its code"),
                                                 diagnosis=NOT_FROM_SCRATCH)
            else:
                pending.append(part)
        while pending:
            left = self.timeout_left()
            if left < MIN_CHILD_SECONDS:
                for part in pending:
                    self.answers[part] = PartAnswers(part, None, "This part was not graded: the earlier parts used up "
                                                                 "the time Gradescope gives the autograder.")
                return
            specs, arrays, stages, accepted, arrays_bytes = [], {}, [], {}, Expect().arrays_bytes
            for part in pending:
                part_specs, part_arrays = self.specs_and_arrays(part)
                self.inputs[part] = part_arrays
                specs += part_specs
                arrays.update(part_arrays)
                stages.append(self.stage(part, [spec["id"] for spec in part_specs]))
                expected = self.expect(part, part_specs)
                accepted.update(expected.arrays)
                if get_part(part).kind == "training":  # the tensor parts share the default cap; the trained weights come on top
                    arrays_bytes += expected.arrays_bytes
            started = time.time()
            run = self._run_child(specs, arrays, stages,
                                  Expect(arrays=accepted, report_schema=PART_REPORT_SCHEMA, arrays_bytes=arrays_bytes))
            label = "+".join(pending)
            self.phases[label] = {"start": started, "end": time.time(), "cpu": run.cpu_seconds}
            self.runs[label] = run
            stopped = run.stage if run.ending != "finished" and run.report else None  # no report: loading failed, for all
            for index, part in enumerate(pending):
                self.answers[part] = PartAnswers(part, run, budget=stages[index].cpu_seconds,
                                                 memory_limit=self.bundle.config["memory_mb"],
                                                 order=tuple(spec["id"] for spec in specs))
                if part == stopped:
                    pending = pending[index + 1:]
                    break
            else:
                pending = []

    def _run_child(self, specs: list[dict], arrays: dict, stages: list[Stage], expect: Expect) -> ChildRun:
        """One child running the student's code on `specs`; each stage caps its CPU, and they all cap the child."""
        config = self.bundle.config
        limits = Limits(cpu_seconds=sum(stage.cpu_seconds for stage in stages),
                        wall_seconds=min(sum(stage.wall_seconds for stage in stages), self.timeout_left()),
                        memory_mb=config["memory_mb"], threads=config["threads"])
        job = {"chunks": [chunk.__dict__ for chunk in self.chunks], "specs": specs, "seed": config["train_seed"],
               "threads": limits.threads, "tripwire": tripwire_rule()}
        return run_child(job, arrays, limits, workspace=self.workspace, stages=stages, expect=expect)

    def time_one_epoch(self) -> PartAnswers:
        """The training part for one epoch of the student's HPARAMS: its stage's CPU seconds are what an epoch costs here.

        Start-up (TensorFlow's import, loading the notebook) has a stage of its own, as a full
        grading charges it to its first part, so the training stage counts what the budget counts.
        """
        name = TRAINING.name
        if self.problem:
            return PartAnswers(name, None, self.problem)
        specs, arrays = self.specs_and_arrays(name)
        specs[0]["epochs"] = 1
        start_up = Stage("start-up", frozenset(), START_UP_CPU_SECONDS, wall_allowance(START_UP_CPU_SECONDS, self.cpu_share))
        training = self.stage(name, [specs[0]["id"]])
        run = self._run_child(specs, arrays, [start_up, training], self.expect(name, specs))
        self.runs[name] = run
        return PartAnswers(name, run, budget=training.cpu_seconds, memory_limit=self.bundle.config["memory_mb"],
                           order=(specs[0]["id"],))

    def expected(self, case: str, name: str):
        return self.bundle.expected[f"{case}:{name}"]

    def expected_info(self, case: str):
        return self.bundle.expected_info.get(case)


__all__ = ["Bundle", "Session", "PartAnswers", "WEIGHTS"]
