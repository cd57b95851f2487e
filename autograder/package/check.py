"""Check your work with the autograder's visible tests: the same checks and messages as on Gradescope.

In the notebook:   from check import check, time_training
                   check(part)             # one part's visible tests, as its last cell runs them; check() for all
                   time_training()         # one epoch with your HPARAMS, projected against the budget
From a terminal:   python check.py [language_model.ipynb] [PART ...]

Your code runs in a separate process, exactly as when Gradescope grades it; only
the imports, function and class definitions and UPPER_CASE assignments run. In a
notebook, what is checked is the code of the cells you have run so far.

A missing data/ folder is reported before your code runs; when a check does not
pass, the checker makes sure this Python can run your code at all: a TensorFlow or
NumPy that cannot be imported is reported as a problem of the environment, with
what to do, not blamed on your code.
The notebook's first cell calls prepare_environment(): it installs what is missing.
"""

import importlib.metadata
import importlib.util
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKER = HERE / "checker"
DATA = ("train.txt", "valid.txt", "test.txt", "vocab.txt")
# What the notebook and the checker import, and the package on PyPI that provides it (pinned in requirements.txt).
NEEDS = {"numpy": "numpy", "tensorflow": "tensorflow", "keras": "keras", "matplotlib": "matplotlib",
         "nbformat": "nbformat", "pytest": "pytest", "jsonschema": "jsonschema", "gradescope_utils": "gradescope-utils",
         "psutil": "psutil"}
# Packages that each install the module `tensorflow`: two of them overwrite each other's files.
TENSORFLOW_BUILDS = ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel", "tensorflow-macos",
                     "tf-nightly", "tf-nightly-cpu", "intel-tensorflow")
# Each module imported in turn, one JSON line per module (a crash still shows which import it was), up to the first failure.
PROBE = """
import importlib, json, sys
for module in sys.argv[1:]:
    try:
        found = {"version": str(getattr(importlib.import_module(module), "__version__", ""))}
    except BaseException as error:
        found = {"error": f"{type(error).__name__}: {error}"}
    print(json.dumps([module, found]), flush=True)
    if "error" in found:
        break
"""
ON_COLAB = "google.colab" in sys.modules
FIX = ("On Colab: Runtime > Disconnect and delete runtime, then run the notebook's first cell again (do not "
       "`pip install -r requirements.txt` on Colab: it replaces Colab's own TensorFlow). " if ON_COLAB else
       "Make a fresh environment for this homework: `python -m venv venv`, activate it, "
       "`pip install -r requirements.txt notebook`, and start Jupyter from it. ")


_environment_ok = False


class EnvironmentProblem(Exception):
    """This Python cannot run the homework; the message says why and what to do."""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed() -> dict:
    """{canonical name: (name, version)} of every package this Python sees, the first one on the path for each."""
    found = {}
    for distribution in importlib.metadata.distributions():
        name = distribution.metadata["Name"]
        if name:
            found.setdefault(canonical(name), (name, distribution.version))
    return found


def pins_of(requirements: Path) -> dict:
    """{canonical name: version} of each `name==version` line of a requirements file."""
    lines = [line.strip() for line in requirements.read_text().splitlines() if "==" in line and not line.startswith("#")]
    return {canonical(line.split("==")[0]): line.split("==")[1].strip() for line in lines}


def _tensorflow_builds(installed: dict) -> dict:
    """{name: version} of the installed packages that each provide the module `tensorflow`."""
    return {name: version for key, (name, version) in installed.items() if key in TENSORFLOW_BUILDS}


def _files_problem():
    """What on disk keeps this Python from running the homework (no process started); None when nothing does."""
    missing = [name for name in DATA if not (HERE / "data" / name).is_file()]
    if missing:
        return (f"The folder `data/` next to check.py ({HERE}) lacks {', '.join(missing)}. Unpack the homework again "
                "(on Colab: run the notebook's first cell) and keep its folders together.")
    builds = [f"{name} {version}" for name, version in _tensorflow_builds(_installed()).items()]
    if len(builds) > 1:
        return (f"Two builds of TensorFlow are installed in this environment ({', '.join(sorted(builds))}): they "
                "overwrite each other's files, so TensorFlow may fail in odd ways. " + FIX)
    return None


def environment_problem():
    """What keeps this Python from running the homework, with what to do; None when nothing does."""
    problem = _files_problem()
    if problem:
        return problem
    # What this process imported already imports: a kernel that ran the notebook's imports has paid for TensorFlow
    # once, and probing it again in a fresh Python would pay a second time (seconds of CPU) to learn nothing.
    unproven = [module for module in NEEDS if module not in sys.modules]
    if not unproven:
        return None
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    finished = subprocess.run([sys.executable, "-c", PROBE, *unproven], cwd=CHECKER, env=environment,
                              capture_output=True, text=True)
    imported = dict(json.loads(line) for line in finished.stdout.splitlines() if line.startswith('["'))
    for module in unproven:
        if module not in imported:  # the import crashed the process
            return (f"Your environment cannot import {module}: importing it ended Python (exit status "
                    f"{finished.returncode}). {FIX}What it printed:\n\n```\n{finished.stderr[-1500:]}\n```")
        if "error" in imported[module]:
            return f"Your environment cannot import {module}: {imported[module]['error'][-1500:]}. {FIX}"
    return None


