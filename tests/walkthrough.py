"""`make walkthrough`: a student's path through the homework on a Colab-like Python, beside Gradescope's verdicts.

    python -m tests.walkthrough

Not part of `make test`: it installs TensorFlow from PyPI into a fresh venv and trains for minutes.
The student's Python is 3.12 with only the full `tensorflow` and a Jupyter kernel installed, as
Colab has them before the notebook's first cell. The walkthrough copies stencil/ into a fresh
folder, runs the first cell, then for each part puts in a typical mistake (from
tests/submissions/bugs/; for some parts several, one after the other), runs the part's cells and its `check`,
and grades the mistake's file on that part as Gradescope would, side by side; then the reference's code (from
solution/language_model.py) and the same cells again. It then runs the finished notebook top to
bottom in a new kernel and grades it with `make grade` (the project's own Python, as Gradescope).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograder.package.export_checker import write_stencil_zip
from autograder.parts import NAMES
from tests.submissions import zoo

REPO = Path(__file__).resolve().parents[1]
BUGS = zoo.laid_out() / "bugs"  # each mistake laid over the current reference: the files state only what differs
PYTHON = os.environ.get("WALKTHROUGH_PYTHON", "/root/.pyenv/versions/3.12.1/bin/python3")
# What Colab has before the first cell, of what this homework uses: its TensorFlow (2.20 as of late 2026) and a kernel.
PLATFORM = ["tensorflow==2.20.0", "ipykernel==7.3.0"]
WORK = Path("/var/cache/rnnkit-walkthrough")  # the sandboxed checks run as another user: it must reach this folder
# Typical mistakes per part (tests/submissions/bugs/), among them those a visible check once missed or explained
# badly: a state started at ones, return_sequences answered with [outputs, s_T] or ignored, a loss outside the tape.
MISTAKES = {"windows": ["windows_labels_not_shifted"],
            "rnn": ["rnn_state_not_carried", "rnn_initial_state_ones", "rnn_return_sequences_with_state",
                    "rnn_returns_last_state_only"],
            "lstm": ["lstm_input_forget_swapped"], "lm": ["lm_returns_softmax"], "perplexity": ["perplexity_of_sum"],
            "train": ["train_tape_outside_forward", "train_never_applies_gradients"]}
KERNEL_ENV = {"TF_NUM_INTRAOP_THREADS": "2", "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "2", "TF_CPP_MIN_LOG_LEVEL": "2"}


def run(command: list, **kwargs) -> float:
    started = time.monotonic()
    subprocess.run(command, check=True, **kwargs)
    return time.monotonic() - started


def student_python() -> tuple[Path, float]:
    """A fresh venv of PYTHON with PLATFORM installed; its interpreter is one the sandbox user can run."""
    finder = "import sys; sys.path.insert(0, sys.argv[1]); import environment; print(environment.shared_interpreter())"
    base = subprocess.run([PYTHON, "-c", finder, str(REPO / "autograder" / "package")], check=True,
                          capture_output=True, text=True).stdout.strip().splitlines()[-1]  # after "copying …", if it copied
    venv = WORK / "venv"
    seconds = run([base, "-m", "venv", str(venv)])
    seconds += run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *PLATFORM])
    return venv / "bin" / "python", seconds


def register_kernel(python: Path) -> str:
    """A kernelspec for the student's Python, found by nbclient through JUPYTER_PATH."""
    folder = WORK / "jupyter" / "kernels" / "student"
    folder.mkdir(parents=True)
    spec = {"argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"], "language": "python",
            "display_name": "student", "env": KERNEL_ENV}
    (folder / "kernel.json").write_text(json.dumps(spec))
    os.environ["JUPYTER_PATH"] = str(WORK / "jupyter")
    return "student"


