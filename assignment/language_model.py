# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Homework: recurrent language models (vanilla RNN and LSTM)
#
# A language model gives a probability to the next word of a text, given the words before it.
# In this homework you build one the way the lecture did: an embedding, a recurrent cell you write
# from scratch (first the vanilla RNN, then the LSTM), and a fully connected layer that scores every
# word of the vocabulary. You train it with backpropagation through time and measure it with perplexity.
#
# **What you write.** {TODO_COUNT} TODOs, numbered in the order you meet them:
#
# | TODO | what | part |
# |---|---|---|
# | {#make_windows} | `make_windows` | 1. Windows |
# | {#MyRNN.step}, {#MyRNN.call} | `MyRNN.step`, `MyRNN.call` | 2. The vanilla RNN |
# | {#MyLSTM.step}, {#MyLSTM.call} | `MyLSTM.step`, `MyLSTM.call` | 3. The LSTM |
# | {#LanguageModel.call} | `LanguageModel.call` | 4. The language model |
# | {#perplexity} | `perplexity` | 5. Perplexity |
# | {#train} | `train` | 6. Training |
# | {#HPARAMS} | `HPARAMS` | 8. The main experiment |
#
# Everything else is given. Run the notebook top to bottom: it stops at the first TODO you have not
# done yet, with an error that names it. After each part, a cell `check("...")` runs the visible
# autograder tests of that part and tells you what is wrong, if anything.
#
# **How it is graded.** Submit this notebook, `language_model.ipynb`, to Gradescope. The autograder runs
# only its top-level imports, `def`s, `class`es and assignments to UPPER_CASE names (such as `HPARAMS`),
# so you can leave your experiments, plots and prints in. Do not rename anything that a TODO asks for.
# It tests each TODO on its own, then builds `LanguageModel` with your `HPARAMS`, trains it with your
# `train` on the training corpus within a time budget, and measures its perplexity on held-out text.
# The exact names and signatures it grades are in `CONTRACT.md`, next to this notebook.
#
# **Notation.** As in the lecture, $e_t$ is the embedding of the word at position $t$ and $s_t$ the state
# after reading it. Vectors are *rows*, as in TensorFlow: a batch of $B$ vectors is a `(B, features)`
# tensor and a layer computes `x @ W + b`. Only TensorFlow and NumPy are allowed in your code.

# %% [markdown]
# ## 0. Setup
#
# **Run the next cell first.** This notebook needs `check.py` (the visible tests) and `data/` beside it. The
# cell finds them and installs only what is missing: it never replaces the TensorFlow or NumPy you have.
#
# - **On Colab:** pick `stencil.zip` when the cell asks (Colab cannot upload a folder); it unpacks it into
#   `/content/stencil` and works there. When Colab recycles its runtime the files go: run the cell again.
#   Do not `pip install -r requirements.txt` on Colab: it breaks Colab's TensorFlow.
# - **On your computer:** unzip the homework; in its folder `python -m venv venv`, activate it,
#   `pip install -r requirements.txt notebook`, then `jupyter notebook`.

# %%
import os
import sys

if "google.colab" in sys.modules and not os.path.isfile("check.py"):  # Colab starts in /content, without the homework
    import glob
    import zipfile
    if not glob.glob("/content/*/check.py"):  # not unpacked yet
        from google.colab import files
        for name in glob.glob("/content/*.zip") or files.upload():  # a zip you put in Files, or the one you pick now
            zipfile.ZipFile(name).extractall("/content")
    found = glob.glob("/content/*/check.py")
    if found:
        os.chdir(os.path.dirname(found[0]))
if os.path.isfile("check.py"):
    from check import check, prepare_environment, time_training  # check("rnn") runs the visible tests of a part
    prepare_environment()
else:
    raise FileNotFoundError(f"check.py is not in {os.getcwd()}: open this notebook from the homework's folder, "
                            "next to check.py and data/ (on Colab: run this cell and upload stencil.zip)")

# %%
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

# %% [markdown]
# ### The corpus and its vocabulary
#
# The folder `data/` holds the corpus, already cleaned: `train.txt`, `valid.txt` and `test.txt` have one
# sentence per line, as lower-cased tokens separated by spaces, with rare words already replaced by
# `<unk>`. `vocab.txt` has one token per line; a token's id is its line number (from 0), `<eos>`
# ("end of sentence") is id 0 and `<unk>` is id 1. A split becomes one long sequence of ids: the ids of
# each line's tokens, then the id of `<eos>`. The model learns where sentences end by predicting `<eos>`.

