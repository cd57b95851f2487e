"""The only code that runs next to a student's: load the submission, run one part's probes, write data.

It runs in a sandboxed child process (see autograder/sandbox.py), as an unprivileged
user when the judge is root, from a private work directory holding a copy of this
file, probes.py, the job and its inputs. It never sees expected values, hidden data
or the reference, and it returns only arrays (.npz, loaded without pickle) and JSON.
Whatever the student's code does to this process can only spoil its own answers.

    python -I runner.py WORKDIR
"""

import ast
import inspect
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


class NotFromScratch(RuntimeError):
    """What a recurrent helper of Keras or TensorFlow raises while a from-scratch layer is graded."""


def _failing(original, label, armed):
    """`original`, which raises NotFromScratch instead of running while `armed[0]` is true."""
    def guarded(*args, **kwargs):
        if armed[0]:
            raise NotFromScratch(f"{label} is not allowed in a layer the contract asks for from scratch: Keras's and "
                                 "TensorFlow's recurrent layers, cells, loops and fused kernels fail while it is graded.")
        return original(*args, **kwargs)
    guarded.__name__, guarded.__qualname__ = original.__name__, original.__qualname__
    guarded.__module__, guarded.__doc__ = original.__module__, original.__doc__
    try:  # Keras reads `call`'s parameters (training, mask) from its signature; no __wrapped__ to unwrap it by
        guarded.__signature__ = inspect.signature(original)
    except (TypeError, ValueError):
        pass
    return guarded


def recurrent_tripwire(definitions):
    """Make Keras's and TensorFlow's recurrent helpers fail while armed; returns the switch, `arm(bool)`.

    `definitions` (the job's, from autograder/parts/from_scratch.py): [module, names or None, shown].

    Each function is replaced where it is defined and wherever a loaded module holds it (the
    re-exports: keras.layers, tf.raw_ops, keras.src.backend, …), and each class's own `call`
    once, which its subclasses inherit. A student's helper can then not hand back a right
    answer while a from-scratch layer is graded, whatever name it reaches it by, so no verdict
    depends on a record this process writes. The parts after the last from-scratch one (the
    language model and training, which swap in Keras's own layers) run disarmed.
    """
    import importlib

    armed = [False]
    replacements = {}
    for module_name, names, shown in definitions:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name, value in list(vars(module).items()):
            chosen = name in names if names else not name.startswith("_")  # private helpers only when named
            if not chosen or getattr(value, "__module__", None) != module_name:
                continue
            if isinstance(value, type):
                for method in ("call", "__call__"):
                    own = vars(value).get(method)
                    if inspect.isfunction(own):
                        setattr(value, method, _failing(own, f"{shown}.{name}", armed))
            elif inspect.isfunction(value):
                replacements[id(value)] = (value, _failing(value, f"{shown}.{name}", armed))
    for module in list(sys.modules.values()):
        if not isinstance(module, types.ModuleType):
            continue
        try:
            held = [(name, value) for name, value in vars(module).items() if id(value) in replacements]
        except Exception:  # a lazily loading module that cannot list itself
            continue
        for name, value in held:
            original, guarded = replacements[id(value)]
            if value is original:
                setattr(module, name, guarded)

    def arm(on: bool) -> None:
        armed[0] = on

    return arm


def read_submission(workdir, job):
    """The reader's job: parse the submission (text only, nothing runs) and say what the contract grades in it."""
    import submission

    report = {"chunks": [], "notes": [], "problem": None, "recurrent_helpers": {}, "large_literals": []}
    try:
        cells = submission.read_cells(os.path.join(workdir, job["file"]), job["name"])
        chunks, report["notes"] = submission.graded_chunks(cells)
        report["chunks"] = [chunk.__dict__ for chunk in chunks]
        report["recurrent_helpers"] = submission.recurrent_helpers(chunks, job["from_scratch"])
        report["large_literals"] = submission.large_literals(chunks)
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

    arm = recurrent_tripwire(job["tripwire"]) if any(spec.get("from_scratch") for spec in job["specs"]) else None
    if arm:  # armed while the notebook loads too, so nothing it runs at load time can compute with the helpers
        arm(True)
    module, load_notes, labels = load_student(job["chunks"])
    outputs = {}
    report = {"load_notes": load_notes, "errors": {}, "info": {}, "finished": []}

    def save():
        # Written after every case, atomically, so a later hang or crash keeps earlier answers.
        np.savez(os.path.join(out_dir, "outputs.tmp.npz"), **outputs)
        os.replace(os.path.join(out_dir, "outputs.tmp.npz"), os.path.join(out_dir, "outputs.npz"))
        with open(os.path.join(out_dir, "report.tmp.json"), "w") as file:
            json.dump(report, file)
        os.replace(os.path.join(out_dir, "report.tmp.json"), os.path.join(out_dir, "report.json"))

    save()
    # Armed from loading the notebook to the end of the last from-scratch case, the windows cases before them
    # included: a helper that worked earlier in this process (a graph traced with it) would carry its answers in.
    last_from_scratch = max((index for index, spec in enumerate(job["specs"]) if spec.get("from_scratch")),
                            default=-1)
    for index, spec in enumerate(job["specs"]):
        with open(os.path.join(out_dir, "progress.tmp"), "w") as progress:  # the judge charges CPU from here to this case's part
            progress.write(spec["id"])
        os.replace(os.path.join(out_dir, "progress.tmp"), os.path.join(out_dir, "progress"))  # never seen half-written
        if arm:
            arm(index <= last_from_scratch)  # the parts after them swap Keras's own layers in
        try:
            probes.PROBES[spec["kind"]](module, spec, arrays, outputs, report["info"])
        except BaseException as error:
            report["errors"][spec["id"]] = student_frames_only(error, labels)
            for name in [name for name in outputs if name.startswith(spec["id"] + ":")]:
                del outputs[name]
        report["finished"].append(spec["id"])
        save()


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main(sys.argv[1])
