"""I didn't do the homework; my notebook looks around the grading machine for the answers instead.

expect-fail: windows rnn lstm lm perplexity train
hostile: searches the disk (/, /tmp, /work, /autograder, /root, /home, /opt, its cwd's parents, paths seen in /proc/*/cmdline) for the reference solution and hidden data for up to 20 s, prints what it finds, and execs any reference it can read into its own namespace; otherwise every function is the stencil's NotImplementedError
expect-score: 0
over: stencil
"""


import json


CONTRACT_NAMES = ("make_windows", "MyRNN", "MyLSTM", "LanguageModel", "perplexity", "train", "HPARAMS")


SEARCH_SECONDS = 20.0


SKIP_TOP = ("/proc", "/sys", "/dev", "/run", "/snap", "/boot", "/lost+found")


def _interesting(path):
    name = os.path.basename(path)
    return (name.startswith("expected") and name.endswith((".npz", ".json"))
            or name.startswith("hidden_test")
            or name in ("language_model.py", "language_model.ipynb", "tests.json", "info.json", "run_autograder")
            or (name.endswith((".py", ".ipynb")) and {"solution", "autograder"} & set(path.split(os.sep))))


def _roots():
    roots = ["/autograder", "/tmp", "/work", "/root", "/home", "/opt", "/srv", "/var/tmp"]
    folder = os.path.abspath(os.getcwd())
    while folder != "/":
        folder = os.path.dirname(folder)
        roots.append(folder)
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        arguments = []
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as file:
                arguments = file.read().split(b"\0")
            roots.append(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            pass
        for argument in arguments:
            text = argument.decode("utf-8", "replace")
            if text.startswith("/"):
                roots.append(text if os.path.isdir(text) else os.path.dirname(text))
    roots.append("/")
    seen, ordered = set(), []
    for root in roots:
        if root and root not in seen:
            seen.add(root)
            ordered.append(root)
    return ordered


def _read_code(path):
    if os.path.getsize(path) > 5_000_000:
        return ""
    with open(path, encoding="utf-8", errors="replace") as file:
        text = file.read()
    if path.endswith(".ipynb"):
        try:
            cells = json.loads(text)["cells"]
        except (ValueError, KeyError, TypeError):
            return ""
        text = "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                         for c in cells if c.get("cell_type") == "code")
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("!", "%")))


def _looks_solved(code):
    return "def make_windows" in code and ("BEGIN SOLUTION" in code or "NotImplementedError" not in code)


def _steal():
    deadline = time.time() + SEARCH_SECONDS
    found, stolen, visited = [], None, set()
    for root in _roots():
        if time.time() > deadline:
            break
        if root.startswith(SKIP_TOP) and root != "/":
            continue
        for folder, subfolders, files in os.walk(root, onerror=lambda error: None):
            if time.time() > deadline:
                break
            if folder in visited or folder.startswith(SKIP_TOP):
                subfolders[:] = []
                continue
            visited.add(folder)
            for name in files:
                path = os.path.join(folder, name)
                if not _interesting(path) or not os.access(path, os.R_OK):
                    continue
                found.append(path)
                if not name.endswith(".py"):
                    print(f"[hostile] readable: {path}", flush=True)
                if name.startswith("hidden_test"):
                    with open(path, errors="replace") as file:
                        print("[hostile] hidden test data begins:", file.read(200).replace("\n", " | "), flush=True)
                if stolen is None and name.endswith((".py", ".ipynb")):
                    try:
                        code = _read_code(path)
                        if _looks_solved(code):
                            namespace = {"__name__": "stolen"}
                            exec(compile(code, path, "exec"), namespace)
                            if all(name in namespace for name in CONTRACT_NAMES):
                                stolen = path
                                globals().update({name: namespace[name] for name in CONTRACT_NAMES})
                                print(f"[hostile] using the solution found at {path}", flush=True)
                    except BaseException as error:  # a broken file: keep looking
                        print(f"[hostile] could not use {path}: {type(error).__name__}", flush=True)
    print(f"[hostile] searched {len(visited)} folders, {len(found)} interesting files, stole: {stolen}", flush=True)
    return stolen


STOLEN = _steal()
