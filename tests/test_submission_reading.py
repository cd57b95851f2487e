"""Reading submissions as students make them, without running anything."""

import json

import nbformat
import pytest

from autograder.submission import SubmissionError, find_submission, graded_chunks, graded_source, read_cells


def notebook(path, *cells):
    path.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])))
    return path


def test_the_expected_name_wins_over_other_files(tmp_path):
    notebook(tmp_path / "language_model.ipynb", "x = 1")
    (tmp_path / "helper.py").write_text("y = 2")
    assert find_submission(tmp_path).name == "language_model.ipynb"


def test_a_lone_notebook_under_another_name_is_graded(tmp_path):
    notebook(tmp_path / "hw4_final (1).ipynb", "x = 1")
    (tmp_path / "README.txt").write_text("hi")
    assert find_submission(tmp_path).name == "hw4_final (1).ipynb"


@pytest.mark.parametrize("files, message", [
    ([], "No notebook or Python file"),
    (["a.ipynb", "b.ipynb"], "several candidate files"),
])
def test_an_ambiguous_or_empty_upload_says_what_to_upload(tmp_path, files, message):
    for name in files:
        notebook(tmp_path / name, "x = 1")
    with pytest.raises(SubmissionError, match=message):
        find_submission(tmp_path)


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (json.dumps({"cells": []}).encode(), "has no code cells"),
    (b"[1, 2]", "not a readable notebook"),
])
def test_an_unreadable_notebook_gets_a_clear_message(tmp_path, content, message):
    path = tmp_path / "language_model.ipynb"
    path.write_bytes(content)
    with pytest.raises(SubmissionError, match=message):
        read_cells(path)


def test_only_imports_definitions_and_upper_case_assignments_are_kept(tmp_path):
    path = notebook(
        tmp_path / "language_model.ipynb",
        "!pip install tensorflow\n%matplotlib inline\nimport numpy as np\nfiles = !ls",
        "HPARAMS = {'epochs': 1}\nlearning_rate = 3\nmodel = train()\nprint('hello')",
        "def make_windows(ids, window_sz):\n    return ids\n\nfor i in range(3):\n    print(i)",
    )
    chunks, notes = graded_chunks(read_cells(path))
    assert [chunk.source.splitlines()[0] for chunk in chunks] == [
        "import numpy as np", "HPARAMS = {'epochs': 1}", "def make_windows(ids, window_sz):"]
    assert [chunk.label for chunk in chunks] == ["code cell 1", "code cell 2", "the cell defining make_windows"]
    assert notes == []


def test_a_python_cell_magic_keeps_its_body_and_another_skips_the_cell_with_a_note(tmp_path):
    """Jupyter runs a %%time or %%capture cell's body as Python in the notebook, so its definitions stay;
    a %%bash, %%writefile or %%timeit cell defines nothing there (%%timeit runs its body inside a function)."""
    path = notebook(
        tmp_path / "language_model.ipynb",
        "%%time\nimport numpy as np\n\ndef perplexity(labels, logits):\n    return 1.0\nprint('timed')",
        "\n%%capture captured\n!pip install tqdm\nHPARAMS = {'epochs': 1}",
        "%%bash\necho def make_windows",
        "%%writefile helper.py\ndef make_windows(ids, window_sz):\n    return ids",
        "%%timeit\ndef timed_in_a_function(): pass",
    )
    chunks, notes = graded_chunks(read_cells(path))
    assert [(chunk.label, chunk.first_line, chunk.source.splitlines()[0]) for chunk in chunks] == [
        ("code cell 1", 2, "import numpy as np"), ("code cell 1", 4, "def perplexity(labels, logits):"),
        ("code cell 2", 4, "HPARAMS = {'epochs': 1}")]
    assert [note.split(",")[0] for note in notes] == [
        "code cell 3 starts with the cell magic `%%bash`", "code cell 4 starts with the cell magic `%%writefile`",
        "code cell 5 starts with the cell magic `%%timeit`"]
    assert all("not run as Python" in note and "plain code cell" in note for note in notes)


