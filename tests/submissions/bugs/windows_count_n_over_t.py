r"""I count windows as len(ids) // window_sz, so when the length is a multiple of window_sz the labels cannot be reshaped.

expect-output: Expected \d+ windows

expect-fail: windows
"""


def make_windows(ids, window_sz):
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    num_windows = len(ids) // window_sz
    end = num_windows * window_sz
    inputs = ids[:end].reshape(num_windows, window_sz)
    labels = ids[1:end + 1].reshape(num_windows, window_sz)
    return inputs, labels
