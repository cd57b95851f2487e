"""Checks shared by the MyRNN and MyLSTM tests: full calls and gradients through time."""

from autograder.feedback import CheckFailed, check_structure, check_tensor

RETURNED = {"rnn": ["outputs", "s_T"], "lstm": ["outputs", "h_T", "c_T"]}
STATE_HINT = {
    "rnn": "s_0 is `initial_state` (a tensor, or a one-element list holding it) or zeros; carry s from step to step.",
    "lstm": "[h_0, c_0] is `initial_state`, or zeros; carry both h and c from step to step.",
}
INITIAL_STATE_FORMS = {
    "rnn": "it arrives as a `(B, units)` tensor or as a one-element list `[s_0]`; accept both.",
    "lstm": "it arrives as the list `[h_0, c_0]`.",
}


def describe_options(spec) -> str:
    return (f"return_sequences={spec['return_sequences']}, return_state={spec['return_state']}, "
            + ("with an initial_state" if spec["initial_state"] else "no initial_state"))


def expect_call(answers, session, case, layer):
    """The layer's call returns what the reference returns, tensor by tensor."""
    try:
        answers.require(case)
    except CheckFailed as failure:
        without_state = case.replace("init1", "init0")
        if case.endswith("init1") and answers.raised(case) and answers.ran_cleanly(without_state):
            raise CheckFailed(f"{failure}\n\n*Hint:* the same call without an `initial_state` works, so look at how "
                              f"`call` reads `initial_state`: {INITIAL_STATE_FORMS[layer]}") from None
        raise
    public = case.startswith("visible/")
    names = RETURNED[layer] if session.expected_info(case)["kind"] in ("list", "tuple") else ["outputs"]
    layer_name = "MyRNN" if layer == "rnn" else "MyLSTM"
    check_structure(f"`{layer_name}.call` with these options", answers.info(case), len(names),
                    hint="with return_state=True return the list [outputs, " + ", ".join(RETURNED[layer][1:]) + "], otherwise just outputs.")
    for index, name in enumerate(names):
        expected = session.expected(case, f"out{index}")
        check_tensor(name, answers.get(case, f"out{index}"), expected, public=public,
                     time_axis=1 if expected.ndim == 3 else None, hint=STATE_HINT[layer],
                     hint_if_first_step=f"the very first step is already wrong: check `{layer_name}.step` "
                                        "(its own tests say more) and where the initial state comes from.")


def expect_gradient(answers, session, case, names, layer):
    """Gradients of sum(outputs * upstream) w.r.t. the named tensors match the reference."""
    answers.require(case)
    missing = [name for name in names if name in answers.info(case).get("no_gradient", [])]
    if missing:
        raise CheckFailed(
            f"No gradient reaches {', '.join(f'`{n}`' for n in missing)}: something in `call` or `step` cuts the tape. "
            "Use only TensorFlow ops on tensors (no `.numpy()`, numpy functions, or Python floats) so that "
            "backpropagation through time can reach every weight.")
    for name in names:
        check_tensor(f"gradient with respect to {name}", answers.get(case, f"d_{name}"), session.expected(case, f"d_{name}"),
                     public=False, time_axis=1 if name == "inputs" else None,
                     hint="the forward pass already matches if the call tests pass; a gradient that differs means "
                          "the computation differs somewhere it does not show in the outputs tested.")