# %%
data_dir = Path("data")
vocab = (data_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()  # id -> token
word_to_id = {word: i for i, word in enumerate(vocab)}  # token -> id


def load_split(path, word_to_id):
    """The id sequence of a split file: each line's token ids, then the id of <eos>."""
    ids = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        ids.extend(word_to_id.get(word, word_to_id["<unk>"]) for word in line.split())
        ids.append(word_to_id["<eos>"])
    return np.array(ids, dtype=np.int64)


train_ids, valid_ids, test_ids = (load_split(data_dir / f"{name}.txt", word_to_id) for name in ["train", "valid", "test"])
print(f"|V| = {len(vocab)} tokens; train/valid/test: {len(train_ids)}/{len(valid_ids)}/{len(test_ids)} ids")
print(" ".join(vocab[i] for i in train_ids[:40]))

# %% [markdown]
# ## 1. Windows
#
# The lecture's RNN could read the whole corpus as one endless sequence, but we must stop somewhere to
# compute a loss and update the weights. So we cut the id sequence into non-overlapping **windows** of
# `window_sz` tokens and run the RNN from $s_0 = 0$ over each window. The input of a window is
# `window_sz` ids; its labels are the *next* id at each position, so the model learns to predict
# $x_{t+1}$ from $x_1, \dots, x_t$. A batch of `batch_sz` windows is a `(batch_sz, window_sz)` array of
# ids; after the embedding it is the `(batch_sz, window_sz, embedding_sz)` tensor of the lecture.
#
# For the ids `0 1 2 ... 10` and `window_sz = 4`:
#
# ```
# inputs  [[0 1 2 3]      labels  [[1 2 3 4]
#          [4 5 6 7]]              [5 6 7 8]]      (9 and 10 are left over: dropped)
# ```
#
# ### TODO {#make_windows}: `make_windows`

# %%
def make_windows(ids, window_sz):
    """TODO {#make_windows}: cut a sequence of token ids into non-overlapping windows of inputs and their labels.

    ids:        N token ids, a 1-D list or np.ndarray of ints
    window_sz:  T, the number of tokens in a window
    returns     (inputs, labels), two int np.ndarrays of shape (num_windows, T) with
                num_windows = (N - 1) // T (what is left over is dropped; zero windows when N - 1 < T):
                inputs[k, j] = ids[k*T + j] and labels[k, j] = ids[k*T + j + 1]

    Hint: labels are the inputs shifted by ONE position, and the windows do not overlap: window k
    starts at k*T, not at k. Count windows with N - 1, since the last id has no next id to predict.
    """
    # BEGIN SOLUTION TODO make_windows: return (inputs, labels), each (num_windows, window_sz), labels shifted by one
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)  # (N,)
    num_windows = max(len(ids) - 1, 0) // window_sz
    end = num_windows * window_sz
    inputs = ids[:end].reshape(num_windows, window_sz)  # (num_windows, T)
    labels = ids[1:end + 1].reshape(num_windows, window_sz)  # (num_windows, T), one position later
    return inputs, labels
    # END SOLUTION


# %%
inputs, labels = make_windows(np.arange(11), 4)
print("inputs", inputs.shape, inputs.tolist())  # (2, 4) [[0, 1, 2, 3], [4, 5, 6, 7]]
print("labels", labels.shape, labels.tolist())  # (2, 4) [[1, 2, 3, 4], [5, 6, 7, 8]]

# %%
check("windows")

# %% [markdown]
# ## 2. The vanilla RNN, from scratch
#
# At each step the RNN cell reads the embedding $e_t$ of one word and the state $s_{t-1}$ it computed
# for the previous word, concatenates them, and sends them through one fully connected layer:
#
# $$s_t = \rho\big(\mathrm{concat}(e_t, s_{t-1})\, W_r + b_r\big), \qquad s_0 = 0$$
#
# where $\rho$ is a nonlinearity (tanh by default). With `B` windows in a batch, $e_t$ is `(B, input_dim)`,
# $s_{t-1}$ is `(B, units)`, so the concatenation is `(B, input_dim + units)` and
# $W_r$ is `(input_dim + units, units)`: its first `input_dim` rows multiply $e_t$, its last `units`
# rows multiply $s_{t-1}$. The same $W_r, b_r$ serve every step, so the number of weights does not grow
# with the length of the window. Unrolled over a window of $T$ steps, the RNN is a plain Python loop:
#
# ```
# s = s_0                                   # (B, units)
# for t in range(T):
#     s = step(x[:, t, :], s)               # (B, input_dim), (B, units) -> (B, units)
#     keep s as the output of step t
# ```
#
# The lecture's output layer $o_t = \sigma(s_t W_o + b_o)$ is not part of the cell here: the language model
# of part 4 puts one `Dense` layer on top of all the states.
#
# **Backpropagation through time.** The loss at step $t$ depends on $W_r$ through $s_t$, and through
# $s_{t-1}, s_{t-2}, \dots$ back to the start of the window, because each state was computed from the one
# before. Its gradient is therefore a sum over all earlier steps, and the part that reaches back $k$ steps
# is a product of $k$ Jacobians $\partial s_j / \partial s_{j-1}$, one per step. You do not write this
# by hand: if every operation in your loop is a TensorFlow operation, `tf.GradientTape` records the
# unrolled loop and differentiates through it. The catch is that long products of Jacobians tend to shrink
# to nothing (or blow up), which is why the RNN forgets what it read long ago (part 7).
#
# `MyRNN` behaves like `tf.keras.layers.SimpleRNN(units, activation, return_sequences, return_state)`:
# the autograder checks your layer against it, with $W_r$ = `vstack([kernel, recurrent_kernel])` and
# $b_r$ = `bias`.
#
# ### TODO {#MyRNN.step}: `MyRNN.step` and TODO {#MyRNN.call}: `MyRNN.call`

