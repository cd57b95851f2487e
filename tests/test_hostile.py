"""Hostile submissions cannot cheat, crash or outlive the autograder.

Each file in tests/submissions/hostile is graded like any other submission; then
results.json must be valid Gradescope output listing every graded test, the verdict
must be the one its header expects (usually: full marks, since the answers are right;
never more than they earn), and no process it started may remain.

These run only as root: the sandbox drops privileges only then. As another user the
student code runs as you, and these files would forge your results, kill your
processes and leave daemons in your session.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conftest import REPO, SUBMISSIONS, zoo


ALL_ENTRIES = [entry for kind in zoo.KINDS for entry in zoo.entries(kind)]
LANES = zoo.lanes(ALL_ENTRIES)  # every hostile file is in the same lane: never two at once
HOSTILE = [entry for entry in ALL_ENTRIES if entry.kind == "hostile"]
SLEEPER_MARK = "rnnkit-hostile-sleeper"  # in the argv of leave_daemons_behind.py's sleepers
FORGED_MARK = "forged by the submission"  # in forge_results_json.py's fake results
from autograder.sandbox import SANDBOX_USERS, TEMP_FOLDERS

JUDGE_MEMORY_MB = 400  # the judge's own peak, far below Gradescope's 768 MB whatever a child hands back

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="hostile submissions are graded only as root, where the sandbox runs them as another user")


def _processes():
    return {(p.pid, p.info["create_time"]) for p in psutil.process_iter(["create_time"])}


def _leftovers(before: set, started: float) -> list[psutil.Process]:
    """Live processes born during the grading that are ours: descendants of this test process,
    marked sleepers, or sandbox-user processes whose judge is gone (orphans adopted by init)."""
    me = psutil.Process()
    descendants = {child.pid for child in me.children(recursive=True)}
    found = []
    for process in psutil.process_iter(["pid", "ppid", "uids", "cmdline", "status", "create_time"]):
        info = process.info
        try:
            if info["status"] == psutil.STATUS_ZOMBIE or info["create_time"] < started - 1:
                continue
            if (info["pid"], info["create_time"]) in before or info["pid"] == me.pid:
                continue
            command = " ".join(info["cmdline"] or [])
            sandboxed = info["uids"] is not None and info["uids"].real in SANDBOX_USERS
            orphan = info["ppid"] in (0, 1) or not psutil.pid_exists(info["ppid"])
            if info["pid"] in descendants or SLEEPER_MARK in command or (sandboxed and orphan):
                found.append(process)
        except (psutil.Error, TypeError):
            continue
    return found


def files_of(uids) -> list[str]:
    """Anything these sandbox user ids own where a child could write outside its own work folder: the shared
    temporary folders and every folder in them that anyone may write to. (Only this grading's ids: the other
    test worker may be grading another submission at the same time.)"""
    found, pending = [], list(TEMP_FOLDERS)
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if info.st_uid in uids:
                found.append(entry.path)
            elif stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_IWOTH:
                pending.append(entry.path)
    return found


def containment_problems(results: dict) -> list[str]:
    """What every hostile grading must leave true: a bounded judge, and nothing of its sandbox users on disk."""
    problems = []
    record = results.get("extra_data", {})
    peak = record.get("judge_peak_memory_mb")
    if peak is None or peak > JUDGE_MEMORY_MB:
        problems.append(f"the judge's peak memory was {peak} MB (at most {JUDGE_MEMORY_MB} MB)")
    children = record.get("children", {})
    left = files_of({child["uid"] for child in children.values() if child.get("uid") is not None})
    if left:
        problems.append(f"files of the sandbox user left after grading: {left[:5]}")
        for path in left:
            subprocess.run(["rm", "-rf", path], check=False)
    for part, child in children.items():
        if child.get("oom_score_adj") != 1000:
            problems.append(f"{part}: the child's oom_score_adj was {child.get('oom_score_adj')}, not 1000")
        if child.get("uid") not in SANDBOX_USERS:
            problems.append(f"{part}: the child ran as uid {child.get('uid')}, not a sandbox user")
    return problems


def _describe(processes) -> list[str]:
    described = []
    for process in processes:
        try:
            described.append(f"pid {process.pid} uid {process.uids().real} ppid {process.ppid()}: {' '.join(process.cmdline())[:120]}")
        except psutil.Error:
            pass
    return described


def _reachable_by_others(path: Path) -> bool:
    try:
        return all(folder.stat().st_mode & stat.S_IXOTH for folder in path.parents) and bool(path.stat().st_mode & stat.S_IROTH)
    except OSError:
        return False


def foreign_solutions(seconds: float = 10) -> list[str]:
    """World-readable solved copies of the assignment outside this checkout (say, another developer's
    scratch folder in /tmp): the sandbox user may read them, and nothing the kit does can hide them."""
    repo, deadline, found = Path(__file__).resolve().parents[1], time.time() + seconds, []
    for root in ("/tmp", "/var/tmp", "/home", "/root", "/opt", "/srv", "/work"):
        for folder, subfolders, files in os.walk(root, onerror=lambda error: None):
            if time.time() > deadline:
                return found
            if Path(folder).resolve() == repo:
                subfolders[:] = []
                continue
            subfolders[:] = [name for name in subfolders if name not in (".git", "site-packages", "node_modules")]
            for name in files:
                path = Path(folder) / name
                if name not in ("language_model.py", "language_model.ipynb") or not _reachable_by_others(path):
                    continue
                try:
                    text = path.read_text(errors="replace")
                except OSError:
                    continue
                if "def make_windows" in text and ("BEGIN SOLUTION" in text or "NotImplementedError" not in text):
                    found.append(str(path))
    return found


@pytest.mark.parametrize("entry", [pytest.param(e, id=e.id, marks=pytest.mark.xdist_group(LANES[e.id])) for e in HOSTILE])
def test_hostile_submission_is_contained(entry, grade, tests_in_zip, tmp_path):
    tests, results_schema = tests_in_zip
    if entry.expect_score is not None:  # the disk search: only meaningful on a machine with nothing else to find
        leaks = foreign_solutions()
        if leaks:
            pytest.skip(f"this machine has world-readable solutions outside the kit, which the sandbox user can read: {leaks[:5]}")
    graded = entry.tags()
    before, started = _processes(), time.time()
    results, failure = None, None
    try:
        results = grade(entry.path, tags=graded, cpu_budget=entry.cpu_budget)
    except Exception as error:  # the grader itself failed: still look for leftovers first
        failure = error
    # Whatever the verdict, look for (and then end) what this grading left running.
    deadline = time.time() + 10
    left = _leftovers(before, started)
    while left and time.time() < deadline:
        time.sleep(0.5)
        left = _leftovers(before, started)
    described = _describe(left)
    for process in left:  # started by this test: clean up before failing
        try:
            process.kill()
        except psutil.Error:
            pass
    problems = [f"left running after grading: {line}" for line in described]
    if failure is not None:
        raise AssertionError(f"{entry.id}: grading it failed: {failure}\n  " + "\n  ".join(problems)) from failure
    problems += zoo.structure_problems(results, tests, graded, results_schema)
    problems += containment_problems(results)
    if FORGED_MARK in json.dumps(results):
        problems.append("results.json contains the submission's forged results")
    verdict = zoo.verdict_problems(entry, results, graded)
    if not entry.known_gap:
        problems += verdict
    assert not problems, f"{entry.id}: {entry.hostile}\n  " + "\n  ".join(problems)
    if entry.known_gap:  # a strict xfail of the verdict alone: containment and results.json stay asserted
        if not verdict:
            pytest.fail(f"{entry.id}: the known gap is closed, remove its known-gap line: {entry.known_gap}")
        pytest.xfail(f"known gap: {entry.known_gap} ({'; '.join(verdict)[:300]})")


def test_every_hostile_file_says_what_it_does():
    assert len(HOSTILE) >= 9
    for entry in HOSTILE:
        assert entry.hostile and len(entry.hostile) > 20, entry.id


# ---------------------------------------------------------------- attacks made at test time (too big or too odd to keep as files)

FAKE_TABLE = "| part | points |\n|---|---|\n| total | 100 / 100 |"


def _parser_bomb(line: str):
    """A .py whose one graded-looking line crashes or exhausts CPython's parser (300,000 levels deep)."""
    def make(folder: Path) -> Path:
        path = folder / "language_model.py"
        path.write_text("import numpy as np\n" + line + "\n")
        return path
    return make