def prepare_environment() -> None:
    """The notebook's first cell: install what is missing (at requirements.txt's versions), change nothing installed.

    Whatever is installed already stays as it is (a constraint holds each package at its version), so
    Colab's TensorFlow and NumPy are never replaced and no restart is needed.
    """
    pins = pins_of(HERE / "requirements.txt")
    missing = [f"{package}=={pins[canonical(package)]}" for module, package in NEEDS.items()
               if importlib.util.find_spec(module) is None]
    if missing:
        print("Installing", ", ".join(missing), "...")
        plain = re.compile(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?(\+[\w.]+)?")  # a version pip takes as a constraint
        held = [f"{name}=={version}" for name, version in _installed().values() if plain.fullmatch(version)]
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as constraints:
            constraints.write("\n".join(held) + "\n")
            constraints.flush()
            finished = subprocess.run([sys.executable, "-m", "pip", "install", *missing, "-c", constraints.name],
                                      capture_output=True, text=True)
        if finished.returncode != 0:
            raise EnvironmentProblem(f"pip could not install {', '.join(missing)} without changing what is installed:\n"
                                     + (finished.stderr or finished.stdout)[-2000:])
        importlib.invalidate_caches()
    problem = _environment_problem_once()  # a check() after it then probes nothing again
    if problem:
        raise EnvironmentProblem(problem)
    installed = _installed()
    tensorflow = [f"{name} {version}" for name, version in _tensorflow_builds(installed).items()]
    print(f"Ready in {HERE}: Python {sys.version.split()[0]}, {', '.join(tensorflow)}, numpy {installed['numpy'][1]}.")


def _kernel_cells():
    """The cells run so far in this Jupyter/Colab kernel with their execution counts, or None outside one."""
    try:
        shell = get_ipython()  # noqa: F821 (defined inside IPython only)
    except NameError:
        return None
    return [(count, cell) for count, cell in enumerate(shell.user_ns.get("In", [])) if cell.strip()]


def _write_submission(folder: Path, notebook) -> None:
    cells = None if notebook else _kernel_cells()
    if cells is None:
        path = Path(notebook or HERE / "language_model.ipynb")
        (folder / path.name).write_bytes(path.read_bytes())
        return
    import nbformat

    document = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source, execution_count=count)
                                               for count, source in cells])  # tracebacks then say In [12], as Jupyter does
    (folder / "language_model.ipynb").write_text(nbformat.writes(document))


def _report(results: dict) -> str:
    lines = []
    for test in results["tests"]:
        mark = "✅" if test["status"] == "passed" else "❌"
        lines.append(f"{mark} **{test['number']}** {test['name']} ({test['score']:g}/{test['max_score']:g})")
        if test["output"]:  # a passing test's output holds its figures: the perplexity, the CPU-seconds used
            lines.append("\n" + test["output"] + "\n")
    passed = sum(test["status"] == "passed" for test in results["tests"])
    lines.append(f"\n**{passed} of {len(results['tests'])} visible tests pass.** Gradescope also runs hidden tests on other inputs.")
    return "\n".join(lines)


