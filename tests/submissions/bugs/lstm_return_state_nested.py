"""My MyLSTM.call returns [outputs, (h_T, c_T)] with return_state, two items instead of three.

expect-fail: lstm
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
        return [outputs, (h, c)] if self.return_state else outputs
