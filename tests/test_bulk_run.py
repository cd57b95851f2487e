"""The staff's bulk run as an operator meets it: a cluster nobody else can use, a Ctrl-C that stops, a check
before grading on Dask, and a run that says what it kept.

Gradings here are copies of the stencil (every test fails fast) and unreadable files: nothing trains.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from autograder.sandbox import child_python
from autograder.staff import bulk
from conftest import REPO, STENCIL_NOTEBOOK, SUBMISSIONS, ZIP

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


# ---------------------------------------------------------------- exports of cheap submissions

def stencil_export(folder: Path, copies: int, unreadable: int = 0) -> Path:
    """A folder export: `copies` of the stencil notebook (every test fails fast), `unreadable` garbage notebooks."""
    export = folder / "export"
    for index in range(copies + unreadable):
        target = export / f"submission_{101 + index}"
        target.mkdir(parents=True)
        content = STENCIL_NOTEBOOK.read_bytes() if index < copies else b"\x89PNG\r\n\x1a\n not a notebook \xff"
        (target / "language_model.ipynb").write_bytes(content)
    return export


def grade_export_command(export: Path, out: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "autograder.staff.grade_export", "--export", str(export), "--out", str(out), *options]


def run_grade_export(export: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(grade_export_command(export, out, *options), cwd=REPO, capture_output=True, text=True, timeout=900)


def processes_mentioning(text: str) -> list[str]:
    """Every process (any user's) whose command line mentions `text`: a judge, or its child, under a run's roots."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline", "username"]):
        if any(text in part for part in process.info["cmdline"] or []):
            found.append(f"{process.info['pid']} ({process.info['username']}): {' '.join(process.info['cmdline'])[:200]}")
    return found


def roots_of(pid: int) -> list[Path]:
    return sorted(Path(tempfile.gettempdir()).glob(f"{bulk.ROOT_PREFIX}{pid}-*"))


def wait_for(condition, what: str, backstop: float = 600):
    """Poll until `condition()` holds; the backstop only keeps a broken run from hanging the suite."""
    deadline = time.monotonic() + backstop
    while not (value := condition()):
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.2)
    return value


def test_one_ctrl_c_stops_the_run_and_keeps_what_finished(tmp_path):
    export, out = stencil_export(tmp_path, copies=4), tmp_path / "out"
    run = subprocess.Popen(grade_export_command(export, out, "--workers", "1"), cwd=REPO, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: (out / "endings.json").exists(), "a first result")
        wait_for(lambda: processes_mentioning(f"{bulk.ROOT_PREFIX}{run.pid}-"), "the next judge starting")
        run.send_signal(signal.SIGINT)  # as a terminal's Ctrl-C reaches the command (the judges have sessions of their own)
        printed, complaints = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    kept = json.loads((out / "endings.json").read_text())
    assert run.returncode == 130, complaints
    assert 1 <= len(kept) < 4 and sorted(path.stem for path in (out / "results").glob("*.json")) == sorted(kept)
    assert f"interrupted: {len(kept)} graded in this run, {len(kept)} of 4 results kept in {out}" in complaints
    assert "1 running grading(s) stopped" in complaints and "Run the same command again" in complaints
    assert "Traceback" not in complaints and not (out / "grades.csv").exists()
    assert processes_mentioning(f"{bulk.ROOT_PREFIX}{run.pid}-") == []  # no judge, no child of a sandbox user
    assert roots_of(run.pid) == []
    resumed = run_grade_export(export, out, "--workers", "1")
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(kept)} submission(s) already graded in {out}, {4 - len(kept)} left" in resumed.stdout
    assert len(json.loads((out / "endings.json").read_text())) == 4


def hanging_submission(folder: Path, mark: str) -> Path:
    """A notebook that, once loaded, leaves a helper in a session of its own and then sleeps: its judge would wait
    for the wall-time limit of every part, minutes. (Assignments: the reader keeps only definitions and assignments.)"""
    text = (SUBMISSIONS / "hostile" / "exit_at_import.py").read_text().replace("EXIT_CODE = os._exit(0)", f"""
import subprocess, sys, time
HELPER = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(900)", "{mark}"], start_new_session=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
HANG = [time.sleep(1) for _ in iter(int, 1)]
""")
    (folder / "submission").mkdir()
    (folder / "submission" / "language_model.py").write_text(text)
    return folder / "submission"


@pytest.mark.skipif(os.geteuid() != 0, reason="as root the judge's child runs as a sandbox user, whom only the judge may end")
def test_a_judge_whose_worker_is_killed_ends_with_its_child_and_its_root_goes(tmp_path):
    helper = f"rnnkit-bulk-test-helper-{os.getpid()}"
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(ZIP), str(hanging_submission(tmp_path, helper))], cwd=REPO)
    try:
        wait_for(lambda: processes_mentioning(helper), "the submission's helper starting")
    finally:
        worker.kill()  # as a Dask worker killed outright: nothing of it runs any more
        worker.wait()
    marker = f"{bulk.ROOT_PREFIX}{worker.pid}-"
    wait_for(lambda: processes_mentioning(marker) + processes_mentioning(helper) == [],
             "the judge, its child and the child's helper ending", backstop=60)  # left alone they would run for minutes
    bulk.remove_abandoned_roots()  # what the next grading on this machine does first
    assert roots_of(worker.pid) == []


