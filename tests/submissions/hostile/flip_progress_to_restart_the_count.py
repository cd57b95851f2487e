"""My training flips the autograder's progress file back to an earlier check now and then, so its CPU count keeps starting over.

expect-fail: train
hostile: train() spins 20 CPU-seconds in pure Python and, every 0.3 s, writes a windows case's id into out/progress and then "train" again; today's judge restarts the train stage's count at each flip and overwrites its total, so 20 CPU-seconds of training against a 10 CPU-second budget pass with no time-out and are shown as about 0. A judge that keeps the stages itself ignores a progress that goes back, adds the stage's CPU, and stops it in train with the time-out message
graded-parts: windows train
cpu-budget: train 10
expect-output: ran out of time
no-points: train
"""


import json


SPIN_CPU_SECONDS = 20


def _say_progress(case):
    with open("progress", "w") as progress:  # the runner's progress file, in its working folder
        progress.write(case)


def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    with open("../job.json") as job:  # the runner's job, readable by the child: it names every case
        cases = [spec["id"] for spec in json.load(job)["specs"]]
    earlier, current = cases[0], cases[-1]
    started, flipped = time.process_time(), time.monotonic()
    while time.process_time() - started < SPIN_CPU_SECONDS:
        if time.monotonic() - flipped > 0.3:
            _say_progress(earlier)
            time.sleep(0.3)  # long enough for the judge's poll to see it
            _say_progress(current)
            flipped = time.monotonic()
    return [float(np.log(model.vocab_sz))] * epochs
