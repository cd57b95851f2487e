"""The reference solution (solution/language_model.py) against oracles nobody here wrote.

MyRNN and MyLSTM must compute what Keras's own SimpleRNN and LSTM compute, given the same weights:
outputs, final states and the gradients (backpropagation through time) with respect to every weight,
the inputs and the initial state, for every combination of return_sequences, return_state and
initial_state. make_windows, LanguageModel, perplexity and train are checked against hand computations.
Everything runs in float64 where Keras allows it, so the tolerances are tight.
"""

import importlib.util
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
import tensorflow as tf

pytestmark = pytest.mark.quick  # make test-quick: the reference against Keras's own layers

try:
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
except RuntimeError:  # TensorFlow was already initialised in this process by another test module
    pass

REFERENCE = Path(__file__).resolve().parent.parent / "solution" / "language_model.py"
B, T, D, H = 3, 6, 4, 5  # batch, time steps, input_dim, units
TIGHT = {"rtol": 1e-9, "atol": 1e-12}


def load_reference():
    spec = importlib.util.spec_from_file_location("reference_language_model", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = load_reference()


def run_with_gradients(layer, x, initial_state, weights):
    """Outputs of layer(x, initial_state) (flattened to a list) and the gradients of a fixed random projection
    of them with respect to x and the initial state (as a list of sources), and to weights."""
    sources = [x] + ([] if initial_state is None else tf.nest.flatten(initial_state))
    with tf.GradientTape() as tape:
        tape.watch(sources)
        outputs = layer(x) if initial_state is None else layer(x, initial_state=initial_state)
        outputs = tf.nest.flatten(outputs)
        rng = np.random.default_rng(7)  # the same projection for both layers
        loss = sum(tf.reduce_sum(out * rng.normal(size=out.shape)) for out in outputs)
    gradients = tape.gradient(loss, sources + weights)
    return [out.numpy() for out in outputs], [g.numpy() for g in gradients[: len(sources)]], gradients[len(sources):]


def assert_all_close(mine, theirs, what):
    assert len(mine) == len(theirs), f"{what}: {len(mine)} tensors, Keras gives {len(theirs)}"
    for index, (a, b) in enumerate(zip(mine, theirs)):
        assert a.shape == b.shape, f"{what}[{index}]: shape {a.shape}, Keras {b.shape}"
        np.testing.assert_allclose(a, b, **TIGHT, err_msg=f"{what}[{index}]")


@pytest.mark.parametrize("initial_state", [None, "tensor", "list"])
@pytest.mark.parametrize("return_state", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_my_rnn_equals_keras_simple_rnn(activation, return_sequences, return_state, initial_state):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(B, T, D)))
    s_0 = tf.constant(rng.normal(size=(B, H)))
    options = dict(activation=activation, return_sequences=return_sequences, return_state=return_state, dtype="float64")

    keras_rnn = tf.keras.layers.SimpleRNN(H, **options)
    keras_rnn.build((B, T, D))
    cell = keras_rnn.cell
    kernel, recurrent_kernel, bias = (rng.normal(scale=0.5, size=w.shape) for w in (cell.kernel, cell.recurrent_kernel, cell.bias))
    cell.kernel.assign(kernel)
    cell.recurrent_kernel.assign(recurrent_kernel)
    cell.bias.assign(bias)

    my_rnn = ref.MyRNN(H, **options)
    my_rnn.build((B, T, D))
    my_rnn.W_r.assign(np.vstack([kernel, recurrent_kernel]))
    my_rnn.b_r.assign(bias)

    keras_state = None if initial_state is None else [s_0]
    my_state = {None: None, "tensor": s_0, "list": [s_0]}[initial_state]  # the contract allows both forms
    theirs = run_with_gradients(keras_rnn, x, keras_state, [cell.kernel, cell.recurrent_kernel, cell.bias])
    mine = run_with_gradients(my_rnn, x, my_state, [my_rnn.W_r, my_rnn.b_r])

    assert_all_close(mine[0], theirs[0], "outputs")
    assert_all_close(mine[1], theirs[1], "gradients w.r.t. the inputs and the initial state")
    keras_kernel_grad, keras_recurrent_grad, keras_bias_grad = (g.numpy() for g in theirs[2])
    assert_all_close([g.numpy() for g in mine[2]], [np.vstack([keras_kernel_grad, keras_recurrent_grad]), keras_bias_grad],
                     "gradients w.r.t. [W_r, b_r]")


LSTM_GATES_IN_KERAS_ORDER = ["i", "f", "c", "o"]


