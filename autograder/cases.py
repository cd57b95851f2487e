"""The inputs every graded check feeds to a submission, generated from a seed and the parts' declarations.

The same function makes them three times: when `make autograder` runs the reference
on them to record the expected outputs, when the judge hands them to a student's
code, and (for the visible seed only) in the students' local checker. Numpy only.

A case is a small JSON-able spec (which probe, which contract names, with which options,
the names of the arrays it hands back in "outputs") plus named input arrays; array and
output names are "<case id>:<name>". A part's cases are seeded by its name
(Part.seed), so adding or moving a part changes no other part's cases.
"""

from __future__ import annotations

import itertools

import numpy as np

from autograder import parts
from autograder.parts import Part

VISIBLE_SEED = 1470  # public: the stencil's checker regenerates these cases

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


def _layer_spec(part: Part, case: str, units: int, activation: str | None, outputs: list[str], **options) -> dict:
    """What the child needs to build the part's layer and load the case's weights."""
    return {"id": case, "kind": options.pop("kind"), "layer": part.layer, "weights": part.weight_names,
            "states": list(part.states), "units": units, "activation": activation, "outputs": outputs, **options}


def _layer_cases(part: Part, rng, visible):
    """Cases for a recurrent layer: one step, every call option, and gradients through time."""
    batch, steps, input_dim, units = (2, 4, 3, 4) if visible else (3, 6, 4, 5)
    activations = part.activations or (None,)

    def add_weights(case):
        for name, weight in part.weights.items():
            arrays[f"{case}:{name}"] = _normal(rng, *weight.sized(input_dim, units), scale=weight.scale)

    specs, arrays = [], {}
    for activation in activations[:1] if visible else activations:
        case = f"{part.name}/step" + (f"/{activation}" if part.activations else "")
        add_weights(case)
        arrays[f"{case}:x"] = _normal(rng, batch, input_dim, scale=1.0)
        for state in part.states:
            arrays[f"{case}:{state}_prev"] = _normal(rng, batch, units)
        specs.append(_layer_spec(part, case, units, activation, list(part.states), kind="step"))

    for options in VISIBLE_CALL_OPTIONS if visible else CALL_OPTIONS:
        case = f"{part.name}/call/{option_id(options)}"
        add_weights(case)
        arrays[f"{case}:x"] = _normal(rng, batch, steps, input_dim, scale=1.0)
        if options["initial_state"]:
            for state in part.states:
                arrays[f"{case}:{state}_0"] = _normal(rng, batch, units)
        # A layer of one state accepts it bare or as a one-element list: try both.
        gradients = visible and options == VISIBLE_CALL_OPTIONS[0]  # the checker sees a cut tape here
        if gradients:
            arrays[f"{case}:upstream"] = _normal(rng, batch, steps, units, scale=1.0)
        outputs = [f"out{index}" for index in range(1 + len(part.states))] + (part.gradient_names if gradients else [])
        specs.append(_layer_spec(part, case, units, activations[0], outputs, kind="call", **options, gradients=gradients,
                                 state_as_list=len(part.states) > 1 or options["return_sequences"]))

    if not visible:
        case = f"{part.name}/gradients"
        add_weights(case)
        arrays[f"{case}:x"] = _normal(rng, batch, steps, input_dim, scale=1.0)
        arrays[f"{case}:upstream"] = _normal(rng, batch, steps, units, scale=1.0)
        specs.append(_layer_spec(part, case, units, activations[-1], part.gradient_names, kind="gradients"))
    return specs, arrays


def stand_in(cell: str) -> dict:
    """Keras's own layer for a cell, as the language-model and training probes build it."""
    declared = parts.CELLS[cell]
    return {"layer": declared.keras, "options": declared.keras_options}


def _language_model_cases(part: Part, rng, visible):
    vocab, embedding, hidden, batch, steps = (9, 3, 4, 2, 5) if visible else (11, 4, 5, 3, 7)
    specs, arrays = [], {}
    for cell in part.cells["visible" if visible else "hidden"]:
        gates = parts.CELLS[cell].gates
        case = f"{part.name}/{cell}"
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
        specs.append({"id": case, "kind": "language_model", "cell": cell, "stand_in": stand_in(cell), "vocab_sz": vocab,
                      "embedding_sz": embedding, "hidden_sz": hidden, "cut": cut,
                      "outputs": ["logits", "logits_changed", "logits_first_changed"]})
    return specs, arrays


def _function_cases(part: Part, rng, visible):
    specs, arrays = part.cases(rng, visible)
    for spec in specs:
        spec.update(kind="function", function=part.function)
    return specs, arrays


CASE_MAKERS = {"function": _function_cases, "layer": _layer_cases, "language_model": _language_model_cases}


def output_names(spec: dict) -> list[str]:
    """The arrays a case's probe hands back ("<case id>:<name>"): all the judge will read from a child."""
    return [f"{spec['id']}:{name}" for name in spec["outputs"]]


def make_cases(part: Part, seed: int, visible: bool) -> tuple[list[dict], dict[str, np.ndarray]]:
    """The specs and arrays of one part's cases, ids "visible/…" or "hidden/…"; training has none (it uses the corpus)."""
    maker = CASE_MAKERS.get(part.kind)
    if maker is None:
        return [], {}
    specs, arrays = maker(part, np.random.default_rng(part.seed(seed)), visible)
    # Visible and hidden cases run in one child, so their names must differ.
    prefix = "visible/" if visible else "hidden/"
    for spec in specs:
        spec["id"] = prefix + spec["id"]
        spec["part"] = part.name
        spec["from_scratch"] = part.from_scratch
    return specs, {prefix + name: array for name, array in arrays.items()}


def make_case_set(part: Part | str, hidden_seed: int | None) -> tuple[list[dict], dict[str, np.ndarray]]:
    """The visible cases of a part, plus the hidden ones when the hidden seed is known."""
    part = parts.get(part) if isinstance(part, str) else part
    specs, arrays = make_cases(part, VISIBLE_SEED, visible=True)
    if hidden_seed:
        hidden_specs, hidden_arrays = make_cases(part, hidden_seed, visible=False)
        specs, arrays = specs + hidden_specs, {**arrays, **hidden_arrays}
    return specs, arrays
