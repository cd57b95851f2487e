"""`make stencil` (with assignment.build): the students' local checker, in stencil/.

It is the autograder itself with only the public cases: the engine, the reference's
answers on the public inputs, and check.py to run it from a notebook or a terminal.

    python -m autograder.package.export_checker [--stencil stencil]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from autograder.grade import run_tests
from autograder.package.build_zip import ENGINE, PACKAGING, REFERENCE, REPO, copy_engine, record_expected
from autograder.session import read_expected, write_expected


def export(stencil: Path) -> None:
    checker = stencil / "checker"
    recorded = checker / "expected" / "expected.json"
    previous = read_expected(recorded)[0] if recorded.is_file() else {}
    shutil.rmtree(checker, ignore_errors=True)
    copy_engine(checker / "autograder")
    config = json.loads((ENGINE / "config.json").read_text())
    config = {key: value for key, value in config.items() if key not in ("hidden_seed", "calibration")}
    # Locally, training is checked on the public test split, next to the notebook.
    config.update(data_dir="../data", evaluation_split="test.txt")
    (checker / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (checker / "expected").mkdir()
    write_expected(recorded, *record_expected(REFERENCE, None, config["threads"]), previous=previous)
    collected = [meta for meta in run_tests(REPO, None, None, collect_only=True).collected if meta["public"]]
    (checker / "expected" / "tests.json").write_text(json.dumps(collected, indent=1) + "\n")
    shutil.copy(PACKAGING / "check.py", stencil / "check.py")
    shutil.copy(REPO / "CONTRACT.md", stencil / "CONTRACT.md")
    (stencil / "requirements.txt").write_text(
        "# What the notebook and its checker need (Colab has most of it already).\n"
        + "".join(line + "\n" for line in (ENGINE / "requirements.txt").read_text().splitlines()
                  if line.split("==")[0].lower().replace("_", "-") in {"tensorflow-cpu", "numpy", "matplotlib", "nbformat", "pytest",
                                                     "gradescope-utils", "jsonschema", "psutil"}))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stencil", type=Path, default=REPO / "stencil")
    export(parser.parse_args(argv).stencil)
    return 0


if __name__ == "__main__":
    sys.exit(main())