def definitions(path: Path) -> dict[str, str]:
    """The source of each top-level def, class and assignment of a module, by name."""
    source = path.read_text()
    lines, found = source.splitlines(), {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            name = node.name
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
        else:
            continue
        first = min([node.lineno] + [decorator.lineno for decorator in getattr(node, "decorator_list", [])])
        found[name] = "\n".join(lines[first - 1:node.end_lineno])
    return found


def defined_names(cell_source: str) -> list[str]:
    names = []
    for node in ast.parse(cell_source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            names.append(node.targets[0].id)
    return names


def fill(cell, module: dict[str, str]) -> None:
    """Replace a TODO cell by the module's version of what it defines."""
    cell.source = "\n\n\n".join(module[name] for name in defined_names(cell.source) if name in module)


def verdict(cell) -> str:
    """What a cell showed: a check's count of passing tests, an environment problem, an error, or its last line."""
    texts = [output.get("data", {}).get("text/markdown") or output.get("data", {}).get("text/plain") or output.get("text", "")
             for output in cell.outputs if output.output_type in ("display_data", "stream", "execute_result")]
    text = "\n".join(texts)
    if (count := re.search(r"(\d+) of (\d+) visible tests pass", text)):
        return f"{count[1]}/{count[2]} visible pass"
    if "problem with your Python environment" in text:
        return "ENVIRONMENT: " + text.split("not with your code.**")[-1].strip()[:150]
    errors = [output for output in cell.outputs if output.output_type == "error"]
    if errors:
        return f"error {errors[0].ename}: {errors[0].evalue[:100]}"
    return (text.strip().splitlines() or ["(no output)"])[-1][:150]


def student_session(notebook_path: Path, kernel: str) -> tuple[list, nbformat.NotebookNode]:
    """Run the first cell, then each part with a mistake and with the fix, as a student would; the steps and the notebook."""
    notebook = nbformat.read(notebook_path, as_version=4)
    reference, steps = definitions(REPO / "solution" / "language_model.py"), []
    client = NotebookClient(notebook, timeout=1800, kernel_name=kernel, allow_errors=True,
                            resources={"metadata": {"path": str(notebook_path.parent)}})

    def execute(indices: range) -> float:
        started = time.monotonic()
        for index in indices:
            if notebook.cells[index].cell_type == "code":
                client.execute_cell(notebook.cells[index], index)
        return time.monotonic() - started

    with client.setup_kernel():
        first = next(index for index, cell in enumerate(notebook.cells) if "prepare_environment()" in cell.source)
        seconds = execute(range(first + 1))
        steps.append(("first cell", "", verdict(notebook.cells[first]), seconds))
        print(*steps[-1], flush=True)
        start = first + 1
        for part, bug_names in MISTAKES.items():
            checked = next(index for index, cell in enumerate(notebook.cells) if cell.source.strip() == f'check("{part}")')
            todos = [index for index in range(start, checked) if "NotImplementedError(" in notebook.cells[index].source]
            attempts = [(f"mistake: {bug}", definitions(BUGS / f"{bug}.py")) for bug in bug_names] + [("fix", reference)]
            for number, (step, module) in enumerate(attempts):
                for index in todos:
                    fill(notebook.cells[index], module)
                begin = todos[0] if number else start  # after the first attempt, run again from the first cell it changed
                seconds = execute(range(begin, checked + 1))
                steps.append((part, step, verdict(notebook.cells[checked]), seconds))
                print(*steps[-1], flush=True)
            start = checked + 1
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return steps, notebook


def top_to_bottom(notebook: nbformat.NotebookNode, folder: Path, kernel: str) -> tuple[dict, float]:
    """Run the whole notebook in a new kernel, as "Run all"; the check verdict of each part, and the time."""
    client = NotebookClient(notebook, timeout=1800, kernel_name=kernel, allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    started = time.monotonic()
    client.execute()
    seconds = time.monotonic() - started
    checks = {}
    for cell in notebook.cells:
        if (called := re.fullmatch(r'check\("(\w+)"\)', cell.source.strip())):
            checks[called[1]] = verdict(cell)
    errors = [verdict(cell) for cell in notebook.cells if any(output.output_type == "error" for output in cell.get("outputs", []))]
    return {"checks": checks, "errors": errors}, seconds


def gradescope_part(bug: str, part: str) -> str:
    """The Gradescope verdict of a mistake on its own part: tests passed and points, from the judge on the zip."""
    results = WORK / f"results-{bug}.json"
    subprocess.run([sys.executable, "-m", "autograder.package.local_grade", "--zip", str(REPO / "dist" / "autograder.zip"),
                    "--submission", str(BUGS / f"{bug}.py"), "--results", str(results), "--tags", part],
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    tests = [test for test in json.loads(results.read_text())["tests"] if part in test["tags"]]
    passed = sum(test["status"] == "passed" for test in tests)
    return (f"{passed}/{len(tests)} tests, {sum(test['score'] for test in tests):g}/"
            f"{sum(test['max_score'] for test in tests):g} points")


def gradescope(submission: Path) -> tuple[dict, float, float]:
    """`make grade` on the notebook: {part: (tests passed, tests, points, max points)}, the score and the time."""
    results = WORK / "results.json"
    seconds = run(["make", "-s", "grade", f"SUBMISSION={submission}", f"RESULTS={results}"], cwd=REPO,
                  stdout=subprocess.DEVNULL)
    graded = json.loads(results.read_text())
    parts: dict = {}
    for test in graded["tests"]:
        passed, total, score, max_score = parts.get(test["tags"][0], (0, 0, 0.0, 0.0))
        parts[test["tags"][0]] = (passed + (test["status"] == "passed"), total + 1, score + test["score"], max_score + test["max_score"])
    return parts, graded["score"], seconds


def main() -> int:
    shutil.rmtree(WORK, ignore_errors=True)
    os.umask(0o022)
    WORK.mkdir(parents=True)
    WORK.chmod(0o755)
    python, install_seconds = student_python()
    version = subprocess.run([str(python), "-c", "import sys, tensorflow, numpy; print(sys.version.split()[0], "
                              "tensorflow.__version__, numpy.__version__)"], capture_output=True, text=True).stdout.split()
    kernel = register_kernel(python)
    write_stencil_zip(REPO / "stencil", WORK / "stencil.zip")  # what the course hands out, checker built in
    shutil.unpack_archive(WORK / "stencil.zip", WORK)
    folder = WORK / "stencil"
    notebook_path = folder / "language_model.ipynb"

    steps, notebook = student_session(notebook_path, kernel)
    nbformat.write(notebook, notebook_path)
    run_all, run_all_seconds = top_to_bottom(notebook, folder, kernel)
    nbformat.write(notebook, notebook_path)  # what the student submits: the notebook run top to bottom
    graded, score, grade_seconds = gradescope(notebook_path)

    print(f"\nStudent's Python: {PYTHON} -> Python {version[0]}, tensorflow {version[1]}, numpy {version[2]} "
          f"(preinstalled: {' '.join(PLATFORM)}; {install_seconds:.0f} s)")
    print(f"\n{'part':<11} {'step':<45} {'check in the notebook':<30} {'Gradescope on this part':<32} {'s':>5}")
    for part, step, shown, seconds in steps:
        graded_there = gradescope_part(step.split(": ", 1)[1], part) if step.startswith("mistake: ") else ""
        print(f"{part:<11} {step:<45} {shown[:30]:<30} {graded_there:<32} {seconds:>5.0f}")
    print(f"\nTop to bottom in a new kernel: {run_all_seconds:.0f} s; cells that failed: {run_all['errors'] or 'none'}")
    print(f"`make grade` (Python 3.10, the judge's pinned tensorflow-cpu): {score:g}/"
          f"{sum(max_points for *_, max_points in graded.values()):g} in {grade_seconds:.0f} s\n")
    print(f"{'part':<11} {'local check (visible tests)':<30} {'Gradescope: tests passed':<26} {'points':>8}")
    for part in NAMES:  # every declared part, whether or not a mistake of it is walked through
        passed, total, points, max_points = graded.get(part, (0, 0, 0, 0))
        print(f"{part:<11} {run_all['checks'].get(part, 'not run'):<30} {f'{passed}/{total}':<26} {f'{points:g}/{max_points:g}':>8}")
    agree = all(re.fullmatch(r"(\d+)/\1 visible pass", run_all["checks"].get(part, "")) and part in graded
                and graded[part][0] == graded[part][1] for part in NAMES)
    print(f"\nLocal checks and Gradescope {'agree: every part passes both' if agree else 'DISAGREE or a part fails'}.")
    return 0 if agree else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:  # the notebook it filled is the reference's code, in a folder every user may read (the sandbox user must)
        shutil.rmtree(WORK, ignore_errors=True)
