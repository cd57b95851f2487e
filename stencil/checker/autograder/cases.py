"""The inputs every graded check feeds to a submission, generated from a seed.

The same function makes them three times: when `make autograder` runs the reference
on them to record the expected outputs, when the judge hands them to a student's
code, and (for the visible seed only) in the students' local checker. Numpy only.

A case is a small JSON-able spec (what to call, with which options) plus named
arrays; array and output names are "<case id>:<name>".
"""

from __future__ import annotations

import itertools

import numpy as np

PARTS = ("windows", "rnn", "lstm", "lm", "perplexity", "train")
VISIBLE_SEED = 1470  # public: the stencil's checker regenerates these cases
LSTM_GATES = ("i", "f", "o", "c")
RNN_ACTIVATIONS = ("tanh", "relu", "sigmoid")

# Every combination of the recurrent layers' options, named as in the test ids.
CALL_OPTIONS = [
    {"return_sequences": seq, "return_state": state, "initial_state": init}
    for seq, state, init in itertools.product((False, True), repeat=3)
]


# The visible calls: every option set, then the defaults a student's own model uses (zeros to start, no final state):
# the second shows a state that starts elsewhere than zeros, and return_sequences answered with [outputs, s_T].
VISIBLE_CALL_OPTIONS = [{"return_sequences": True, "return_state": True, "initial_state": True},
                        {"return_sequences": True, "return_state": False, "initial_state": False}]


def option_id(options: dict) -> str:
    return "seq{:d}-state{:d}-init{:d}".format(options["return_sequences"], options["return_state"], options["initial_state"])


def option_words(options: dict) -> str:
    """The options as a student reads them in a test's name."""
    return ", ".join(["every step's output" if options["return_sequences"] else "last output only",
                      "with final state" if options["return_state"] else "without final state",
                      "given initial state" if options["initial_state"] else "zero initial state"])


def _normal(rng, *shape, scale=0.5):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


def _window_cases(rng, visible):
    if visible:
        # A length that is a multiple of window_sz shows a count of N // window_sz windows for what it is.
        lengths = {"demo": (23, 5), "length-multiple": (20, 5)}
    else:
        lengths = {"remainder": (1037, 20), "exact": (101, 20), "length-multiple": (100, 20), "one-window": (8, 7), "too-short": (7, 20), "empty": (0, 3)}
    specs, arrays = [], {}
    for name, (length, window_sz) in lengths.items():
        case = f"windows/{name}"
        ids = np.arange(length) if visible else rng.integers(0, 5000, size=length)
        arrays[f"{case}:ids"] = ids.astype(np.int64)
        specs.append({"id": case, "kind": "windows", "window_sz": window_sz, "as_list": name == "remainder"})
    return specs, arrays


def _rnn_weights(rng, case, input_dim, units, arrays):
    arrays[f"{case}:W_r"] = _normal(rng, input_dim + units, units)
    arrays[f"{case}:b_r"] = _normal(rng, units, scale=0.1)


def _lstm_weights(rng, case, input_dim, units, arrays):
    for gate in LSTM_GATES:
        arrays[f"{case}:W_{gate}"] = _normal(rng, units, units)
        arrays[f"{case}:U_{gate}"] = _normal(rng, input_dim, units)
        arrays[f"{case}:b_{gate}"] = _normal(rng, units, scale=0.3)


def _recurrent_cases(rng, visible, layer):
    """Cases for MyRNN or MyLSTM: one step, every call option, and gradients through time."""
    batch, steps, input_dim, units = (2, 4, 3, 4) if visible else (3, 6, 4, 5)
    add_weights = _rnn_weights if layer == "rnn" else _lstm_weights
    state_names = ["s"] if layer == "rnn" else ["h", "c"]
    activations = ("tanh",) if (visible or layer == "lstm") else RNN_ACTIVATIONS
    specs, arrays = [], {}

    for activation in activations:
        case = f"{layer}/step/{activation}" if layer == "rnn" else f"{layer}/step"
        add_weights(rng, case, input_dim, units, arrays)
        arrays[f"{case}:x"] = _normal(rng, batch, input_dim, scale=1.0)
        for state in state_names:
            arrays[f"{case}:{state}_prev"] = _normal(rng, batch, units)
        specs.append({"id": case, "kind": "step", "units": units, "activation": activation})

    for options in VISIBLE_CALL_OPTIONS if visible else CALL_OPTIONS:
        case = f"{layer}/call/{option_id(options)}"
        add_weights(rng, case, input_dim, units, arrays)
        arrays[f"{case}:x"] = _normal(rng, batch, steps, input_dim, scale=1.0)
        if options["initial_state"]:
            for state in state_names:
                arrays[f"{case}:{state}_0"] = _normal(rng, batch, units)
        spec = {"id": case, "kind": "call", "units": units, "activation": "tanh", **options,
                # MyRNN accepts its initial state bare or as a one-element list; try both.
                "state_as_list": layer == "lstm" or options["return_sequences"]}
        if visible and options == VISIBLE_CALL_OPTIONS[0]:  # the checker sees a cut tape here; hidden cases have a case of their own
            arrays[f"{case}:upstream"] = _normal(rng, batch, steps, units, scale=1.0)
            spec["gradients"] = True
        specs.append(spec)

    if not visible:
        activation = "relu" if layer == "rnn" else "tanh"
        case = f"{layer}/gradients"
        add_weights(rng, case, input_dim, units, arrays)
        arrays[f"{case}:x"] = _normal(rng, batch, steps, input_dim, scale=1.0)
        arrays[f"{case}:upstream"] = _normal(rng, batch, steps, units, scale=1.0)
        specs.append({"id": case, "kind": "gradients", "units": units, "activation": activation})
    return specs, arrays


