"""My notebook is right, but when it exits it puts numbers and objects where the grader's report expects strings.

expect-fail: windows
no-points: windows
expect-output: (?i)refused
hostile: an atexit handler rewrites out/report.json (the runner's own answers kept) with load_notes [1, {"not": "a string"}, null]; the old judge's summary "\\n\\n".join()s them, raises TypeError, and the whole grading ends as "The autograder failed before it could grade your submission … not your fault", every test 0; a fixed judge checks the report against its schema, refuses it whole, and says so in the part's feedback
graded-parts: windows
"""


import atexit


import json


def _rewrite_report(change):
    def rewrite():
        with open("report.json") as file:  # the runner's last report; the child's cwd is its out/ folder
            report = json.load(file)
        change(report)
        with open("report.rewritten.json", "w") as file:
            json.dump(report, file)
        os.replace("report.rewritten.json", "report.json")
    return atexit.register(rewrite)


REWRITE = _rewrite_report(lambda report: report["load_notes"].extend([1, {"not": "a string"}, None]))
