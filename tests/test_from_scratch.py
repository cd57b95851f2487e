"""The contract's "from scratch": MyRNN and MyLSTM may not stand on Keras's or TensorFlow's recurrent helpers.

Two guards, neither trusting a record the student's code can write:
- the reader (kit code only, no student code runs) follows each layer through the whole graded
  module, to the helpers, classes and imports it names, and its finding costs the part;
- in the rnn and lstm stages the child makes the helpers themselves fail, wherever they are
  reached from, so a layer built on one cannot hand back a right answer.
The same attacks as whole submissions: tests/submissions/hostile/ (fused_block_lstm,
keras_loop_from_a_helper, keras_cell_and_forged_record, keras_recurrent_inside_my_layers).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO
from autograder.parts import FROM_SCRATCH_LAYERS
from autograder.parts.from_scratch import reader_rule, tripwire_rule
from autograder.submission import graded_chunks, recurrent_helpers

READER_RULE = reader_rule(FROM_SCRATCH_LAYERS.values())

LAYERS = "import tensorflow as tf\n\n"


def helpers_of(source: str) -> dict:
    chunks, _ = graded_chunks([("code cell 1", LAYERS + textwrap.dedent(source))])
    return recurrent_helpers(chunks, READER_RULE)


@pytest.mark.parametrize("source, found", [
    ("""
     from keras.src.backend.tensorflow.rnn import rnn as scan_over_time
     def run_over_time(step, x, s):
         return scan_over_time(step, x, [s])
     class MyRNN(tf.keras.layers.Layer):
         def call(self, x):
             return run_over_time(self.step, x, None)
     """, {"MyRNN": ["rnn"]}),
    ("""
     class MyLSTM(tf.keras.layers.Layer):
         def call(self, x):
             return tf.raw_ops.BlockLSTM(x=x)
     """, {"MyLSTM": ["BlockLSTM"]}),
    ("""
     def fused(x):
         from tensorflow.python.ops import gen_rnn_ops
         return gen_rnn_ops.block_lstm(x)
     STEP = fused
     class MyLSTM(tf.keras.layers.Layer):
         def call(self, x):
             return STEP(x)
     """, {"MyLSTM": ["block_lstm", "gen_rnn_ops"]}),
    ("""
     class Base(tf.keras.layers.SimpleRNNCell):
         pass
     class MyRNN(Base):
         pass
     """, {"MyRNN": ["SimpleRNNCell"]}),
    ("""
     class MyLSTM(tf.keras.layers.Layer):
         def call(self, x):
             return getattr(tf.raw_ops, "CudnnRNNV3")(x)
     """, {"MyLSTM": ["CudnnRNNV3"]}),
])
def test_the_reader_follows_each_layer_through_the_whole_module(source, found):
    assert helpers_of(source) == found


@pytest.mark.parametrize("source", [
    # the student's own cell class, and a helper that uses a recurrent layer but that neither layer reaches
    """
    class MyCell(tf.keras.layers.Layer):
        def call(self, x, s):
            return tf.tanh(x + s)
    class MyRNN(tf.keras.layers.Layer):
        def build(self, shape):
            self.cell = MyCell()
        def call(self, x):
            return tf.scan(self.cell, x)
    def compare_with_keras(x):
        return tf.keras.layers.LSTM(4)(x)
    """,
    # self.rnn and self.lstm are the student's attributes; a name built from pieces is not seen here (the child fails it)
    """
    class MyLSTM(tf.keras.layers.Layer):
        def call(self, x):
            self.lstm = self.rnn = None
            return getattr(tf.keras.layers, "LSTM" + "Cell")
    """,
])
def test_what_the_layers_do_not_reach_is_not_named(source):
    assert helpers_of(source) == {}


TRIPWIRE = r'''
import importlib, json, sys
sys.path.insert(0, sys.argv[1])
import keras, numpy as np, tensorflow as tf
import runner

held_before = importlib.import_module("keras.src.backend").rnn  # a module's reference, taken before the tripwire
arm = runner.recurrent_tripwire(json.loads(sys.argv[2]))  # the rule as the job carries it
x = tf.ones((2, 3, 4))
zeros = tf.zeros((2, 3))
attempts = {
    "keras.layers.LSTMCell": lambda: keras.layers.LSTMCell(3)(x[:, 0], [zeros, zeros]),
    "subclass of SimpleRNNCell": lambda: type("Mine", (keras.layers.SimpleRNNCell,), {})(3)(x[:, 0], [zeros]),
    "keras.layers.GRU in tf.function": lambda: tf.function(lambda v: keras.layers.GRU(3)(v), autograph=False)(x),
    "rnn where Keras defines it": lambda: importlib.import_module("keras.src.backend.tensorflow.rnn").rnn(
        lambda v, s: (v, s), x, [tf.zeros((2, 4))]),
    "rnn re-exported": lambda: importlib.import_module("keras.src.backend").rnn(lambda v, s: (v, s), x, [tf.zeros((2, 4))]),
    "tf.raw_ops.BlockLSTM": lambda: tf.raw_ops.BlockLSTM(
        seq_len_max=tf.constant(3, tf.int64), x=tf.transpose(x, [1, 0, 2]), cs_prev=zeros, h_prev=zeros,
        w=tf.zeros((7, 12)), wci=tf.zeros(3), wcf=tf.zeros(3), wco=tf.zeros(3), b=tf.zeros(12)),
    "gen_rnn_ops.block_lstm": lambda: importlib.import_module("tensorflow.python.ops.gen_rnn_ops").block_lstm(
        seq_len_max=tf.constant(3, tf.int64), x=tf.transpose(x, [1, 0, 2]), cs_prev=zeros, h_prev=zeros,
        w=tf.zeros((7, 12)), wci=tf.zeros(3), wcf=tf.zeros(3), wco=tf.zeros(3), b=tf.zeros(12)),
    "tf.raw_ops.LSTMBlockCell": lambda: tf.raw_ops.LSTMBlockCell(
        x=x[:, 0], cs_prev=zeros, h_prev=zeros, w=tf.zeros((7, 12)), wci=tf.zeros(3), wcf=tf.zeros(3),
        wco=tf.zeros(3), b=tf.zeros(12)),
    "tf.raw_ops.CudnnRNN": lambda: tf.raw_ops.CudnnRNN(input=x, input_h=x, input_c=x, params=tf.zeros(8)),
    "tf.compat.v1.nn.dynamic_rnn": lambda: tf.compat.v1.nn.dynamic_rnn(None, x),
}
arm(True)
for what, attempt in attempts.items():
    try:
        attempt()
        print("RAN", what)
    except runner.NotFromScratch as error:
        assert "is not allowed in a layer the contract asks for from scratch" in str(error), error
        print("FAILED", what)
arm(False)
print("KERAS", keras.layers.LSTM(5, return_sequences=True)(x).shape, keras.layers.SimpleRNN(5)(x).shape)
print("HELD", held_before is importlib.import_module("keras.src.backend.tensorflow.rnn").rnn)
'''


def test_the_recurrent_helpers_fail_while_armed_and_work_otherwise():
    """In its own process: the tripwire changes Keras and TensorFlow for good, as it does in the child."""
    finished = subprocess.run([sys.executable, "-c", TRIPWIRE, str(REPO / "autograder" / "child"), json.dumps(tripwire_rule())],
                              capture_output=True, text=True, timeout=300, env={"TF_CPP_MIN_LOG_LEVEL": "3"})
    assert finished.returncode == 0, finished.stderr[-3000:]
    lines = finished.stdout.splitlines()
    ran = [line for line in lines if line.startswith("RAN")]
    assert not ran, f"helpers that still ran while armed: {ran}"
    assert sum(line.startswith("FAILED") for line in lines) == 10
    assert "KERAS (2, 3, 5) (2, 5)" in lines, "disarmed, the language model's own Keras layers must work"
    assert "HELD True" in lines, "what a loaded module held is replaced by the failing helper too"
