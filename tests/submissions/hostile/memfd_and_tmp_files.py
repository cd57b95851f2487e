"""My notebook is right, but when it is loaded it parks 200 MB in an unmapped memfd and leaves 100 MB files in /dev/shm, /tmp and /var/tmp.

expect-fail: none
hostile: at load time os.memfd_create + os.write of 200 MB, never mmapped (not in RssAnon/RssShmem, so the old watchdog's anonymous-memory sum does not see it), and 100 MB files named rnnkit-hostile-fill-<uid>-<pid>.bin in /dev/shm (RAM), /tmp and /var/tmp, which the old grader leaves behind after grading; a fixed grader counts memfd and tmpfs in the child's memory (cgroup memory.max where there is one; these 300 MB plus TensorFlow stay under the 600 MB cap) and deletes every file of the sandbox uid in the writable temporary folders, so none is left
graded-parts: windows
"""


FILL_MB = 100


MEMFD_MB = 200


def _hide_memory():
    chunk = b"\x01" * 2**20
    fd = os.memfd_create("rnnkit-hostile-memfd")
    for _ in range(MEMFD_MB):
        os.write(fd, chunk)
    left = []
    for folder in ("/dev/shm", "/tmp", "/var/tmp"):
        path = os.path.join(folder, f"rnnkit-hostile-fill-{os.getuid()}-{os.getpid()}.bin")
        try:
            with open(path, "wb") as file:
                for _ in range(FILL_MB):
                    file.write(chunk)
            left.append(path)
        except OSError:
            pass
    return fd, left


HIDDEN = _hide_memory()
