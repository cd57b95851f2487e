"""The only code that runs next to a student's: load the submission, run one part's probes, write data.

It runs in a sandboxed child process (see autograder/sandbox.py), as an unprivileged
user when the judge is root, from a private work directory holding a copy of this
file, probes.py, the job and its inputs. It never sees expected values, hidden data
or the reference, and it returns only arrays (.npz, loaded without pickle) and JSON.
Whatever the student's code does to this process can only spoil its own answers.

    python -I runner.py WORKDIR
"""

import ast
import json
import linecache
import os
import re
import sys
import traceback
import types

MAX_MESSAGE_CHARS = 1500
MAX_TRACE_CHARS = 10_000  # the judge refuses a report whose texts or lists are longer than it expects
MAX_NOTES = 400


def student_frames_only(error: BaseException, labels: set) -> str:
    """The traceback of an error, keeping the student's own lines and the final message."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename in labels]
    lines = [f'  File "{f.filename}", line {f.lineno}, in {f.name}\n    {(f.line or "")[:300]}'.rstrip() for f in frames[-6:]]
    message = "".join(traceback.format_exception_only(type(error), error)).strip()
    message = re.sub(r"\x1b\[[0-9;]*m", "", message)  # Keras bolds parts of its messages
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[:MAX_MESSAGE_CHARS] + " […]"
    return "\n".join(lines + [message])[:MAX_TRACE_CHARS]


def load_student(chunks):
    """Run the graded statements one by one in a fresh `language_model` module.

    A statement that fails is noted and skipped, so one broken assignment does not
    hide the definitions after it.
    """
    module = types.ModuleType("language_model")
    module.__file__ = "language_model.py"
    sys.modules["language_model"] = module
    cells = {}
    for chunk in chunks:
        lines = cells.setdefault(chunk["label"], [])
        body = chunk["source"].splitlines()
        lines.extend([""] * (chunk["first_line"] - 1 + len(body) - len(lines)))
        lines[chunk["first_line"] - 1 : chunk["first_line"] - 1 + len(body)] = body
    for label, lines in cells.items():  # so tracebacks can quote the student's lines
        linecache.cache[label] = (0, None, [line + "\n" for line in lines], label)
    notes = []
    for chunk in chunks:
        try:
            tree = ast.parse(chunk["source"])
            ast.increment_lineno(tree, chunk["first_line"] - 1)
            exec(compile(tree, chunk["label"], "exec"), module.__dict__)
        except BaseException as error:  # SystemExit included: an exit() at import must not end grading
            notes.append(f"{chunk['label']}, line {chunk['first_line']}: this statement failed and was skipped:\n"
                         + student_frames_only(error, set(cells)))
    if len(notes) > MAX_NOTES:
        notes = notes[:MAX_NOTES] + [f"… and {len(notes) - MAX_NOTES} more statements that failed."]
    return module, notes, set(cells)


RECURRENT_LAYERS = ("RNN", "SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells",
                    "Bidirectional", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")
RECURRENT_LOOPS = (("keras.src.backend", "rnn"), ("keras.backend", "rnn"), ("keras.ops", "rnn"),
                   ("keras.src.legacy.backend", "rnn"), ("tensorflow.compat.v1.nn", "dynamic_rnn"),
                   ("tensorflow.compat.v1.nn", "static_rnn"), ("tensorflow.compat.v1.nn", "raw_rnn"))


def watch_recurrent_helpers(used: list):
    """Note every call into Keras's or TensorFlow's own recurrent layers, cells and loops.

    MyRNN and MyLSTM must be written from scratch; the probes of those parts never call
    these, so anything noted here came from the student's code. The judge also reads the
    code itself for these names; this catches what only shows when the code runs.
    """
    import importlib

    import keras

    def wrap(function, label):
        def noted(*args, **kwargs):
            used.append(label)
            return function(*args, **kwargs)
        noted.__wrapped__ = function
        return noted

    for name in RECURRENT_LAYERS:
        layer = getattr(keras.layers, name, None)
        for cls in (layer.__mro__ if isinstance(layer, type) else ()):
            own = vars(cls).get("call")
            if own is not None and not hasattr(own, "__wrapped__") and cls.__name__ in RECURRENT_LAYERS:
                cls.call = wrap(own, f"keras.layers.{cls.__name__}")
    for module_name, attribute in RECURRENT_LOOPS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if callable(getattr(module, attribute, None)):
            setattr(module, attribute, wrap(getattr(module, attribute), f"{module_name}.{attribute}"))


def read_submission(workdir, job):
    """The reader's job: parse the submission (text only, nothing runs) and say what the contract grades in it."""
    import submission

    report = {"chunks": [], "notes": [], "problem": None, "recurrent_helpers": {}}
    try:
        cells = submission.read_cells(os.path.join(workdir, job["file"]), job["name"])
        chunks, report["notes"] = submission.graded_chunks(cells)
        report["chunks"] = [chunk.__dict__ for chunk in chunks]
        report["recurrent_helpers"] = submission.recurrent_helpers(chunks)
        if not chunks:
            report["problem"] = (f"{job['name']} defines nothing we can grade: it has no top-level imports, "
                                 "functions, classes or UPPER_CASE assignments.")
    except submission.SubmissionError as error:
        report["problem"] = str(error)
    with open(os.path.join(workdir, "out", "report.json"), "w") as file:
        json.dump(report, file)


