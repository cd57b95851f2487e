"""What each check asks of a submission, run inside the sandbox by runner.py.

Each probe calls the student's code on one case's inputs and stores what came back
in `outputs` (arrays named "<case id>:<name>") and `info` (JSON: return structure,
dtypes, losses). Judging happens elsewhere; a probe only asks and records.

Where a part depends on another (the language model on the recurrent layer), the
probe swaps in Keras's built-in layer, so one bug costs points once.
"""

import re

import numpy as np
import tensorflow as tf

def as_array(value, what):
    if isinstance(value, (tf.Tensor, tf.Variable)):
        value = value.numpy()
    array = np.asarray(value)
    if array.dtype == object:
        raise TypeError(f"{what} could not be read as a numeric array (got {type(value).__name__})")
    return array


def type_name(value, qualified=False) -> str:
    """A type's name as the judge accepts it: a plain dotted identifier of at most 80 characters."""
    name = (type(value).__module__ + "." if qualified else "") + type(value).__name__
    name = re.sub(r"[^\w.]", "_", name)[:80]
    return name if re.match(r"^[A-Za-z_]", name) else "_" + name[:79]


def describe(value):
    """The shape of what a call returned: a tensor, or a list/tuple of how many."""
    if isinstance(value, (list, tuple)):
        return {"kind": type_name(value), "count": len(value), "types": [type_name(v) for v in value[:16]]}
    return {"kind": type_name(value), "count": 1}


def _argument(argument, case, arrays):
    if "value" in argument:
        return argument["value"]
    array = arrays[f"{case}:{argument['array']}"]
    return {"list": array.tolist, "tensor": lambda: tf.constant(array), "array": lambda: array}[argument["as"]]()


def function(module, spec, arrays, outputs, info):
    """A contract function called on the case's arguments; one array back, or a tuple of as many as it names."""
    case, names = spec["id"], spec["outputs"]
    result = getattr(module, spec["function"])(*(_argument(argument, case, arrays) for argument in spec["arguments"]))
    info[case] = describe(result)
    if len(names) == 1:
        value = as_array(result, names[0])
        outputs[f"{case}:{names[0]}"] = value.astype(np.float64) if value.dtype.kind == "f" else value
        return
    if not isinstance(result, (list, tuple)) or len(result) != len(names):
        raise TypeError(f"{spec['function']} must return {len(names)} values ({', '.join(names)}); it returned {info[case]}")
    info[case]["types"] = [type_name(value, qualified=True) for value in result]
    for name, value in zip(names, result):
        outputs[f"{case}:{name}"] = as_array(value, name)


def _layer(module, spec, arrays, input_dim, **options):
    """The student's layer, built by its given `build` and loaded with the case's weights."""
    if spec["activation"] is not None:
        options["activation"] = spec["activation"]
    layer = getattr(module, spec["layer"])(spec["units"], **options)
    layer.build((None, None, input_dim))
    weights = {name: arrays[f"{spec['id']}:{name}"] for name in spec["weights"]}
    for name, value in weights.items():
        variable = getattr(layer, name, None)
        if variable is None:
            raise AttributeError(f"{type(layer).__name__}.build must create the weight `{name}` (given code: do not rename it)")
        variable.assign(value)
    return layer, weights


def step(module, spec, arrays, outputs, info):
    """One step from the case's previous states: the new state, or a tuple of the new states."""
    case, states = spec["id"], spec["states"]
    x = arrays[f"{case}:x"]
    layer, _ = _layer(module, spec, arrays, x.shape[-1])
    result = layer.step(tf.constant(x), *(tf.constant(arrays[f"{case}:{state}_prev"]) for state in states))
    info[case] = describe(result)
    if len(states) == 1:
        outputs[f"{case}:{states[0]}"] = as_array(result, f"{states[0]}_t")
        return
    if not isinstance(result, (list, tuple)) or len(result) != len(states):
        raise TypeError(f"{spec['layer']}.step must return ({', '.join(f'{state}_t' for state in states)}); "
                        f"it returned {info[case]}")
    for state, value in zip(states, result):
        outputs[f"{case}:{state}"] = as_array(value, f"{state}_t")