def test_a_cell_with_a_syntax_error_keeps_its_other_definitions(tmp_path):
    path = notebook(tmp_path / "language_model.ipynb",
                    "def broken(:\n    pass\n\ndef perplexity(labels, logits):\n    return 1.0\n", "import numpy as np")
    chunks, notes = graded_chunks(read_cells(path))
    assert [chunk.source.split("(")[0] for chunk in chunks] == ["def perplexity", "import numpy as np"]
    assert chunks[0].first_line == 4
    assert len(notes) == 1 and "the cell defining broken has a syntax error (line 1" in notes[0]


def test_graded_source_of_a_python_file_drops_its_experiments(tmp_path):
    path = tmp_path / "language_model.py"
    path.write_text("import numpy as np\nimport tensorflow as tf\nX = 1\nprint(X)\n\ndef f():\n    return X\n")
    assert graded_source(path) == "import numpy as np\nimport tensorflow as tf\nX = 1\n\n\ndef f():\n    return X\n"


def test_a_percent_that_continues_an_expression_is_code_not_a_magic(tmp_path):
    path = notebook(tmp_path / "language_model.ipynb",
                    "%matplotlib inline\ndef perplexity(labels, logits):\n    return (len(labels)\n% 7)\n",
                    "files = !ls\nif True:\n    %time X = 1\n")
    chunks, notes = graded_chunks(read_cells(path))
    assert [chunk.source for chunk in chunks] == ["def perplexity(labels, logits):\n    return (len(labels)\n% 7)"]
    assert notes == []


def test_cells_are_named_as_jupyter_shows_them(tmp_path):
    document = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# title"),
                                               nbformat.v4.new_code_cell("import numpy as np", execution_count=12),
                                               nbformat.v4.new_code_cell("X = 1"),
                                               nbformat.v4.new_code_cell("import tensorflow as tf\n\ndef train(model):\n    pass")])
    path = tmp_path / "language_model.ipynb"
    path.write_text(nbformat.writes(document))
    # A cell that never ran shows no number in Jupyter: it is named by what it defines ("code cell 19" matched nothing).
    assert [label for label, _ in read_cells(path)] == ["In [12]", "code cell 2", "the cell defining train"]


def test_large_literal_data_is_listed_for_staff():
    from autograder.submission import Chunk, large_literals

    source = "\n".join([
        "WEIGHTS = " + repr("0.125," * 5_000),  # 30,000 characters
        "BLOB = " + repr(bytes(25_000)),
        "TABLE = [[0.5, -0.25] * 2, " + ", ".join(["[1, 2, 3]"] * 700) + "]",  # 2,100 constants, nested: listed once
        "SMALL = [" + ", ".join(["7"] * 2_000) + "]",  # 2,000: not unusual
        "PAIRS = {" + ", ".join(f"{i}: -{i}" for i in range(1_500)) + "}",  # 3,000 constants
        "MIXED = (np.zeros(3), [" + ", ".join(["1.0"] * 2_500) + "])",  # listed as the outer tuple
        "CHAIN = 1" + " + 1" * 5_000,  # no literal, and deep: must not overflow the reader's stack
    ])
    found = large_literals([Chunk("code cell 4", 10, source)])
    assert found == [{"line": 10, "kind": "str", "size": 30_000}, {"line": 11, "kind": "bytes", "size": 25_000},
                     {"line": 12, "kind": "list", "size": 2_100}, {"line": 14, "kind": "dict", "size": 3_000},
                     {"line": 15, "kind": "tuple", "size": 2_500}]


def test_a_notebook_with_300_kb_of_weights_in_a_string_is_graded_as_usual_and_noted_for_staff(grade, tmp_path):
    from conftest import REPO

    reference = (REPO / "solution" / "language_model.py").read_text()
    weights = "WEIGHTS = " + repr(",".join(f"{value:.5f}" for value in range(37_500))[:300_000])
    path = notebook(tmp_path / "language_model.ipynb", reference, "import numpy as np\n" + weights)
    results = grade(path, tags={"windows"})
    assert results["score"] == sum(test["max_score"] for test in results["tests"]) > 0, "no points change"
    assert results["extra_data"]["large_literals"] == [{"line": 2, "kind": "str", "size": 300_000}]
