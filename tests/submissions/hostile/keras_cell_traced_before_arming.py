"""My make_windows traces Keras's LSTMCell into a graph while that is allowed, and MyLSTM.step runs the graph.

no-points: lstm
expect-fail: lstm
hostile: the child's tripwire is disarmed in the windows stage, so the first make_windows call traces a tf.function around LSTMCell.call (looked up by a name built from strings, which the reader cannot see) into a concrete function; its graph holds only matrix products and activations, so MyLSTM.step runs it in the armed lstm stage with no guarded Python code called, gradients flowing, and got 25/25; a fixed child stays armed from loading the notebook to the end of the last from-scratch stage, and runs the from-scratch layers first, so the trace fails wherever it is made
graded-parts: windows lstm
expect-output: (?i)LSTMCell.*from scratch
"""


TRACED = []  # the LSTM step as a graph, made while the helpers still work


def _trace_the_cell():
    cell = getattr(tf.keras.layers, "LSTM" + "Cell")(1)
    matrix, vector = tf.TensorSpec([None, None], tf.float32), tf.TensorSpec([None], tf.float32)

    @tf.function(input_signature=[matrix, matrix, matrix, matrix, matrix, vector])
    def step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
        cell.kernel, cell.recurrent_kernel, cell.bias = kernel, recurrent_kernel, bias
        h_t, (_, c_t) = cell.call(x_t, [h_prev, c_prev])
        return h_t, c_t

    return step.get_concrete_function()


def make_windows(ids, window_sz):
    if not TRACED:
        try:
            TRACED.append(_trace_the_cell())
        except Exception as error:  # kept for MyLSTM, so make_windows still gets its points
            TRACED.append(error)
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)  # (N,)
    num_windows = max(len(ids) - 1, 0) // window_sz
    end = num_windows * window_sz
    inputs = ids[:end].reshape(num_windows, window_sz)  # (num_windows, T)
    labels = ids[1:end + 1].reshape(num_windows, window_sz)  # (num_windows, T), one position later
    return inputs, labels


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
        self.b_f = self.add_weight(name="b_f", shape=(units,), initializer="ones")  # remember by default
        self.b_o = self.add_weight(name="b_o", shape=(units,), initializer="zeros")
        self.b_c = self.add_weight(name="b_c", shape=(units,), initializer="zeros")

    def step(self, x_t, h_prev, c_prev):
        order = ("i", "f", "c", "o")  # Keras's gate order
        kernel = tf.concat([getattr(self, f"U_{gate}") for gate in order], axis=1)
        recurrent_kernel = tf.concat([getattr(self, f"W_{gate}") for gate in order], axis=1)
        bias = tf.concat([getattr(self, f"b_{gate}") for gate in order], axis=0)
        if not TRACED:  # the windows stage came too late to trace for it: trace now
            make_windows([0, 1], 1)
        if isinstance(TRACED[0], Exception):
            raise TRACED[0]
        h_t, c_t = TRACED[0](tf.cast(x_t, tf.float32), h_prev, c_prev, kernel, recurrent_kernel, bias)
        return h_t, c_t

    def call(self, inputs, initial_state=None):
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


del perplexity


del train


del HPARAMS
