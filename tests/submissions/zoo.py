"""The submission zoo's catalogue: what each file in tests/submissions claims about itself.

Every submission starts with a header (a .py file's module docstring, a notebook's
first cell) whose first line says, in a student's words, what is wrong, and which
holds lines of the form

    expect-fail: lstm            the parts that must lose points ("none": full marks)
    hostile: <what it does>      hostile submissions only
    graded-parts: rnn lstm ...   optional: grade only these parts (to save time)
    expect-output: <regex>       optional: a failing test's feedback must match it
    known-gap: <why>             optional: the grader cannot see this bug yet (the test is a strict xfail)
    expect-score: <points>       optional: the exact total score (e.g. 0 for a stencil that only cheats)
    no-points: lstm train 6.2    optional: every test of these parts, and these tests, must score 0 (what an attack aimed at)
    cpu-budget: train 10         optional: grade with these parts' CPU budgets (a small one stops a CPU burner soon)
    whole: <why>                 optional: this upload stays byte-exact (see below)
    over: stencil                optional: laid over the stencil's code instead (a student who left the TODOs),
    over: hostile/x.py           or over another zoo file as laid out (the same attack with more on top)

Folders: bugs/ (one realistic mistake each), equivalent/ (correct, other styles),
hostile/ (attacks on the grader), notebooks/ (.ipynb that make_notebooks.py builds from the
reference when the zoo is laid out: none is committed).

A .py submission states only what differs from the reference solution: the definitions it
writes its own way (a bug, a rewrite, a hostile helper), statements of its own, and `del NAME`
for a contract name it leaves out. `laid_out()` lays each one over the current
solution/language_model.py before the suite grades it, so a change to the reference reaches
every submission at once; one whose header says `over: stencil` is laid over the stencil's
graded code instead (what a student who did no TODO uploads), one that says `over: KIND/FILE.py`
over that zoo file as laid out (its header aside). A file whose header says `whole:`
(and any committed notebook) is graded byte for byte as committed. `python tests/submissions/zoo.py
FILE…` rewrites full copies into overlays, each checked to define what the copy did.

Loaded once by tests/conftest.py, which grades the laid-out copies (conftest.SUBMISSIONS).
"""

from __future__ import annotations

import ast
import atexit
import functools
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))  # also when run as a script (the converter)
from autograder.parts import PARTS as declared_parts  # noqa: E402
PARTS = tuple(part.name for part in declared_parts)
TENSOR_PARTS = tuple(part.name for part in declared_parts if part.kind != "training")  # cheap; training takes minutes
KINDS = ("bugs", "equivalent", "hostile", "notebooks")
REFERENCE = REPO / "solution" / "language_model.py"
STENCIL = REPO / "stencil" / "language_model.ipynb"
NOTEBOOK_BUILDER = HERE / "notebooks" / "make_notebooks.py"
CONTRACT_NAMES = ("make_windows", "MyRNN", "MyLSTM", "LanguageModel", "perplexity", "train", "HPARAMS")
# Defined names whose code decides the train part's outcome.
TRAIN_INPUTS = ("train", "HPARAMS", "LanguageModel")
# Grade every part of every submission (slow; for a thorough run before a release).
ALL_PARTS = os.environ.get("ZOO_ALL_PARTS") == "1"

# What "names a tensor or function" means in feedback: a `quoted` name, or a contract name.
NAMES_SOMETHING = re.compile(
    r"`[^`\n]+`|\b(make_windows|MyRNN|MyLSTM|LanguageModel|perplexity|train|HPARAMS|step|call|"
    r"inputs|labels|logits|h_t|c_t|s_t|W_\w+|U_\w+|b_\w+)\b")


@dataclass(frozen=True)
class Entry:
    path: Path
    kind: str
    summary: str
    expect_fail: frozenset
    hostile: str | None
    graded_parts: frozenset | None
    expect_output: str | None
    known_gap: str | None
    expect_score: float | None
    no_points: frozenset = frozenset()
    cpu_budget: dict | None = None  # part -> CPU-seconds, replacing the zip's limits for this grading

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.path.name}"

    def tags(self) -> frozenset:
        """The parts to grade for this submission."""
        if ALL_PARTS:
            return frozenset(PARTS)
        if self.graded_parts is not None:
            return self.graded_parts | self.expect_fail | (self.no_points & frozenset(PARTS))
        if self.kind == "hostile":
            return frozenset(PARTS)
        parts = set(TENSOR_PARTS) | self.expect_fail
        if self.kind != "bugs" and differs_from_reference(self.path, TRAIN_INPUTS):
            parts.add("train")
        return frozenset(parts)


