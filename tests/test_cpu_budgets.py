"""The judge counts and caps a child's CPU itself: all of the child's processes, part by part in the judge's order.

Helper processes a submission never waits for (daemonised, or reaped by the kernel because
SIGCHLD is ignored) are counted by the child's cgroup where one can be made, and by a scan
of the child's processes where none can (as on Gradescope). A child that rewrites its
progress file moves only forward: a stage's count never starts over. The hostile
submissions helpers_burn_cpu_in_training.py and flip_progress_to_restart_the_count.py
make the same attacks end to end (tests/test_hostile.py).
"""

from __future__ import annotations

import os

import pytest

from autograder import sandbox
from autograder.sandbox import Limits, Stage, run_child

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox runs children as another user only as root")

BUDGET = 8  # CPU-seconds for the whole child: TensorFlow's import takes about half on this project's AMD machines
HELPER_SECONDS = 4  # each of three helpers: together more than the budget
HELPERS = f"""
import os, signal, subprocess, sys, time

BURN = "import sys, time\\nstart = time.process_time()\\nwhile time.process_time() - start < {HELPER_SECONDS}: pass\\nopen(sys.argv[1], 'w').close()"
done = [os.path.abspath(f"helper-{{index}}.done") for index in range(3)]
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps them: their time reaches no one's rusage
subprocess.Popen([sys.executable, "-I", "-c", BURN, done[0]])
for index, daemon in ((1, False), (2, True)):
    if os.fork() == 0:
        if daemon:
            os.setsid()
            if os.fork():
                os._exit(0)
        os.execv(sys.executable, [sys.executable, "-I", "-c", BURN, done[index]])
while not all(os.path.exists(path) for path in done):
    time.sleep(0.1)
"""


def _cpu_counted_by_a_cgroup() -> bool:
    group = sandbox._Cgroup.create(64, 1)
    if group is not None:
        group.remove()
    return group is not None and group.guard("cpuacct") is not None


def _job(source: str) -> dict:
    return {"chunks": [{"label": "helpers", "first_line": 1, "source": source}], "specs": [], "seed": 1, "threads": 1}


@pytest.mark.parametrize("counted_by", ["cgroup", "process scan"])
def test_helpers_the_child_never_waits_for_are_counted_and_stopped_with_it(counted_by, monkeypatch):
    if counted_by == "process scan":  # as on Gradescope, where the container's cgroup is not writable
        monkeypatch.setattr(sandbox._Cgroup, "create", classmethod(lambda cls, *args: None))
    elif not _cpu_counted_by_a_cgroup():
        pytest.skip("no cgroup can count CPU here")
    run = run_child(_job(HELPERS), {}, Limits(cpu_seconds=BUDGET, wall_seconds=120, memory_mb=2000))
    assert run.ending == "cpu-time", (run.ending, run.cpu_seconds, run.printed[-500:])
    assert run.cpu_seconds >= BUDGET
    if counted_by == "process scan":
        assert run.cpu_guard == "process scan" and run.cpu_quota is None
    else:
        assert run.cpu_guard.startswith("cgroup")


def test_each_childs_processes_together_get_at_most_its_cpu_quota():
    group = sandbox._Cgroup.create(64, 0.5)
    if group is None or group.guard("cpu") is None:
        pytest.skip("no cpu cgroup can be made here")
    try:
        version, folder = group.folders["cpu"]
        if version == 2:
            assert (folder / "cpu.max").read_text().split() == ["50000", "100000"]
        else:
            assert [(folder / name).read_text().strip() for name in ("cpu.cfs_quota_us", "cpu.cfs_period_us")] == ["50000", "100000"]
    finally:
        group.remove()


STAGES = [Stage("windows", frozenset({"windows-1", "windows-2"}), 30, 60), Stage("lstm", frozenset({"lstm-1"}), 40, 60),
          Stage("train", frozenset({"train"}), 150, 250)]


def test_the_child_moves_only_forward_through_the_judges_stages(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    watch = sandbox._Supervision(tmp_path, out, Limits(cpu_seconds=220, wall_seconds=370, memory_mb=500), None, None, STAGES)

    def says(case: str, now: int) -> int:
        (out / "progress").write_text(case)
        return watch.next_stage(now)

    assert says("windows-2", 0) == 0
    assert says("train", 0) == 2, "a stage may be skipped: quick cases finish between two polls"
    assert says("lstm-1", 2) == 2 and says("windows-1", 2) == 2, "a progress that goes back is ignored"
    assert says("made-up", 2) == 2 and says("", 2) == 2
    assert watch.run_record.refused == ["out/progress went back to the lstm part during the train part: ignored",
                                        "out/progress went back to the windows part during the train part: ignored",
                                        "out/progress named no case of its job during the train part: ignored"]
    for _ in range(20):
        says("windows-1", 2)
    assert len(watch.run_record.refused) <= sandbox._Supervision.MOST_IGNORED_PROGRESS


def test_a_stage_entered_twice_adds_to_its_total(tmp_path):
    watch = sandbox._Supervision(tmp_path, tmp_path, Limits(cpu_seconds=220, wall_seconds=370, memory_mb=500), None, None, STAGES)
    watch.charge(2, 3.0)
    watch.charge(2, 4.5)
    watch.charge(0, -1.0)  # a count never goes below nothing
    assert watch.run_record.stage_cpu_seconds == {"train": 7.5, "windows": 0.0}
