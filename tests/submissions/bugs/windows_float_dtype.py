"""My windows come back as float32 arrays (I converted the ids with np.array(..., dtype=np.float32)).

expect-fail: windows
"""


def make_windows(ids, window_sz):
    ids = np.asarray(ids, dtype=np.float32).reshape(-1)
    num_windows = max(len(ids) - 1, 0) // window_sz
    end = num_windows * window_sz
    inputs = ids[:end].reshape(num_windows, window_sz)
    labels = ids[1:end + 1].reshape(num_windows, window_sz)
    return inputs, labels