def header_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        source = cells[0]["source"] if cells else ""
        return "".join(source) if isinstance(source, list) else source
    return ast.get_docstring(ast.parse(text)) or ""


def _parts(value: str, path: Path, key: str) -> frozenset:
    words = value.split()
    if words == ["none"]:
        return frozenset()
    unknown = [word for word in words if word not in PARTS]
    if unknown or not words:
        raise ValueError(f"{path}: `{key}:` names unknown parts {unknown or words}")
    return frozenset(words)


def _budgets(value: str, path: Path) -> dict:
    words = value.split()
    budgets = dict(zip(words[::2], (float(seconds) for seconds in words[1::2])))
    if len(words) % 2 or not words or set(budgets) - set(PARTS):
        raise ValueError(f"{path}: `cpu-budget:` wants part and CPU-seconds pairs, not {value!r}")
    return budgets


def _parts_or_tests(value: str, path: Path, key: str) -> frozenset:
    tests = frozenset(word for word in value.split() if re.fullmatch(r"\d+(\.\d+)+", word))
    rest = " ".join(word for word in value.split() if word not in tests)
    return tests | (_parts(rest, path, key) if rest else frozenset())


def read_entry(path: Path) -> Entry:
    text = header_text(path)
    lines = [line.strip() for line in text.splitlines()]
    fields = {}
    for line in lines:
        match = re.match(r"^(expect-fail|hostile|graded-parts|expect-output|known-gap|expect-score|no-points|cpu-budget|whole):\s*(.*)$", line)
        if match:
            fields[match.group(1)] = match.group(2).strip()
    if "expect-fail" not in fields:
        raise ValueError(f"{path}: its header has no `expect-fail:` line")
    summary = next((line.lstrip("# ") for line in lines if line and not line.startswith("# Homework")), "")
    kind = path.parent.name
    entry = Entry(
        path=path,
        kind=kind,
        summary=summary,
        expect_fail=_parts(fields["expect-fail"], path, "expect-fail"),
        hostile=fields.get("hostile"),
        graded_parts=_parts(fields["graded-parts"], path, "graded-parts") if "graded-parts" in fields else None,
        expect_output=fields.get("expect-output"),
        known_gap=fields.get("known-gap"),
        expect_score=float(fields["expect-score"]) if "expect-score" in fields else None,
        no_points=_parts_or_tests(fields["no-points"], path, "no-points") if "no-points" in fields else frozenset(),
        cpu_budget=_budgets(fields["cpu-budget"], path) if "cpu-budget" in fields else None,
    )
    if (kind == "hostile") != (entry.hostile is not None):
        raise ValueError(f"{path}: a `hostile:` line belongs in hostile/ submissions, and only there")
    return entry


def entries(kind: str) -> list[Entry]:
    """The submissions of one folder, each at its laid-out path (what the suite grades)."""
    suffix = ".ipynb" if kind == "notebooks" else ".py"
    return [read_entry(path) for path in sorted((laid_out() / kind).glob("*" + suffix))]


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return tree


def _definitions(source: str) -> dict[str, str]:
    """Top-level definitions and UPPER_CASE assignments, as AST dumps without docstrings."""
    found = {}
    for node in _without_docstrings(ast.parse(source)).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found[node.name] = ast.dump(node)
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            for target in node.targets:
                found[target.id] = ast.dump(node.value)
    return found


def _source_of(path: Path) -> str:
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    pieces = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if source.lstrip().startswith("%%"):
            continue
        kept = [line for line in source.splitlines() if not line.lstrip().startswith(("!", "%")) and "= !" not in line]
        try:
            ast.parse("\n".join(kept))
        except SyntaxError:
            continue  # an experiment cell with a syntax error defines nothing we compare
        pieces.append("\n".join(kept))
    return "\n\n".join(pieces)


# ---------------------------------------------------------------- submissions laid over the reference


def _key(node: ast.stmt) -> str | None:
    """The name a top-level statement defines, which an overlay's statement of the same name replaces."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    return None


def _segment(lines: list[str], node: ast.stmt) -> str:
    """A statement's own source lines, decorators included, as written."""
    first = min([node.lineno, *(decorator.lineno for decorator in getattr(node, "decorator_list", []))])
    return "".join(lines[first - 1:node.end_lineno])


