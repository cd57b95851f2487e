"""Check your work with the autograder's visible tests: the same checks and messages as on Gradescope.

In the notebook:   from check import check, time_training
                   check("rnn")            # or check() for every part
                   time_training()         # one epoch with your HPARAMS, projected against the budget
From a terminal:   python check.py [language_model.ipynb] [windows rnn lstm lm perplexity train]

Your code runs in a separate process, exactly as when Gradescope grades it; only
the imports, function and class definitions and UPPER_CASE assignments run. In a
notebook, what is checked is the code of the cells you have run so far.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKER = HERE / "checker"
PARTS = ("windows", "rnn", "lstm", "lm", "perplexity", "train")


def _kernel_cells():
    """The cells run so far in this Jupyter/Colab kernel with their execution counts, or None outside one."""
    try:
        shell = get_ipython()  # noqa: F821 (defined inside IPython only)
    except NameError:
        return None
    return [(count, cell) for count, cell in enumerate(shell.user_ns.get("In", [])) if cell.strip()]


def _write_submission(folder: Path, notebook) -> None:
    import nbformat

    cells = None if notebook else _kernel_cells()
    if cells is None:
        path = Path(notebook or HERE / "language_model.ipynb")
        (folder / path.name).write_bytes(path.read_bytes())
        return
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


def _environment_problem(finished) -> str:
    return ("**The checker could not run** (this is a problem with the Python environment, not with your code). "
            "Make sure the packages in requirements.txt are installed (`pip install -r requirements.txt`), "
            "then restart the kernel. What the checker printed:\n\n```\n" + (finished.stderr or finished.stdout)[-2000:] + "\n```")


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


def _show(text: str, result: dict):
    """Markdown in a notebook (returning None: a returned dict would be printed again under it), plain text in a terminal."""
    if _kernel_cells() is not None:
        from IPython.display import Markdown, display

        display(Markdown(text))
        return None
    print(_plain(text))
    return result


def check(*parts, notebook=None) -> dict:
    """Run the visible tests of `parts` (all by default) on your code; print the feedback and return the results."""
    unknown = [part for part in parts if part not in PARTS]
    if unknown:
        raise ValueError(f"unknown part(s) {unknown}; choose from {', '.join(PARTS)}")
    finished, results = _run_judge("autograder.grade", ["--tags", ",".join(parts or PARTS)], notebook, "results.json")
    if results is None:
        return _show(_environment_problem(finished), {"tests": [], "score": 0})
    return _show(_report(results), results)


def time_training(notebook=None) -> dict:
    """Train your model for one epoch with your HPARAMS as Gradescope does (one thread, CPU-seconds counted),
    and project your HPARAMS["epochs"] epochs against the training budget: does it fit, and if not, what to change."""
    finished, estimate = _run_judge("autograder.training_time", [], notebook, "training_time.json")
    if estimate is None:
        return _show(_environment_problem(finished), {})
    return _show(estimate["message"], estimate)


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
    sys.exit(0 if outcome["tests"] and all(test["status"] == "passed" for test in outcome["tests"]) else 1)