# %%
class MyRNN(tf.keras.layers.Layer):
    """A vanilla RNN layer: s_t = activation(concat(x_t, s_{t-1}) @ W_r + b_r), s_0 = 0."""

    def __init__(self, units, activation="tanh", return_sequences=False, return_state=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = tf.keras.activations.get(activation)
        self.return_sequences = return_sequences
        self.return_state = return_state

    def build(self, input_shape):
        input_dim = input_shape[-1]
        # rows [0, input_dim) multiply x_t, rows [input_dim, input_dim + units) multiply s_{t-1}
        self.W_r = self.add_weight(name="W_r", shape=(input_dim + self.units, self.units), initializer="glorot_uniform")
        self.b_r = self.add_weight(name="b_r", shape=(self.units,), initializer="zeros")

    def step(self, x_t, s_prev):
        """TODO {#MyRNN.step}: one step of the RNN.

        x_t:     (B, input_dim), the input at step t
        s_prev:  (B, units), the state s_{t-1}
        returns  s_t, (B, units)

        Hint: concatenate in the order [x_t, s_prev] along the last axis: that is the row order of W_r.
        """
        # BEGIN SOLUTION TODO MyRNN.step: return s_t = activation(concat([x_t, s_prev], -1) @ W_r + b_r), shape (B, units)
        return self.activation(tf.concat([x_t, s_prev], axis=-1) @ self.W_r + self.b_r)  # (B, units)
        # END SOLUTION

    def call(self, inputs, initial_state=None):
        """TODO {#MyRNN.call}: run the RNN over a batch of sequences.

        inputs:         (B, T, input_dim)
        initial_state:  s_0, a (B, units) tensor or a one-element list holding it; None means zeros
        returns         outputs: all states stacked (B, T, units) if self.return_sequences, else s_T (B, units);
                        the list [outputs, s_T] if self.return_state

        Hint: carry the state from one step to the next (s = self.step(x_t, s)), starting from s_0; and
        initial_state may come as a list [s_0], as Keras layers accept it.
        """
        # BEGIN SOLUTION TODO MyRNN.call: loop step over the T steps of inputs (B, T, input_dim) and return the states
        if initial_state is None:
            s = tf.zeros((tf.shape(inputs)[0], self.units), dtype=inputs.dtype)  # s_0 = 0: (B, units)
        elif isinstance(initial_state, (list, tuple)):
            s = initial_state[0]
        else:
            s = initial_state
        states = []
        for t in range(inputs.shape[1]):
            s = self.step(inputs[:, t, :], s)  # (B, units)
            states.append(s)
        outputs = tf.stack(states, axis=1) if self.return_sequences else s  # (B, T, units) or (B, units)
        return [outputs, s] if self.return_state else outputs
        # END SOLUTION


# %%
rnn = MyRNN(8, return_sequences=True, return_state=True)
x = tf.random.normal((2, 5, 3))  # (B=2, T=5, input_dim=3)
rnn.build(x.shape)
print("step:", rnn.step(x[:, 0, :], tf.zeros((2, 8))).shape)  # (2, 8)
outputs, s_T = rnn(x)
print("call:", outputs.shape, s_T.shape)  # (2, 5, 8) (2, 8)

# %%
check("rnn")

# %% [markdown]
# ## 3. The LSTM, from scratch
#
# In the RNN, everything the cell remembers goes through $W_r$ and $\rho$ at every step, so the memory of
# "dog" gets mixed with all that comes after it. The LSTM adds a second state, the **cell state** $c_t$,
# which never goes through a fully connected layer: it is only multiplied pointwise by gates (vectors
# in $(0, 1)$, computed by a fully connected layer and a sigmoid) and added to. Besides $c_t$ it keeps a
# hidden state $h_t$, the short-term memory and the output of the layer. Three modules update them:
#
# - **forget module**: the forget gate $f_t$ decides what to keep of the old cell state $c_{t-1}$
#   (1 keeps, 0 erases: a new subject erases the old one);
# - **remember module**: a candidate memory $\tilde c_t$ (fully connected + tanh) is gated by the input
#   gate $i_t$ and added to the cell state;
# - **output module**: the output gate $o_t$ decides what of $\tanh(c_t)$ goes into $h_t$.
#
# Each gate $g \in \{i, f, o, c\}$ has its own weights: $W_g$ `(units, units)` multiplies $h_{t-1}$,
# $U_g$ `(input_dim, units)` multiplies $x_t$, and $b_g$ `(units,)`. In the row-vector form we use
# (the lecture wrote $W h_{t-1}$ with column vectors; here it is $h_{t-1} W$):
#
# $$
# \begin{aligned}
# i_t &= \sigma(h_{t-1} W_i + x_t U_i + b_i) \\
# f_t &= \sigma(h_{t-1} W_f + x_t U_f + b_f) \\
# o_t &= \sigma(h_{t-1} W_o + x_t U_o + b_o) \\
# \tilde c_t &= \tanh(h_{t-1} W_c + x_t U_c + b_c) \\
# c_t &= f_t \circ c_{t-1} + i_t \circ \tilde c_t \\
# h_t &= o_t \circ \tanh(c_t)
# \end{aligned}
# $$
#
# with $h_0 = c_0 = 0$ and $\circ$ the pointwise product. The gradient along $c$ is multiplied by $f_t$ at
# each step rather than by a weight matrix and a squashing function: when the forget gate stays near 1,
# what is in the cell state, and its gradient, survives many steps. (The given `build` starts $b_f$ at 1 so
# that the LSTM remembers by default.)
#
# `MyLSTM` behaves like `tf.keras.layers.LSTM(units, return_sequences, return_state)`: the autograder
# checks it against Keras, whose `kernel`, `recurrent_kernel` and `bias` hold the gates in the order
# i, f, c, o.
#
# ### TODO {#MyLSTM.step}: `MyLSTM.step` and TODO {#MyLSTM.call}: `MyLSTM.call`

# %%
class MyLSTM(tf.keras.layers.Layer):
    """An LSTM layer with input (i), forget (f) and output (o) gates and candidate memory (c)."""

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
        self.b_f = self.add_weight(name="b_f", shape=(units,), initializer="ones")  # remember by default
        self.b_o = self.add_weight(name="b_o", shape=(units,), initializer="zeros")
        self.b_c = self.add_weight(name="b_c", shape=(units,), initializer="zeros")

    def step(self, x_t, h_prev, c_prev):
        """TODO {#MyLSTM.step}: one step of the LSTM, the six equations above.

        x_t:     (B, input_dim), the input at step t
        h_prev:  (B, units), the hidden state h_{t-1}
        c_prev:  (B, units), the cell state c_{t-1}
        returns  (h_t, c_t), both (B, units)

        Hint: the forget gate multiplies the OLD cell state c_prev; the input gate multiplies the
        candidate c~_t. And h_t takes tanh of the NEW cell state c_t.
        """
        # BEGIN SOLUTION TODO MyLSTM.step: return (h_t, c_t), both (B, units), from the LSTM equations
        i_t = tf.sigmoid(h_prev @ self.W_i + x_t @ self.U_i + self.b_i)  # (B, units) input gate
        f_t = tf.sigmoid(h_prev @ self.W_f + x_t @ self.U_f + self.b_f)  # (B, units) forget gate
        o_t = tf.sigmoid(h_prev @ self.W_o + x_t @ self.U_o + self.b_o)  # (B, units) output gate
        c_tilde = tf.tanh(h_prev @ self.W_c + x_t @ self.U_c + self.b_c)  # (B, units) candidate memory
        c_t = f_t * c_prev + i_t * c_tilde  # (B, units) forget, then remember
        h_t = o_t * tf.tanh(c_t)  # (B, units) output
        return h_t, c_t
        # END SOLUTION

    def call(self, inputs, initial_state=None):
        """TODO {#MyLSTM.call}: run the LSTM over a batch of sequences.

        inputs:         (B, T, input_dim)
        initial_state:  [h_0, c_0], two (B, units) tensors; None means zeros
        returns         outputs: all hidden states stacked (B, T, units) if self.return_sequences, else h_T (B, units);
                        the list [outputs, h_T, c_T] if self.return_state

        Hint: use TensorFlow operations only (tf.stack, not np.stack or .numpy()), or no gradient flows
        back through time.
        """
        # BEGIN SOLUTION TODO MyLSTM.call: loop step over the T steps of inputs (B, T, input_dim) and return the hidden states
        if initial_state is None:
            h = tf.zeros((tf.shape(inputs)[0], self.units), dtype=inputs.dtype)  # h_0 = 0: (B, units)
            c = tf.zeros((tf.shape(inputs)[0], self.units), dtype=inputs.dtype)  # c_0 = 0: (B, units)
        else:
            h, c = initial_state
        hidden_states = []
        for t in range(inputs.shape[1]):
            h, c = self.step(inputs[:, t, :], h, c)  # (B, units), (B, units)
            hidden_states.append(h)
        outputs = tf.stack(hidden_states, axis=1) if self.return_sequences else h  # (B, T, units) or (B, units)
        return [outputs, h, c] if self.return_state else outputs
        # END SOLUTION


# %%
lstm = MyLSTM(8, return_sequences=True, return_state=True)
x = tf.random.normal((2, 5, 3))  # (B=2, T=5, input_dim=3)
lstm.build(x.shape)
h_1, c_1 = lstm.step(x[:, 0, :], tf.zeros((2, 8)), tf.zeros((2, 8)))
print("step:", h_1.shape, c_1.shape)  # (2, 8) (2, 8)
outputs, h_T, c_T = lstm(x)
print("call:", outputs.shape, h_T.shape, c_T.shape)  # (2, 5, 8) (2, 8) (2, 8)

# %%
check("lstm")

# %% [markdown]
# ## 4. The language model
#
# The model reads a batch of windows of ids, `(B, T)`, and gives at every position a score (a *logit*)
# to each of the $|V|$ words for the next word:
#
# ```
# ids (B, T) -> embedding -> (B, T, embedding_sz) -> recurrent layer -> (B, T, hidden_sz)
#            -> Dense(vocab_sz) -> logits (B, T, vocab_sz)
# ```
#
# The recurrent layer returns its whole sequence of states (`return_sequences=True`) so that every
# position gets a prediction, and the `Dense` layer acts on the last axis, so it scores all positions
# at once. Since the state at step $t$ has only read tokens $0..t$, so has the prediction at $t$.
# `softmax` of the logits gives the probabilities; we leave it to the loss, which is more stable.
#
# ### TODO {#LanguageModel.call}: `LanguageModel.call`

# %%
class LanguageModel(tf.keras.Model):
    """Embedding, then MyLSTM or MyRNN over the window, then a Dense layer that scores the next word."""

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
        """TODO {#LanguageModel.call}: the logits of the next word at every position.

        inputs:   (B, T) int token ids
        returns   logits (B, T, vocab_sz), unnormalised: no softmax

        Hint: return the classifier's output as it is; applying softmax here breaks the loss and the
        perplexity, which both take logits.
        """
        # BEGIN SOLUTION TODO LanguageModel.call: return logits (B, T, vocab_sz): embedding, then self.rnn, then self.classifier
        embeddings = self.embedding(inputs)  # (B, T, embedding_sz)
        states = self.rnn(embeddings)  # (B, T, hidden_sz)
        return self.classifier(states)  # (B, T, vocab_sz)
        # END SOLUTION


# %%
lm = LanguageModel(vocab_sz=50, cell="rnn", embedding_sz=8, hidden_sz=16)
logits = lm(np.zeros((2, 7), dtype=np.int64))  # (B=2, T=7) ids
print("logits:", logits.shape)  # (2, 7, 50)

# %%
check("lm")

# %% [markdown]
# ## 5. Perplexity
#
# The loss is the cross-entropy of the next word, averaged over every position of every window:
# $L = \frac{1}{N} \sum_t -\log p(x_{t+1} \mid x_1, \dots, x_t)$. Its exponential is the **perplexity**:
#
# $$\mathrm{PP} = \exp\Big(\frac{1}{N} \sum_t -\log p(x_{t+1} \mid x_1, \dots, x_t)\Big)$$
#
# It reads as "the model is as unsure as if it chose among PP equally likely words". A perfect model,
# which gives probability 1 to every next word, has perplexity 1; a model that spreads its probability
# uniformly over the vocabulary has perplexity exactly $|V|$. Lower is better.
#
# ### TODO {#perplexity}: `perplexity`

# %%
def perplexity(labels, logits):
    """TODO {#perplexity}: the perplexity of logits against labels.

    labels:  (B, T) int ids of the true next words (or any shape S)
    logits:  (B, T, vocab_sz) unnormalised scores (shape S + (vocab_sz,))
    returns  a scalar: exp of the MEAN sparse softmax cross-entropy over every position

    Hint: take the mean of the cross-entropy, not its sum, before exp; and the inputs are logits,
    so tell the loss function (from_logits=True).
    """
    # BEGIN SOLUTION TODO perplexity: return exp(mean sparse softmax cross-entropy of logits against labels), a scalar
    losses = tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)  # (B, T)
    return tf.exp(tf.reduce_mean(losses))  # ()
    # END SOLUTION


