"""train uses model.compile + model.fit and returns history.history['loss'].

expect-fail: none
"""


def train(model, inputs, labels, epochs, batch_sz, learning_rate):
    model.compile(
        optimizer=tf.keras.optimizers.Adam(learning_rate=learning_rate),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    history = model.fit(inputs, labels, batch_size=batch_sz, epochs=epochs, shuffle=True, verbose=0)
    return list(history.history.get("loss", []))
