"""My notebook is right, but when it is loaded it starts background "helper" processes that outlive it, one of them in its own session.

expect-fail: none
hostile: at import time spawns a sleeper subprocess in a new session (keeping the output pipe open), forks a child that ignores SIGTERM/SIGHUP/SIGINT in its process group, and double-forks a daemon that calls os.setsid() to escape the process group and session; each sleeps 900 s with "rnnkit-hostile-sleeper" in its argv
graded-parts: windows rnn lstm lm perplexity
"""


import signal


import subprocess


SLEEPER_MARK = "rnnkit-hostile-sleeper"


SLEEP_SECONDS = 900


def _become_sleeper():
    """In a forked child: ignore polite signals (kept across exec), then become a small sleeping interpreter.

    Exec'ing keeps the sleeper's memory small: a bare fork would share, and be charged for, the whole
    TensorFlow process.
    """
    try:
        for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(number, signal.SIG_IGN)
        os.execv(sys.executable, [sys.executable, "-c", f"import time; time.sleep({SLEEP_SECONDS})", SLEEPER_MARK])
    finally:
        os._exit(0)


def _spawn_helpers():
    started = []
    # 1. a plain subprocess in a new session, holding our stdout pipe open
    helper = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({SLEEP_SECONDS})", SLEEPER_MARK],
                              start_new_session=True, stdin=subprocess.DEVNULL)
    started.append(helper.pid)
    # 2. a forked child that stays in our process group but ignores SIGTERM/SIGHUP
    pid = os.fork()
    if pid == 0:
        _become_sleeper()
    started.append(pid)
    # 3. a classic daemon: fork, setsid (new session and process group), fork again, parent exits
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                os.chdir("/")
                _become_sleeper()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    print(f"[hostile] started helpers {started} and a setsid daemon", flush=True)
    return started


HELPERS = _spawn_helpers()
