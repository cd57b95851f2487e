"""My notebook is right, but when it exits it leaves an outputs.npz with 20,000 tiny members.

no-points: windows
expect-fail: windows
hostile: at load time registers an atexit handler that replaces out/outputs.npz (after the runner's last save) with a stored zip of 20,000 one-element .npy members (about 2.5 MB); the old judge's np.load looks each name up in a list, so reading them is quadratic and takes about a minute of the judge's own time, outside any child limit (60,000 members: about ten minutes); a fixed judge refuses an npz with more members (or more bytes) than it expects before reading any
graded-parts: windows
expect-output: (?i)refused
"""


import atexit


import io


import zipfile


MEMBERS = 20_000


def _write_many():
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(1, dtype=np.int8))
    member = buffer.getvalue()
    with zipfile.ZipFile("outputs.many.npz", "w", zipfile.ZIP_STORED) as archive:
        for index in range(MEMBERS):
            archive.writestr(f"m{index}.npy", member)
    os.replace("outputs.many.npz", "outputs.npz")  # the child's cwd is its out/ folder


MANY = atexit.register(_write_many)
