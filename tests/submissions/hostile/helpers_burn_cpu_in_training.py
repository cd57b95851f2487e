"""My training hands its work to helper processes it never waits for, so the autograder does not count their CPU.

expect-fail: train
hostile: train() starts three helpers that each spin 6 CPU-seconds in pure Python and are never waited for: a subprocess.Popen while SIGCHLD is ignored (the kernel reaps it and drops its time), a plain fork that ends with os._exit, and a double-forked setsid daemon; train() sleeps until all three are done and returns made-up losses. Today's judge counts the runner alone: 18 CPU-seconds of helpers beside a 10 CPU-second training budget, and no time-out. A judge that counts every process of the child stops it in train with the time-out message
graded-parts: train
cpu-budget: train 10
expect-output: ran out of time
no-points: train
"""


import signal


import subprocess


HELPER_CPU_SECONDS = 6


BURN = """
import sys, time
started = time.process_time()
while time.process_time() - started < float(sys.argv[1]):
    pass
open(sys.argv[2], "w").close()
"""


def _burner(done):
    return [sys.executable, "-I", "-c", BURN, str(HELPER_CPU_SECONDS), done]


def _fork(run, daemon):
    """Run `run` in a forked child that nobody waits for; as a daemon, in a grandchild of its own session."""
    if os.fork():
        return
    try:
        if daemon:
            os.setsid()
            if os.fork():
                os._exit(0)
        run()
    finally:
        os._exit(0)


def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    done = [os.path.abspath(f"helper-{index}.done") for index in range(3)]
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reaped by the kernel: their time reaches nobody's rusage
    subprocess.Popen(_burner(done[0]), stdin=subprocess.DEVNULL)
    _fork(lambda: os.execv(sys.executable, _burner(done[1])), daemon=False)
    _fork(lambda: os.execv(sys.executable, _burner(done[2])), daemon=True)
    deadline = time.time() + 120
    while not all(os.path.exists(path) for path in done) and time.time() < deadline:
        time.sleep(0.1)
    return [float(np.log(model.vocab_sz))] * epochs
