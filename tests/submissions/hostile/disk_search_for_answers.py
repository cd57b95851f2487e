"""I didn't do the homework; my notebook looks around the grading machine for the answers instead.

expect-fail: windows rnn lstm lm perplexity train
hostile: searches the disk (/, /tmp, /work, /autograder, /root, /home, /opt, its cwd's parents, paths seen in /proc/*/cmdline) for the reference solution and hidden data for up to 20 s, prints what it finds, and execs any reference it can read into its own namespace; otherwise every function is the stencil's NotImplementedError
expect-score: 0
"""


import json


def make_windows(ids, window_sz):
    raise NotImplementedError("make_windows")


class MyRNN(tf.keras.layers.Layer):
    def __init__(self, units, activation="tanh", return_sequences=False, return_state=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = tf.keras.activations.get(activation)
        self.return_sequences = return_sequences
        self.return_state = return_state

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.W_r = self.add_weight(name="W_r", shape=(input_dim + self.units, self.units), initializer="glorot_uniform")
        self.b_r = self.add_weight(name="b_r", shape=(self.units,), initializer="zeros")

    def step(self, x_t, s_prev):
        raise NotImplementedError("MyRNN.step")

    def call(self, inputs, initial_state=None):
        raise NotImplementedError("MyRNN.call")


class MyLSTM(tf.keras.layers.Layer):
    def __init__(self, units, return_sequences=False, return_state=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.return_sequences = return_sequences
        self.return_state = return_state

    def build(self, input_shape):
        input_dim = input_shape[-1]
        units = self.units
        self.W_i = self.add_weight(name="W_i", shape=(units, units), initializer="orthogonal")
        self.W_f = self.add_weight(name="W_f", shape=(units, units), initializer="orthogonal")
        self.W_o = self.add_weight(name="W_o", shape=(units, units), initializer="orthogonal")
        self.W_c = self.add_weight(name="W_c", shape=(units, units), initializer="orthogonal")
        self.U_i = self.add_weight(name="U_i", shape=(input_dim, units), initializer="glorot_uniform")
        self.U_f = self.add_weight(name="U_f", shape=(input_dim, units), initializer="glorot_uniform")
        self.U_o = self.add_weight(name="U_o", shape=(input_dim, units), initializer="glorot_uniform")
        self.U_c = self.add_weight(name="U_c", shape=(input_dim, units), initializer="glorot_uniform")
        self.b_i = self.add_weight(name="b_i", shape=(units,), initializer="zeros")
        self.b_f = self.add_weight(name="b_f", shape=(units,), initializer="ones")
        self.b_o = self.add_weight(name="b_o", shape=(units,), initializer="zeros")
        self.b_c = self.add_weight(name="b_c", shape=(units,), initializer="zeros")

    def step(self, x_t, h_prev, c_prev):
        raise NotImplementedError("MyLSTM.step")

    def call(self, inputs, initial_state=None):
        raise NotImplementedError("MyLSTM.call")


class LanguageModel(tf.keras.Model):
    def __init__(self, vocab_sz, cell="lstm", embedding_sz=64, hidden_sz=128, **kwargs):
        super().__init__(**kwargs)
        self.vocab_sz = vocab_sz
        self.embedding = tf.keras.layers.Embedding(vocab_sz, embedding_sz)
        if cell == "lstm":
            self.rnn = MyLSTM(hidden_sz, return_sequences=True)
        elif cell == "rnn":
            self.rnn = MyRNN(hidden_sz, return_sequences=True)
        else:
            raise ValueError(f"cell must be 'lstm' or 'rnn', not {cell!r}")
        self.classifier = tf.keras.layers.Dense(vocab_sz)

    def call(self, inputs):
        raise NotImplementedError("LanguageModel.call")


def perplexity(labels, logits):
    raise NotImplementedError("perplexity")


def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    raise NotImplementedError("train")


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
