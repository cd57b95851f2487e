"""Build the notebook-style submissions from plain text, deterministically.

    .venv/bin/python tests/submissions/notebooks/make_notebooks.py

Writes correct_with_experiments.ipynb and syntax_error_in_experiment.ipynb next to
this script: the contract's definitions spread over cells the way students leave
them, with shell and magic lines, training runs, plots and prints still in. Both
are correct (expect-fail: none): the grader runs only imports, definitions and
UPPER_CASE assignments. Cell ids are fixed so rebuilding gives identical files.
"""

from pathlib import Path

import nbformat

HERE = Path(__file__).parent

HEADER = """# Homework 4: recurrent language models

{summary}

expect-fail: none
"""

DEFINITIONS = {
"windows": '''def make_windows(ids, window_sz):
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    num_windows = max(len(ids) - 1, 0) // window_sz
    end = num_windows * window_sz
    inputs = ids[:end].reshape(num_windows, window_sz)
    labels = ids[1:end + 1].reshape(num_windows, window_sz)
    return inputs, labels''',
"rnn": '''class MyRNN(tf.keras.layers.Layer):
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
        # s_t = f([x_t, s_{t-1}] W_r + b_r)
        return self.activation(tf.concat([x_t, s_prev], axis=-1) @ self.W_r + self.b_r)

    def call(self, inputs, initial_state=None):
        if initial_state is None:
            s = tf.zeros((tf.shape(inputs)[0], self.units), dtype=inputs.dtype)
        elif isinstance(initial_state, (list, tuple)):
            s = initial_state[0]
        else:
            s = initial_state
        states = []
        for t in range(inputs.shape[1]):
            s = self.step(inputs[:, t, :], s)
            states.append(s)
        outputs = tf.stack(states, axis=1) if self.return_sequences else s
        return [outputs, s] if self.return_state else outputs''',
"lstm": '''class MyLSTM(tf.keras.layers.Layer):
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
        i_t = tf.sigmoid(h_prev @ self.W_i + x_t @ self.U_i + self.b_i)
        f_t = tf.sigmoid(h_prev @ self.W_f + x_t @ self.U_f + self.b_f)
        o_t = tf.sigmoid(h_prev @ self.W_o + x_t @ self.U_o + self.b_o)
        c_tilde = tf.tanh(h_prev @ self.W_c + x_t @ self.U_c + self.b_c)
        c_t = f_t * c_prev + i_t * c_tilde
        h_t = o_t * tf.tanh(c_t)
        return h_t, c_t

    def call(self, inputs, initial_state=None):
        if initial_state is None:
            h = tf.zeros((tf.shape(inputs)[0], self.units), dtype=inputs.dtype)
            c = tf.zeros((tf.shape(inputs)[0], self.units), dtype=inputs.dtype)
        else:
            h, c = initial_state
        hidden_states = []
        for t in range(inputs.shape[1]):
            h, c = self.step(inputs[:, t, :], h, c)
            hidden_states.append(h)
        outputs = tf.stack(hidden_states, axis=1) if self.return_sequences else h
        return [outputs, h, c] if self.return_state else outputs''',
"lm": '''class LanguageModel(tf.keras.Model):
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
        embeddings = self.embedding(inputs)
        states = self.rnn(embeddings)
        return self.classifier(states)''',
"perplexity": '''def perplexity(labels, logits):
    losses = tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    return tf.exp(tf.reduce_mean(losses))''',
"train": '''def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    optimizer = tf.keras.optimizers.Adam(learning_rate)

    @tf.function(reduce_retracing=True)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x)
            loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    epoch_losses = []
    for epoch in range(epochs):
        order = np.random.permutation(len(inputs))
        total, count = 0.0, 0
        for start in range(0, len(inputs), batch_sz):
            batch = order[start:start + batch_sz]
            loss = train_step(inputs[batch], labels[batch])
            total += float(loss) * len(batch)
            count += len(batch)
        epoch_losses.append(total / max(count, 1))
        print(f"epoch {epoch + 1}: loss {epoch_losses[-1]:.3f}")
    return epoch_losses''',
"hparams": '''HPARAMS = {
    "cell": "lstm",
    "embedding_sz": 64,
    "hidden_sz": 128,
    "window_sz": 20,
    "batch_sz": 32,
    "epochs": 2,
    "learning_rate": 1e-2,
}''',
}

# A 1x1 PNG, so plot cells carry an image output like a saved notebook does.
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="


def code(source, *outputs, count=None):
    return nbformat.v4.new_code_cell(source, outputs=list(outputs), execution_count=count)


def stream(text, name="stdout"):
    return nbformat.v4.new_output("stream", name=name, text=text)


def picture():
    return nbformat.v4.new_output("display_data", data={"image/png": PIXEL, "text/plain": "<Figure size 640x480 with 1 Axes>"})