def call(module, spec, arrays, outputs, info):
    """The layer's call with the case's options; with `gradients`, also the gradients of sum(outputs * upstream)."""
    case = spec["id"]
    x = tf.constant(arrays[f"{case}:x"])
    layer, weights = _layer(module, spec, arrays, x.shape[-1],
                            return_sequences=spec["return_sequences"], return_state=spec["return_state"])
    with tf.GradientTape() as tape:
        tape.watch(x)
        if spec["initial_state"]:
            states = [tf.constant(arrays[f"{case}:{name}_0"]) for name in spec["states"]]
            result = layer(x, initial_state=states if spec["state_as_list"] else states[0])
        else:
            result = layer(x)
        parts = result if isinstance(result, (list, tuple)) else [result]
        if spec.get("gradients"):
            loss = tf.reduce_sum(tf.convert_to_tensor(parts[0]) * arrays[f"{case}:upstream"])
    info[case] = describe(result)
    for index, part in enumerate(parts[:len(spec["states"]) + 1]):
        outputs[f"{case}:out{index}"] = as_array(part, f"returned value {index}")
    if spec.get("gradients"):
        info[case]["no_gradient"] = _gradients(tape, loss, x, layer, weights, case, outputs)


def _gradients(tape, loss, x, layer, weights, case, outputs) -> list:
    """Store d_<name> for the inputs and every weight; the names no gradient reached."""
    names = ["inputs"] + list(weights)
    sources = [x] + [getattr(layer, name) for name in weights]
    missing = []
    for name, gradient in zip(names, tape.gradient(loss, sources)):
        if gradient is None:
            missing.append(name)
        else:
            outputs[f"{case}:d_{name}"] = as_array(tf.convert_to_tensor(gradient), f"gradient of {name}")
    return missing


def gradients(module, spec, arrays, outputs, info):
    """Gradients of sum(outputs * upstream) through the whole window, w.r.t. every weight and the inputs."""
    case = spec["id"]
    x = tf.constant(arrays[f"{case}:x"])
    layer, weights = _layer(module, spec, arrays, x.shape[-1], return_sequences=True)
    with tf.GradientTape() as tape:
        tape.watch(x)
        result = layer(x)
        loss = tf.reduce_sum(tf.convert_to_tensor(result) * arrays[f"{case}:upstream"])
    info[case] = {"no_gradient": _gradients(tape, loss, x, layer, weights, case, outputs)}


def _stand_in(stand_in, hidden_sz):
    """Keras's own layer in place of the student's: the contract says both compute the same."""
    return getattr(tf.keras.layers, stand_in["layer"])(hidden_sz, return_sequences=True, **stand_in["options"])


def language_model(module, spec, arrays, outputs, info):
    case = spec["id"]
    model = module.LanguageModel(spec["vocab_sz"], cell=spec["cell"], embedding_sz=spec["embedding_sz"], hidden_sz=spec["hidden_sz"])
    model.rnn = _stand_in(spec["stand_in"], spec["hidden_sz"])
    tokens = tf.constant(arrays[f"{case}:tokens"])
    model(tokens)  # builds every layer
    model.embedding.set_weights([arrays[f"{case}:embedding"]])
    model.rnn.set_weights([arrays[f"{case}:{name}"] for name in ("kernel", "recurrent_kernel", "bias")])
    model.classifier.set_weights([arrays[f"{case}:classifier_kernel"], arrays[f"{case}:classifier_bias"]])
    with tf.GradientTape() as tape:
        logits = model(tokens)
        loss = tf.reduce_sum(tf.square(tf.convert_to_tensor(logits)))
    # Only whether a gradient reaches each weight: the values follow from the logits and Keras's own layers.
    weights = {"embedding": model.embedding.embeddings, **dict(zip(("kernel", "recurrent_kernel", "bias"), model.rnn.weights)),
               "classifier_kernel": model.classifier.kernel, "classifier_bias": model.classifier.bias}
    gradients = tape.gradient(loss, list(weights.values()))
    info[case] = {"no_gradient": [name for name, gradient in zip(weights, gradients) if gradient is None]}
    outputs[f"{case}:logits"] = as_array(logits, "logits")
    outputs[f"{case}:logits_changed"] = as_array(model(tf.constant(arrays[f"{case}:tokens_changed"])), "logits")
    outputs[f"{case}:logits_first_changed"] = as_array(model(tf.constant(arrays[f"{case}:tokens_first_changed"])), "logits")


