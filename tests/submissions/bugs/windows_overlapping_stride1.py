"""I slide the window one token at a time, so my windows overlap (stride 1 instead of window_sz).

expect-fail: windows
"""


def make_windows(ids, window_sz):
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    # every possible window: more training data!
    num_windows = max(len(ids) - window_sz, 0)
    inputs = np.zeros((num_windows, window_sz), dtype=np.int64)
    labels = np.zeros((num_windows, window_sz), dtype=np.int64)
    for k in range(num_windows):
        inputs[k] = ids[k:k + window_sz]
        labels[k] = ids[k + 1:k + window_sz + 1]
    return inputs, labels
