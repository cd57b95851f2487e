"""I count windows as len(ids) // window_sz, one too many when the length is a multiple of the window (the last label runs off the end).

Only visible on an id sequence whose length is a multiple of window_sz.

The hidden case of length 100 with windows of 20 catches it.

expect-fail: windows
"""


def make_windows(ids, window_sz):
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    num_windows = len(ids) // window_sz
    end = num_windows * window_sz
    inputs = ids[:end].reshape(num_windows, window_sz)
    labels = ids[1:end + 1]
    if len(labels) < end:  # the very last token has no next token: pad it
        labels = np.append(labels, 0)
    labels = labels.reshape(num_windows, window_sz)
    return inputs, labels
