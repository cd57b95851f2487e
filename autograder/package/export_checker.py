"""`make stencil` (with assignment.build): the students' local checker, in stencil/, and dist/stencil.zip.

It is the autograder itself with only the public cases: the engine, the reference's
answers on the public inputs, and check.py to run it from a notebook or a terminal;
and README.md (from student_readme.md here): how to start, check and submit.
The zip holds all of stencil/, for students on Colab.

    python -m autograder.package.export_checker [--stencil stencil] [--zip dist/stencil.zip]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from autograder.grade import run_tests
from autograder.package.build_zip import ENGINE, PACKAGING, REFERENCE, REPO, copy_engine, record_expected, write_zip
from autograder.package.check import NEEDS, canonical, pins_of
from autograder.session import read_expected, write_expected
from autograder.training_time import TIMED_BY


def export(stencil: Path) -> None:
    checker = stencil / "checker"
    recorded = checker / "expected" / "expected.json"
    previous = read_expected(recorded)[0] if recorded.is_file() else {}
    shutil.rmtree(checker, ignore_errors=True)
    copy_engine(checker / "autograder")
    config = json.loads((ENGINE / "config.json").read_text())
    public_threshold = config["public_perplexity_threshold"]
    config = {key: value for key, value in config.items()
              if key not in ("hidden_seed", "calibration", "public_perplexity_threshold", "implausible_below")}
    # Locally, training is checked on the public test split, next to the notebook, against the threshold
    # calibrated on that split (the splits differ in difficulty: the hidden split's threshold can fail the reference).
    config.update(data_dir="../data", evaluation_split="test.txt",
                  perplexity_threshold=public_threshold)
    # What Gradescope trains with: the local timer compares this Python's versions with them (training_time.TIMED_BY).
    pins = pins_of(ENGINE / "requirements.txt")
    config["graded_with"] = {package: pins["tensorflow-cpu" if package == "tensorflow" else package] for package in TIMED_BY}
    (checker / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (checker / "expected").mkdir()
    write_expected(recorded, *record_expected(REFERENCE, None, config["threads"]), previous=previous)
    collected = [meta for meta in run_tests(REPO, None, None, collect_only=True).collected if meta["public"]]
    (checker / "expected" / "tests.json").write_text(json.dumps(collected, indent=1) + "\n")
    shutil.copy(PACKAGING / "check.py", stencil / "check.py")
    shutil.copy(REPO / "CONTRACT.md", stencil / "CONTRACT.md")
    shutil.copy(PACKAGING / "student_readme.md", stencil / "README.md")
    (stencil / "requirements.txt").write_text(student_requirements())


def student_requirements() -> str:
    """The stencil's requirements.txt: what check.py needs, at the versions Gradescope grades with."""
    pins = pins_of(ENGINE / "requirements.txt")
    # The judge installs the CPU-only build, which has no macOS wheels; a laptop needs the full package, same version.
    pins["tensorflow"] = pins["tensorflow-cpu"]
    return ("# For a virtual environment of your own: pip install -r requirements.txt notebook\n"
            "# Not on Colab: there, run the notebook's first cell; it installs only what Colab lacks.\n"
            + "".join(f"{package}=={pins[canonical(package)]}\n" for package in sorted(NEEDS.values())))


def write_stencil_zip(stencil: Path, out: Path) -> None:
    """The stencil as one zip, for Colab's Files panel (which cannot upload a folder): it unpacks to stencil/."""
    write_zip(stencil, out, top=stencil.name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stencil", type=Path, default=REPO / "stencil")
    parser.add_argument("--zip", type=Path, default=REPO / "dist" / "stencil.zip", help="where to write the stencil zip")
    args = parser.parse_args(argv)
    export(args.stencil)
    write_stencil_zip(args.stencil, args.zip)
    print(f"wrote {args.zip} (the stencil for Colab)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