def _closed_folders() -> list:
    """The folders above this Python that other users cannot pass through (mode without o+x)."""
    places = {Path(sys.executable).resolve(), Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    return sorted({str(folder) for place in places for folder in place.parents
                   if folder.exists() and not folder.stat().st_mode & stat.S_IXOTH})


def _judge_failed(finished) -> str:
    """Why the judge could not grade at all (its traceback went to its stderr), and what to do: never "see the top"."""
    errors = [line for line in finished.stderr.splitlines() if re.match(r"^[\w.]+(Error|Exception|Unavailable): ", line)]
    reason = errors[-1] if errors else (finished.stderr.strip().splitlines() or ["(it printed nothing)"])[-1]
    if "SandboxUnavailable" in reason:
        closed = _closed_folders()
        folders = ", ".join(f"`{folder}`" for folder in closed) or "a folder above it"
        return ("**The checker cannot run your code as another user.** You run Python as root, and, as Gradescope "
                "does, the checker then runs your code as an unprivileged user, who cannot reach this Python "
                f"({sys.executable}): {folders} {'is' if len(closed) == 1 else 'are'} closed to other users. "
                "Any one of these fixes it:\n\n"
                "- run Jupyter (or `python check.py`) as an ordinary user, not root; or\n"
                f"- let other users pass through: `chmod o+x {' '.join(closed) or '<folder>'}` "
                "(they can then open what lies below it by name, but not list it); or\n"
                "- make this homework's environment outside private folders (say `python -m venv /opt/homework`, "
                "then `pip install -r requirements.txt notebook` in it).\n\n"
                "Your code was not run, so this says nothing about it. What the checker reported (for the course staff):\n\n```\n"
                + reason[-1500:] + "\n```")
    return ("**The checker failed before it could run your code** (this is not about your code). " + FIX
            + "If it goes on failing, send the course staff what it printed:\n\n```\n" + (finished.stderr or finished.stdout)[-2000:] + "\n```")


def _environment_problem_once():
    """What keeps this Python from running your code (see environment_problem), asked once per process:
    importing TensorFlow takes seconds."""
    global _environment_ok
    problem = None if _environment_ok else environment_problem()
    _environment_ok = problem is None
    return problem


def _run_judge(module: str, arguments: list, notebook, result_name: str):
    """Run one of the judge's commands on your code, as Gradescope lays it out; what it printed and the JSON it wrote."""
    with tempfile.TemporaryDirectory(prefix="check-") as folder:
        root = Path(folder)
        (root / "source").symlink_to(CHECKER, target_is_directory=True)
        (root / "submission").mkdir()
        _write_submission(root / "submission", notebook)
        # The judge runs in a process of its own, as on Gradescope: it ends and reaps every process it starts.
        finished = subprocess.run([sys.executable, "-m", module, "--root", str(root), *arguments],
                                  cwd=CHECKER, capture_output=True, text=True)
        result_path = root / "results" / result_name
        result = json.loads(result_path.read_text()) if result_path.is_file() else None
    return finished, (result if finished.returncode == 0 else None)


def _graded(results: dict) -> bool:
    """The judge graded (its record of each child is there), rather than failing before any test ran."""
    return "extra_data" in results



def _environment_report(problem: str):
    return _show("**This is a problem with your Python environment, not with your code.** " + problem,
                 {"tests": [], "score": 0, "environment_problem": problem})


def _parts() -> list:
    """The parts the checker grades, in order: the tags of its visible tests (the autograder declares them)."""
    tests = json.loads((CHECKER / "expected" / "tests.json").read_text())
    return list(dict.fromkeys(test["tags"][0] for test in tests))


def _passed(results) -> bool:
    return bool(results and _graded(results) and results["tests"]) and all(
        test["status"] == "passed" for test in results["tests"])


def _blamed_on_environment(judged_well: bool):
    """The environment's problem, if any, after the judge ran your code. The judge's child imports TensorFlow and
    NumPy before your code: when it did its work, this Python runs the homework, and probing the imports in a fresh
    Python would start TensorFlow a second time to learn nothing. Only when it did not is the probe paid, to tell a
    broken environment from a bug in your code."""
    global _environment_ok
    if judged_well:
        _environment_ok = True
        return None
    return _environment_problem_once()


def check(*parts, notebook=None) -> dict:
    """Run the visible tests of `parts` (all by default) on your code; print the feedback and return the results."""
    known = _parts()
    unknown = [part for part in parts if part not in known]
    if unknown:
        raise ValueError(f"unknown part(s) {unknown}; choose from {', '.join(known)}")
    problem = _files_problem()
    if problem:
        return _environment_report(problem)
    finished, results = _run_judge("autograder.grade", ["--tags", ",".join(parts or known)], notebook, "results.json")
    problem = _blamed_on_environment(_passed(results))
    if problem:
        return _environment_report(problem)
    if results is None or not _graded(results):
        return _show(_judge_failed(finished), {"tests": [], "score": 0, "environment_problem": "the checker could not run"})
    return _show(_report(results), results)


def time_training(notebook=None) -> dict:
    """Train your model for one epoch with your HPARAMS as Gradescope does (one thread, CPU-seconds counted),
    and project your HPARAMS["epochs"] epochs against the training budget: does it fit, and if not, what to change."""
    problem = _files_problem()
    if problem:
        return _environment_report(problem)
    finished, estimate = _run_judge("autograder.training_time", [], notebook, "training_time.json")
    problem = _blamed_on_environment(estimate is not None and estimate["epoch_cpu_seconds"] is not None)
    if problem:
        return _environment_report(problem)
    if estimate is None:
        return _show(_judge_failed(finished), {"environment_problem": "the checker could not run"})
    return _show(estimate["message"], estimate)


def _show(text: str, results: dict):
    if _kernel_cells() is not None:
        from IPython.display import Markdown, display

        display(Markdown(text))
        return None  # the report is shown; a returned dict would be printed again under it
    print(_plain(text))
    return results


def _plain(markdown: str) -> str:
    """The report for a terminal: no Markdown emphasis, code blocks indented."""
    lines, in_code = [], False
    for line in markdown.replace("**", "").splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        lines.append("    " + line if in_code else line)
    return "\n".join(lines)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    notebook = arguments.pop(0) if arguments and arguments[0].endswith((".ipynb", ".py")) else None
    outcome = check(*arguments, notebook=notebook)
    if "environment_problem" in outcome:
        sys.exit(2)
    sys.exit(0 if outcome["tests"] and all(test["status"] == "passed" for test in outcome["tests"]) else 1)