WORKER = """
import sys
from pathlib import Path
from autograder.staff import bulk
manifest, timeout = bulk.bundle_facts(Path(sys.argv[1]))
bulk.grade_submission(Path(sys.argv[1]), Path(sys.argv[2]), manifest, timeout)
"""


# ---------------------------------------------------------------- a real Dask cluster on 127.0.0.1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A TLS scheduler and workers on 127.0.0.1, started as the README says (or, for one worker, without the kit)."""

    def __init__(self, folder: Path):
        bulk.temporary_security(folder)
        self.folder, self.processes, self.workers = folder, [], {}
        self.tls = ["--tls-ca-file", str(folder / "cert.pem"), "--tls-cert", str(folder / "cert.pem"),
                    "--tls-key", str(folder / "key.pem")]
        self.address = f"tls://127.0.0.1:{free_port()}"
        self.start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", self.address.rsplit(":", 1)[1],
                                 "--no-dashboard", "--protocol", "tls"], with_kit=True)

    def start(self, name: str, arguments: list[str], with_kit: bool) -> subprocess.Popen:
        environment = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "PYTEST"))}
        environment["DASK_TEMPORARY_DIRECTORY"] = str(self.folder)  # as the README says: not /tmp/dask-scratch-space
        if with_kit:
            environment["PYTHONPATH"] = str(REPO)
        process = subprocess.Popen([str(Path(sys.executable).parent / "dask"), *arguments, *self.tls], cwd=self.folder,
                                   env=environment, stdout=subprocess.DEVNULL, stderr=open(self.folder / f"{name}.log", "w"))
        self.processes.append(process)
        return process

    def add_worker(self, name: str, with_kit: bool) -> None:
        self.workers[name] = self.start(name, ["worker", self.address, "--nthreads", "1", "--host", "127.0.0.1",
                                               "--no-nanny", "--no-dashboard", "--name", name,
                                               "--local-directory", str(self.folder / name)], with_kit)

    def wait_for_workers(self, count: int) -> None:
        from distributed import Client
        from distributed.security import Security

        security = Security(tls_ca_file=str(self.folder / "cert.pem"), tls_client_cert=str(self.folder / "cert.pem"),
                            tls_client_key=str(self.folder / "key.pem"), require_encryption=True)
        with Client(self.address, security=security, timeout=60) as client:
            client.wait_for_workers(count, timeout=120)
            wait_for(lambda: len(client.scheduler_info()["workers"]) == count, f"{count} workers", backstop=120)

    def stop(self, process: subprocess.Popen) -> None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def close(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                self.stop(process)


@pytest.fixture
def cluster(tmp_path):
    folder = tmp_path / "cluster"
    folder.mkdir(mode=0o700)
    running = Cluster(folder)
    yield running
    running.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="the check asks for workers that run as root")
def test_the_cluster_is_checked_before_grading(cluster, tmp_path):
    export = stencil_export(tmp_path, copies=0, unreadable=2)
    cluster.add_worker("with-kit", with_kit=True)
    cluster.add_worker("without-kit", with_kit=False)
    cluster.wait_for_workers(2)
    tls = cluster.tls
    refused = run_grade_export(export, tmp_path / "refused", "--scheduler", cluster.address, *tls)
    assert refused.returncode == 2 and "not grading on Dask" in refused.stderr
    assert "cannot import the kit" in refused.stderr and "PYTHONPATH=" in refused.stderr
    problems = refused.stderr.split("not grading on Dask: ", 1)[1]
    assert problems.count("cannot import the kit") == 1 and not (tmp_path / "refused" / "results").exists()

    plain = run_grade_export(export, tmp_path / "plain", "--scheduler", "tcp://" + cluster.address.split("://")[1])
    assert plain.returncode == 2 and "over TLS" in plain.stderr and "--tls-ca-file" in plain.stderr
    no_certificate = run_grade_export(export, tmp_path / "plain", "--scheduler", cluster.address)
    assert no_certificate.returncode == 2 and "no TLS certificate for the client" in no_certificate.stderr

    cluster.stop(cluster.workers["without-kit"])
    cluster.wait_for_workers(1)
    graded = run_grade_export(export, tmp_path / "graded", "--scheduler", cluster.address, *tls)
    assert graded.returncode == 0, graded.stderr
    assert f"Dask at {cluster.address} (1 worker)" in graded.stdout and "2 unreadable" in graded.stdout
    assert roots_of(cluster.workers["with-kit"].pid) == []