# %%
probs = np.array([[.1, .3, .5, .1], [.4, .3, .1, .2], [.1, .7, .1, .1], [.3, .3, .2, .2]])
print("perplexity:", float(perplexity(np.array([2, 0, 1, 3]), np.log(probs))))  # 2.4446151121745054
print(f"uniform over 50 words: {float(perplexity(np.zeros((2, 7)), tf.zeros((2, 7, 50)))):.4f}")  # 50.0000

# %%
check("perplexity")

# %% [markdown]
# ## 6. Training with backpropagation through time
#
# One epoch goes once over all the windows, in a new random order, `batch_sz` windows at a time. For each
# batch: run the model on the inputs under a `tf.GradientTape`, compute the mean cross-entropy against the
# labels, ask the tape for the gradient of that loss with respect to `model.trainable_variables` (this is
# backpropagation through time, through your unrolled loop), and let an Adam optimizer apply it.
#
# Tip: decorating the function that does one batch with `@tf.function` compiles it into a graph and makes
# training several times faster (the Python loop over the window is unrolled once, when it is traced).
#
# ### TODO {#train}: `train`

# %%
def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    """TODO {#train}: train model in place with Adam and return the mean training loss of each epoch.

    model:          a LanguageModel
    inputs, labels: (num_windows, window_sz) int arrays, as make_windows returns them
    epochs:         the number of passes over all windows (shuffled anew each epoch)
    batch_sz:       the number of windows in a batch
    learning_rate:  Adam's learning rate
    returns         a list of `epochs` floats: the mean cross-entropy over the windows of each epoch

    Batches: shuffle the window indices each epoch and take them `batch_sz` at a time. When batch_sz
    does not divide the number of windows, keep the last, smaller batch (every window is trained on);
    with `tf.function`, `reduce_retracing=True` keeps its one other shape from compiling anew each time.
    An epoch's mean loss is over windows, not batches: weight each batch's mean loss by its number of
    windows, sum, and divide by the number of windows (a small last batch then counts for what it holds).

    Hint: call the model and compute the loss INSIDE `with tf.GradientTape() as tape:`; the tape
    differentiates only what it saw.
    """
    # BEGIN SOLUTION TODO train: train with Adam over shuffled batches and return a list of `epochs` mean losses (floats)
    optimizer = tf.keras.optimizers.Adam(learning_rate)

    @tf.function(reduce_retracing=True)
    def train_step(x, y):  # x, y: (B, T)
        with tf.GradientTape() as tape:
            logits = model(x)  # (B, T, vocab_sz)
            loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    epoch_losses = []
    for _ in range(epochs):
        order = np.random.permutation(len(inputs))
        total, count = 0.0, 0
        for start in range(0, len(inputs), batch_sz):
            batch = order[start:start + batch_sz]
            loss = train_step(inputs[batch], labels[batch])
            total += float(loss) * len(batch)
            count += len(batch)
        epoch_losses.append(total / max(count, 1))
    return epoch_losses
    # END SOLUTION


