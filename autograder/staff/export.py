"""Read Gradescope's "Export Submissions": one submission_<id>/ folder each, and submission_metadata.yml.

Every byte of an export is untrusted. It is copied (a .zip extracted, a folder walked)
into a staging folder of our own with regular files and folders only: no link, no
absolute or climbing path, no device, no file over its size cap, no more than a cap in
all. What cannot be taken is said, by submission, and never stops the rest. The
metadata is read with yaml.safe_load (Gradescope writes Ruby-style `:key:` symbols)
and checked field by field: a malformed entry costs that entry only.
"""

from __future__ import annotations

import datetime
import math
import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

METADATA = "submission_metadata.yml"
FOLDER = re.compile(r"^submission_([A-Za-z0-9][A-Za-z0-9_-]{0,63})$")
MAX_FILE_BYTES = 50 * 2**20  # the judge takes a notebook of at most 20 MB; a bigger file is not the student's work
MAX_TOTAL_BYTES = 4 * 2**30
MAX_FILES = 100_000
MAX_METADATA_BYTES = 200 * 2**20
MAX_TEXT = 500  # characters of a submitter's name, sid or email


class ExportError(Exception):
    """The export as a whole cannot be read (not a zip or folder, no submission in it)."""


@dataclass(frozen=True)
class Submitter:
    sid: str
    name: str
    email: str


@dataclass
class Submission:
    id: str
    folder: Path | None  # the staged copy of its files; None when the export has no folder for it
    submitters: list[Submitter] = field(default_factory=list)
    recorded_score: float | None = None  # what Gradescope recorded, for the regrade diff
    recorded_tests: list[dict] | None = None  # its results' tests: number, name, score, max_score
    notes: list[str] = field(default_factory=list)  # what could not be taken from the export, for staff
    created_at: str | None = None  # when it was submitted, ISO 8601 as the export says it (for lateness)


def read_export(export: Path, staging: Path) -> tuple[dict[str, Submission], list[str]]:
    """The export's submissions by id, staged under `staging` (emptied first), and notes on the export as a whole."""
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True, mode=0o700)
    notes: list[str] = []
    budget = _Budget()
    if export.is_file() and zipfile.is_zipfile(export):
        metadata_bytes = _stage_zip(export, staging, notes, budget)
    elif export.is_dir() and not export.is_symlink():
        metadata_bytes = _stage_folder(export, staging, notes, budget)
    else:
        raise ExportError(f"{export} is neither a .zip file nor a folder")
    submissions = {}
    for folder in sorted(staging.iterdir()):
        match = FOLDER.match(folder.name)
        if match and folder.is_dir():
            submissions[match.group(1)] = Submission(match.group(1), folder)
    metadata = _parse_metadata(metadata_bytes, notes)
    for key, entry in metadata.items():
        match = FOLDER.match(key) if isinstance(key, str) else None
        if match is None:
            notes.append(f"metadata entry {str(key)[:80]!r} does not name a submission_<id> folder: ignored")
            continue
        submission = submissions.setdefault(match.group(1), Submission(match.group(1), None))
        if submission.folder is None:
            submission.notes.append("the export has no folder for this metadata entry")
        _read_entry(entry, submission)
    for submission in submissions.values():
        if metadata and f"submission_{submission.id}" not in metadata:
            submission.notes.append("no metadata entry: its submitters are unknown")
    notes.extend(budget.notes_outside())
    for submission in submissions.values():
        submission.notes[:0] = budget.notes_for(submission.id)
    if not submissions:
        raise ExportError(f"{export} holds no submission_<id> folder and no metadata entry: is it Gradescope's "
                          "\"Export Submissions\" download?")
    return submissions, notes


class _Budget:
    """Counts files and bytes staged, and keeps what was refused, by submission."""

    def __init__(self):
        self.files = self.bytes = 0
        self.refused: dict[str | None, list[str]] = {}

    def refuse(self, path: str, why: str) -> None:
        parts = PurePosixPath(path).parts
        match = FOLDER.match(parts[0]) if parts else None
        shown = path if len(path) <= 120 else path[:117] + "…"
        self.refused.setdefault(match.group(1) if match else None, []).append(f"{shown!r} not taken: {why}")

    def take(self, path: str, size: int) -> bool:
        if self.files + 1 > MAX_FILES:
            self.refuse(path, f"the export holds more than {MAX_FILES:,} files")
        elif size > MAX_FILE_BYTES:
            self.refuse(path, f"{size:,} bytes, over {MAX_FILE_BYTES:,}")
        elif self.bytes + size > MAX_TOTAL_BYTES:
            self.refuse(path, f"the export exceeds {MAX_TOTAL_BYTES:,} bytes in all")
        else:
            self.files, self.bytes = self.files + 1, self.bytes + size
            return True
        return False

    def notes_for(self, submission_id: str) -> list[str]:
        return self.refused.get(submission_id, [])

    def notes_outside(self) -> list[str]:
        return self.refused.get(None, [])


