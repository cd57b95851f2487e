"""My MyLSTM runs TensorFlow's fused LSTM kernel (tf.raw_ops.BlockLSTM) over the whole sequence instead of looping over the steps myself.

no-points: lstm
expect-fail: lstm
hostile: MyLSTM.call stacks the 12 gate weights in the fused kernel's i, c, f, o order and calls tf.raw_ops.BlockLSTM, whose gradient TensorFlow registers; step is right; the reader named only Keras's layers, cells and loops and the tripwire watched only those, so the old grader gave 25/25; a fixed grader names the fused op in the code and makes it fail inside the lstm stage, and says the layer is not from scratch
graded-parts: rnn lstm
expect-output: (?i)BlockLSTM.*from scratch
"""


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
        i_t = tf.sigmoid(h_prev @ self.W_i + x_t @ self.U_i + self.b_i)  # (B, units) input gate
        f_t = tf.sigmoid(h_prev @ self.W_f + x_t @ self.U_f + self.b_f)  # (B, units) forget gate
        o_t = tf.sigmoid(h_prev @ self.W_o + x_t @ self.U_o + self.b_o)  # (B, units) output gate
        c_tilde = tf.tanh(h_prev @ self.W_c + x_t @ self.U_c + self.b_c)  # (B, units) candidate memory
        c_t = f_t * c_prev + i_t * c_tilde  # (B, units) forget, then remember
        h_t = o_t * tf.tanh(c_t)  # (B, units) output
        return h_t, c_t

    def call(self, inputs, initial_state=None):
        if initial_state is None:
            h = tf.zeros((tf.shape(inputs)[0], self.units), dtype=inputs.dtype)
            c = tf.zeros((tf.shape(inputs)[0], self.units), dtype=inputs.dtype)
        else:
            h, c = initial_state
        # TensorFlow's fused LSTM takes the gates in the order i, c, f, o, inputs time-major
        kernel = tf.concat([tf.concat([self.U_i, self.U_c, self.U_f, self.U_o], axis=1),
                            tf.concat([self.W_i, self.W_c, self.W_f, self.W_o], axis=1)], axis=0)
        bias = tf.concat([self.b_i, self.b_c, self.b_f, self.b_o], axis=0)
        no_peephole = tf.zeros((self.units,), dtype=inputs.dtype)
        _, cells, _, _, _, _, hidden = tf.raw_ops.BlockLSTM(
            seq_len_max=tf.cast(tf.shape(inputs)[1], tf.int64), x=tf.transpose(inputs, [1, 0, 2]), cs_prev=c, h_prev=h,
            w=kernel, wci=no_peephole, wcf=no_peephole, wco=no_peephole, b=bias, forget_bias=0.0, cell_clip=-1.0,
            use_peephole=False)
        h, c = hidden[-1], cells[-1]
        outputs = tf.transpose(hidden, [1, 0, 2]) if self.return_sequences else h
        return [outputs, h, c] if self.return_state else outputs


del perplexity


del train


del HPARAMS