def test_a_run_where_the_kit_failed_on_every_grading_writes_no_diff(tmp_path, monkeypatch, capsys):
    from autograder.staff import grade_export

    class Failing:  # the kit failing everywhere, as it did on workers that could not import it
        def describe(self):
            return "a runner whose every grading fails"

        def run(self, zip_path, submissions, manifest, timeout):
            for key in submissions:
                message = "Not graded: its Dask task failed (RuntimeError: Error during deserialization)."
                yield key, bulk.Grading(bulk.lost_results(manifest, message), bulk.CRASHED, message)

        def close(self):
            pass

    monkeypatch.setattr(bulk, "runner_for", lambda *arguments: Failing())
    export = stencil_export(tmp_path, copies=2)
    out = tmp_path / "out"
    (out / "diff.csv").parent.mkdir()
    (out / "diff.csv").write_text("an old diff\n")
    with_scores = export / "submission_metadata.yml"
    with_scores.write_text("submission_101:\n  :submitters: [{':name': Ann, ':sid': s1}]\n  :score: 50.0\n")
    assert grade_export.main(["--export", str(export), "--out", str(out)]) == 1
    said = capsys.readouterr()
    assert "the kit failed on every grading of this run (2" in said.err and "no diff.csv is written" in said.err
    assert not (out / "diff.csv").exists()
    monkeypatch.undo()


def test_the_threshold_is_kept_in_out_and_a_rerun_says_what_it_grades_again(tmp_path):
    export, out = stencil_export(tmp_path, copies=0, unreadable=2), tmp_path / "out"
    assert run_grade_export(export, out, "--workers", "1").returncode == 0
    results = json.loads((out / "results" / "101.json").read_text())
    results["extra_data"]["test_perplexity"] = 45.0  # as if a model had been evaluated: what re-scoring reads
    (out / "results" / "101.json").write_text(json.dumps(results))

    def perplexity_points() -> float:  # the perplexity test (6.2) is all that the unreadable notebook can score
        rows = {row["submission_id"]: row for row in csv.DictReader(open(out / "grades.csv", newline=""))}
        return float(rows["101"]["total"])

    def grade(*options: str) -> str:
        finished = run_grade_export(export, out, *options)
        assert finished.returncode == 0, finished.stderr
        assert "0 graded now" in finished.stdout
        return finished.stdout

    configured = f"{json.loads((REPO / 'autograder' / 'config.json').read_text())['perplexity_threshold']:g}"
    assert f"re-scored under threshold 40 (configured: {configured})" in grade("--threshold", "40") and perplexity_points() == 0
    assert json.loads((out / "threshold.json").read_text())["threshold"] == 40
    kept = grade()
    assert f"threshold 40 kept in {out / 'threshold.json'} from an earlier run" in kept and perplexity_points() == 0
    assert "threshold 50 replaces 40" in grade("--threshold", "50") and perplexity_points() > 0
    assert f"threshold back to the configured {configured} (replaces 50" in grade("--threshold", configured)
    assert not (out / "threshold.json").exists() and "re-scored" not in grade()

    endings = json.loads((out / "endings.json").read_text())
    endings["102"] = {"ending": "crashed", "note": "the judge exited with status 1", "seconds": 1.0}
    (out / "endings.json").write_text(json.dumps(endings))
    again = run_grade_export(export, out, "--workers", "1")
    assert "submission 102: graded again, the kit failed on it before (the judge exited with status 1)" in again.stdout
    assert "1 graded now" in again.stdout and json.loads((out / "endings.json").read_text())["102"]["ending"] == "unreadable"


def test_make_rebuilds_the_zip_only_when_what_goes_into_it_changed():
    def planned(*arguments: str) -> str:
        return subprocess.run(["make", "-n", *arguments], cwd=REPO, capture_output=True, text=True, check=True).stdout

    if "build_zip" in planned("autograder"):
        pytest.skip("dist/autograder.zip is older than what goes into it: run `make autograder` first")
    assert "build_zip" not in planned("grade-export", "EXPORT=e.zip", "OUT=o")
    assert "build_zip" not in planned("-W", "autograder/staff/bulk.py", "autograder")  # staff code is not in the zip
    for changed in ("autograder/config.json", "autograder/grade.py", "solution/language_model.py", "stencil/data/train.txt"):
        assert "build_zip" in planned("-W", changed, "grade-export", "EXPORT=e.zip", "OUT=o"), changed


def test_a_delivered_result_is_released_so_a_lost_worker_cannot_make_it_graded_again(tmp_path):
    export = stencil_export(tmp_path, copies=0, unreadable=2)
    manifest, timeout = bulk.bundle_facts(ZIP)
    runner = bulk.DaskRunner("local:1")
    try:
        gradings = runner.run(ZIP, {folder.name: folder for folder in sorted(export.iterdir())}, manifest, timeout)
        first, grading = next(gradings)
        assert grading.ending == bulk.UNREADABLE

        def scheduled() -> list[str]:
            return runner.client.run_on_scheduler(lambda dask_scheduler: [str(key) for key in dask_scheduler.tasks])

        wait_for(lambda: not any(task.startswith(f"grade-{first}-") for task in scheduled()),
                 "the scheduler forgetting the delivered grading", backstop=60)
        assert [key for key, _ in gradings] == [({"submission_101", "submission_102"} - {first}).pop()]
    finally:
        runner.close()
