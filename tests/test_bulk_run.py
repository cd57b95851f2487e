"""The staff's bulk run as an operator meets it: a cluster nobody else can use, a Ctrl-C that stops, a check
before grading on Dask, and a run that says what it kept.

Gradings here are copies of the stencil (every test fails fast) and unreadable files: nothing trains.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder.sandbox import child_python
from autograder.staff import bulk
from conftest import REPO

NOBODY = 65534
SHARED_SCRATCH = Path(tempfile.gettempdir()) / "dask-scratch-space"  # Dask's default: shared, and left behind
pytestmark = pytest.mark.xdist_group("bulk-run")


def as_nobody():
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)


ATTACK = """
import os, sys
from distributed import Client
try:
    with Client(sys.argv[1], timeout=5) as client:
        print("RAN AS", client.run(os.geteuid), flush=True)
except Exception as error:
    print("refused:", type(error).__name__, str(error)[:200], flush=True)
"""


def attack_as_nobody(address: str) -> str:
    """What a local user gets who connects to `address` with a plain Dask client and asks every worker to run code."""
    environment = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LD_LIBRARY_PATH": str(Path(sys.base_prefix).resolve() / "lib")}
    try:
        attack = subprocess.run([str(child_python()), "-c", ATTACK, address], preexec_fn=as_nobody, cwd="/",
                                env=environment, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "refused: no answer"
    return attack.stdout + attack.stderr[-500:]


@pytest.mark.skipif(os.geteuid() != 0, reason="the attack is a local user against a cluster whose workers run as root")
def test_a_local_user_cannot_run_code_on_the_kits_own_cluster():
    scratch_before = SHARED_SCRATCH.exists()
    runner = bulk.DaskRunner("local:1")
    try:
        address = runner.client.scheduler.address
        workers = list(runner.client.scheduler_info()["workers"])
        host_port = address.split("://", 1)[1]  # what /proc/net/tcp shows anyone: the port, not the protocol
        attempts = {target: attack_as_nobody(target) for target in (f"tcp://{host_port}", f"tls://{host_port}",
                                                                     *(f"tcp://{w.split('://', 1)[1]}" for w in workers))}
    finally:
        runner.close()
    for target, said in attempts.items():
        assert "RAN AS" not in said and said.startswith("refused:"), f"{target}: {said}"
    assert address.startswith("tls://127.0.0.1:") and all(worker.startswith("tls://127.0.0.1:") for worker in workers)
    assert not runner.folder.exists()  # the certificates and the workers' scratch space go with the cluster
    assert SHARED_SCRATCH.exists() == scratch_before
