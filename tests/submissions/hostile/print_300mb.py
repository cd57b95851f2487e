"""My notebook is right, but a debugging print left in a loop writes about 300 MB to stdout every time it is loaded.

expect-fail: none
hostile: prints 300 MB (stdout and stderr, long lines and many short ones) at import time, to fill the grader's logs, memory and results.json
graded-parts: windows rnn lstm lm perplexity
"""


LINE = "loss: 4.2 | " * 90 + "\n"  # about 1 kB


def _flood(megabytes=300):
    block = LINE * 1024  # about 1 MB
    written = 0
    for index in range(megabytes):
        stream = sys.stderr if index % 10 == 9 else sys.stdout
        stream.write(block)
        written += len(block)
    sys.stdout.write("x" * 5_000_000 + "\n")  # and one 5 MB line without a newline until its end
    sys.stdout.flush()
    return written


PRINTED_BYTES = _flood()
