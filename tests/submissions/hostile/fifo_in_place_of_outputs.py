"""My notebook is right, but when it exits it leaves FIFOs where the grader reads its report and its arrays.

expect-fail: windows
no-points: windows
hostile: at exit (atexit, after the runner's last save) replaces out/report.json and out/outputs.npz with FIFOs; a judge that opens them as files blocks forever on open() and writes no results.json; a fixed judge opens with O_NOFOLLOW|O_NONBLOCK, checks the descriptor is a regular file, refuses the rest, and says so
graded-parts: windows
expect-output: (?i)refused.*regular file
"""


import atexit


def _leave_fifos():
    for name in ("report.json", "outputs.npz"):  # the child's cwd is its out/ folder
        os.replace(name, name + ".kept")
        os.mkfifo(name)


FIFOS = atexit.register(_leave_fifos)
