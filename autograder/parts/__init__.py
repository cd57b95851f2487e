"""The graded parts, one declaration each: all the engine knows about a part.

Each module here (windows.py, rnn.py, …) declares one `Part`: the contract names it grades,
the kind of probe that asks for them, its weights and states, its from-scratch rule, its
CPU budget and its test-number prefix. The engine (cases, probes, the child's runner, the
session, the reader, the judge's evaluator, packaging, the students' checker, the class
report) reads these and names no part itself. Adding a part is then: its reference and
TODO region in assignment/language_model.py, a graded-test file in autograder/tests/, and
a module here (AUTHORING.md walks through one).

The kinds of probe, and what a declaration of each gives:
- "function": a contract function called on arrays (`function`, `cases`: the case maker);
- "layer": a recurrent layer from scratch, probed by its step, its call with every option
  and its gradients through time (`layer`, `weights`, `states`, `activations`, and, for a
  layer `LanguageModel` accepts as a cell, `keras` and `numpy_step`);
- "language_model": `LanguageModel` with each of `cells`, Keras's own layer in it;
- "training": `LanguageModel` trained by the student's `train` from `HPARAMS`.
"""

from __future__ import annotations

import importlib
import pkgutil
import zlib
from dataclasses import dataclass, field
from typing import Callable

KINDS = ("function", "layer", "language_model", "training")
LOOP_ADVICE = "Look for a loop that never ends, or work repeated far more often than needed."  # for any child out of CPU


@dataclass(frozen=True)
class Weight:
    """A weight of a recurrent layer: its shape in terms of the layer's sizes, and the spread of its test values."""

    shape: tuple  # of "input", "units" and sums of them ("input+units")
    scale: float = 0.5

    def sized(self, input_dim: int, units: int) -> tuple:
        sizes = {"input": input_dim, "units": units}
        return tuple(sum(sizes[term] for term in axis.split("+")) for axis in self.shape)


@dataclass(frozen=True)
class Cell:
    """How the language model's judge runs a recurrent layer in Keras's weight layout (kernel, recurrent_kernel, bias).

    `keras` names Keras's own layer (and its options) that the language-model and training probes
    put in place of the student's; `gates` is how many blocks of `units` columns its kernels hold;
    `numpy_step(x_projected, states, recurrent_kernel)` is one step of its equations in numpy, where
    x_projected = x_t @ kernel + bias (B, gates*units) and states is a tuple whose first entry is h."""

    keras: str
    gates: int
    numpy_step: Callable
    keras_options: dict = field(default_factory=dict)
    states: int = 1  # how many state tensors the step carries (h, and c for an LSTM)


@dataclass(frozen=True)
class Part:
    name: str  # the tag of its graded tests, the prefix of its case ids, the fixture its tests ask for
    number: str  # the prefix of its tests' numbers; parts run and are listed in this order
    title: str  # as the checker and the class report name it
    contract: tuple  # the names of the contract it grades
    kind: str  # one of KINDS
    cpu_seconds: float  # the part's CPU budget in the sandbox
    cpu_advice: str = LOOP_ADVICE
    function: str = ""  # "function" and "training": the contract function called
    cases: Callable | None = None  # "function": cases(rng, visible) -> (specs, arrays)
    layer: str = ""  # "layer": the class
    weights: dict = field(default_factory=dict)  # "layer": name -> Weight, in the order they are reported
    states: tuple = ()  # "layer": the state tensors step takes and returns, h first ("s"; "h", "c")
    activations: tuple = ()  # "layer": the activations tested (the first everywhere, the last in the gradients); () if none
    from_scratch: bool = False  # "layer": Keras's and TensorFlow's recurrent helpers fail while it is graded
    cell: Cell | None = None  # "layer": how the language model's judge runs it, if LanguageModel accepts it as a cell
    cells: dict = field(default_factory=dict)  # "language_model": {"visible": (...), "hidden": (...)} cell names

    def seed(self, seed: int) -> list[int]:
        """The seed of this part's cases: by its name, so adding or moving a part re-seeds no other."""
        return [seed, zlib.crc32(self.name.encode())]

    @property
    def weight_names(self) -> list[str]:
        return list(self.weights)

    @property
    def gradient_names(self) -> list[str]:
        return ["d_inputs"] + [f"d_{name}" for name in self.weights]

    @property
    def returned(self) -> list[str]:
        """What a layer's call returns with return_state: the outputs, then each final state."""
        return ["outputs"] + [f"{state}_T" for state in self.states]


def _declared() -> tuple:
    found = []
    for module in pkgutil.iter_modules(__path__):
        declared = getattr(importlib.import_module(f"{__name__}.{module.name}"), "PART", None)
        if isinstance(declared, Part):
            found.append(declared)
    found.sort(key=lambda part: tuple(int(piece) for piece in part.number.split(".")))
    names = [part.name for part in found]
    if len(set(names)) != len(names) or len({part.number for part in found}) != len(found):
        raise ValueError(f"two parts share a name or a number: {[(part.name, part.number) for part in found]}")
    unknown = [part.name for part in found if part.kind not in KINDS]
    if unknown:
        raise ValueError(f"parts of an unknown kind: {unknown}; the kinds are {KINDS}")
    return tuple(found)


PARTS = _declared()
NAMES = tuple(part.name for part in PARTS)
BY_NAME = {part.name: part for part in PARTS}
CELLS = {part.name: part.cell for part in PARTS if part.cell}  # what LanguageModel(cell=…) and HPARAMS["cell"] accept
FROM_SCRATCH_LAYERS = {part.name: part.layer for part in PARTS if part.from_scratch}


def of_kind(kind: str) -> list[Part]:
    return [part for part in PARTS if part.kind == kind]


def budget(name: str, config: dict) -> float:
    """A part's CPU seconds: its declaration's, unless a course's config.json sets `limits: {name: {cpu_seconds}}`."""
    override = config.get("limits", {}).get(name, {}).get("cpu_seconds")
    return float(override if override is not None else get(name).cpu_seconds)


def get(name: str) -> Part:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no part named {name!r}; the parts are {', '.join(NAMES)}") from None