def main(workdir):
    with open(os.path.join(workdir, "job.json")) as file:
        job = json.load(file)
    if job.get("kind") == "read":
        return read_submission(workdir, job)
    out_dir = os.path.join(workdir, "out")

    import numpy as np

    with np.load(os.path.join(workdir, "inputs.npz"), allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}

    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(job["threads"])
    tf.config.threading.set_inter_op_parallelism_threads(job["threads"])
    tf.keras.utils.set_random_seed(job["seed"])

    import probes

    recurrent_calls = []
    if any(spec["part"] in ("rnn", "lstm") for spec in job["specs"]):
        watch_recurrent_helpers(recurrent_calls)
    module, load_notes, labels = load_student(job["chunks"])
    outputs = {}
    report = {"load_notes": load_notes, "errors": {}, "info": {}, "finished": [], "recurrent_helpers": {}}

    def save():
        # Written after every case, atomically, so a later hang or crash keeps earlier answers.
        np.savez(os.path.join(out_dir, "outputs.tmp.npz"), **outputs)
        os.replace(os.path.join(out_dir, "outputs.tmp.npz"), os.path.join(out_dir, "outputs.npz"))
        with open(os.path.join(out_dir, "report.tmp.json"), "w") as file:
            json.dump(report, file)
        os.replace(os.path.join(out_dir, "report.tmp.json"), os.path.join(out_dir, "report.json"))

    save()
    for spec in job["specs"]:
        with open(os.path.join(out_dir, "progress.tmp"), "w") as progress:  # the judge charges CPU from here to this case's part
            progress.write(spec["id"])
        os.replace(os.path.join(out_dir, "progress.tmp"), os.path.join(out_dir, "progress"))  # never seen half-written
        recurrent_calls.clear()
        try:
            probes.PROBES[spec["kind"]](module, spec, arrays, outputs, report["info"])
        except BaseException as error:
            report["errors"][spec["id"]] = student_frames_only(error, labels)
            for name in [name for name in outputs if name.startswith(spec["id"] + ":")]:
                del outputs[name]
        if recurrent_calls and spec["part"] in ("rnn", "lstm"):  # the lm and train probes use Keras's layers themselves
            report["recurrent_helpers"][spec["id"]] = sorted(set(recurrent_calls))
        report["finished"].append(spec["id"])
        save()


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main(sys.argv[1])
