"""I keep the leftover tokens as a last, zero-padded window instead of dropping the remainder.

expect-fail: windows
"""


def make_windows(ids, window_sz):
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    # ceil so no token is wasted; the last window is padded with zeros
    num_windows = -(-max(len(ids) - 1, 0) // window_sz)
    padded = np.zeros(num_windows * window_sz + 1, dtype=np.int64)
    padded[:len(ids)] = ids
    inputs = padded[:-1].reshape(num_windows, window_sz)
    labels = padded[1:].reshape(num_windows, window_sz)
    return inputs, labels