def common_cells():
    """Setup, the definitions, and experiments around them, in a student's order."""
    d = DEFINITIONS
    return [
        code("!pip install -q tensorflow-cpu==2.21.0 matplotlib", stream("Requirement already satisfied: tensorflow-cpu\n"), count=1),
        code("%matplotlib inline\nimport numpy as np\nimport tensorflow as tf\nimport matplotlib.pyplot as plt\n"
             "print(tf.__version__)", stream("2.21.0\n"), count=2),
        nbformat.v4.new_markdown_cell("## 1. Data\nThe corpus is given: one verse per line, tokens separated by spaces."),
        code('DATA_DIR = "data"\nVOCAB = open(f"{DATA_DIR}/vocab.txt").read().split("\\n")[:-1]\n'
             'word_to_id = {w: i for i, w in enumerate(VOCAB)}\n'
             'train_ids = np.array([word_to_id[w] for line in open(f"{DATA_DIR}/train.txt") for w in line.split() + ["<eos>"]])\n'
             'print(len(VOCAB), train_ids.shape)', stream("7000 (812345,)\n"), count=3),
        code(d["windows"], count=4),
        code("inputs, labels = make_windows(train_ids, 20)\nprint(inputs.shape, labels.shape)\nassert (inputs[:, 1:] == labels[:, :-1]).all()",
             stream("(40617, 20) (40617, 20)\n"), count=5),
        nbformat.v4.new_markdown_cell("## 2. The vanilla RNN\n$s_t = f([e_t, s_{t-1}] W_r + b_r)$"),
        code(d["rnn"], count=6),
        code("layer = MyRNN(4, return_sequences=True)\nprint(layer(tf.random.normal((2, 5, 3))).shape)\n"
             "# compare with keras\nref = tf.keras.layers.SimpleRNN(4, return_sequences=True)", stream("(2, 5, 4)\n"), count=7),
        code(d["lstm"], count=8),
        code("%%time\nx = tf.random.normal((8, 20, 16))\nfor _ in range(10):\n    MyLSTM(32, return_sequences=True)(x)",
             stream("CPU times: user 1.2 s, sys: 10 ms, total: 1.21 s\n"), count=9),
        code(d["lm"], count=10),
        code(d["perplexity"] + "\n\n\nprint(perplexity(tf.constant([[2, 0, 1, 3]]), tf.math.log([[[.1, .3, .5, .1], [.4, .3, .1, .2], [.1, .7, .1, .1], [.3, .3, .2, .2]]])))",
             stream("tf.Tensor(2.4446151, shape=(), dtype=float32)\n"), count=11),
        code(d["train"], count=12),
        code(d["hparams"], count=13),
        code('model = LanguageModel(len(VOCAB), cell=HPARAMS["cell"], embedding_sz=HPARAMS["embedding_sz"], hidden_sz=HPARAMS["hidden_sz"])\n'
             'inputs, labels = make_windows(train_ids, HPARAMS["window_sz"])\n'
             'losses = train(model, inputs, labels, HPARAMS["epochs"], HPARAMS["batch_sz"], HPARAMS["learning_rate"])',
             stream("epoch 1: loss 6.112\nepoch 2: loss 5.301\nepoch 3: loss 4.987\n"), count=14),
        code('plt.plot(losses)\nplt.xlabel("epoch")\nplt.ylabel("training loss")\nplt.show()', picture(), count=15),
    ]


def write(name, summary, cells):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                         "language_info": {"name": "python", "version": "3.10.12"}, "colab": {"provenance": []}}
    notebook.cells = [nbformat.v4.new_markdown_cell(HEADER.format(summary=summary))] + cells
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number:02d}"
    nbformat.validate(notebook)
    with open(HERE / name, "w", encoding="utf-8") as file:
        nbformat.write(notebook, file)


def main():
    write("correct_with_experiments.ipynb",
          "A correct notebook submitted as it was left: `!pip` and `%matplotlib` lines, a data cell that fails "
          "without the data folder, training runs, plots and prints.",
          common_cells() + [
              code('for temperature in (0.5, 1.0):\n    print(temperature, "the lord said unto moses ...")',
                   stream("0.5 the lord said unto moses ...\n1.0 the lord said unto moses ...\n"), count=16),
              code("files = !ls data\nprint(files)", stream("['train.txt', 'vocab.txt']\n"), count=17),
          ])
    write("syntax_error_in_experiment.ipynb",
          "A correct notebook whose unrelated experiment cells have syntax errors (a half-typed loop, and a helper "
          "followed by an unclosed call), left in when it was submitted.",
          common_cells() + [
              nbformat.v4.new_markdown_cell("## Extra: beam search (unfinished)"),
              code("# TODO finish beam search\nbeams = [([], 0.0)]\nfor step in range(10)\n    beams = expand(beams)",
                   nbformat.v4.new_output("error", ename="SyntaxError", evalue="expected ':'", traceback=[]), count=16),
              code("def top_k(logits, k=5):\n    return tf.math.top_k(logits, k=k).indices\n\n\nprint(top_k(tf.constant([1.0, 2.0, 3.0]), k=2)",
                   count=None),
          ])


if __name__ == "__main__":
    main()
