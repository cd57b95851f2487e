"""My notebook is right, but when it exits it adds 400,000 short distinct load notes to the report the grader reads.

expect-fail: windows
no-points: windows
expect-output: (?i)refused
hostile: an atexit handler rewrites out/report.json (the runner's own answers kept) with 400,000 distinct notes "n000000"… in load_notes (about 4.4 MB, under the old 5 MB check); the old judge's summary de-duplicates them with `note not in notes` on a growing list, about 8e10 string comparisons: it is still busy long after Gradescope's 10-minute limit, so no results.json; a fixed judge refuses a report over its bounds (at most 500 notes) before using any of it, finishes in seconds, and says the report was refused
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


NOTES = 400_000


REWRITE = _rewrite_report(lambda report: report["load_notes"].extend(f"n{index:06d}" for index in range(NOTES)))
