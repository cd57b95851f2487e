"""Wall limits follow the CPU the judge is really given, even when it cannot see its cgroup.

Gradescope throttles a container to 0.5 CPU; inside it, the cgroup filesystem may not be
mounted. A judge that then assumed whole cores would stop a training at half its CPU budget.
"""

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from autograder.parts import PARTS, budget
from autograder.sandbox import wall_allowance

REPO = Path(__file__).resolve().parents[1]
CONFIG = json.loads((REPO / "autograder" / "config.json").read_text())
CPU_V1 = Path("/sys/fs/cgroup/cpu")


def _at_half_a_cpu(script: str, hide_cgroups: bool) -> str:
    """Run `script` in a cgroup v1 limited to 0.5 CPU, the cgroup filesystem hidden from it or not; its stdout."""
    if os.geteuid() != 0 or not (CPU_V1 / "cpu.cfs_quota_us").exists():
        pytest.skip("needs root and a writable cgroup v1 cpu controller")
    group = CPU_V1 / f"rnnkit-test-{uuid.uuid4().hex[:8]}"
    group.mkdir()
    try:
        (group / "cpu.cfs_period_us").write_text("100000")
        (group / "cpu.cfs_quota_us").write_text("50000")
        hide = "mount -t tmpfs none /sys/fs/cgroup && " if hide_cgroups else ""
        shell = f'echo $$ > {group}/tasks && {hide}exec "$0" -c "$1"'
        done = subprocess.run(["unshare", "-m", "sh", "-c", shell, sys.executable, script], cwd=REPO,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout
    finally:
        group.rmdir()


def test_a_hidden_quota_is_measured_and_the_wall_limit_leaves_the_whole_cpu_budget():
    out = _at_half_a_cpu(textwrap.dedent("""
        from autograder.sandbox import cgroup_cpu_quota, cpu_share
        print(cgroup_cpu_quota(), *cpu_share())
    """), hide_cgroups=True)
    quota, share, source = out.split()
    assert quota == "None", "the test meant to hide the cgroup from the judge"
    assert source == "measured"
    assert float(share) <= 0.7, f"at 0.5 CPU the judge measured {share} of a CPU"
    longest = max(budget(part.name, CONFIG) for part in PARTS)
    assert wall_allowance(longest, float(share)) >= 2 * longest, f"a {longest:g} CPU-s part would be stopped by the wall limit"


def test_a_visible_quota_is_read_from_the_cgroup():
    out = _at_half_a_cpu("from autograder.sandbox import cpu_share; print(*cpu_share())", hide_cgroups=False)
    assert out.split() == ["0.5", "cgroup", "quota"]