def _safe_relative(name: str) -> PurePosixPath | None:
    """A member name as a path inside the export, or None when it is absolute, climbs, or is not plain text."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    path = PurePosixPath(name)
    if any(part in ("..", "") for part in path.parts) or len(path.parts) > 64 or len(name) > 1024:
        return None
    return path


def _top_folder(names: list[PurePosixPath]) -> int:
    """How many leading path parts to drop: 1 when everything sits in one top folder that is not itself a submission."""
    tops = {path.parts[0] for path in names if path.parts}
    if len(tops) == 1 and not FOLDER.match(next(iter(tops))) and any(len(path.parts) > 1 for path in names):
        return 1
    return 0


def _stage_zip(export: Path, staging: Path, notes: list[str], budget: _Budget) -> bytes | None:
    metadata = None
    with zipfile.ZipFile(export) as archive:
        members = []
        for info in archive.infolist():
            relative = _safe_relative(info.filename.rstrip("/") if info.is_dir() else info.filename)
            kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip was not made on Unix
            if relative is None:
                budget.refuse(info.filename, "an absolute or climbing path")
            elif kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                budget.refuse(info.filename, "a link or special file")
            else:
                members.append((relative, info))
        drop = _top_folder([relative for relative, _ in members])
        for relative, info in members:
            inside = PurePosixPath(*relative.parts[drop:])
            if not inside.parts or info.is_dir():
                continue
            if inside.parts == (METADATA,):
                metadata = _read_member(archive, info, MAX_METADATA_BYTES, notes)
                continue
            if not FOLDER.match(inside.parts[0]) or len(inside.parts) < 2:
                notes.append(f"{str(inside)[:120]!r} is not inside a submission_<id> folder: ignored")
                continue
            target = staging.joinpath(*inside.parts)
            if target.exists():
                budget.refuse(str(inside), "the export names it twice")
                continue
            content = _read_member(archive, info, MAX_FILE_BYTES, None)  # never more than the cap, whatever the header says
            if content is None:
                budget.refuse(str(inside), f"it cannot be read from the zip, or is over {MAX_FILE_BYTES:,} bytes")
            elif budget.take(str(inside), len(content)):
                _stage(target, content, str(inside), budget)
    return metadata


def _stage(target: Path, content: bytes, shown: str, budget: "_Budget") -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        target.write_bytes(content)
    except OSError as error:  # a name too long for this file system, say
        budget.refuse(shown, f"it cannot be written here ({error.strerror})")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, most: int, notes: list[str] | None) -> bytes | None:
    """A member's bytes, read no further than `most` (a zip's header may lie about the size), or None."""
    try:
        with archive.open(info) as member:
            content = member.read(most + 1)
    except Exception as error:  # zipfile raises many types on a malformed archive (bad CRC, unsupported method, zlib)
        if notes is not None:
            notes.append(f"{info.filename[:120]!r} cannot be read from the zip ({type(error).__name__})")
        return None
    return _within(content, most, info.filename, notes)


def _stage_folder(export: Path, staging: Path, notes: list[str], budget: _Budget) -> bytes | None:
    entries = sorted(os.listdir(export))
    if len(entries) == 1 and (export / entries[0]).is_dir() and not (export / entries[0]).is_symlink() \
            and not FOLDER.match(entries[0]) and entries[0] != METADATA:
        export = export / entries[0]  # the export unzipped with its top folder
    metadata = None
    pending = [PurePosixPath()]
    while pending:
        relative = pending.pop()
        try:
            listing = sorted(os.scandir(export / relative), key=lambda entry: entry.name)
        except OSError as error:
            notes.append(f"{str(relative)!r} cannot be listed ({error.strerror})")
            continue
        for entry in listing:
            inside = relative / entry.name
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                if len(inside.parts) == 1 and not FOLDER.match(entry.name):
                    notes.append(f"{entry.name[:120]!r} is not a submission_<id> folder: ignored")
                else:
                    pending.append(inside)
            elif not stat.S_ISREG(info.st_mode):
                budget.refuse(str(inside), "a link or special file")
            elif inside.parts == (METADATA,):
                metadata = _read_file(Path(entry.path), MAX_METADATA_BYTES, notes)
            elif len(inside.parts) == 1:
                notes.append(f"{entry.name[:120]!r} is not inside a submission_<id> folder: ignored")
            elif budget.take(str(inside), info.st_size):
                content = _read_file(Path(entry.path), MAX_FILE_BYTES, None)
                if content is None:
                    budget.refuse(str(inside), "it cannot be read")
                    continue
                _stage(staging.joinpath(*inside.parts), content, str(inside), budget)
    return metadata


def _read_file(path: Path, most: int, notes: list[str] | None) -> bytes | None:
    """A regular file's bytes, opened without following a link (it may have been swapped since it was listed)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise OSError("not a regular file")
            content = file.read(most + 1)
    except OSError as error:
        if notes is not None:
            notes.append(f"{path.name!r} cannot be read ({error})")
        return None
    return _within(content, most, path.name, notes)


