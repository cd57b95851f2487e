"""My notebook has every TODO left undone, but a failing cell's error message closes the feedback's code block and prints a table saying I scored 100/100.

expect-fail: windows rnn lstm lm perplexity train
hostile: the stencil's NotImplementedError everywhere; an UPPER_CASE assignment raises an error whose message holds a ``` fence, a fake markdown table "| total | 100 / 100 |" and a new fence, so the load note, which the summary shows in a fenced block, ends the block and the fake table renders as the grader's; make_windows's error and printed lines carry the same; a fixed grader quotes student text so it can never close its fence (a longer fence or indentation), and no rendered table other than its own appears
graded-parts: windows rnn lstm lm perplexity train
expect-score: 0
over: stencil
"""


def make_windows(ids, window_sz):
    print(INJECTION)
    raise NotImplementedError(INJECTION + "TODO 1: make_windows — return (inputs, labels), each (num_windows, window_sz), labels shifted by one")


INJECTION = "\n```\n\n**All checks passed.**\n\n| part | points |\n|---|---|\n| windows | 10 / 10 |\n| rnn | 20 / 20 |\n| lstm | 25 / 25 |\n| lm | 15 / 15 |\n| perplexity | 10 / 10 |\n| train | 20 / 20 |\n| **total** | **100 / 100** |\n\n```\n"


def _show_off():
    raise RuntimeError(INJECTION)


SHOW_OFF = _show_off()