def _body(tree: ast.Module) -> list[ast.stmt]:
    """The module's statements after its docstring (the zoo header)."""
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        return body[1:]
    return body


def lay_over(overlay: str, reference: str) -> str:
    """The whole submission an overlay stands for: the reference's statements, each replaced by the overlay's
    statement of the same name where it has one and left out where the overlay says `del NAME`; then the
    overlay's other statements, in its order. The overlay's header (its docstring) comes first."""
    overlay_tree, reference_lines, overlay_lines = ast.parse(overlay), reference.splitlines(True), overlay.splitlines(True)
    mine = {_key(node): node for node in _body(overlay_tree) if _key(node)}
    dropped = {target.id for node in _body(overlay_tree) if isinstance(node, ast.Delete)
               for target in node.targets if isinstance(target, ast.Name)}
    pieces = [_segment(overlay_lines, overlay_tree.body[0])] if len(_body(overlay_tree)) < len(overlay_tree.body) else []
    placed = set()
    for node in _body(ast.parse(reference)):
        name = _key(node)
        if name in dropped:
            continue
        if name in mine:
            pieces.append(_segment(overlay_lines, mine[name]))
            placed.add(name)
        else:
            pieces.append(_segment(reference_lines, node))
    pieces += [_segment(overlay_lines, node) for node in _body(overlay_tree)
               if not isinstance(node, ast.Delete) and _key(node) not in placed]
    return "\n\n".join(piece.rstrip("\n") for piece in pieces) + "\n"


def written_statements(source: str) -> dict[str, str]:
    """The top-level statements of `source` as written (comments and decorators in), by the name each defines;
    the imports together under "import"."""
    lines, found = source.splitlines(True), {}
    for node in _body(ast.parse(source)):
        key = "import" if isinstance(node, (ast.Import, ast.ImportFrom)) else _key(node)
        if key:
            found[key] = found.get(key, "") + _segment(lines, node)
    return {key: text.rstrip("\n") for key, text in found.items()}


def _notebook_builder():
    """make_notebooks.py, loaded by path (tests/ is no package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_notebooks", NOTEBOOK_BUILDER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _is_whole(path: Path) -> bool:
    return path.suffix == ".ipynb" or bool(re.search(r"^\s*whole:", header_text(path), re.MULTILINE))


@functools.lru_cache(maxsize=1)
def stencil_source() -> str:
    """The stencil notebook's graded code as one module, as the grader reads it from an untouched upload."""
    from autograder.submission import graded_chunks, read_cells

    chunks, _ = graded_chunks(read_cells(STENCIL))
    return "\n\n\n".join(chunk.source for chunk in chunks) + "\n"


def base_of(path: Path, reference: str) -> str:
    """What the overlay at `path` is laid over, as its header's `over:` says: the stencil's code, another zoo file
    laid out, or (without `over:`) `reference`."""
    over = re.search(r"^\s*over:\s*(\S+)\s*$", header_text(path), re.MULTILINE)
    if over is None:
        return reference
    if over.group(1) == "stencil":
        return stencil_source()
    base = HERE / over.group(1)
    return lay_over(base.read_text(encoding="utf-8"), base_of(base, reference))


def lay_out(target: Path) -> Path:
    """Every submission of the zoo under `target`, in its folder: overlays laid over the reference, the notebooks
    built from it, the rest as is."""
    reference = REFERENCE.read_text(encoding="utf-8")
    for kind in KINDS:
        (target / kind).mkdir(parents=True, exist_ok=True)
        for path in sorted((HERE / kind).glob("*")):
            if path.suffix not in (".py", ".ipynb") or path == NOTEBOOK_BUILDER:
                continue
            if _is_whole(path):
                shutil.copyfile(path, target / kind / path.name)
            else:
                laid = lay_over(path.read_text(encoding="utf-8"), base_of(path, reference))
                (target / kind / path.name).write_text(laid, encoding="utf-8")
    _notebook_builder().write_notebooks(target / "notebooks", written_statements(reference))
    return target


_LAID_OUT: list[Path] = []


def laid_out() -> Path:
    """The zoo laid out once per process, in a folder removed when the process ends."""
    if not _LAID_OUT:
        folder = Path(tempfile.mkdtemp(prefix="rnnkit-zoo-"))
        atexit.register(shutil.rmtree, folder, True)
        _LAID_OUT.append(lay_out(folder))
    return _LAID_OUT[0]


