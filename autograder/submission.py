"""Find a student's submission and keep only the code the contract says we run.

The contract grades a notebook as submitted: only top-level imports, function and
class definitions, and assignments to UPPER_CASE names run. Training loops, plots,
prints and shell lines are skipped, so students need not clean their notebook.

Finding the file (`find_submission`, `read_submission_bytes`) happens in the judge and
only looks at file types and sizes. Parsing untrusted text (`read_cells`,
`graded_chunks`, `recurrent_helpers`) happens in a limited child, the reader
(child/runner.py), since a parser can be made to crash or to eat memory; it never
executes anything.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import stat
import tokenize
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

    label: str  # "In [12]", "the cell defining train", "code cell 7" or "language_model.py"
    first_line: int  # line of the statement within that cell or file, 1-based
    source: str


MAX_FILES = 2000  # in an uploaded folder
SAFE_NAME = re.compile(r"^[\w][\w .()+-]{0,79}$")


def shown_name(name: str) -> str:
    """A file name as feedback may show it: plain names as they are, anything else described."""
    return f"`{name}`" if SAFE_NAME.match(name) else "your file (its name has unusual characters)"


def _listing(folder: Path) -> tuple[list[Path], list[Path]]:
    """Regular files and symbolic links under `folder`, never following a link."""
    files, links, pending = [], [], [folder]
    while pending:
        for entry in os.scandir(pending.pop()):
            if len(files) + len(links) > MAX_FILES:
                raise SubmissionError(f"Your submission holds more than {MAX_FILES:,} files. Upload only your notebook.")
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISLNK(mode):
                links.append(Path(entry.path))
            elif stat.S_ISDIR(mode) and entry.name != ".ipynb_checkpoints":
                pending.append(Path(entry.path))
            elif stat.S_ISREG(mode):
                files.append(Path(entry.path))
    return sorted(files), sorted(links)


def find_submission(path: Path) -> Path:
    """The file to grade: `path` itself, or the one candidate inside the folder `path`; symbolic links are refused."""
    path = Path(path)
    mode = os.lstat(path).st_mode if os.path.lexists(path) else None
    if mode is not None and stat.S_ISLNK(mode):
        raise SubmissionError("Your submission is a symbolic link, not a file. Upload the notebook file itself.")
    if mode is not None and stat.S_ISREG(mode):
        return path
    if mode is None or not stat.S_ISDIR(mode):
        raise SubmissionError(f"No submission was found (nothing at {shown_name(path.name)}).")
    files, links = _listing(path)
    link_names = [p for p in links if p.suffix in CANDIDATE_SUFFIXES]
    if link_names:
        raise SubmissionError(f"{shown_name(link_names[0].name)} in your submission is a symbolic link, not a file. "
                              "Upload the notebook file itself.")
    for suffix in CANDIDATE_SUFFIXES:
        named = [p for p in files if p.name == EXPECTED_NAME + suffix]
        if len(named) == 1:
            return named[0]
    candidates = [p for p in files if p.suffix in CANDIDATE_SUFFIXES]
    if len(candidates) == 1:
        return candidates[0]
    listed = ", ".join(shown_name(p.name) for p in files[:10]) or "no files at all"
    if not candidates:
        raise SubmissionError(
            f"No notebook or Python file was found in your submission ({listed}). "
            f"Upload `{EXPECTED_NAME}.ipynb` (or `{EXPECTED_NAME}.py`)."
        )
    raise SubmissionError(
        f"Your submission has several candidate files ({listed}) and none is named "
        f"`{EXPECTED_NAME}.ipynb`. Upload only your notebook, or name it `{EXPECTED_NAME}.ipynb`."
    )


def read_submission_bytes(path: Path) -> bytes:
    """The file's bytes, read without following a link, and only if it is a regular file of a gradable size."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise SubmissionError(f"{shown_name(Path(path).name)} could not be opened ({error.strerror}).") from None
    with os.fdopen(descriptor, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionError(f"{shown_name(Path(path).name)} is not a regular file. Upload the notebook file itself.")
        if info.st_size == 0:
            raise SubmissionError(f"{shown_name(Path(path).name)} is empty: did the upload finish? Save your notebook and submit again.")
        if info.st_size > MAX_SUBMISSION_BYTES:
            raise SubmissionError(f"{shown_name(Path(path).name)} is {info.st_size / 1e6:.0f} MB. Clear the notebook's "
                                  "outputs (Edit > Clear all outputs) and submit again.")
        return file.read(MAX_SUBMISSION_BYTES + 1)


def read_cells(path, name: str | None = None) -> list[tuple[str, str]]:
    """(label, code) for each code cell of a notebook, or one pair for a .py file; `name` is how messages call it."""
    path = Path(path)
    shown = shown_name(name or path.name)
    raw = path.read_bytes()
    if not raw:
        raise SubmissionError(f"{shown} is empty: did the upload finish? Save your notebook and submit again.")
    if len(raw) > MAX_SUBMISSION_BYTES:
        raise SubmissionError(f"{shown} is {len(raw) / 1e6:.0f} MB. Clear the notebook's outputs (Edit > Clear all outputs) and submit again.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SubmissionError(f"{shown} is not UTF-8 text ({error}). Submit the .ipynb file itself.") from None
    if path.suffix == ".ipynb":
        try:
            notebook = nbformat.reads(text, as_version=4)
        except (json.JSONDecodeError, nbformat.reader.NotJSONError) as error:
            raise SubmissionError(
                f"{shown} is not a readable notebook: it is not valid JSON ({error}). "
                "Download it again from Jupyter or Colab (File > Download .ipynb) and resubmit."
            ) from None
        except Exception as error:  # nbformat raises several types for malformed notebooks; their texts may quote the file
            raise SubmissionError(f"{shown} is not a readable notebook ({type(error).__name__}). Download it again from "
                                  "Jupyter or Colab (File > Download .ipynb) and resubmit.") from None
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        cells = [(_cell_label(cell, number), cell.source) for number, cell in enumerate(code, start=1)]
        if not cells:
            raise SubmissionError(f"{shown} has no code cells.")
        return cells
    label = name or path.name
    return [(label if SAFE_NAME.match(label) else EXPECTED_NAME + ".py", text)]


_DEFINES = re.compile(r"^(?:def|class)\s+(\w{1,60})", re.MULTILINE)


def _cell_label(cell, number: int) -> str:
    """A cell as Jupyter shows it: In [12] when it ran; else by what it defines, since Jupyter shows no number for a
    cell that never ran; else by its position among code cells."""
    if isinstance(cell.get("execution_count"), int):
        return f"In [{cell.execution_count}]"
    magic = cell.source.lstrip().startswith("%%")  # a cell magic's body may define nothing in the notebook
    defines = None if magic else _DEFINES.search(cell.source)
    return f"the cell defining {defines.group(1)}" if defines else f"code cell {number}"


_SHELL_OR_MAGIC = re.compile(r"^(\s*)([!%].*|\w+\s*=\s*[!%].*)$")
_OPENING, _CLOSING = "([{", ")]}"


def _ipython_rows(code: str) -> list[range] | None:
    """The rows of each logical line that IPython reads as a shell or magic line (`!cmd`, `%magic`,
    `x = !cmd`, `x = %magic`), found with Python's tokenizer, so that a `% 7` continuing an expression
    inside brackets stays code; None when the cell does not tokenize."""
    found, line, depth = [], [], 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            blank = token.type == tokenize.ERRORTOKEN and not token.string.strip()  # how 3.10 reports the blank before `!`
            if blank or token.type in (tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING):
                continue
            if token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER) and depth == 0:
                words = [t.string for t in line[:3]]
                if words[:1] in (["!"], ["%"]) or (len(words) == 3 and line[0].type == tokenize.NAME
                                                   and words[1] == "=" and words[2] in ("!", "%")):
                    found.append(range(line[0].start[0], line[-1].end[0] + 1))
                line = []
                continue
            depth += (token.string in _OPENING) - (token.string in _CLOSING)
            line.append(token)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return found


# Cell magics whose body Jupyter runs as Python in the notebook's own namespace, so its definitions stay.
# (%%timeit is not one: IPython runs its body inside a timing function, whose definitions are gone after.)
PYTHON_CELL_MAGICS = ("time", "capture")
_CELL_MAGIC = re.compile(r"%%(\w{1,40})")


def _without_ipython_syntax(code: str) -> tuple[str, str | None]:
    """The cell as Python: `!pip …`, `%magic` and `x = !cmd` lines commented out, the first line of a
    Python cell magic (%%time, %%capture) too; another cell magic skips the cell, with the reason."""
    lines = code.splitlines()
    first = next((row for row, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = _CELL_MAGIC.match(lines[first].lstrip())
        if magic is None or magic.group(1) not in PYTHON_CELL_MAGICS:
            said = f"the cell magic `%%{magic.group(1)}`" if magic else "a cell magic"
            return "", (f"starts with {said}, which Jupyter does not run as Python in the notebook's namespace, so none "
                        "of its definitions were kept. Move any definition the contract grades into a plain code cell.")
        lines[first] = "# " + lines[first]  # the body is Python: keep it, on its own line numbers
        code = "\n".join(lines)
    rows = _ipython_rows(code)
    if rows is None:  # a broken cell: the line-by-line rule, which its broken part loses anyway
        return "\n".join(_SHELL_OR_MAGIC.sub(r"\1pass  # \2", line) for line in lines), None
    for logical in rows:
        for row in logical:
            indent = len(lines[row - 1]) - len(lines[row - 1].lstrip())
            lines[row - 1] = lines[row - 1][:indent] + ("pass  # " if row == logical.start else "# ") + lines[row - 1][indent:]
    return "\n".join(lines), None


def _is_graded(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return all(isinstance(t, ast.Name) and t.id.isupper() for t in targets)
    return False


UNPARSABLE = (SyntaxError, RecursionError, MemoryError, ValueError)  # ValueError: null bytes


def _problem(error: Exception) -> str:
    if isinstance(error, SyntaxError):
        return f"line {error.lineno}: {error.msg}"
    return "an expression is nested or chained too deeply for Python's parser"


class _ParserCrash(RecursionError):
    """CPython's parser would overflow its C stack on this code and take the process with it."""


def _parse(code: str) -> ast.Module:
    """ast.parse, tried first in a forked process: a chain of 300,000 attributes crashes the parser outright."""
    pid = os.fork()
    if pid == 0:
        try:
            ast.parse(code)
        finally:
            os._exit(0)  # a parse error is reported by the real parse below; only a crash matters here
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        raise _ParserCrash()
    return ast.parse(code)


def _parse_leniently(code: str) -> tuple[list[ast.stmt], list[str]]:
    """Parse code; on a syntax error, parse the top-level blocks one by one and drop the broken ones."""
    try:
        return _parse(code).body, []
    except UNPARSABLE as error:
        first_error = error
    lines = code.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.strip() and not line[0].isspace() and not line.startswith((")", "]", "}", "#"))]
    blocks = zip(starts, starts[1:] + [len(lines)])
    body, notes = [], [_problem(first_error)]
    for start, end in blocks:
        block = "\n" * start + "".join(lines[start:end])  # keep line numbers
        try:
            body.extend(_parse(block).body)
        except UNPARSABLE:
            pass
    # Decorated definitions parse only together with their decorator lines; the split above
    # separates them, so a definition after a decorator is lost. Accept that: it is rare.
    return body, notes


def graded_chunks(cells: list[tuple[str, str]]) -> tuple[list[Chunk], list[str]]:
    """The graded statements of all cells, in order, and notes on what had to be skipped."""
    chunks, notes = [], []
    for label, code in cells:
        code, skipped = _without_ipython_syntax(code)
        if skipped:
            notes.append(f"{label} {skipped}")
            continue
        body, problems = _parse_leniently(code)
        notes.extend(f"{label} has a syntax error ({problem}); its broken part was skipped." for problem in problems)
        lines = code.splitlines()
        for node in body:
            if _is_graded(node):
                start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
                text = "\n".join(lines[start - 1 : node.end_lineno])
                chunks.append(Chunk(label, start, text))
    return chunks, notes


def _is_helper(name: str, rule: dict) -> bool:
    return (name in rule["helpers"] or (name.endswith("Cell") and name[:1].isupper())
            or name.startswith(tuple(rule["prefixes"])))


def _names_a_helper(node: ast.AST, aliases: dict, own: set, rule: dict) -> str | None:
    """The name of a Keras or TensorFlow recurrent layer, cell, loop or fused kernel this node refers to, if any
    (`own`: what the student's module defines itself, such as a class MyCell, which is read rather than named)."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id) or (node.id if _is_helper(node.id, rule) and node.id not in own else None)
    if isinstance(node, ast.Attribute):
        root = node.value
        while isinstance(root, ast.Attribute):
            root = root.value
        if node.attr in rule["loops"] and not (isinstance(root, ast.Name) and root.id == "self"):
            return node.attr  # keras.src.backend.rnn, K.rnn, tf.keras.backend.rnn; not self.rnn
        return node.attr if _is_helper(node.attr, rule) else None
    if isinstance(node, ast.alias):  # an import inside a function
        return node.name if _is_helper(node.name, rule) or node.name in rule["loops"] else None
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value not in ("RNN", "LSTM", "GRU"):
        whole = node.value in rule["helpers"] or node.value in rule["cells"] or node.value.startswith(tuple(rule["prefixes"]))
        return node.value if whole else None  # getattr(tf.raw_ops, "BlockLSTM"); not a name built from pieces
    return None


def _bound_names(node: ast.stmt) -> list[str]:
    """The module-level names a graded statement defines."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [alias.asname or alias.name.split(".")[0] for alias in node.names]
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return [target.id for target in targets if isinstance(target, ast.Name)]


def recurrent_helpers(chunks: list[Chunk], rule: dict) -> dict[str, list[str]]:
    """For each layer of the from-scratch rule (autograder/parts/from_scratch.py, carried in the reader's job):
    the built-in recurrent layers, cells, loops and fused kernels its code reaches.

    The whole graded module is read: each layer's class, then every module-level function,
    class, assignment or import its code names, and so on (the last definition of each name,
    as it runs). Code assembled from strings at run time is not seen here: the child's
    tripwire makes those helpers fail instead.
    """
    statements = [node for chunk in chunks for node in ast.parse(chunk.source).body]
    aliases = {alias.asname or alias.name: alias.name for statement in statements for node in ast.walk(statement)
               if isinstance(node, ast.ImportFrom) for alias in node.names
               if _is_helper(alias.name, rule) or alias.name in rule["loops"]}
    definitions = {name: node for node in statements for name in _bound_names(node)}
    own = {name for name, node in definitions.items() if not isinstance(node, (ast.Import, ast.ImportFrom))}
    found = {}
    for layer in rule["layers"]:
        helpers, seen, pending = set(), set(), [layer]
        while pending:
            name = pending.pop()
            if name in seen or name not in definitions:
                continue
            seen.add(name)
            for node in ast.walk(definitions[name]):
                if helper := _names_a_helper(node, aliases, own, rule):
                    helpers.add(helper)
                if isinstance(node, ast.Name):
                    pending.append(node.id)
        if layer in definitions and helpers:
            found[layer] = sorted(helpers)
    return found


LARGE_TEXT = 20_000  # characters of a str literal, bytes of a bytes literal
LARGE_COLLECTION = 2_000  # constants in one list, tuple, set or dict literal, nested ones counted together
MAX_LARGE_LITERALS = 200  # listed for staff; past that, a notebook is mostly data anyway


_COLLECTIONS = (ast.List, ast.Tuple, ast.Set, ast.Dict)


def _parts(node: ast.AST) -> list:
    return [*node.keys, *node.values] if isinstance(node, ast.Dict) else node.elts


def large_literals(chunks: list[Chunk]) -> list[dict]:
    """Unusually large literal data in the graded code, for staff (shipped weights, say): each literal's line
    (in its cell, or in the .py file), kind (str, bytes, list, tuple, set, dict) and size (characters, bytes,
    or the constants a collection holds, nested collections included). A collection inside another is counted
    with it, not again."""
    found = []

    def constants(node: ast.AST) -> int:
        """The constants in `node`, through nested collection literals (which Python's parser nests at most
        200 deep; anything else, such as a long chain of operators, is not recursed into)."""
        if isinstance(node, ast.Constant) or isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
            return 1  # 0.25, -0.25, "word"
        if isinstance(node, _COLLECTIONS):
            return sum(constants(part) for part in _parts(node) if part is not None)
        return 0

    for chunk in chunks:
        tree = ast.parse(chunk.source)
        nested = {id(part) for node in ast.walk(tree) if isinstance(node, _COLLECTIONS) for part in _parts(node)}
        for node in ast.walk(tree):  # iterative
            line = chunk.first_line + getattr(node, "lineno", 1) - 1
            if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)) and len(node.value) > LARGE_TEXT:
                found.append({"line": line, "kind": type(node.value).__name__, "size": len(node.value)})
            elif isinstance(node, _COLLECTIONS) and id(node) not in nested and (count := constants(node)) > LARGE_COLLECTION:
                found.append({"line": line, "kind": type(node).__name__.lower(), "size": count})
    return sorted(found, key=lambda literal: literal["line"])[:MAX_LARGE_LITERALS]


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