def _lm_cases(rng, visible):
    vocab, embedding, hidden, batch, steps = (9, 3, 4, 2, 5) if visible else (11, 4, 5, 3, 7)
    specs, arrays = [], {}
    for cell in (("lstm",) if visible else ("lstm", "rnn")):
        gates = 4 if cell == "lstm" else 1
        case = f"lm/{cell}"
        arrays[f"{case}:embedding"] = _normal(rng, vocab, embedding, scale=1.0)
        arrays[f"{case}:kernel"] = _normal(rng, embedding, gates * hidden)
        arrays[f"{case}:recurrent_kernel"] = _normal(rng, hidden, gates * hidden)
        arrays[f"{case}:bias"] = _normal(rng, gates * hidden, scale=0.3)
        arrays[f"{case}:classifier_kernel"] = _normal(rng, hidden, vocab, scale=1.0)
        arrays[f"{case}:classifier_bias"] = _normal(rng, vocab, scale=0.3)
        tokens = rng.integers(0, vocab, size=(batch, steps))
        arrays[f"{case}:tokens"] = tokens.astype(np.int32)
        # The same windows with every token after position `cut` changed: causality.
        cut = steps // 2
        changed = tokens.copy()
        changed[:, cut + 1:] = (tokens[:, cut + 1:] + rng.integers(1, vocab, size=(batch, steps - cut - 1))) % vocab
        arrays[f"{case}:tokens_changed"] = changed.astype(np.int32)
        # The same windows with only the first token changed: the last prediction must notice (the model is recurrent).
        first_changed = tokens.copy()
        first_changed[:, 0] = (tokens[:, 0] + 1) % vocab
        arrays[f"{case}:tokens_first_changed"] = first_changed.astype(np.int32)
        specs.append({"id": case, "kind": "lm", "cell": cell, "vocab_sz": vocab, "embedding_sz": embedding,
                      "hidden_sz": hidden, "cut": cut})
    return specs, arrays


def _perplexity_cases(rng, visible):
    specs, arrays = [], {}
    if visible:
        # The classic 4-token sanity check: perplexity 2.4446151121745054.
        probs = np.array([[.1, .3, .5, .1], [.4, .3, .1, .2], [.1, .7, .1, .1], [.3, .3, .2, .2]])
        arrays["perplexity/four-tokens:logits"] = np.log(probs).astype(np.float32)[None]
        arrays["perplexity/four-tokens:labels"] = np.array([[2, 0, 1, 3]], dtype=np.int32)
        specs.append({"id": "perplexity/four-tokens", "kind": "perplexity"})
        return specs, arrays
    for name, scale in (("moderate", 2.0), ("confident", 30.0)):
        case = f"perplexity/{name}"
        arrays[f"{case}:logits"] = _normal(rng, 3, 6, 13, scale=scale)
        arrays[f"{case}:labels"] = rng.integers(0, 13, size=(3, 6)).astype(np.int32)
        specs.append({"id": case, "kind": "perplexity"})
    return specs, arrays


def weight_names(layer: str) -> list[str]:
    return ["W_r", "b_r"] if layer == "rnn" else [f"{kind}_{gate}" for gate in LSTM_GATES for kind in "WUb"]


def gradient_names(layer: str) -> list[str]:
    return ["d_inputs"] + [f"d_{name}" for name in weight_names(layer)]


def output_names(spec: dict) -> list[str]:
    """The arrays a case's probe hands back ("<case id>:<name>"): all the judge will read from a child."""
    kind, layer = spec["kind"], spec.get("part")
    if kind == "windows":
        names = ["inputs", "labels"]
    elif kind == "step":
        names = ["s"] if layer == "rnn" else ["h", "c"]
    elif kind == "call":
        names = [f"out{index}" for index in range(4)] + (gradient_names(layer) if spec.get("gradients") else [])
    elif kind == "gradients":
        names = gradient_names(layer)
    elif kind == "lm":
        names = ["logits", "logits_changed", "logits_first_changed"]
    elif kind == "perplexity":
        names = ["value"]
    else:
        names = ["embedding", "kernel", "recurrent_kernel", "bias", "classifier_kernel", "classifier_bias"]
    return [f"{spec['id']}:{name}" for name in names]


def make_cases(part: str, seed: int, visible: bool) -> tuple[list[dict], dict[str, np.ndarray]]:
    """The specs and arrays of one part's cases, ids "visible/…" or "hidden/…"; train has none (it uses the corpus)."""
    rng = np.random.default_rng([seed, PARTS.index(part)])
    if part == "windows":
        specs, arrays = _window_cases(rng, visible)
    elif part in ("rnn", "lstm"):
        specs, arrays = _recurrent_cases(rng, visible, part)
    elif part == "lm":
        specs, arrays = _lm_cases(rng, visible)
    elif part == "perplexity":
        specs, arrays = _perplexity_cases(rng, visible)
    else:
        return [], {}
    # Visible and hidden cases run in one child, so their names must differ.
    prefix = "visible/" if visible else "hidden/"
    for spec in specs:
        spec["id"] = prefix + spec["id"]
        spec["part"] = part
    return specs, {prefix + name: array for name, array in arrays.items()}


def make_case_set(part: str, hidden_seed: int | None) -> tuple[list[dict], dict[str, np.ndarray]]:
    """The visible cases of a part, plus the hidden ones when the hidden seed is known."""
    specs, arrays = make_cases(part, VISIBLE_SEED, visible=True)
    if hidden_seed:
        hidden_specs, hidden_arrays = make_cases(part, hidden_seed, visible=False)
        specs, arrays = specs + hidden_specs, {**arrays, **hidden_arrays}
    return specs, arrays
