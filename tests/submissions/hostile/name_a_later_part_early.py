"""My make_windows is far too slow, so my notebook tells the autograder it is already checking LanguageModel.

expect-fail: windows
no-points: windows
hostile: at load time it reads the job (job.json beside runner.py), writes the id of the first case the job runs after the windows cases (an lm case) into out/progress, and then make_windows spins 15 CPU-seconds in pure Python against a windows budget of 12; the judge moves forward to the part a progress names, so the windows work is charged to lm's 40 CPU-seconds and windows gets full marks; one child's parts share its processes, so only the sum of the budgets is firm
graded-parts: windows lm
cpu-budget: windows 12 lm 40
known-gap: one child runs every part, and only the child says which part it is in, so it can charge a part's work to a later part's budget (or precompute a later part's answers from inputs.npz under an earlier one); the judge only records the progress that went back. A fix: read each part's outputs from a copy the judge takes when the child moves past that part, so answers made after a claim to be elsewhere count for nothing; precomputing needs a child per part
expect-output: ran out of time
"""


import json


def _claim_a_later_part():
    try:
        workdir = sys.argv[1]
        with open(os.path.join(workdir, "job.json")) as file:
            specs = json.load(file)["specs"]
        windows = max(index for index, spec in enumerate(specs) if spec.get("part") == "windows")
        later = specs[windows + 1]["id"]  # the judge's order: a part it runs after windows
        with open(os.path.join(workdir, "out", "progress.mine"), "w") as file:
            file.write(later)
        os.replace(os.path.join(workdir, "out", "progress.mine"), os.path.join(workdir, "out", "progress"))
        time.sleep(1)  # the judge polls: let it see the claim before the windows work starts
    except Exception:
        pass


CLAIMED = _claim_a_later_part()  # an UPPER_CASE assignment, so the grader runs it


SPUN = []


def make_windows(ids, window_sz):
    if not SPUN:
        SPUN.append(True)
        start = time.process_time()
        while time.process_time() - start < 15:  # the slow part, in pure Python
            pass
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)  # (N,)
    num_windows = max(len(ids) - 1, 0) // window_sz
    end = num_windows * window_sz
    inputs = ids[:end].reshape(num_windows, window_sz)  # (num_windows, T)
    labels = ids[1:end + 1].reshape(num_windows, window_sz)  # (num_windows, T), one position later
    return inputs, labels



del perplexity


del train


del HPARAMS