# %%
# A tiny problem: the sequence 0 1 2 ... 9 0 1 2 ... repeats, so the next token is always predictable.
tf.keras.utils.set_random_seed(0)
tiny_inputs, tiny_labels = make_windows(np.arange(2001) % 10, 8)  # (250, 8) each
tiny_losses = train(LanguageModel(10, cell="rnn", embedding_sz=8, hidden_sz=16), tiny_inputs, tiny_labels, 3, 25, 0.01)
print("losses:", [round(loss, 3) for loss in tiny_losses])  # decreasing, from about log(10) = 2.3 towards 0

# %% [markdown]
# `train` is checked with the autograder's own training run once you have chosen `HPARAMS`, in part 8.

# %% [markdown]
# ## 7. Why the LSTM: remembering the dog
#
# The lecture's sentence: *"The dog that my family had when I was a child had a fluffy ___"*. To say
# "tail", the model must still know the subject, "dog", twelve words later. Here is a small synthetic
# language with exactly this difficulty at distances we control. Each sentence starts with a subject
# (`dog`, `cat`, `bird` or `fish`), then `d` words drawn at random, then the cue `had`, then the word the
# subject determines (`tail`, `whiskers`, `feathers` or `fins`); the next sentence follows, with its own
# subject. The words in between are mostly fillers, but now and then another animal, as "family" and
# "child" come between "dog" and "had" in the lecture's sentence: the answer belongs to the sentence's first
# animal, so a model cannot simply keep the last one it saw. Right after `had`, a model that remembers the
# subject predicts the answer every time. One that forgot it is not reduced to a blind guess (1 chance in
# 4): the subject's animal is one more among the animals it saw, so betting on the animal seen most often is
# right 40 to 50% of the time from distance 8 on (the gray dashed curve in the plot: 0.45 at 8, 0.38 at 64).
# A model that forgot the subject levels off between these two lines, depending on what else it learned.
#
# `long_range_accuracy` (given; it uses your `make_windows`, `LanguageModel` and `train`) trains a model on
# windows packed with such sentences, distances mixed (short ones drawn more often, as a child hears short
# sentences first), then measures, for each distance, how often the model's most likely word after `had` is
# the right one. How far one vanilla RNN reaches depends on its random start: now and then one carries the
# subject further than the others. So the lecture's claim is a tendency over random starts, and
# `long_range_runs` trains the vanilla RNN from five starts and an LSTM of the same size from one, the same
# way; the plot shows every curve and the vanilla RNN's mean. It takes 60 to 76 CPU-seconds of computation
# (measured with the course's reference for ten seeds, on one thread of a busy AMD EPYC), and more seconds
# of wall-clock time when the machine is busy.

# %%
SUBJECTS = ["dog", "cat", "bird", "fish"]
ANSWERS = ["tail", "whiskers", "feathers", "fins"]  # ANSWERS[k] goes with SUBJECTS[k]
FILLERS = "that my family got when i was a child and we lived in the old house by the sea".split()
TOY_VOCAB = SUBJECTS + ANSWERS + ["had"] + sorted(set(FILLERS))
DISTANCES = [1, 2, 4, 8, 16, 32, 64]
DISTANCE_WEIGHTS = [4, 4, 2, 1, 1, 1, 1]  # how often each distance is drawn for training: short ones more


