"""My MyRNN and MyLSTM run Keras's own SimpleRNN and LSTM layers with my weights copied in, instead of looping over the steps from scratch.

no-points: rnn lstm
expect-fail: rnn lstm
hostile: MyRNN.call builds tf.keras.layers.SimpleRNN and MyLSTM.call builds tf.keras.layers.LSTM with the same options, copies W_r/b_r (and the 12 gate weights, in Keras's i, f, c, o order) into them and returns their output; step is right; the old grader gives every output test (only the gradient tests fail, since the copies cut the tape); the contract says from scratch, so a fixed grader gives no output points to a layer that uses a Keras/TF recurrent layer, cell or loop helper, and says why
graded-parts: rnn lstm
expect-output: (?i)keras.*(LSTM|SimpleRNN)|from scratch
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
        keras_layer = tf.keras.layers.SimpleRNN(self.units, activation=self.activation, return_sequences=self.return_sequences,
                                                return_state=self.return_state)
        keras_layer.build(inputs.shape)
        input_dim = inputs.shape[-1]
        keras_layer.set_weights([self.W_r.numpy()[:input_dim], self.W_r.numpy()[input_dim:], self.b_r.numpy()])
        if isinstance(initial_state, (list, tuple)):
            initial_state = initial_state[0]
        return keras_layer(inputs, initial_state=None if initial_state is None else [initial_state])
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
        return [outputs, s] if self.return_state else outputs


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
        keras_layer = tf.keras.layers.LSTM(self.units, return_sequences=self.return_sequences, return_state=self.return_state)
        keras_layer.build(inputs.shape)
        order = ("i", "f", "c", "o")
        keras_layer.set_weights([
            np.concatenate([getattr(self, f"U_{g}").numpy() for g in order], axis=1),
            np.concatenate([getattr(self, f"W_{g}").numpy() for g in order], axis=1),
            np.concatenate([getattr(self, f"b_{g}").numpy() for g in order], axis=0),
        ])
        return keras_layer(inputs, initial_state=None if initial_state is None else list(initial_state))
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
        return [outputs, h, c] if self.return_state else outputs