def as_overlay(whole: str, reference: str) -> str:
    """A full copy rewritten as an overlay: its header, then only the statements that differ from the reference
    (docstrings aside), in its own order, then `del NAME` for each contract name it lacks."""
    tree, lines = ast.parse(whole), whole.splitlines(True)
    reference_statements = {ast.dump(node) for node in _without_docstrings(ast.parse(reference)).body}
    stripped = _body(_without_docstrings(ast.parse(whole)))
    kept = [_segment(lines, tree.body[0])] if len(_body(tree)) < len(tree.body) else []
    names = set()
    for node, bare in zip(_body(tree), stripped):
        names.add(_key(node))
        if ast.dump(bare) not in reference_statements:
            kept.append(_segment(lines, node))
    theirs = {_key(node) for node in ast.parse(reference).body}
    kept += [f"del {name}" for name in CONTRACT_NAMES if name in theirs and name not in names]
    return "\n\n\n".join(piece.rstrip("\n") for piece in kept) + "\n"


def defines_the_same(laid: str, whole: str) -> bool:
    """Whether a laid-out overlay defines what the full copy did, the same way (docstrings and imports aside), and
    runs its other statements (those that act at import) in the same order. It may hold more of the reference's
    helpers than the copy did, but no other contract name."""
    def statements(source):
        return [(_key(node), ast.dump(node)) for node in _body(_without_docstrings(ast.parse(source)))
                if not isinstance(node, (ast.Import, ast.ImportFrom))]

    def running(listed):
        return [dump for _, dump in listed if not dump.startswith(("FunctionDef", "ClassDef"))]
    mine, theirs = statements(laid), statements(whole)
    extra = [entry for entry in mine if entry not in theirs]
    return (all(entry in mine for entry in theirs) and not any(name in CONTRACT_NAMES or name is None for name, _ in extra)
            and running([entry for entry in mine if entry in theirs]) == running(theirs))