def long_range_sentence(rng, d):
    """One sentence: a subject, d random words between (fillers, and now and then another animal), 'had', the answer."""
    k = rng.integers(len(SUBJECTS))
    return [SUBJECTS[k], *rng.choice(FILLERS + SUBJECTS, size=d), "had", ANSWERS[k]]


def long_range_ids(num_windows, distances, seed, weights=None):
    """num_windows windows of max(distances) + 3 ids, concatenated, and the distance of each window's first sentence.

    With weights (training), each window is packed with sentences whose distances are drawn with these
    weights, the last one cut at the window's end. Without (testing), a window holds one sentence and
    random fillers after it, its distance drawn uniformly. One id more at the end, so that make_windows
    gives back exactly these windows.
    """
    rng = np.random.default_rng(seed)
    window_sz, toy_id = max(distances) + 3, {word: i for i, word in enumerate(TOY_VOCAB)}
    p = None if weights is None else np.array(weights) / np.sum(weights)
    ids, first_ds = [], []
    for _ in range(num_windows):
        window = []
        while len(window) < window_sz:
            d = rng.choice(distances, p=p)
            first_ds += [d] if not window else []
            window += long_range_sentence(rng, d)
            if weights is None:  # testing: fillers after the one sentence
                window += list(rng.choice(FILLERS, size=max(window_sz - len(window), 0)))
        ids += [toy_id[word] for word in window[:window_sz]]
    return np.array(ids + [toy_id["had"]]), np.array(first_ds)


def long_range_accuracy(cell, distances=DISTANCES, weights=DISTANCE_WEIGHTS, hidden_sz=64, epochs=6,
                        learning_rate=0.02, num_windows=2048):
    """Train a `cell` language model on the toy language from a random start; the accuracy of its word after 'had', one per distance."""
    window_sz = max(distances) + 3
    # 2048 windows make whole batches of 64: a last, smaller batch would make tf.function compile train's step twice
    train_inputs, train_labels = make_windows(long_range_ids(num_windows, distances, seed=1, weights=weights)[0], window_sz)
    test_ids, test_ds = long_range_ids(1400, distances, seed=2)
    test_inputs, test_labels = make_windows(test_ids, window_sz)  # (1400, window_sz) each
    model = LanguageModel(len(TOY_VOCAB), cell=cell, embedding_sz=16, hidden_sz=hidden_sz)
    train(model, train_inputs, train_labels, epochs, batch_sz=64, learning_rate=learning_rate)
    rows, cue = np.arange(len(test_inputs)), test_ds + 1  # "had" sits at position d + 1
    predicted = np.argmax(model(test_inputs).numpy()[rows, cue], axis=-1)  # (1400,)
    correct = predicted == test_labels[rows, cue]
    return [float(correct[test_ds == d].mean()) for d in distances]


def long_range_runs(seed=0, rnn_starts=5):
    """cell -> accuracy curves: the vanilla RNN's from rnn_starts random starts, then the LSTM's from one.

    `seed` draws every start in turn (each model's first weights and the order of its training windows),
    so one seed gives the whole experiment again.
    """
    tf.keras.utils.set_random_seed(seed)
    return {"rnn": [long_range_accuracy("rnn") for _ in range(rnn_starts)], "lstm": [long_range_accuracy("lstm")]}


def counting_accuracy(distances=DISTANCES, num_sentences=1400):
    """How often a model is right after 'had' if it forgot which animal came first but bets on the one it saw most often."""
    rng, right = np.random.default_rng(2), {d: [] for d in distances}
    for _ in range(num_sentences):
        d = rng.choice(distances)
        subject, *between = long_range_sentence(rng, d)[:-2]
        animals = [subject] + [word for word in between if word in SUBJECTS]
        right[d].append(max(reversed(animals), key=animals.count) == subject)  # a tie goes to the latest seen
    return [float(np.mean(right[d])) for d in distances]


# %%
start, start_cpu = time.time(), time.process_time()
long_range_curves = long_range_runs(seed=0)  # cell -> one accuracy curve per start
long_range = {cell: np.mean(curves, axis=0).tolist() for cell, curves in long_range_curves.items()}  # cell -> mean curve
print(f"trained {sum(map(len, long_range_curves.values()))} models in {time.process_time() - start_cpu:.0f} CPU-s"
      f" ({time.time() - start:.0f} s); accuracy of the word after 'had' by distance:")
for cell, curves in long_range_curves.items():
    for curve in curves:
        print(f"{cell:>4}", {d: round(accuracy, 2) for d, accuracy in zip(DISTANCES, curve)})
print("RNN mean", {d: round(accuracy, 2) for d, accuracy in zip(DISTANCES, long_range["rnn"])})

# %%
for cell, label, color in [("rnn", "vanilla RNN", "tab:blue"), ("lstm", "LSTM", "tab:orange")]:
    for curve in long_range_curves[cell]:
        plt.plot(DISTANCES, curve, "-", color=color, alpha=0.35, linewidth=1)
    starts = len(long_range_curves[cell])
    plt.plot(DISTANCES, long_range[cell], "o-", color=color, linewidth=2,
             label=f"{label}, mean of {starts} starts" if starts > 1 else label)
plt.plot(DISTANCES, counting_accuracy(), "s--", color="gray", label="forgot the subject, bets on the animal seen most")
plt.axhline(1 / len(SUBJECTS), color="gray", linestyle=":", label="blind guess (1 in 4)")
plt.xscale("log", base=2)
plt.xlabel("distance d between the subject and the cue (words)")
plt.ylabel("accuracy of the word after 'had'")
plt.ylim(0, 1.05)
plt.legend(loc="lower left", fontsize="small")  # the vanilla RNN falls on the right
plt.show()

