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
        "%%time\ndef cell_magic_hides_this(): pass",
        "def make_windows(ids, window_sz):\n    return ids\n\nfor i in range(3):\n    print(i)",
    )
    chunks, notes = graded_chunks(read_cells(path))
    assert [chunk.source.splitlines()[0] for chunk in chunks] == [
        "import numpy as np", "HPARAMS = {'epochs': 1}", "def make_windows(ids, window_sz):"]
    assert [chunk.label for chunk in chunks] == ["code cell 1", "code cell 2", "code cell 4"]
    assert notes == []


def test_a_cell_with_a_syntax_error_keeps_its_other_definitions(tmp_path):
    path = notebook(tmp_path / "language_model.ipynb",
                    "def broken(:\n    pass\n\ndef perplexity(labels, logits):\n    return 1.0\n", "import numpy as np")
    chunks, notes = graded_chunks(read_cells(path))
    assert [chunk.source.split("(")[0] for chunk in chunks] == ["def perplexity", "import numpy as np"]
    assert chunks[0].first_line == 4
    assert len(notes) == 1 and "code cell 1 has a syntax error (line 1" in notes[0]


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
                                               nbformat.v4.new_code_cell("X = 1")])
    path = tmp_path / "language_model.ipynb"
    path.write_text(nbformat.writes(document))
    assert [label for label, _ in read_cells(path)] == ["In [12]", "code cell 2"]
