"""Both recurrent layers collect their states in a tf.TensorArray over a tf.range loop.

expect-fail: none
"""


def make_windows(ids, window_sz):
    ids = np.asarray(ids).astype(np.int64).ravel()
    n = (ids.size - 1) // window_sz if ids.size > 0 else 0
    inputs = ids[: n * window_sz].reshape(n, window_sz)
    labels = ids[1 : n * window_sz + 1].reshape(n, window_sz)
    return inputs, labels


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
        z = tf.matmul(tf.concat([x_t, s_prev], axis=1), self.W_r)
        return self.activation(tf.nn.bias_add(z, self.b_r))

    def call(self, inputs, initial_state=None):
        batch = tf.shape(inputs)[0]
        steps = tf.shape(inputs)[1]
        if initial_state is None:
            state = tf.zeros([batch, self.units], dtype=inputs.dtype)
        else:
            state = initial_state[0] if isinstance(initial_state, (list, tuple)) else initial_state
        states = tf.TensorArray(inputs.dtype, size=steps)
        for t in tf.range(steps):
            state = self.step(inputs[:, t], state)
            states = states.write(t, state)
        if self.return_sequences:
            outputs = tf.transpose(states.stack(), [1, 0, 2])
        else:
            outputs = state
        if self.return_state:
            return [outputs, state]
        return outputs


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

    def _gate(self, x_t, h_prev, gate):
        W, U, b = getattr(self, "W_" + gate), getattr(self, "U_" + gate), getattr(self, "b_" + gate)
        return tf.matmul(h_prev, W) + tf.matmul(x_t, U) + b

    def step(self, x_t, h_prev, c_prev):
        i_t = tf.math.sigmoid(self._gate(x_t, h_prev, "i"))
        f_t = tf.math.sigmoid(self._gate(x_t, h_prev, "f"))
        o_t = tf.math.sigmoid(self._gate(x_t, h_prev, "o"))
        c_hat = tf.math.tanh(self._gate(x_t, h_prev, "c"))
        c_t = f_t * c_prev + i_t * c_hat
        return o_t * tf.math.tanh(c_t), c_t

    def call(self, inputs, initial_state=None):
        batch = tf.shape(inputs)[0]
        steps = tf.shape(inputs)[1]
        if initial_state is None:
            h = tf.zeros([batch, self.units], dtype=inputs.dtype)
            c = tf.zeros([batch, self.units], dtype=inputs.dtype)
        else:
            h, c = initial_state[0], initial_state[1]
        hs = tf.TensorArray(inputs.dtype, size=steps)
        for t in tf.range(steps):
            h, c = self.step(inputs[:, t], h, c)
            hs = hs.write(t, h)
        outputs = tf.transpose(hs.stack(), [1, 0, 2]) if self.return_sequences else h
        return [outputs, h, c] if self.return_state else outputs


class LanguageModel(tf.keras.Model):
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
        x = self.embedding(inputs)
        x = self.rnn(x)
        return self.classifier(x)


def perplexity(labels, logits):
    ce = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return tf.math.exp(ce(labels, logits))


def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def update(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    history = []
    for epoch in range(epochs):
        dataset = tf.data.Dataset.from_tensor_slices((inputs, labels)).shuffle(len(inputs), seed=epoch).batch(batch_sz)
        losses, sizes = [], []
        for x, y in dataset:
            losses.append(float(update(x, y)))
            sizes.append(int(x.shape[0]))
        history.append(float(np.average(losses, weights=sizes)) if losses else float("nan"))
    return history