# %% [markdown]
# **The lecture's claim, read on the mean:** the LSTM is right (at least 0.9 of the time) at every distance,
# and the vanilla RNN's mean falls by 0.3 or more from distances 1–2 to 64. With the course's reference,
# both held for each of ten seeds of this notebook (the mean fell by 0.42 to 0.71), while a single vanilla
# RNN's accuracy at distance 64 ranged from 0.19 to 0.98 over their 50 starts.
#
# **Think about it** (not graded): from which distance does the vanilla RNN's mean curve fall, and where does
# it level off, next to the two gray lines? Run `long_range_runs(seed=1)`, 2, …: each start of the vanilla RNN
# reaches its own distance (one may carry the subject far, another may learn little in six epochs), yet their
# mean falls, while the LSTM's curve stays flat. Try `long_range_accuracy("rnn", hidden_sz=128)` or more
# `epochs`: does the vanilla RNN reach further, and at what cost in training time? Why does the LSTM's cell
# state carry the subject across the words between when the RNN's state does not?

# %% [markdown]
# ## 8. The main experiment
#
# Now train your language model on the real corpus. Choose its hyperparameters in `HPARAMS`: the
# autograder builds `LanguageModel(len(vocab), cell=HPARAMS["cell"], embedding_sz=..., hidden_sz=...)`,
# windows the training corpus with `HPARAMS["window_sz"]`, trains it with your `train` and the rest of
# `HPARAMS`, and measures its perplexity on held-out text.
#
# - **Threshold:** the trained model must reach a test perplexity of at most **{THRESHOLD}** on Gradescope's
#   hidden test split for the training points (a unigram model scores about {UNIGRAM}; the course's reference
#   solution about {REFERENCE}). `check("train")` here measures the public test split instead, against
#   {PUBLIC_THRESHOLD}, a threshold calibrated on that split the same way.
# - **Budget:** training may use **{TRAIN_CPU_SECONDS} CPU-seconds** on one thread. A CPU-second is a second
#   of computation, so a slow or busy machine takes longer in wall-clock time without using more of the
#   budget. The reference solution trains in about {REFERENCE_CPU_SECONDS}.
# - **Spending the budget:** most of an epoch is the classifier, `hidden_sz` times the vocabulary's 2,000
#   words at every position, so an epoch's cost grows with `hidden_sz` and hardly depends on `batch_sz`. What
#   the model learns in that time grows with the number of Adam updates, which a smaller `batch_sz`
#   multiplies. So spend the budget on updates of a model wide enough to use them: the reference takes 128
#   units, `batch_sz` 32 and 2 epochs at learning rate 0.01, and reaches about 39 on the public test split.
#   For about as many CPU-seconds, `batch_sz` 64 reached about 46 there, 64 units for 4 epochs about
#   47, and `batch_sz` 16 for one epoch about 47. More epochs keep improving it, as far as the budget allows.
#
# ### TODO {#HPARAMS}: `HPARAMS`

# %%
# BEGIN SOLUTION TODO HPARAMS: set HPARAMS to your choice of hyperparameters (a dict of 7 values)
HPARAMS = {
    "cell": "lstm",
    "embedding_sz": 64,
    "hidden_sz": 128,
    "window_sz": 20,
    "batch_sz": 32,
    "epochs": 2,
    "learning_rate": 1e-2,
}
# STUB
# raise NotImplementedError("{TODO}, then delete this line")
# HPARAMS = {
#     "cell": ...,  # "lstm" or "rnn"
#     "embedding_sz": ...,  # int, the size of a word's embedding
#     "hidden_sz": ...,  # int, the size of the recurrent state
#     "window_sz": ...,  # int, tokens in a window (the autograder windows its data with it)
#     "batch_sz": ...,  # int, windows in a batch
#     "epochs": ...,  # int, passes over the training windows
#     "learning_rate": ...,  # float, Adam's learning rate
# }
# END SOLUTION

# %% [markdown]
# Before you train for real, see what your `HPARAMS` cost. The cell below trains your model for one epoch as
# Gradescope will (one CPU thread, counting CPU-seconds) and projects your `epochs` against the budget: it says
# whether training fits, and if not, how many epochs do or what to make smaller. It takes as long as one epoch.

# %%
time_training()

# %% [markdown]
# The check below trains your model exactly as Gradescope will (one CPU thread, the same packages, the same
# budget) on the training corpus and measures it on the public test split. It reports the CPU-seconds your
# training used next to the budget, in CPU-seconds, which a busy machine inflates little. Processors differ,
# though (one needs up to 1.8x the CPU-seconds of another), and so do package versions: the check says how far
# its figure carries to Gradescope.

# %%
check("train")

# %%
max_tokens = None  # e.g. 100_000 for a quick first try on the start of each split; None uses it all
train_inputs, train_labels = make_windows(train_ids[:max_tokens], HPARAMS["window_sz"])
valid_inputs, valid_labels = make_windows(valid_ids[:max_tokens], HPARAMS["window_sz"])
test_inputs, test_labels = make_windows(test_ids[:max_tokens], HPARAMS["window_sz"])
print("windows: train", train_inputs.shape, "valid", valid_inputs.shape, "test", test_inputs.shape)

tf.keras.utils.set_random_seed(0)
model = LanguageModel(len(vocab), cell=HPARAMS["cell"], embedding_sz=HPARAMS["embedding_sz"], hidden_sz=HPARAMS["hidden_sz"])
start = time.time()
epoch_losses = train(model, train_inputs, train_labels, HPARAMS["epochs"], HPARAMS["batch_sz"], HPARAMS["learning_rate"])
print(f"trained in {time.time() - start:.0f} s; mean loss of each epoch:", np.round(epoch_losses, 3))


# %% [markdown]
# The validation and test sets are too large for one call, so we compute the perplexity batch by batch and
# combine: the log of a batch's perplexity is its mean cross-entropy, so the weighted mean of the logs is
# the log of the perplexity of the whole set. For scale: the uniform model has perplexity $|V|$, and the
# *unigram* model, which ignores the context and predicts every word with its frequency in the training
# text, is the simplest baseline to beat.