@pytest.mark.parametrize("initial_state", [None, "given"])
@pytest.mark.parametrize("return_state", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_my_lstm_equals_keras_lstm(return_sequences, return_state, initial_state):
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=(B, T, D)))
    state = None if initial_state is None else [tf.constant(rng.normal(size=(B, H))) for _ in range(2)]  # [h_0, c_0]
    options = dict(return_sequences=return_sequences, return_state=return_state, dtype="float64")

    keras_lstm = tf.keras.layers.LSTM(H, **options)
    keras_lstm.build((B, T, D))
    cell = keras_lstm.cell
    keras_weights = [cell.kernel, cell.recurrent_kernel, cell.bias]
    values = [rng.normal(scale=0.5, size=w.shape) for w in keras_weights]
    for variable, value in zip(keras_weights, values):
        variable.assign(value)

    my_lstm = ref.MyLSTM(H, **options)
    my_lstm.build((B, T, D))
    kernel, recurrent_kernel, bias = (np.split(value, 4, axis=-1) for value in values)  # gate order i, f, c, o
    my_weights = []
    for gate, U, W, b in zip(LSTM_GATES_IN_KERAS_ORDER, kernel, recurrent_kernel, bias):
        for name, value in [("U", U), ("W", W), ("b", b)]:
            variable = getattr(my_lstm, f"{name}_{gate}")
            variable.assign(value)
            my_weights.append(variable)

    theirs = run_with_gradients(keras_lstm, x, state, keras_weights)
    mine = run_with_gradients(my_lstm, x, state, my_weights)

    assert_all_close(mine[0], theirs[0], "outputs")
    assert_all_close(mine[1], theirs[1], "gradients w.r.t. the inputs and [h_0, c_0]")
    split = [np.split(g.numpy(), 4, axis=-1) for g in theirs[2]]  # per Keras weight, per gate
    expected = [split[which][gate] for gate in range(4) for which in range(3)]  # U_g, W_g, b_g per gate
    assert_all_close([g.numpy() for g in mine[2]], expected, "gradients w.r.t. U_g, W_g, b_g")


@pytest.mark.parametrize(
    "n, window_sz, num_windows",
    [
        (11, 4, 2),  # a remainder of two ids is dropped
        (9, 4, 2),  # no remainder: N - 1 = 2 * window_sz
        (5, 4, 1),  # exactly one window
        (4, 4, 0),  # N - 1 < window_sz
        (1, 3, 0),
        (0, 3, 0),  # empty input
        (10, 1, 9),
    ],
)
@pytest.mark.parametrize("as_list", [False, True])
def test_make_windows_edge_cases(n, window_sz, num_windows, as_list):
    ids = np.arange(100, 100 + n)  # distinct ids, so an off-by-one shows
    inputs, labels = ref.make_windows(list(ids) if as_list else ids, window_sz)
    assert isinstance(inputs, np.ndarray) and isinstance(labels, np.ndarray)
    assert inputs.shape == labels.shape == (num_windows, window_sz)
    assert np.issubdtype(inputs.dtype, np.integer) and np.issubdtype(labels.dtype, np.integer)
    for k in range(num_windows):
        for j in range(window_sz):
            assert inputs[k, j] == ids[k * window_sz + j]
            assert labels[k, j] == ids[k * window_sz + j + 1]


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_language_model_is_causal(cell):
    tf.keras.utils.set_random_seed(0)
    model = ref.LanguageModel(30, cell=cell, embedding_sz=6, hidden_sz=7)
    assert isinstance(model.rnn, ref.MyLSTM if cell == "lstm" else ref.MyRNN)
    ids = np.random.default_rng(0).integers(0, 30, size=(2, 9))
    logits = model(ids).numpy()
    assert logits.shape == (2, 9, 30)
    t = 4
    changed = ids.copy()
    changed[:, t + 1:] = (changed[:, t + 1:] + 1) % 30
    changed_logits = model(changed).numpy()
    np.testing.assert_array_equal(changed_logits[:, : t + 1], logits[:, : t + 1])
    assert not np.allclose(changed_logits[:, t + 1:], logits[:, t + 1:])


def test_perplexity_of_the_four_by_four_example():
    probs = np.array([[.1, .3, .5, .1], [.4, .3, .1, .2], [.1, .7, .1, .1], [.3, .3, .2, .2]])
    value = float(ref.perplexity(np.array([2, 0, 1, 3]), np.log(probs)))
    np.testing.assert_allclose(value, 2.4446151121745054, rtol=1e-6)


def test_perplexity_against_a_hand_computation():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(2, 5, 7))
    labels = rng.integers(0, 7, size=(2, 5))
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    expected = np.exp(-np.mean(np.take_along_axis(log_probs, labels[..., None], axis=-1)))
    np.testing.assert_allclose(float(ref.perplexity(labels, tf.constant(logits, tf.float32))), expected, rtol=1e-5)
    assert float(ref.perplexity(labels, np.zeros((2, 5, 7), np.float32))) == pytest.approx(7.0, rel=1e-6)  # uniform: |V|


def test_train_returns_one_float_per_epoch_and_lowers_the_loss():
    tf.keras.utils.set_random_seed(0)
    inputs, labels = ref.make_windows(np.arange(801) % 8, 8)  # a cycle: every next token is predictable
    model = ref.LanguageModel(8, cell="lstm", embedding_sz=8, hidden_sz=16)
    losses = ref.train(model, inputs, labels, epochs=4, batch_sz=10, learning_rate=0.02)
    assert isinstance(losses, list) and len(losses) == 4
    assert all(isinstance(loss, float) for loss in losses)
    assert losses[0] < np.log(8) + 0.1
    assert losses[-1] < 0.25 * losses[0]
    assert float(ref.perplexity(labels, model(inputs))) < 1.5
