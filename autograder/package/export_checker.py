"""`make stencil` (after assignment.build): what students read in stencil/, and dist/stencil.zip with the checker.

stencil/ in the repository holds what the author's source generates for students, the notebook
and data/; this writes beside them check.py, CONTRACT.md, requirements.txt and README.md (from
assignment/student_readme.md: how to start, check and submit), which are never committed. The checker that check.py runs is the autograder itself
with only the public cases (the engine, the reference's answers on the public inputs, a
configuration that trains on the public split); it is built into the zip, never committed,
so an engine change needs no second copy to review.

    python -m autograder.package.export_checker [--stencil stencil] [--zip dist/stencil.zip]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from autograder.grade import run_tests
from autograder.package.build_zip import ENGINE, PACKAGING, REFERENCE, REPO, copy_engine, record_expected, write_zip
from autograder.package.check import NEEDS, canonical, pins_of
from autograder.session import write_expected
from autograder.training_time import TIMED_BY

CHECKER = "checker"  # the folder, next to check.py, that check.py runs (check.CHECKER)


def write_student_files(stencil: Path) -> None:
    """What students read besides the notebook and data: check.py, the contract, the pins and how to start."""
    shutil.copy(PACKAGING / "check.py", stencil / "check.py")
    shutil.copy(REPO / "CONTRACT.md", stencil / "CONTRACT.md")
    shutil.copy(REPO / "assignment" / "student_readme.md", stencil / "README.md")
    (stencil / "requirements.txt").write_text(student_requirements())


def build_checker(checker: Path) -> None:
    """The autograder with the public cases only, as check.py runs it."""
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
    write_expected(checker / "expected" / "expected.json", *record_expected(REFERENCE, None, config["threads"]))
    collected = [meta for meta in run_tests(REPO, None, None, collect_only=True).collected if meta["public"]]
    (checker / "expected" / "tests.json").write_text(json.dumps(collected, indent=1) + "\n")


def student_requirements() -> str:
    """The stencil's requirements.txt: what check.py needs, at the versions Gradescope grades with."""
    pins = pins_of(ENGINE / "requirements.txt")
    # The judge installs the CPU-only build, which has no macOS wheels; a laptop needs the full package, same version.
    pins["tensorflow"] = pins["tensorflow-cpu"]
    return ("# For a virtual environment of your own: pip install -r requirements.txt notebook\n"
            "# Not on Colab: there, run the notebook's first cell; it installs only what Colab lacks.\n"
            + "".join(f"{package}=={pins[canonical(package)]}\n" for package in sorted(NEEDS.values())))


def write_stencil_zip(stencil: Path, out: Path) -> None:
    """stencil/ with the student files and the checker built in, as one zip for Colab's Files panel (which cannot
    upload a folder): it unpacks to a folder named like stencil/."""
    with tempfile.TemporaryDirectory(prefix="rnnkit-stencil-") as folder:
        student = Path(folder) / stencil.name
        shutil.copytree(stencil, student, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", CHECKER))
        write_student_files(student)
        build_checker(student / CHECKER)
        write_zip(student, out, top=stencil.name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stencil", type=Path, default=REPO / "stencil")
    parser.add_argument("--zip", type=Path, default=REPO / "dist" / "stencil.zip", help="where to write the stencil zip")
    args = parser.parse_args(argv)
    write_student_files(args.stencil)
    write_stencil_zip(args.stencil, args.zip)
    print(f"wrote {args.zip}: hand it out (it holds the checker; on Colab students upload it in the first cell)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
