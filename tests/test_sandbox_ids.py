"""Judges grading side by side (staff's bulk grading) never share a sandbox user id.

Each judge kills every process of its child's id and deletes that id's files: two
children under one id would end each other. An id is reserved by an flock held for
the child's life, so a judge skips the ids another judge holds, whatever its random
starting point.
"""

from __future__ import annotations

import multiprocessing
import os

import pytest

from autograder import sandbox

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="sandbox ids are reserved only as root")


def _hold_ids(count: int, ready, release, found) -> None:
    """In another process: reserve `count` ids all starting from the same first choice, and hold them until told."""
    sandbox.secrets.randbelow = lambda n: 0
    holders = [sandbox._sandbox_ids() for _ in range(count)]
    found.put([holder.__enter__()[0] for holder in holders])
    ready.set()
    release.wait(60)
    for holder in holders:
        holder.__exit__(None, None, None)


def test_concurrent_judges_never_get_the_same_id(monkeypatch):
    context = multiprocessing.get_context("fork")
    ready, release, found = context.Event(), context.Event(), context.Queue()
    other = context.Process(target=_hold_ids, args=(20, ready, release, found))
    other.start()
    try:
        assert ready.wait(60), "the other judge did not reserve its ids"
        held_elsewhere = set(found.get(timeout=10))
        assert len(held_elsewhere) == 20  # the first free ids in order: the ones we would pick too
        monkeypatch.setattr(sandbox.secrets, "randbelow", lambda n: 0)
        with sandbox._sandbox_ids() as ours:
            assert ours[0] not in held_elsewhere
            assert ours[0] > max(held_elsewhere)
    finally:
        release.set()
        other.join(60)
    assert other.exitcode == 0
    with sandbox._sandbox_ids() as again:  # released when the other judge let go
        assert again[0] == min(held_elsewhere)


def test_a_dead_judges_ids_are_free_again(monkeypatch):
    """The kernel drops a dead process's flocks: a judge killed mid-grading does not leak ids."""
    monkeypatch.setattr(sandbox.secrets, "randbelow", lambda n: 0)
    context = multiprocessing.get_context("fork")
    ready, release, found = context.Event(), context.Event(), context.Queue()
    other = context.Process(target=_hold_ids, args=(1, ready, release, found))
    other.start()
    assert ready.wait(60)
    held = found.get(timeout=10)
    other.kill()
    other.join(60)
    with sandbox._sandbox_ids() as ids:
        assert [ids[0]] == held


def test_the_locks_are_roots_alone():
    with sandbox._sandbox_ids():
        assert sandbox.SANDBOX_ID_LOCKS.stat().st_mode & 0o077 == 0
        assert sandbox.SANDBOX_ID_LOCKS.parent.stat().st_mode & 0o077 == 0


def test_without_a_place_for_locks_a_lone_judge_still_grades(monkeypatch, tmp_path):
    (tmp_path / "run").write_text("a file where the lock folder would go, as a read-only /run refuses it")
    monkeypatch.setattr(sandbox, "SANDBOX_ID_LOCKS", tmp_path / "run" / "rnnkit" / "sandbox-ids")
    with sandbox._sandbox_ids() as ids:
        assert ids[0] in sandbox.SANDBOX_USERS


def test_a_workspace_the_child_cannot_pass_through_is_the_judges_problem_not_the_submissions(tmp_path):
    """A 0700 workspace once made the reader child fail to open its runner, and the reference was called unreadable."""
    from autograder.sandbox import Limits, SandboxUnavailable, run_child

    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    with pytest.raises(SandboxUnavailable, match="cannot pass through .*closed"):
        run_child({"kind": "read", "file": "upload.py", "name": "language_model.py"}, {}, Limits(cpu_seconds=5, wall_seconds=10, memory_mb=300),
                  workspace=closed, files={"upload.py": b"x = 1\n"})
    assert list(closed.iterdir()) == [], "nothing is left behind"


def test_a_judge_killed_outright_leaves_no_cgroup_behind_for_long():
    """SIGKILL gives a judge no chance to remove its child's cgroups; the next judge removes them once they are empty."""
    import subprocess

    group = sandbox._Cgroup.create(64, 1)
    if group is None:
        pytest.skip("no cgroup can be made here")
    gone = subprocess.Popen(["true"])
    gone.wait()  # a process id that no longer runs: the killed judge's
    stale = [folder.parent / f"rnnkit-{gone.pid}-1" for _, folder in group.folders.values()]
    for folder in set(stale):
        folder.mkdir()
    group.remove()
    another = sandbox._Cgroup.create(64, 1)
    try:
        assert not any(folder.exists() for folder in stale), "the dead judge's empty groups were removed"
        assert all(folder.exists() for _, folder in another.folders.values()), "the live judge's own groups are kept"
    finally:
        another.remove()
        for folder in stale:
            if folder.exists():
                folder.rmdir()