HPARAM_KEYS = ("cell", "embedding_sz", "hidden_sz", "window_sz", "batch_sz", "epochs", "learning_rate")


PLAIN_TEXT = re.compile(r"[\w.+-]{0,40}")  # what the judge's report schema takes as a string (session._HPARAM)


def _reported(value):
    """An HPARAMS value as the judge may show it: a finite number or a plain word as it is, anything else by its type."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)) and np.isfinite(value):
        return value
    if isinstance(value, str) and PLAIN_TEXT.fullmatch(value):
        return value
    return type(value).__name__[:40] if PLAIN_TEXT.fullmatch(type(value).__name__[:40]) else "object"


def train(module, spec, arrays, outputs, info):
    """Build the student's model from HPARAMS, train it with the student's `train`, return its weights."""
    hparams = getattr(module, "HPARAMS", None)
    if not isinstance(hparams, dict):
        raise TypeError(f"HPARAMS must be a dict with the keys {', '.join(HPARAM_KEYS)}; it is {type(hparams).__name__}")
    missing = [key for key in HPARAM_KEYS if key not in hparams]
    if missing:
        raise KeyError(f"HPARAMS is missing {', '.join(missing)}")
    hp = {key: hparams[key].item() if isinstance(hparams[key], np.generic) else hparams[key] for key in HPARAM_KEYS}
    info["hparams"] = {key: _reported(value) for key, value in hp.items()}
    for key in ("embedding_sz", "hidden_sz", "window_sz", "batch_sz", "epochs"):
        if not isinstance(hp[key], (int, np.integer)) or isinstance(hp[key], bool) or hp[key] < (0 if key == "epochs" else 1):
            raise ValueError(f"HPARAMS['{key}'] must be a positive whole number; it is {hp[key]!r}")
    cells = spec["cells"]
    if hp["cell"] not in cells:
        raise ValueError(f"HPARAMS['cell'] must be one of {', '.join(repr(cell) for cell in cells)}; it is {hp['cell']!r}")
    if spec["limits"]["max_width"] < max(hp["embedding_sz"], hp["hidden_sz"]):
        raise ValueError(f"embedding_sz and hidden_sz may be at most {spec['limits']['max_width']} here")

    case = spec["id"]
    ids = arrays[f"{case}:ids"]
    window_sz = int(hp["window_sz"])
    count = (len(ids) - 1) // window_sz
    inputs = ids[: count * window_sz].reshape(count, window_sz)
    labels = ids[1 : count * window_sz + 1].reshape(count, window_sz)

    tf.keras.utils.set_random_seed(spec["seed"])
    model = module.LanguageModel(spec["vocab_sz"], cell=hp["cell"], embedding_sz=int(hp["embedding_sz"]), hidden_sz=int(hp["hidden_sz"]))
    model.rnn = _stand_in(cells[hp["cell"]], int(hp["hidden_sz"]))
    model(tf.constant(inputs[:1]))  # builds every layer, so an untrained model has weights too
    if not model.rnn.weights:
        raise RuntimeError("LanguageModel.call never calls self.rnn, so the model has no recurrent layer to train: "
                           "run the embedded tokens through self.rnn, then the classifier.")
    epochs = spec.get("epochs", int(hp["epochs"]))  # the judge asks for one epoch when it only times training
    losses = getattr(module, spec["function"])(model, inputs, labels, epochs, int(hp["batch_sz"]), float(hp["learning_rate"]))
    try:  # JSON has no NaN or infinity: those are reported as text, and the judge calls them not finite
        info["losses"] = [float(loss) if np.isfinite(float(loss)) else repr(float(loss)) for loss in losses]
    except Exception:
        info["losses"] = repr(losses)[:200]
    outputs[f"{case}:embedding"] = as_array(model.embedding.get_weights()[0], "embedding")
    for name, value in zip(("kernel", "recurrent_kernel", "bias"), model.rnn.get_weights()):
        outputs[f"{case}:{name}"] = as_array(value, name)
    kernel, bias = model.classifier.get_weights()
    outputs[f"{case}:classifier_kernel"] = as_array(kernel, "classifier kernel")
    outputs[f"{case}:classifier_bias"] = as_array(bias, "classifier bias")


PROBES = {
    "function": function,
    "step": step,
    "call": call,
    "gradients": gradients,
    "language_model": language_model,
    "training": train,
}
