"""My MyLSTM.step runs Keras's LSTMCell; it fails while MyLSTM is checked, so my LanguageModel redoes those checks later.

no-points: lstm
expect-fail: lstm
hostile: MyLSTM.step uses LSTMCell by a name built from strings, which fails in the armed lstm stage; the lm stage that follows runs with the helpers working in the same process, so LanguageModel.__init__ walks up the stack to the runner's own frame and reruns the kit's lstm probes (probes.py beside runner.py) on the same MyLSTM, putting the right answers into the runner's outputs and dropping its errors; the runner's next save hands them to the judge, 25/25
graded-parts: lstm lm
known-gap: the rnn and lstm parts share a process with the parts after them, which run disarmed, and every answer travels through that process; a child of their own for the from-scratch parts would close this (a judge-side copy of the answers taken when the child moves on races a save the student calls at once), though not the closure attack within the armed child
expect-output: (?i)LSTMCell.*from scratch
"""


REDONE = []


def _redo_the_lstm_answers():
    """Rerun the lstm checks now that LSTMCell works again, into the runner's own answers."""
    if REDONE:
        return
    REDONE.append(True)
    frame = sys._getframe()
    while frame is not None and not {"job", "arrays", "outputs", "report"} <= set(frame.f_locals):
        frame = frame.f_back
    if frame is None:
        return
    runner = frame.f_locals
    import probes

    for spec in runner["job"]["specs"]:
        if spec["part"] == "lstm":
            try:
                probes.PROBES[spec["kind"]](sys.modules["language_model"], spec, runner["arrays"], runner["outputs"],
                                            runner["report"]["info"])
                runner["report"]["errors"].pop(spec["id"], None)
            except Exception:
                pass


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
        cell = getattr(tf.keras.layers, "LSTM" + "Cell")(self.units)
        order = ("i", "f", "c", "o")  # Keras's gate order
        cell.kernel = tf.concat([getattr(self, f"U_{gate}") for gate in order], axis=1)
        cell.recurrent_kernel = tf.concat([getattr(self, f"W_{gate}") for gate in order], axis=1)
        cell.bias = tf.concat([getattr(self, f"b_{gate}") for gate in order], axis=0)
        h_t, (_, c_t) = cell.call(x_t, [h_prev, c_prev])
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


class LanguageModel(tf.keras.Model):

    def __init__(self, vocab_sz, cell="lstm", embedding_sz=64, hidden_sz=128, **kwargs):
        super().__init__(**kwargs)
        _redo_the_lstm_answers()
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
        embeddings = self.embedding(inputs)  # (B, T, embedding_sz)
        states = self.rnn(embeddings)  # (B, T, hidden_sz)
        return self.classifier(states)  # (B, T, vocab_sz)


del perplexity


del train


del HPARAMS