def differs_from_reference(path: Path, names) -> bool:
    """Whether any of `names` is defined differently from the reference solution (True if unsure)."""
    try:
        ours, reference = _definitions(_source_of(path)), _definitions(REFERENCE.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return True
    return any(ours.get(name) != reference.get(name) for name in names)


def cost(entry: Entry) -> float:
    """A rough wall-clock estimate of grading `entry`, in seconds (for balancing CI workers)."""
    tags = entry.tags()
    seconds = 8 + 4 * len(tags - {"train"})  # mostly each child's TensorFlow import
    if "train" in tags:
        seconds += 320 if "time" in (entry.expect_output or "") else 120
    if entry.kind == "hostile":
        seconds += 40  # searches, floods, time-outs
    return seconds


def lanes(all_entries: list[Entry], count: int = 2) -> dict[str, str]:
    """Entry id -> xdist group: hostile ones share a lane; the rest are spread so lanes take equal time."""
    totals = [0.0] * count
    lane_of = {}
    hostile = [e for e in all_entries if e.kind == "hostile"]
    for entry in hostile:
        lane_of[entry.id] = 0
        totals[0] += cost(entry)
    for entry in sorted((e for e in all_entries if e.kind != "hostile"), key=lambda e: (-cost(e), e.id)):
        lane = min(range(count), key=lambda i: totals[i])
        lane_of[entry.id] = lane
        totals[lane] += cost(entry)
    return {entry_id: f"zoo-lane-{lane}" for entry_id, lane in lane_of.items()}


# ---------------------------------------------------------------- judging a results.json


def manifest(zip_path: Path) -> list[dict]:
    """Every graded test the autograder zip knows of (its expected/tests.json)."""
    import zipfile

    with zipfile.ZipFile(zip_path) as archive:
        return json.loads(archive.read("expected/tests.json"))


def schema(zip_path: Path) -> dict:
    import zipfile

    with zipfile.ZipFile(zip_path) as archive:
        return json.loads(archive.read("autograder/results.schema.json"))


def structure_problems(results: dict, tests: list[dict], graded: frozenset, results_schema: dict | None) -> list[str]:
    """results.json is valid Gradescope output and lists exactly the graded tests, each with one tag."""
    problems = []
    if results_schema is not None:
        import jsonschema

        validator = jsonschema.Draft202012Validator(results_schema)
        problems += [f"schema: {error.message} at {list(error.absolute_path)}" for error in validator.iter_errors(results)][:5]
    listed = {}
    for test in results.get("tests", []):
        for key in ("name", "score", "max_score", "status", "output", "tags", "number", "visibility"):
            if key not in test:
                problems.append(f"test {test.get('number', '?')} has no `{key}`")
        if len(test.get("tags", [])) != 1 or test["tags"][0] not in PARTS:
            problems.append(f"test {test.get('number', '?')} has tags {test.get('tags')}, not exactly one part")
        if not 0 <= test.get("score", -1) <= test.get("max_score", -1):
            problems.append(f"test {test.get('number')} scores {test.get('score')} of {test.get('max_score')}")
        if (test.get("status") == "passed") != (test.get("score") == test.get("max_score")):
            problems.append(f"test {test.get('number')} is {test.get('status')} with {test.get('score')}/{test.get('max_score')}")
        listed[test.get("number")] = test
    wanted = {test["number"]: test for test in tests if set(test["tags"]) & graded}
    missing = sorted(set(wanted) - set(listed))
    extra = sorted(set(listed) - set(wanted))
    if missing:
        problems.append(f"tests missing from results.json: {missing}")
    if extra:
        problems.append(f"tests in results.json that were not asked for: {extra}")
    for number in set(wanted) & set(listed):
        if listed[number]["max_score"] != wanted[number]["max_score"]:
            problems.append(f"test {number} is worth {listed[number]['max_score']}, the zip says {wanted[number]['max_score']}")
    total = sum(test.get("score", 0) for test in results.get("tests", []))
    if "score" in results and abs(results["score"] - total) > 1e-6:
        problems.append(f"top-level score {results['score']} is not the sum of the tests' scores {total}")
    return problems


def _lost(test: dict) -> bool:
    return test["score"] < test["max_score"]


def verdict_problems(entry: Entry, results: dict, graded: frozenset) -> list[str]:
    """The expected parts lose points with feedback a student can act on; every other graded part keeps full marks."""
    problems = []
    for part in sorted(graded):
        tests = [test for test in results["tests"] if test["tags"] == [part]]
        if not tests:
            problems.append(f"{part}: no test of this part in results.json")
            continue
        lost = [test for test in tests if _lost(test)]
        if part not in entry.expect_fail:
            problems += [f"{part}: {test['number']} scored {test['score']:g}/{test['max_score']:g} although this submission's "
                         f"{part} is correct; feedback: {test['output'][:400]!r}" for test in lost]
            continue
        if not lost:
            problems.append(f"{part}: full marks, but this submission's bug is in {part} ({entry.summary})")
            continue
        silent = [test["number"] for test in lost if not test["output"].strip()]
        if silent:
            problems.append(f"{part}: {silent} lost points without any feedback")
        if entry.expect_output:  # the feedback must say what went wrong (time, memory, exit), not name a tensor
            if not any(re.search(entry.expect_output, test["output"], re.IGNORECASE) for test in lost):
                problems.append(f"{part}: no failing test's feedback matches /{entry.expect_output}/: "
                                f"{[test['output'][:300] for test in lost[:3]]}")
        elif not any(NAMES_SOMETHING.search(test["output"]) for test in lost):
            problems.append(f"{part}: no failing test's feedback names a tensor or function: "
                            f"{[test['output'][:200] for test in lost[:3]]}")
    for aim in sorted(entry.no_points):
        scored = [f"{test['number']} {test['score']:g}" for test in results["tests"]
                  if (test["tags"] == [aim] and aim in graded or test["number"] == aim) and test["score"] > 0]
        if scored:
            problems.append(f"{aim}: the attack on it earned points ({', '.join(scored)})")
    if entry.expect_score is not None and abs(results.get("score", -1) - entry.expect_score) > 1e-9:
        scored = [f"{test['number']} {test['score']:g}" for test in results["tests"] if test["score"] > 0]
        problems.append(f"scored {results.get('score')}, expected exactly {entry.expect_score:g} (points in {scored})")
    return problems


def main(paths: list[str]) -> int:
    """Rewrite full copies as overlays, each checked to lay out to what the copy defines."""
    reference = REFERENCE.read_text(encoding="utf-8")
    for name in paths:
        path = Path(name)
        whole, base = path.read_text(encoding="utf-8"), base_of(path, reference)
        overlay = as_overlay(whole, base)
        if not defines_the_same(lay_over(overlay, base), whole):
            print(f"{path}: left whole: laid over its base it would not define what it does now")
            continue
        path.write_text(overlay, encoding="utf-8")
        print(f"{path}: {len(whole.splitlines())} -> {len(overlay.splitlines())} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
