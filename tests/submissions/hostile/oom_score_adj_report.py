"""My make_windows fails, and its error message shows how likely the kernel is to kill my process when memory runs out.

expect-fail: windows
hostile: make_windows raises an error whose message quotes /proc/self/oom_score_adj and /proc/self/status's Uid line; the sandboxed child must have oom_score_adj=1000 (the kernel kills it first, never the judge); the old grader writes it from preexec_fn after the uid switch, when it is no longer writable, and swallows the error, so the child keeps 0
graded-parts: windows
expect-output: oom_score_adj=1000
"""


def make_windows(ids, window_sz):
    with open("/proc/self/oom_score_adj") as file:
        score = file.read().strip()
    with open("/proc/self/status") as file:
        uid = next(line.split()[1] for line in file if line.startswith("Uid:"))
    raise RuntimeError(f"oom_score_adj={score} uid={uid}")
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    num_windows = max(len(ids) - 1, 0) // window_sz
    end = num_windows * window_sz
    inputs = ids[:end].reshape(num_windows, window_sz)
    labels = ids[1:end + 1].reshape(num_windows, window_sz)
    return inputs, labels
