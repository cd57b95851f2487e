"""make_windows builds pure Python lists in a loop and converts with np.array at the end.

expect-fail: none
"""


def make_windows(ids, window_sz):
    ids = list(ids)
    inputs, labels = [], []
    start = 0
    while start + window_sz + 1 <= len(ids):
        inputs.append([int(token) for token in ids[start:start + window_sz]])
        labels.append([int(token) for token in ids[start + 1:start + window_sz + 1]])
        start += window_sz
    inputs = np.array(inputs, dtype=np.int32).reshape(-1, window_sz)
    labels = np.array(labels, dtype=np.int32).reshape(-1, window_sz)
    return inputs, labels