# %%
def corpus_perplexity(model, inputs, labels, batch_sz=256):
    """The perplexity of model on all windows, computed batch by batch with your perplexity()."""
    log_perplexities, sizes = [], []
    for start in range(0, len(inputs), batch_sz):
        batch = slice(start, start + batch_sz)
        batch_logits = model(inputs[batch])  # (B, T, vocab_sz)
        log_perplexities.append(np.log(float(perplexity(labels[batch], batch_logits))))
        sizes.append(len(inputs[batch]))
    return float(np.exp(np.average(log_perplexities, weights=sizes)))


unigram_probs = (np.bincount(train_ids, minlength=len(vocab)) + 1) / (len(train_ids) + len(vocab))  # add-one smoothing
valid_perplexity = corpus_perplexity(model, valid_inputs, valid_labels)
test_perplexity = corpus_perplexity(model, test_inputs, test_labels)
print(f"uniform model: {len(vocab)}; unigram model on valid: {np.exp(-np.mean(np.log(unigram_probs[valid_labels]))):.1f}")
print(f"your model: valid perplexity {valid_perplexity:.1f}, test perplexity {test_perplexity:.1f}")


# %% [markdown]
# ### Does the RNN fix the limitations of the N-gram model?
#
# The lecture asks it; here is the answer with your own numbers. An N-gram model predicts $x_{t+1}$ from the
# last $N - 1$ words only, by counting in the training text $c(\cdot)$: the bigram from $x_t$, the trigram from
# $x_{t-1}, x_t$. A pair or triple never seen in training would get probability 0, so each is *interpolated*
# with the shorter ones (the weights $\lambda$ were chosen on the validation split):
#
# $$p(x_{t+1} \mid x_{t-1}, x_t) = \lambda_3 \frac{c(x_{t-1}\, x_t\, x_{t+1})}{c(x_{t-1}\, x_t)}
#   + \lambda_2 \frac{c(x_t\, x_{t+1})}{c(x_t)} + \lambda_1\, p_{\text{unigram}}(x_{t+1})$$
#
# Its table of counts grows with $N$, and it sees nothing before $x_{t-1}$; your RNN has the same number of
# weights for any context, and its state $s_t$ can carry a word from far back.

# %%
def ngram_perplexity(train_ids, test_ids, lambda_2, lambda_3=0.0):
    """Test perplexity of the interpolated count n-gram above (a bigram when lambda_3 is 0), counted on train_ids."""
    V = len(vocab)

    def counter(n):  # c(n-gram) for n-grams given as one integer key each, counted on train_ids
        grams = sum(train_ids[i:len(train_ids) - n + 1 + i].astype(np.int64) * V ** (n - 1 - i) for i in range(n))
        keys, counts = np.unique(grams, return_counts=True)

        def count(wanted):
            at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
            return np.where(keys[at] == wanted, counts[at], 0)
        return count

    c1, c2, c3 = counter(1), counter(2), counter(3)
    before, last, following = (test_ids[i:len(test_ids) - 2 + i].astype(np.int64) for i in range(3))  # x_{t-1}, x_t, x_{t+1}
    unigram = (c1(following) + 1) / (len(train_ids) + V)
    bigram = c2(last * V + following) / np.maximum(c1(last), 1)
    history = c2(before * V + last)
    trigram = c3((before * V + last) * V + following) / np.maximum(history, 1)
    lambda_2 = np.where(history > 0, lambda_2, lambda_2 + lambda_3)  # an unseen x_{t-1} x_t passes its weight down
    lambda_3 = np.where(history > 0, lambda_3, 0.0)
    p = lambda_3 * trigram + lambda_2 * bigram + (1 - lambda_2 - lambda_3) * unigram
    return float(np.exp(-np.mean(np.log(p))))


print(f"test perplexity:  bigram {ngram_perplexity(train_ids, test_ids, 0.85):.1f}   "
      f"trigram {ngram_perplexity(train_ids, test_ids, 0.35, 0.5):.1f}   your {HPARAMS['cell']} {test_perplexity:.1f}")

# %%
plt.plot(range(1, len(epoch_losses) + 1), np.exp(epoch_losses), "o-", label="training (mean over the epoch)")
plt.axhline(valid_perplexity, color="gray", linestyle="--", label="validation, after training")
plt.xlabel("epoch")
plt.ylabel("perplexity")
plt.legend()
plt.show()


# %% [markdown]
# ### Generating text
#
# The model gives a distribution over the next word; sampling from it, appending the word and repeating
# writes text. Dividing the logits by a *temperature* below 1 makes the choices more conservative, above 1
# more adventurous. Each prediction sees only the last `window_sz` words, as in training.

# %%
def generate(model, vocab, prompt, length=30, temperature=0.8, window_sz=20, seed=0):
    """Continue the words of prompt with length words sampled from model; vocab maps ids to words."""
    rng = np.random.default_rng(seed)
    word_to_id = {word: i for i, word in enumerate(vocab)}
    ids = [word_to_id.get(word, word_to_id["<unk>"]) for word in prompt.lower().split()]
    for _ in range(length):
        logits = model(np.array([ids[-window_sz:]]))[0, -1].numpy() / temperature  # (vocab_sz,)
        probs = np.exp(logits - logits.max())
        ids.append(int(rng.choice(len(vocab), p=probs / probs.sum())))
    text = " ".join(vocab[i] for i in ids)
    return "\n".join(line.strip() for line in text.split("<eos>"))  # one sentence a line


for seed, prompt in enumerate(["the", "and he said", "in the beginning"]):
    print(generate(model, vocab, prompt, window_sz=HPARAMS["window_sz"], seed=seed), end="\n\n")

# %% [markdown]
# **Think about it** (not graded): how do the validation perplexities of `cell="rnn"` and `cell="lstm"`
# compare with the same sizes and time? What does a temperature of 0.1, or of 2, do to the generated text?
