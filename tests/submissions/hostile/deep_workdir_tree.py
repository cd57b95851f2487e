"""My notebook is right, but when it is loaded it builds a directory 3,000 levels deep in its work folder.

expect-fail: none
hostile: at load time mkdir+chdir 3,000 times inside its out/ folder (relative paths, so no path is ever long), then returns to out/; the old judge's shutil.rmtree(workdir, ignore_errors=True) recurses once per level in Python 3.10, raises RecursionError (ignore_errors covers only OSError) out of run_child's finally, so the part's answers are lost ("The autograder could not finish this check … not your fault") and the child's work folder stays in /tmp; a fixed judge cleans any tree the child leaves (or gives it no writable tree) and grades the correct answers: full marks, nothing left behind
graded-parts: windows
"""


DEPTH = 3000


def _dig():
    top = os.getcwd()
    try:
        for _ in range(DEPTH):
            os.mkdir("d")
            os.chdir("d")
    finally:
        os.chdir(top)
    return DEPTH


DUG = _dig()
