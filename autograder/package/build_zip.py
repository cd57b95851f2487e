"""`make autograder`: the Gradescope zip, with expected values instead of the reference.

The reference solution is graded once, here, through the very probes and sandbox
that grade students; its answers become source/expected/expected.npz. The zip holds
the engine, those answers, the data and the configuration, never the reference.

    python -m autograder.package.build_zip --out dist/autograder.zip
"""

from __future__ import annotations

import argparse
import json
import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

from autograder.cases import make_case_set, output_names
from autograder.parts import PARTS
from autograder.parts.from_scratch import tripwire_rule
from autograder.grade import run_tests
from autograder.sandbox import Expect, Limits, run_child
from autograder.session import PART_REPORT_SCHEMA, read_expected, write_expected
from autograder.submission import graded_chunks, read_cells

REPO = Path(__file__).resolve().parents[2]
ENGINE = REPO / "autograder"
PACKAGING = Path(__file__).parent
REFERENCE = REPO / "solution" / "language_model.py"
HIDDEN_EXPECTED = REPO / "solution" / "expected.json"
DATA = {"train.txt": REPO / "stencil" / "data" / "train.txt", "vocab.txt": REPO / "stencil" / "data" / "vocab.txt",
        "hidden_test.txt": REPO / "solution" / "data" / "hidden_test.txt"}
TENSOR_PARTS = [part for part in PARTS if part.kind != "training"]  # what the reference answers case by case


def record_expected(reference: Path, hidden_seed: int | None, threads: int) -> tuple[dict, dict]:
    """The reference's answers to every case of every tensor part (visible, and hidden when seeded)."""
    chunks, _ = graded_chunks(read_cells(reference))
    expected, info = {}, {}
    for part in TENSOR_PARTS:
        specs, arrays = make_case_set(part, hidden_seed)
        job = {"chunks": [chunk.__dict__ for chunk in chunks], "specs": specs, "seed": 0, "threads": threads,
               "tripwire": tripwire_rule()}
        expect = Expect(arrays={name: 10**6 for spec in specs for name in output_names(spec)}, report_schema=PART_REPORT_SCHEMA)
        with tempfile.TemporaryDirectory(prefix="rnnkit-record-") as workspace:
            Path(workspace).chmod(0o711)
            run = run_child(job, arrays, Limits(cpu_seconds=600, wall_seconds=900, memory_mb=4000, threads=threads),
                            workspace=Path(workspace), expect=expect)
        problems = (run.refused + [f"{case}: {trace}" for case, trace in run.report.get("errors", {}).items()]
                    or [s["id"] for s in specs if s["id"] not in run.report.get("finished", [])])
        if problems:
            raise SystemExit(f"The reference failed on {part.name}: {problems}\n{run.printed[-3000:]}")
        expected.update(run.outputs)
        info.update(run.report["info"])
    return expected, info


def copy_engine(target: Path) -> None:
    """The judge's code, without what only builds it (package) or only staff run (staff: bulk grading of an export)."""
    shutil.copytree(ENGINE, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "package", "staff", "config.json",
                                                                  "requirements.txt"))


def build_bundle(bundle: Path, config: dict, data: dict) -> None:
    """Lay out what the zip contains (Gradescope's /autograder/source) in `bundle`."""
    shutil.rmtree(bundle, ignore_errors=True)
    bundle.mkdir(parents=True)
    copy_engine(bundle / "autograder")
    for name in ("setup.sh", "run_autograder"):
        shutil.copy(PACKAGING / name, bundle / name)
    shutil.copy(ENGINE / "requirements.txt", bundle / "requirements.txt")
    (bundle / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (bundle / "data").mkdir()
    for name, path in data.items():
        shutil.copy(path, bundle / "data" / name)
    (bundle / "expected").mkdir()
    # The hidden answers recorded last time (kept with the reference, never shipped to students) keep the zip reproducible.
    previous = read_expected(HIDDEN_EXPECTED)[0] if HIDDEN_EXPECTED.is_file() else {}
    write_expected(bundle / "expected" / "expected.json", *record_expected(REFERENCE, config.get("hidden_seed"), config["threads"]),
                   previous=previous)
    shutil.copy(bundle / "expected" / "expected.json", HIDDEN_EXPECTED)
    # The list of graded tests, so that even a judge that fails early can list every test.
    (bundle / "expected" / "tests.json").write_text("[]")
    collected = run_tests(REPO, None, None, collect_only=True).collected  # the same test files, importable here
    (bundle / "expected" / "tests.json").write_text(json.dumps(collected, indent=1) + "\n")


def write_zip(bundle: Path, out: Path, top: str = "") -> None:
    """A reproducible zip of bundle's files, under the folder `top` if given: sorted entries, fixed timestamps,
    Unix regular files with their executable bits."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in bundle.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            entry = zipfile.ZipInfo(str(Path(top, path.relative_to(bundle))), date_time=(2020, 1, 1, 0, 0, 0))
            entry.create_system = 3  # Unix: unzip reads the mode below
            entry.external_attr = (stat.S_IFREG | (0o755 if path.stat().st_mode & 0o100 else 0o644)) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "dist" / "autograder.zip")
    parser.add_argument("--bundle", type=Path, default=REPO / "build" / "autograder")
    parser.add_argument("--timeout", type=int, help="the assignment's timeout on Gradescope, in seconds (its settings "
                        "allow up to 2400); the judge finishes before it (default: config.json's timeout_seconds, 600)")
    args = parser.parse_args(argv)
    config = json.loads((ENGINE / "config.json").read_text())
    if args.timeout:
        config["timeout_seconds"] = args.timeout
    build_bundle(args.bundle, config, DATA)
    write_zip(args.bundle, args.out)
    size = args.out.stat().st_size / 1e6
    print(f"wrote {args.out} ({size:.1f} MB): upload it as the Gradescope autograder")
    return 0


if __name__ == "__main__":
    sys.exit(main())
