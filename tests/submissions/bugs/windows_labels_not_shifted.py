"""My labels are the same slice as my inputs (I forgot to shift them by one token).

expect-fail: windows
"""


def make_windows(ids, window_sz):
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    num_windows = max(len(ids) - 1, 0) // window_sz
    end = num_windows * window_sz
    inputs = ids[:end].reshape(num_windows, window_sz)
    labels = ids[:end].reshape(num_windows, window_sz)  # labels line up with the inputs
    return inputs, labels