def _ten_megabyte_notebook(folder: Path) -> Path:
    """600,000 short UPPER_CASE assignments in one cell: its syntax tree alone takes well over a gigabyte."""
    import nbformat

    source = "".join(f"X{index} = {index}\n" for index in range(600_000))
    path = folder / "language_model.ipynb"
    path.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])))
    return path


def _link_to(target_of):
    """A notebook that is a symbolic link: to a file only root may read, or to the closed reference solution."""
    def make(folder: Path) -> Path:
        target = target_of(folder)
        upload = folder / "upload"
        upload.mkdir()
        (upload / ("language_model" + target.suffix)).symlink_to(target)
        return upload
    return make


def _root_only_secret(folder: Path) -> Path:
    secret = folder / "secret.ipynb"
    secret.write_text("TOP SECRET 1470\n")
    secret.chmod(0o600)
    return secret


def _name_with_a_fake_table(folder: Path) -> Path:
    """The only file's name holds a backtick, newlines and a score table, for the summary's "Graded NAME" line."""
    upload = folder / "upload"
    upload.mkdir()
    name = "language_model`\n\n**All checks passed.**\n\n" + FAKE_TABLE.replace("|---|---|", "|-|-|") + "\n\n`.py"
    name = name.replace("/", "\u2215")  # a file name holds no slash: a look-alike instead
    (upload / name).write_text("def make_windows(ids, window_sz):\n    raise NotImplementedError\n")
    return upload


