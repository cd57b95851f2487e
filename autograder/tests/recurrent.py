"""Checks shared by the recurrent layers' tests (MyRNN, MyLSTM, …): full calls and gradients through time.

Each takes the layer's part name; what the layer returns and is called comes from its declaration."""

import re

from autograder.diagnose import (initial_state_form, lstm_state_order_mistake, return_sequences_ignored,
                                 return_sequences_with_state, rnn_start_not_zeros, tape_cut)
from autograder.feedback import CheckFailed, check_structure, check_tensor
from autograder.parts import get as get_part
STATE_FORM_ERROR = re.compile(r"Concat|[Rr]anks? |values to unpack|not iterable|list indices|out of range")


def _spec(session, layer, case) -> dict:
    return next(spec for spec in session.specs_and_arrays(layer)[0] if spec["id"] == case)


def expect_call(answers, session, case, layer):
    """The layer's call returns what the reference returns, tensor by tensor (and, where the case asks, its gradients).

    A visible test checks more than one call, so its feedback says which one went wrong."""
    try:
        _expect_call(answers, session, case, layer)
    except CheckFailed as failure:
        if not case.startswith("visible/"):
            raise
        spec = _spec(session, layer, case)
        call = (f"return_sequences={spec['return_sequences']}, return_state={spec['return_state']} and "
                + ("an `initial_state`" if spec["initial_state"] else "no `initial_state`"))
        raise CheckFailed(f"**In the call with {call}:**\n\n{failure}", failure.diagnosis) from None


def _expect_call(answers, session, case, layer):
    _expect_outputs(answers, session, case, layer)
    if _spec(session, layer, case).get("gradients"):
        expect_gradient(answers, session, case, ["inputs"] + get_part(layer).weight_names, layer)


def _expect_outputs(answers, session, case, layer):
    """The forward pass: what the call returned, tensor by tensor."""
    spec = _spec(session, layer, case)
    try:
        answers.require(case)
    except CheckFailed as failure:
        ignored = spec["return_sequences"] and answers.raised(case) and return_sequences_ignored(answers.error(case))
        if ignored:
            raise CheckFailed(f"{ignored.sentence}\n\n{failure}", ignored.label) from None
        without_state = case.replace("init1", "init0")
        works_without = answers.ran_cleanly(without_state)
        # A state in the wrong form (a list where a tensor was expected, or the reverse) fails in a concat or an unpacking.
        if spec["initial_state"] and answers.raised(case) and (works_without or STATE_FORM_ERROR.search(answers.error(case))):
            compared = ("the same call without an `initial_state` works, so look at how `call` reads `initial_state`. "
                        if works_without else "")
            form = initial_state_form(get_part(layer).states, spec["state_as_list"])
            raise failure.adding(f"*Hint:* {compared}{form.sentence}", form.label) from None
        raise
    public = case.startswith("visible/")
    declared = get_part(layer)
    names = declared.returned if session.expected_info(case)["kind"] in ("list", "tuple") else ["outputs"]
    layer_name = declared.layer
    info = answers.info(case)
    if spec["return_sequences"] and not spec["return_state"] and (info or {}).get("kind") in ("list", "tuple"):
        raise return_sequences_with_state(declared.states).failure()
    check_structure(f"`{layer_name}.call` with these options", info, len(names),
                    hint="with return_state=True return the list [" + ", ".join(declared.returned) + "], otherwise just outputs.")
    returned = [answers.get(case, f"out{index}") for index in range(len(names))]
    if names == ["outputs", "h_T", "c_T"]:
        swapped = lstm_state_order_mistake(returned, session.expected(case, "out1"), session.expected(case, "out2"))
        if swapped:
            raise swapped.failure()
    if layer == "rnn" and not spec["initial_state"] and spec["return_sequences"]:
        given = session.inputs[layer]
        late_start = rnn_start_not_zeros(returned[0], given[f"{case}:x"], given[f"{case}:W_r"], given[f"{case}:b_r"],
                                         spec["activation"])
        if late_start:
            raise late_start.failure()
    for index, name in enumerate(names):
        expected = session.expected(case, f"out{index}")
        check_tensor(name, returned[index], expected, public=public,
                     time_axis=1 if expected.ndim == 3 else None, hint=_state_hint(declared.states),
                     hint_if_first_step=f"the very first step is already wrong: check `{layer_name}.step` "
                                        "(its own tests say more) and where the initial state comes from"
                                        + (" (given none, it is zeros)." if not spec["initial_state"] else "."))


def _state_hint(states) -> str:
    if len(states) == 1:
        return (f"{states[0]}_0 is `initial_state` (a tensor, or a one-element list holding it) or zeros; carry {states[0]} "
                "from step to step.")
    return (f"[{', '.join(f'{state}_0' for state in states)}] is `initial_state`, or zeros; carry both "
            f"{' and '.join(states)} from step to step." if len(states) == 2 else
            f"[{', '.join(f'{state}_0' for state in states)}] is `initial_state`, or zeros; carry every state from step to step.")


def expect_gradient(answers, session, case, names, layer):
    """Gradients of sum(outputs * upstream) w.r.t. the named tensors match the reference."""
    answers.require(case)
    missing = [name for name in names if name in answers.info(case).get("no_gradient", [])]
    if missing:
        layer_name = get_part(layer).layer
        raise tape_cut(missing, f"`{layer_name}.call` or `{layer_name}.step`").failure()
    hint = ("the call tests pass, so the forward pass matches: a gradient that differs means the computation differs "
            "somewhere it does not show in the outputs tested." if _calls_match(answers, session, layer) else
            "the call tests fail too: fix the forward pass first (their feedback says where it goes wrong); the "
            "gradients usually follow.")
    for name in names:
        check_tensor(f"gradient with respect to {name}", answers.get(case, f"d_{name}"), session.expected(case, f"d_{name}"),
                     public=case.startswith("visible/"), time_axis=1 if name == "inputs" else None, hint=hint)


def _calls_match(answers, session, layer) -> bool:
    """Every call case of the layer ran and returned the reference's tensors (the forward pass is right)."""
    for spec in session.specs_and_arrays(layer)[0]:
        if spec["kind"] != "call":
            continue
        try:
            _expect_outputs(answers, session, spec["id"], layer)
        except CheckFailed:
            return False
    return True
