"""Both layers transpose to time-major (T, B, D), loop in Python and tf.stack along axis 0.

expect-fail: none
"""


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
        return self.activation(tf.concat([x_t, s_prev], axis=-1) @ self.W_r + self.b_r)

    def call(self, inputs, initial_state=None):
        time_major = tf.transpose(inputs, perm=[1, 0, 2])  # (T, B, D)
        if initial_state is None:
            s = tf.zeros(tf.stack([tf.shape(inputs)[0], self.units]))
        elif isinstance(initial_state, list):
            (s,) = initial_state
        else:
            s = initial_state
        seq = []
        for t in range(time_major.shape[0]):
            s = self.step(time_major[t], s)
            seq.append(s)
        if self.return_sequences:
            out = tf.transpose(tf.stack(seq, axis=0), perm=[1, 0, 2])
        else:
            out = seq[-1]
        return [out, seq[-1]] if self.return_state else out


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
        time_major = tf.transpose(inputs, perm=[1, 0, 2])  # (T, B, D)
        zeros = tf.zeros(tf.stack([tf.shape(inputs)[0], self.units]))
        h, c = (zeros, zeros) if initial_state is None else tuple(initial_state)
        seq = []
        for t in range(time_major.shape[0]):
            h, c = self.step(time_major[t], h, c)
            seq.append(h)
        out = tf.transpose(tf.stack(seq, axis=0), perm=[1, 0, 2]) if self.return_sequences else h
        return [out, h, c] if self.return_state else out