ATTACKS_ON_READING = {
    "parser-crash-chain": (_parser_bomb("CHAIN = a" + ".b" * 300_000), "nested or chained too deeply", "does not define"),
    "parser-crash-sum": (_parser_bomb("TOTAL = 1" + "+1" * 300_000), "nested or chained too deeply", "does not define"),
    "parser-unary": (_parser_bomb("NEG = " + "-" * 300_000 + "1"), "nested or chained too deeply", "does not define"),
    "parser-memory": (_ten_megabyte_notebook, "could not be read", "could not be read"),
    "symlink-to-secret": (_link_to(_root_only_secret), "symbolic link", "symbolic link"),
    "symlink-to-reference": (_link_to(lambda folder: REPO / "solution" / "language_model.py"), "symbolic link", "symbolic link"),
    "name-with-a-table": (_name_with_a_fake_table, "unusual characters", "TODO"),
}


def rendered_tables(markdown: str) -> int:
    from markdown_it import MarkdownIt

    return sum(token.type == "table_open" for token in MarkdownIt("commonmark").enable("table").parse(markdown))


@pytest.mark.xdist_group("zoo-lane-0")
@pytest.mark.parametrize("attack", list(ATTACKS_ON_READING))
def test_an_attack_on_reading_the_submission_costs_only_the_submission(attack, grade, tests_in_zip, tmp_path):
    make, summary_says, every_test_says = ATTACKS_ON_READING[attack]
    tests, results_schema = tests_in_zip
    results = grade(make(tmp_path), tags={"windows"})
    problems = zoo.structure_problems(results, tests, frozenset({"windows"}), results_schema) + containment_problems(results)
    assert not problems, problems
    assert results["score"] == 0 and summary_says in results["output"]
    assert all(every_test_says in test["output"] for test in results["tests"])
    assert "TOP SECRET" not in json.dumps(results)
    assert rendered_tables(results["output"]) == 1 and not any(rendered_tables(test["output"]) for test in results["tests"])


@pytest.mark.xdist_group("zoo-lane-0")
def test_files_planted_above_the_grading_root_are_never_read(grade, tests_in_zip):
    """plant_pytest_config.py leaves a pytest.ini and a plugin in every writable folder above its root; the
    next grading, of the stencil, must still score 0 (the kit's pytest reads only its own -c configuration)."""
    planted = grade(SUBMISSIONS / "hostile" / "plant_pytest_config.py", tags={"windows"})
    assert containment_problems(planted) == []
    stencil = grade(REPO / "stencil" / "language_model.ipynb", tags={"windows"})
    assert stencil["score"] == 0
    assert not Path("/tmp/rnnkit-hostile-pwned").exists()


def _modes_above(*paths: Path) -> dict[str, int]:
    """The permission bits of every folder above these paths (and of the paths), outside this checkout."""
    modes = {}
    for path in paths:
        for folder in [path, *path.parents]:
            if folder != REPO and REPO not in folder.parents:
                modes[str(folder)] = folder.stat().st_mode
    return modes


def test_grading_changes_no_permission_outside_the_kit_and_closes_the_checkout(grade):
    """The sandbox user must reach the interpreter; the kit makes it so without opening anyone else's folder."""
    watched = (Path(sys.executable), Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), REPO, Path("/root"))
    before = _modes_above(*watched)
    grade(REPO / "stencil" / "language_model.ipynb", tags={"windows"})
    assert _modes_above(*watched) == before
    assert REPO.stat().st_mode & 0o007 == 0, "the checkout (reference, hidden split, zip) is open to other users"