def _within(content: bytes, most: int, name: str, notes: list[str] | None) -> bytes | None:
    """content if it fits in `most` bytes (it was read up to one byte more, to know), else None with a note."""
    if len(content) <= most:
        return content
    if notes is not None:
        notes.append(f"{name[:120]!r} is larger than {most:,} bytes: not read")
    return None


def _parse_metadata(content: bytes | None, notes: list[str]) -> dict:
    if content is None:
        notes.append(f"the export has no readable {METADATA}: submitters and recorded scores are unknown")
        return {}
    try:
        metadata = yaml.safe_load(content)
    except (yaml.YAMLError, RecursionError, ValueError) as error:
        notes.append(f"{METADATA} is not valid YAML ({type(error).__name__}: {str(error)[:300]}): "
                     "submitters and recorded scores are unknown")
        return {}
    if not isinstance(metadata, dict):
        notes.append(f"{METADATA} is not a mapping of submission folders: submitters and recorded scores are unknown")
        return {}
    return metadata


def _symbol(entry: dict, name: str):
    """A value under Gradescope's Ruby-symbol key (`:name:` reads as ":name"), or under the plain name."""
    return entry.get(f":{name}", entry.get(name))


def _text(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    return "".join(ch for ch in str(value) if ch.isprintable())[:MAX_TEXT]


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        if isinstance(value, str):
            try:
                return _number(float(value))
            except ValueError:
                return None
        return None
    return float(value)


def _time(value) -> str | None:
    """A time as ISO 8601 text, its zone kept (yaml reads Gradescope's `2026-12-01 23:59:00.1 -05:00` as a datetime)."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return None  # a day without a time cannot say whether it was late
    text = _text(value).strip()
    return text or None


def _read_entry(entry, submission: Submission) -> None:
    if not isinstance(entry, dict):
        submission.notes.append("its metadata entry is not a mapping: submitters and recorded score unknown")
        return
    submitters = _symbol(entry, "submitters")
    if isinstance(submitters, list):
        for person in submitters[:100]:
            if isinstance(person, dict):
                submission.submitters.append(Submitter(_text(_symbol(person, "sid")), _text(_symbol(person, "name")),
                                                       _text(_symbol(person, "email"))))
            else:
                submission.notes.append("a submitter in its metadata is not a mapping: left out")
    else:
        submission.notes.append("its metadata lists no submitters")
    submission.recorded_score = _number(_symbol(entry, "score"))
    submission.created_at = _time(_symbol(entry, "created_at"))
    results = _symbol(entry, "results")
    if isinstance(results, dict) and isinstance(results.get("tests"), list):
        tests = []
        for test in results["tests"][:1000]:
            if isinstance(test, dict) and _number(test.get("score")) is not None:
                tests.append({"number": _text(test.get("number")), "name": _text(test.get("name")),
                              "score": _number(test.get("score")), "max_score": _number(test.get("max_score"))})
        submission.recorded_tests = tests
        if submission.recorded_score is None:
            submission.recorded_score = _number(results.get("score"))
            if submission.recorded_score is None and tests:
                submission.recorded_score = sum(test["score"] for test in tests)
