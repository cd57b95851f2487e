"""The handout: the generated stencil and solution match their source, and both notebooks run as promised.

- the build is deterministic, and the generated files in the checkout are what the source builds (they are
  never committed: make builds them);
- both notebooks are valid and clean; the stencil shows every TODO, hides the solution, and each stub
  raises NotImplementedError naming its TODO;
- the build numbers the TODOs in notebook order wherever the source refers to them, and refuses an unknown
  reference, two TODOs of one name and a number written by hand;
- run top to bottom, the stencil stops at TODO 1 (make_windows); the solution notebook runs to the end
  on 2 CPU cores and shows the LSTM ahead of the vanilla RNN on the long-range task;
- solution/language_model.py is the contract as a plain module, importable without side effects.
"""

import ast
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import nbformat
import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from assignment.build import BuildError, build, split_source  # noqa: E402
from autograder.submission import graded_source  # noqa: E402

STENCIL = REPO / "stencil" / "language_model.ipynb"
SOLUTION = REPO / "solution" / "language_model.ipynb"
MODULE = REPO / "solution" / "language_model.py"
GENERATED = [STENCIL, SOLUTION, MODULE]
TODOS = [
    (1, "make_windows"),
    (2, "MyRNN.step"),
    (3, "MyRNN.call"),
    (4, "MyLSTM.step"),
    (5, "MyLSTM.call"),
    (6, "LanguageModel.call"),
    (7, "perplexity"),
    (8, "train"),
    (9, "HPARAMS"),
]
CHECKS = ["windows", "rnn", "lstm", "lm", "perplexity", "train"]
CONTRACT_NAMES = ["make_windows", "MyRNN", "MyLSTM", "LanguageModel", "perplexity", "train", "HPARAMS"]
HPARAMS_KEYS = {"cell", "embedding_sz", "hidden_sz", "window_sz", "batch_sz", "epochs", "learning_rate"}
KERNEL_ENV = {"TF_NUM_INTRAOP_THREADS": "2", "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "2", "TF_CPP_MIN_LOG_LEVEL": "2"}


def code_cells(path):
    return [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


@pytest.mark.quick
def test_the_build_is_deterministic_and_the_checkout_holds_what_it_builds(tmp_path):
    written, again = build(tmp_path / "first"), build(tmp_path / "second")
    assert [path.relative_to(tmp_path / "first") for path in written] == [path.relative_to(REPO) for path in GENERATED]
    for fresh, second, built in zip(written, again, GENERATED):
        assert fresh.read_bytes() == second.read_bytes(), f"two builds of {built.relative_to(REPO)} differ"
        assert fresh.read_bytes() == built.read_bytes(), f"{built.relative_to(REPO)} is stale: run `make stencil`"
    tracked = subprocess.run(["git", "ls-files", *map(str, GENERATED)], cwd=REPO, capture_output=True, text=True).stdout
    assert not tracked, f"generated files are committed: {tracked}"


@pytest.mark.quick
@pytest.mark.parametrize("path", [STENCIL, SOLUTION], ids=["stencil", "solution"])
def test_notebooks_are_valid_and_clean(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    ids = [cell.id for cell in notebook.cells]
    assert len(set(ids)) == len(ids)
    for cell in notebook.cells:
        assert "BEGIN SOLUTION" not in cell.source and "END SOLUTION" not in cell.source and "# STUB" not in cell.source
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    sources = [cell.source for cell in notebook.cells]
    assert any("from check import check" in source for source in sources)
    check_cells = [source for source in sources if re.fullmatch(r'check\("\w+"\)', source.strip())]
    assert check_cells == [f'check("{part}")' for part in CHECKS]


@pytest.mark.quick
def test_todos_are_numbered_in_notebook_order():
    assert [(todo.number, todo.name) for todo in split_source().todos] == TODOS
    stencil = STENCIL.read_text(encoding="utf-8")
    for number, name in TODOS:
        assert f"TODO {number}: {name} — " in stencil


def small_source(folder, names, extra=""):
    """A handout with one TODO per name, in that order, the last with a custom stub; `extra` ends its first cell."""
    cells = ["# %% [markdown]\n# {TODO_COUNT} TODOs: " + ", ".join(f"{{#{name}}} `{name}`" for name in names) + extra]
    for name in names[:-1]:
        cells += [f"# %% [markdown]\n# ### TODO {{#{name}}}: `{name}`",
                  f'# %%\ndef {name}():\n    """TODO {{#{name}}}: one."""\n'
                  f"    # BEGIN SOLUTION TODO {name}: return 1\n    return 1\n    # END SOLUTION"]
    last = names[-1]
    cells += [f"# %%\n# BEGIN SOLUTION TODO {last}: set {last} (after TODO {{#{names[0]}}})\n{last} = 1\n# STUB\n"
              f'# raise NotImplementedError("{{TODO}}, then delete this line")\n# {last} = ...\n# END SOLUTION']
    path = folder / "handout.py"
    path.write_text("\n\n".join(cells) + "\n", encoding="utf-8")
    return path


def stencil_text(handout):
    return "\n".join(source for _, source, _ in handout.stencil_cells)


@pytest.mark.quick
def test_the_build_numbers_todos_in_notebook_order(tmp_path):
    handout = split_source(small_source(tmp_path, ["windows", "train", "HPARAMS"]))
    assert [(todo.number, todo.name) for todo in handout.todos] == [(1, "windows"), (2, "train"), (3, "HPARAMS")]
    inserted = split_source(small_source(tmp_path, ["perplexity", "windows", "train", "HPARAMS"]))
    assert [(todo.number, todo.name) for todo in inserted.todos] == \
        [(1, "perplexity"), (2, "windows"), (3, "train"), (4, "HPARAMS")]
    stencil, solution = stencil_text(inserted), "\n".join(source for _, source, _ in inserted.solution_cells)
    assert "Four TODOs: 1 `perplexity`, 2 `windows`, 3 `train`, 4 `HPARAMS`" in stencil
    assert "### TODO 2: `windows`" in stencil and '"""TODO 2: one."""' in solution
    assert 'raise NotImplementedError("TODO 2: windows — return 1")' in stencil
    assert 'raise NotImplementedError("TODO 4: HPARAMS — set HPARAMS (after TODO 1), then delete this line")' in stencil
    assert "{#" not in stencil + solution and "{TODO" not in stencil + solution


@pytest.mark.quick
@pytest.mark.parametrize("names, extra, error", [
    (["windows", "HPARAMS"], "\n# and {#window}", r"handout\.py, cell 1, line 2: \{#window\} refers to no TODO; the TODOs are windows, HPARAMS"),
    (["windows", "windows", "HPARAMS"], "", r"cell 5, line 3: a second TODO named 'windows' \(the first is at handout\.py, cell 3, line 3\)"),
    (["windows", "HPARAMS"], "\n# TODO 1 is the first", r"cell 1, line 2: 'TODO 1' is numbered by hand"),
], ids=["unknown reference", "duplicate name", "hand-numbered"])
def test_the_build_refuses_what_it_cannot_number(tmp_path, names, extra, error):
    with pytest.raises(BuildError, match=error):
        split_source(small_source(tmp_path, names, extra))


@pytest.mark.quick
def test_the_stencil_hides_the_solution():
    def lines(path):
        return Counter(line.strip() for source in code_cells(path) for line in source.splitlines())

    stencil, solution, todos = lines(STENCIL), lines(SOLUTION), split_source().todos
    in_regions = Counter(line.strip() for todo in todos for line in todo.solution.splitlines())
    for todo in todos:
        for line in {line.strip() for line in todo.solution.splitlines()}:
            given = solution[line] - in_regions[line]  # the same line in given code, such as a loop over batches
            if len(line) > 25:  # a distinctive line, not `return outputs`
                assert stencil[line] <= given, f"TODO {todo.number} leaks into the stencil: {line!r}"


@pytest.fixture(scope="module")
def stencil_namespace():
    """The stencil's graded code (what the autograder would run of an untouched stencil), executed."""
    import tensorflow as tf  # noqa: F401  (imported here so that collecting this module stays cheap)

    namespace = {"__name__": "stencil_language_model"}
    exec(compile(graded_source(STENCIL), str(STENCIL), "exec"), namespace)
    return namespace


def call_todo(namespace, name):
    """Call the stencil's version of one TODO on tiny inputs."""
    import tensorflow as tf

    x, state = tf.zeros((2, 3, 4)), tf.zeros((2, 5))
    if name == "make_windows":
        return namespace["make_windows"](np.arange(11), 4)
    if name.startswith(("MyRNN", "MyLSTM")):
        layer = namespace[name.split(".")[0]](5)
        layer.build(x.shape)
        if name == "MyRNN.step":
            return layer.step(x[:, 0], state)
        if name == "MyLSTM.step":
            return layer.step(x[:, 0], state, state)
        return layer(x)
    if name == "LanguageModel.call":
        return namespace["LanguageModel"](10, cell="rnn", embedding_sz=4, hidden_sz=5)(np.zeros((2, 3), np.int64))
    if name == "perplexity":
        return namespace["perplexity"](np.zeros((2, 3), np.int64), tf.zeros((2, 3, 10)))
    if name == "train":
        model = namespace["LanguageModel"](10, cell="rnn", embedding_sz=4, hidden_sz=5)
        return namespace["train"](model, np.zeros((4, 3), np.int64), np.zeros((4, 3), np.int64), 1, 2, 0.01)
    if name == "HPARAMS":  # a module-level stub: run its cell
        (cell,) = [source for source in code_cells(STENCIL) if "HPARAMS = {" in source]
        return exec(cell, {})
    raise AssertionError(f"no call for {name}")


@pytest.mark.quick
@pytest.mark.parametrize("number, name", TODOS, ids=[name for _, name in TODOS])
def test_each_stub_raises_naming_its_todo(stencil_namespace, number, name):
    with pytest.raises(NotImplementedError, match=re.escape(f"TODO {number}: {name} — ")):
        call_todo(stencil_namespace, name)


@pytest.mark.quick
def test_the_stencil_asks_for_every_hparams_key():
    (cell,) = [source for source in code_cells(STENCIL) if "HPARAMS = {" in source]
    keys = set(re.findall(r'^\s*"(\w+)": \.\.\.,', cell, flags=re.M))
    assert keys == HPARAMS_KEYS


def execute(notebook, cwd, monkeypatch):
    from nbclient import NotebookClient

    for name, value in KERNEL_ENV.items():
        monkeypatch.setenv(name, value)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    return client.execute()


def require_data():
    missing = [name for name in ["train", "valid", "test", "vocab"] if not (REPO / "stencil" / "data" / f"{name}.txt").is_file()]
    assert not missing, f"stencil/data/ lacks {missing}: run `make data`"


@pytest.mark.quick
@pytest.mark.xdist_group("notebook")
def test_the_stencil_stops_at_the_first_todo(monkeypatch, students_folder):
    from nbclient.exceptions import CellExecutionError

    require_data()
    notebook = nbformat.read(STENCIL, as_version=4)
    with pytest.raises(CellExecutionError) as stopped:
        execute(notebook, students_folder, monkeypatch)  # as unpacked from dist/stencil.zip: check.py and checker/
    assert stopped.value.ename == "NotImplementedError"
    assert "TODO 1: make_windows" in stopped.value.evalue
    errors = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
              and any(output.output_type == "error" for output in cell.outputs)]
    (failed,) = errors
    assert "def make_windows" in notebook.cells[failed - 1].source, "the stencil must stop in the cell right after TODO 1"


@pytest.mark.xdist_group("notebook")
def test_the_solution_notebook_runs_and_the_lstm_remembers_longer(monkeypatch, students_folder):
    require_data()
    notebook = nbformat.read(SOLUTION, as_version=4)
    (knob,) = [cell for cell in notebook.cells if cell.source.startswith("max_tokens = None")]
    knob.source = knob.source.replace("max_tokens = None", "max_tokens = 30_000", 1)  # a quick main experiment
    report = "import json; print(json.dumps({'distances': DISTANCES, 'accuracy': long_range, 'valid': valid_perplexity, 'vocab': len(vocab)}))"
    notebook.cells.append(nbformat.v4.new_code_cell(report))
    execute(notebook, students_folder, monkeypatch)  # the unpacked stencil zip, so data/, check.py and checker/ resolve
    result = json.loads(notebook.cells[-1].outputs[0].text)
    for cell in notebook.cells:  # run top to bottom, every check passes where it stands (check("train") after HPARAMS)
        if cell.cell_type == "code" and cell.source.startswith("check("):
            shown = [output for output in cell.outputs if output.output_type != "stream"]
            assert [output.output_type for output in shown] == ["display_data"], \
                f"{cell.source}: the report is shown once, as Markdown, and no results dict is printed under it"
            report = shown[0].data["text/markdown"]
            assert "❌" not in report and "visible tests pass" in report, f"{cell.source} fails in the solution:\n{report}"
            if "train" in cell.source:
                assert "Test perplexity" in report and "CPU-seconds it may use" in report, "what passed, with its figures"
    rnn, lstm = result["accuracy"]["rnn"], result["accuracy"]["lstm"]
    assert lstm[-1] > rnn[-1], f"at distance {result['distances'][-1]} the LSTM ({lstm[-1]:.2f}) must beat the RNN ({rnn[-1]:.2f})"
    assert lstm[-1] > 0.5, "the LSTM should remember the subject at the longest distance, far above guessing (0.25)"
    assert result["valid"] < result["vocab"], "the trained model must beat the uniform model"


@pytest.mark.xdist_group("notebook")
def test_the_reference_module_imports_without_side_effects(tmp_path):
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import language_model as m\n"
        f"missing = [n for n in {CONTRACT_NAMES!r} if not hasattr(m, n)]\n"
        "sys.exit(f'missing {missing}' if missing else 0)\n"
    )
    env = dict(os.environ, **KERNEL_ENV)
    start = time.time()
    done = subprocess.run([sys.executable, "-c", code, str(MODULE.parent)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    elapsed = time.time() - start
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "", f"importing the reference printed: {done.stdout[:500]!r}"
    assert elapsed < 60, f"importing the reference took {elapsed:.0f} s: does it train or load data on import?"
    assert list(tmp_path.iterdir()) == [], "importing the reference wrote files"


@pytest.mark.quick
def test_the_reference_module_is_only_the_contract():
    tree = ast.parse(MODULE.read_text(encoding="utf-8"))
    names = {}
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names[node.name] = node
        else:
            assert isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets), \
                f"line {node.lineno}: only imports, defs, classes and UPPER_CASE assignments belong in the reference"
            names.update({target.id: node for target in node.targets})
    assert set(CONTRACT_NAMES) <= set(names)
    methods = {name: {item.name for item in names[name].body if isinstance(item, ast.FunctionDef)}
               for name in ["MyRNN", "MyLSTM", "LanguageModel"]}
    assert {"build", "step", "call"} <= methods["MyRNN"] and {"build", "step", "call"} <= methods["MyLSTM"]
    assert "call" in methods["LanguageModel"]
    assert set(ast.literal_eval(names["HPARAMS"].value)) == HPARAMS_KEYS
    assert MODULE.read_text(encoding="utf-8").strip().endswith(graded_source(SOLUTION).strip())
