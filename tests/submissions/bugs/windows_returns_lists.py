"""I return nested Python lists instead of numpy arrays.

expect-fail: windows
"""


def make_windows(ids, window_sz):
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    num_windows = max(len(ids) - 1, 0) // window_sz
    end = num_windows * window_sz
    inputs = ids[:end].reshape(num_windows, window_sz)
    labels = ids[1:end + 1].reshape(num_windows, window_sz)
    return inputs.tolist(), labels.tolist()
