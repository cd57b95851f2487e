"""5. perplexity: exp of the mean cross-entropy of logits against labels."""

import numpy as np

from autograder.parts import Part


def _normal(rng, *shape, scale):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


def cases(rng, visible):
    arguments = [{"array": "labels", "as": "tensor"}, {"array": "logits", "as": "tensor"}]
    specs, arrays = [], {}
    if visible:
        # The classic 4-token sanity check: perplexity 2.4446151121745054.
        probs = np.array([[.1, .3, .5, .1], [.4, .3, .1, .2], [.1, .7, .1, .1], [.3, .3, .2, .2]])
        arrays["perplexity/four-tokens:logits"] = np.log(probs).astype(np.float32)[None]
        arrays["perplexity/four-tokens:labels"] = np.array([[2, 0, 1, 3]], dtype=np.int32)
        specs.append({"id": "perplexity/four-tokens", "arguments": arguments, "outputs": ["value"]})
        return specs, arrays
    for name, scale in (("moderate", 2.0), ("confident", 30.0)):
        case = f"perplexity/{name}"
        arrays[f"{case}:logits"] = _normal(rng, 3, 6, 13, scale=scale)
        arrays[f"{case}:labels"] = rng.integers(0, 13, size=(3, 6)).astype(np.int32)
        specs.append({"id": case, "arguments": arguments, "outputs": ["value"]})
    return specs, arrays


PART = Part(name="perplexity", number="5", title="Perplexity", contract=("perplexity",), kind="function",
            cpu_seconds=30, function="perplexity", cases=cases)
