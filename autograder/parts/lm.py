"""4. LanguageModel.call: embedding, recurrent layer, classifier; causal.

Its probe puts Keras's own layer of each cell in place of the student's (the contract says
both compute the same), so a bug in MyLSTM does not cost points twice."""

from autograder.parts import Part

PART = Part(name="lm", number="4", title="The language model", contract=("LanguageModel",), kind="language_model",
            cpu_seconds=40, cells={"visible": ("lstm",), "hidden": ("lstm", "rnn")})
