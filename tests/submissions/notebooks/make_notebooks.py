"""Build the notebook-style submissions of the zoo from the current reference solution.

zoo.lay_out calls write_notebooks when it lays the zoo out, so nothing here copies the reference
and no notebook is committed. It writes correct_with_experiments.ipynb and
syntax_error_in_experiment.ipynb: the reference's imports and contract definitions, as written,
spread over cells the way students leave them, with shell and magic lines, training runs, plots
and prints still in. Both are correct (expect-fail: none): the grader runs only imports,
definitions and UPPER_CASE assignments. To look at them, lay the zoo out into a folder of yours:
`.venv/bin/python -c "from pathlib import Path; from tests.submissions import zoo; zoo.lay_out(Path('OUT'))"`.
"""

from pathlib import Path

import nbformat

HEADER = """# Homework 4: recurrent language models

{summary}

expect-fail: none
"""

# A 1x1 PNG, so plot cells carry an image output like a saved notebook does.
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="


def code(source, *outputs, count=None):
    return nbformat.v4.new_code_cell(source, outputs=list(outputs), execution_count=count)


def stream(text, name="stdout"):
    return nbformat.v4.new_output("stream", name=name, text=text)


def picture():
    return nbformat.v4.new_output("display_data", data={"image/png": PIXEL, "text/plain": "<Figure size 640x480 with 1 Axes>"})


def common_cells(d):
    """Setup, the definitions `d` (statement by the name it defines; "import": the imports), and experiments around
    them, in a student's order."""
    return [
        code("!pip install -q tensorflow-cpu==2.21.0 matplotlib", stream("Requirement already satisfied: tensorflow-cpu\n"), count=1),
        code(f"%matplotlib inline\n{d['import']}\nprint(tf.__version__)", stream("2.21.0\n"), count=2),
        nbformat.v4.new_markdown_cell("## 1. Data\nThe corpus is given: one verse per line, tokens separated by spaces."),
        code('DATA_DIR = "data"\nVOCAB = open(f"{DATA_DIR}/vocab.txt").read().split("\\n")[:-1]\n'
             'word_to_id = {w: i for i, w in enumerate(VOCAB)}\n'
             'train_ids = np.array([word_to_id[w] for line in open(f"{DATA_DIR}/train.txt") for w in line.split() + ["<eos>"]])\n'
             'print(len(VOCAB), train_ids.shape)', stream("7000 (812345,)\n"), count=3),
        code(d["make_windows"], count=4),
        code("inputs, labels = make_windows(train_ids, 20)\nprint(inputs.shape, labels.shape)\nassert (inputs[:, 1:] == labels[:, :-1]).all()",
             stream("(40617, 20) (40617, 20)\n"), count=5),
        nbformat.v4.new_markdown_cell("## 2. The vanilla RNN\n$s_t = f([e_t, s_{t-1}] W_r + b_r)$"),
        code(d["MyRNN"], count=6),
        code("layer = MyRNN(4, return_sequences=True)\nprint(layer(tf.random.normal((2, 5, 3))).shape)\n"
             "# compare with keras\nref = tf.keras.layers.SimpleRNN(4, return_sequences=True)", stream("(2, 5, 4)\n"), count=7),
        code(d["MyLSTM"], count=8),
        code("%%time\nx = tf.random.normal((8, 20, 16))\nfor _ in range(10):\n    MyLSTM(32, return_sequences=True)(x)",
             stream("CPU times: user 1.2 s, sys: 10 ms, total: 1.21 s\n"), count=9),
        code(d["LanguageModel"], count=10),
        code(d["perplexity"] + "\n\n\nprint(perplexity(tf.constant([[2, 0, 1, 3]]), tf.math.log([[[.1, .3, .5, .1], [.4, .3, .1, .2], [.1, .7, .1, .1], [.3, .3, .2, .2]]])))",
             stream("tf.Tensor(2.4446151, shape=(), dtype=float32)\n"), count=11),
        code(d["train"], count=12),
        code(d["HPARAMS"], count=13),
        code('model = LanguageModel(len(VOCAB), cell=HPARAMS["cell"], embedding_sz=HPARAMS["embedding_sz"], hidden_sz=HPARAMS["hidden_sz"])\n'
             'inputs, labels = make_windows(train_ids, HPARAMS["window_sz"])\n'
             'losses = train(model, inputs, labels, HPARAMS["epochs"], HPARAMS["batch_sz"], HPARAMS["learning_rate"])\n'
             'print(losses)', stream("[6.112, 5.301]\n"), count=14),
        code('plt.plot(losses)\nplt.xlabel("epoch")\nplt.ylabel("training loss")\nplt.show()', picture(), count=15),
    ]


def write(path, summary, cells):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                         "language_info": {"name": "python", "version": "3.10.12"}, "colab": {"provenance": []}}
    notebook.cells = [nbformat.v4.new_markdown_cell(HEADER.format(summary=summary))] + cells
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number:02d}"
    nbformat.validate(notebook)
    with open(path, "w", encoding="utf-8") as file:
        nbformat.write(notebook, file)


def write_notebooks(folder: Path, reference: dict[str, str]):
    """Both notebooks in `folder`, their definitions `reference`'s (zoo.written_statements of the reference)."""
    write(folder / "correct_with_experiments.ipynb",
          "A correct notebook submitted as it was left: `!pip` and `%matplotlib` lines, a data cell that fails "
          "without the data folder, training runs, plots and prints.",
          common_cells(reference) + [
              code('for temperature in (0.5, 1.0):\n    print(temperature, "the lord said unto moses ...")',
                   stream("0.5 the lord said unto moses ...\n1.0 the lord said unto moses ...\n"), count=16),
              code("files = !ls data\nprint(files)", stream("['train.txt', 'vocab.txt']\n"), count=17),
          ])
    write(folder / "syntax_error_in_experiment.ipynb",
          "A correct notebook whose unrelated experiment cells have syntax errors (a half-typed loop, and a helper "
          "followed by an unclosed call), left in when it was submitted.",
          common_cells(reference) + [
              nbformat.v4.new_markdown_cell("## Extra: beam search (unfinished)"),
              code("# TODO finish beam search\nbeams = [([], 0.0)]\nfor step in range(10)\n    beams = expand(beams)",
                   nbformat.v4.new_output("error", ename="SyntaxError", evalue="expected ':'", traceback=[]), count=16),
              code("def top_k(logits, k=5):\n    return tf.math.top_k(logits, k=k).indices\n\n\nprint(top_k(tf.constant([1.0, 2.0, 3.0]), k=2)",
                   count=None),
          ])
