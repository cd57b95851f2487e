"""Find a student's submission and keep only the code the contract says we run.

The contract grades a notebook as submitted: only top-level imports, function and
class definitions, and assignments to UPPER_CASE names run. Training loops, plots,
prints and shell lines are skipped, so students need not clean their notebook.

This module only reads text (nbformat for notebooks, ast for code); it never
executes anything, so the judging process may use it on untrusted files.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

EXPECTED_NAME = "language_model"
CANDIDATE_SUFFIXES = (".ipynb", ".py")
MAX_SUBMISSION_BYTES = 20_000_000


class SubmissionError(Exception):
    """A submission we cannot grade at all; the message is written for the student."""


@dataclass(frozen=True)
class Chunk:
    """One top-level statement to run, with where it came from (for tracebacks)."""

    label: str  # "cell 7" or "language_model.py"
    first_line: int  # line of the statement within that cell or file, 1-based
    source: str


def find_submission(path: Path) -> Path:
    """The file to grade: `path` itself, or the one candidate inside the folder `path`."""
    path = Path(path)
    if path.is_file():
        return path
    if not path.is_dir():
        raise SubmissionError(f"No submission was found (nothing at {path.name}).")
    files = sorted(p for p in path.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts)
    for suffix in CANDIDATE_SUFFIXES:
        named = [p for p in files if p.name == EXPECTED_NAME + suffix]
        if len(named) == 1:
            return named[0]
    candidates = [p for p in files if p.suffix in CANDIDATE_SUFFIXES]
    if len(candidates) == 1:
        return candidates[0]
    listed = ", ".join(p.name for p in files[:10]) or "no files at all"
    if not candidates:
        raise SubmissionError(
            f"No notebook or Python file was found in your submission ({listed}). "
            f"Upload `{EXPECTED_NAME}.ipynb` (or `{EXPECTED_NAME}.py`)."
        )
    raise SubmissionError(
        f"Your submission has several candidate files ({listed}) and none is named "
        f"`{EXPECTED_NAME}.ipynb`. Upload only your notebook, or name it `{EXPECTED_NAME}.ipynb`."
    )


def read_cells(path: Path) -> list[tuple[str, str]]:
    """(label, code) for each code cell of a notebook, or one pair for a .py file."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise SubmissionError(f"`{path.name}` is empty: did the upload finish? Save your notebook and submit again.")
    if size > MAX_SUBMISSION_BYTES:
        raise SubmissionError(
            f"`{path.name}` is {size / 1e6:.0f} MB. Clear the notebook's outputs (Edit > Clear all outputs) and submit again."
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SubmissionError(f"`{path.name}` is not UTF-8 text ({error}). Submit the .ipynb file itself.") from None
    if path.suffix == ".ipynb":
        try:
            notebook = nbformat.reads(text, as_version=4)
        except (json.JSONDecodeError, nbformat.reader.NotJSONError) as error:
            raise SubmissionError(
                f"`{path.name}` is not a readable notebook: it is not valid JSON ({error}). "
                "Download it again from Jupyter or Colab (File > Download .ipynb) and resubmit."
            ) from None
        except Exception as error:  # nbformat raises several types for malformed notebooks
            raise SubmissionError(f"`{path.name}` is not a readable notebook ({type(error).__name__}: {error}).") from None
        cells = [
            (f"cell {number}", cell.source)
            for number, cell in enumerate(notebook.cells, start=1)
            if cell.cell_type == "code"
        ]
        if not cells:
            raise SubmissionError(f"`{path.name}` has no code cells.")
        return cells
    return [(path.name, text)]


_SHELL_OR_MAGIC = re.compile(r"^(\s*)([!%].*|\w+\s*=\s*[!%].*)$")


def _without_ipython_syntax(code: str) -> str:
    """Comment out `!pip …`, `%magic` and `x = !cmd` lines; a `%%` cell magic hides the whole cell."""
    if code.lstrip().startswith("%%"):
        return ""
    return "\n".join(_SHELL_OR_MAGIC.sub(r"\1pass  # \2", line) for line in code.splitlines())


def _is_graded(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return all(isinstance(t, ast.Name) and t.id.isupper() for t in targets)
    return False


def _parse_leniently(code: str) -> tuple[list[ast.stmt], list[str]]:
    """Parse code; on a syntax error, parse the top-level blocks one by one and drop the broken ones."""
    try:
        return ast.parse(code).body, []
    except SyntaxError as error:
        first_error = error
    lines = code.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.strip() and not line[0].isspace() and not line.startswith((")", "]", "}", "#"))]
    blocks = zip(starts, starts[1:] + [len(lines)])
    body, notes = [], [f"line {first_error.lineno}: {first_error.msg}"]
    for start, end in blocks:
        block = "\n" * start + "".join(lines[start:end])  # keep line numbers
        try:
            body.extend(ast.parse(block).body)
        except SyntaxError:
            pass
    # Decorated definitions parse only together with their decorator lines; the split above
    # separates them, so a definition after a decorator is lost. Accept that: it is rare.
    return body, notes


def graded_chunks(cells: list[tuple[str, str]]) -> tuple[list[Chunk], list[str]]:
    """The graded statements of all cells, in order, and notes on what had to be skipped."""
    chunks, notes = [], []
    for label, code in cells:
        code = _without_ipython_syntax(code)
        body, problems = _parse_leniently(code)
        notes.extend(f"{label} has a syntax error ({problem}); its broken part was skipped." for problem in problems)
        lines = code.splitlines()
        for node in body:
            if _is_graded(node):
                start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
                text = "\n".join(lines[start - 1 : node.end_lineno])
                chunks.append(Chunk(label, start, text))
    return chunks, notes


def graded_source(path_or_text) -> str:
    """The graded top-level code of a notebook or .py file (a path), or of Python source text, as one module."""
    if isinstance(path_or_text, Path) or (isinstance(path_or_text, str) and "\n" not in path_or_text and Path(path_or_text).is_file()):
        cells = read_cells(Path(path_or_text))
    else:
        cells = [("source", path_or_text)]
    chunks, _ = graded_chunks(cells)
    pieces = []
    for previous, chunk in zip([None] + chunks, chunks):
        one_liners = previous is not None and "\n" not in previous.source and "\n" not in chunk.source
        pieces.append(("\n" if one_liners else "\n\n\n") + chunk.source if previous else chunk.source)
    return "".join(pieces) + "\n"
