"""My notebook is right, but it ends the Python process with os._exit(0) as soon as it is loaded, hoping a clean exit code counts as passing.

expect-fail: windows rnn lstm lm perplexity train
hostile: calls os._exit(0) at import time (an uncatchable exit with status 0), so no check can run; the grader must report every test as failed with a reason, not crash or report success
expect-output: ended the process|exit
"""


EXIT_CODE = os._exit(0)
