"""My notebook is right, but when it is loaded it starts a helper that keeps forking itself into a new session so no single kill pass can catch it.

expect-fail: none
hostile: at load time fork+setsid+exec a small Python process (argv holds "rnnkit-hostile-sleeper") that sleeps until PR_SET_PDEATHSIG tells it the runner ended, then for 4 s forks itself anew every 2-20 ms (the parent exits, the child calls setsid), so a one-pass kill by uid finds a pid that is gone a moment later; afterwards it sleeps, keeping its sandbox uid busy; it exits by itself after 180 s or when /tmp/rnnkit-hostile-stop exists; a fixed grader leaves no process of the sandbox uid after grading (kill until none is left)
graded-parts: windows
"""


import subprocess


SLEEPER_MARK = "rnnkit-hostile-sleeper"


STOP_FILE = "/tmp/rnnkit-hostile-stop"  # create it to end every sleeper at once


LIFETIME_SECONDS = 180


HOPPER_CODE = """
import ctypes, os, signal, sys, time
mark, runner, deadline, mode = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
stop = "/tmp/rnnkit-hostile-stop"
state = {"died": None}

def on_runner_death(*_):
    state["died"] = time.time()

signal.signal(signal.SIGUSR1, on_runner_death)
ctypes.CDLL(None).prctl(1, signal.SIGUSR1)  # PR_SET_PDEATHSIG: a signal the moment the runner ends
if os.getppid() != runner:
    state["died"] = time.time()

def hop():
    try:
        pid = os.fork()
    except OSError:  # RLIMIT_NPROC: the exited hops are zombies until init reaps them
        return
    if pid:
        os._exit(0)
    os.setsid()

def swap(names=("report.json", "outputs.npz")):
    # Rename a regular copy, then a FIFO, over each file the judge reads: its stat() sees a file, its open() a FIFO.
    for name in names:
        content = state.setdefault(name, open(name, "rb").read() if os.path.isfile(name) else b"{}")
        for i in range(8):
            regular, fifo = f".{name}.r{i}", f".{name}.f{i}"
            with open(regular, "wb") as file:
                file.write(content)
            try:
                os.mkfifo(fifo)
            except FileExistsError:
                pass
            os.replace(regular, name)
            os.replace(fifo, name)

while state["died"] is None and time.time() < deadline and not os.path.exists(stop):
    time.sleep(0.05)
swapping = mode == "fifo"
while time.time() < deadline and not os.path.exists(stop):
    since = time.time() - state["died"]
    if since < 4:  # the judge's poll (0.1 s), its one kill pass and its reading of out/ all happen in here
        hop()
        if swapping:
            try:
                swap()
            except OSError:
                swapping = False  # the judge removed the folder
        time.sleep(0.002 if since < 0.5 else 0.02)
    else:
        time.sleep(0.5)
"""


def _start_hopper(mode):
    """Start a process, in its own session, that forks itself anew at every hop; it ends by itself."""
    runner = os.getpid()
    deadline = time.time() + LIFETIME_SECONDS
    if os.fork():
        return "started"
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.closerange(3, 65536)
        os.execv(sys.executable, [sys.executable, "-I", "-c", HOPPER_CODE, SLEEPER_MARK, str(runner), str(deadline), mode])
    finally:
        os._exit(0)


HOPPER = _start_hopper("hop")
