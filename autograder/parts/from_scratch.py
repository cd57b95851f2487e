"""The from-scratch rule of the layer parts that declare `from_scratch`: what their code may not use.

The reader (autograder/submission.py) looks for these names in the code a from-scratch layer
reaches; the child's tripwire (child/runner.py) makes the functions and classes defined in these
modules fail while such a layer is graded. Both get the rule in their job, from here.
"""

# Names of Keras's and TensorFlow's recurrent layers, loops and fused kernels, as a student's code writes them.
HELPERS = ("RNN", "SimpleRNN", "LSTM", "GRU", "StackedRNNCells", "Bidirectional", "ConvLSTM1D", "ConvLSTM2D",
           "ConvLSTM3D", "CuDNNLSTM", "CuDNNGRU", "dynamic_rnn", "static_rnn", "raw_rnn", "bidirectional_dynamic_rnn",
           "static_bidirectional_rnn", "static_state_saving_rnn",
           # TensorFlow's fused recurrent kernels (tf.raw_ops) and the modules that define them
           "BlockLSTM", "BlockLSTMV2", "block_lstm", "block_lstmv2", "lstm_block_cell", "gru_block_cell",
           "gen_rnn_ops", "gen_cudnn_rnn_ops")
CELLS = ("SimpleRNNCell", "LSTMCell", "GRUCell", "ConvLSTMCell", "ConvLSTM2DCell", "PeepholeLSTMCell", "RNNCell",
         "BasicRNNCell", "BasicLSTMCell", "MultiRNNCell", "LayerRNNCell", "LSTMBlockCell", "GRUBlockCell")
LOOPS = ("rnn", "lstm", "gru")  # Keras's backend functions: helpers when reached through a module or an import
PREFIXES = ("CudnnRNN", "cudnn_rnn")  # tf.raw_ops.CudnnRNNV3 and the like

# Where Keras and TensorFlow define them: (module, the names to guard there or None for every public function
# and class it defines, how a student knows them).
DEFINITIONS = (
    *((f"keras.src.layers.rnn.{name}", None, "keras.layers") for name in (
        "rnn", "simple_rnn", "lstm", "gru", "stacked_rnn_cells", "bidirectional",
        "conv_lstm", "conv_lstm1d", "conv_lstm2d", "conv_lstm3d")),
    ("keras.src.backend.tensorflow.rnn", ("rnn", "lstm", "gru", "_cudnn_lstm", "_cudnn_gru"), "keras.src.backend"),
    ("keras.src.legacy.backend", ("rnn",), "keras.backend"),
    ("tensorflow.python.ops.gen_rnn_ops", None, "tf.raw_ops"),
    ("tensorflow.python.ops.gen_cudnn_rnn_ops", None, "tf.raw_ops"),
    ("tensorflow.python.ops.rnn", None, "tf.compat.v1.nn"),
    ("tensorflow.python.keras.layers.recurrent", None, "tensorflow.python.keras.layers"),
    ("tensorflow.python.keras.layers.convolutional_recurrent", None, "tensorflow.python.keras.layers"),
    ("tensorflow.python.keras.layers.legacy_rnn.rnn_cell_impl", None, "tf.compat.v1.nn.rnn_cell"),
    ("tensorflow.python.keras.backend", ("rnn",), "tensorflow.python.keras.backend"),
)


def reader_rule(layers) -> dict:
    """The rule as the reader's job carries it: the layers to read and the names they may not reach."""
    return {"layers": list(layers), "helpers": list(HELPERS), "cells": list(CELLS), "loops": list(LOOPS),
            "prefixes": list(PREFIXES)}


def tripwire_rule() -> list:
    """The rule as a child's job carries it: where the helpers are defined."""
    return [[module, list(names) if names else None, shown] for module, names, shown in DEFINITIONS]
