"""6. train and HPARAMS: the student's model, trained by the student's code, reaches the threshold."""

from autograder.parts import Part

PART = Part(name="train", number="6", title="Training", contract=("train", "HPARAMS", "LanguageModel"), kind="training",
            cpu_seconds=150, function="train",
            cpu_advice=("Make training cheaper: fewer epochs, a smaller hidden_sz or embedding_sz, or a larger batch_sz; "
                        "`time_training()` in the notebook shows what fits before you submit."))
PERPLEXITY_TEST = f"{PART.number}.2"  # the test that scores the perplexity; staff re-score it under another threshold
