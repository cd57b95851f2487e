"""Read what a sandboxed child left behind, trusting nothing about it.

A child's files are written by code the student controls. Before the judge uses a
byte of them it checks: the file is a regular file the child owns (no symlink,
FIFO or hard link to something else), opened without following links or
blocking; its size is within what the judge expects; an `.npz` holds only the
expected array names, each with a numeric dtype and no more elements than the
judge allows, read from headers checked before any data is read; JSON is parsed
only up to a size and then checked against a schema. Anything else is refused
with a reason, and the child only loses its own answers.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import struct
import zipfile

import jsonschema
import numpy as np

NUMERIC_KINDS = "biuf"  # bool, integers, floats: never objects, strings, complex or records
MAX_DIMENSIONS = 6
END_OF_CENTRAL_DIRECTORY = b"PK\x05\x06"
CENTRAL_DIRECTORY_BYTES_PER_MEMBER = 512  # a member's entry is 46 bytes plus its name; generous


class Refused(Exception):
    """What a child returned is not what the judge accepts; the message says why."""


def open_regular(path, owner: int | None, max_bytes: int):
    """Open a file the child left, or None if it is absent; Refused if it is anything but a plain file of the child's."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise Refused(f"{os.path.basename(path)} could not be opened safely ({error.strerror})") from None
    info = os.fstat(descriptor)
    problem = None
    if not stat.S_ISREG(info.st_mode):
        problem = "is not a regular file"
    elif info.st_nlink != 1:
        problem = "has other hard links"
    elif owner is not None and info.st_uid != owner:
        problem = "does not belong to the sandbox user"
    elif info.st_size > max_bytes:
        problem = f"is {info.st_size:,} bytes, over the {max_bytes:,} expected"
    if problem:
        os.close(descriptor)
        raise Refused(f"{os.path.basename(path)} {problem}")
    return os.fdopen(descriptor, "rb")


def _member_count(file, size: int) -> tuple[int, int]:
    """Members and central-directory size from the zip's end record, read before zipfile parses anything."""
    tail_length = min(size, 22 + 65535)
    file.seek(size - tail_length)
    tail = file.read(tail_length)
    at = tail.rfind(END_OF_CENTRAL_DIRECTORY)
    if at < 0 or len(tail) - at < 22:
        raise Refused("outputs.npz is not a zip archive")
    _, disk, _, _, members, directory_bytes, _, _ = struct.unpack("<4s4H2LH", tail[at:at + 22])
    if disk != 0 or members == 0xFFFF or directory_bytes == 0xFFFFFFFF:
        raise Refused("outputs.npz is a multi-part or zip64 archive")
    file.seek(0)
    return members, directory_bytes


def read_arrays(file, accept: dict[str, int], total_bytes: int) -> tuple[dict[str, np.ndarray], list[str]]:
    """Arrays of an .npz whose names are keys of `accept`, each of at most its value (elements), all together of at
    most `total_bytes`; and why any single array was left out. Refused whole if the archive itself is not acceptable."""
    size = os.fstat(file.fileno()).st_size
    members, directory_bytes = _member_count(file, size)
    if members > len(accept) or directory_bytes > CENTRAL_DIRECTORY_BYTES_PER_MEMBER * max(members, 1):
        raise Refused(f"outputs.npz holds {members:,} members; at most {len(accept)} were expected")
    arrays, left_out, budget = {}, [], total_bytes
    with zipfile.ZipFile(file) as archive:
        for info in archive.infolist():
            name = info.filename[:-4] if info.filename.endswith(".npy") else None
            if name not in accept:
                raise Refused(f"outputs.npz holds an unexpected member {info.filename[:80]!r}")
            if info.file_size > budget:
                raise Refused(f"outputs.npz holds more than the {total_bytes:,} bytes the judge accepts")
            if info.file_size > accept[name] * 8 + 4096:
                left_out.append(f"{name} is larger than the judge accepts")
                continue
            budget -= info.file_size
            try:
                with archive.open(info) as member:
                    arrays[name] = _read_array(member, name, accept[name])
            except Refused as refusal:  # one unusable array costs only itself
                left_out.append(str(refusal))
    return arrays, left_out


def _read_array(member, name: str, max_elements: int) -> np.ndarray:
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
    else:
        raise Refused(f"{name} has an unsupported header version {version}")
    if dtype.kind not in NUMERIC_KINDS or dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise Refused(f"{name} has dtype {dtype}; only real numbers are accepted")
    if len(shape) > MAX_DIMENSIONS or any(not isinstance(n, int) or n < 0 for n in shape):
        raise Refused(f"{name} has an unusable shape")
    elements = math.prod(shape)
    if elements > max_elements:
        raise Refused(f"{name} has {elements:,} elements, more than the {max_elements:,} expected")
    data = member.read(elements * dtype.itemsize)
    if len(data) != elements * dtype.itemsize:
        raise Refused(f"{name} is truncated")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C").copy()


def read_json(file, schema: dict):
    """A JSON document checked against `schema`; Refused if it is not valid JSON or does not fit."""
    try:
        document = json.loads(file.read().decode("utf-8"), parse_constant=_refuse_constant)
        jsonschema.validate(document, schema)
    except jsonschema.ValidationError as error:
        raise Refused(f"report.json was refused (at {_where(error.absolute_path)}: its {error.validator} does not fit "
                      "what the autograder accepts)") from None
    except (ValueError, RecursionError) as error:
        raise Refused(f"report.json was refused ({type(error).__name__}: {str(error).splitlines()[0][:200]})") from None
    return document


def _where(path) -> str:
    """Where in a refused document, without quoting what the child wrote: its keys only when they are plain."""
    steps = [str(step) if re.fullmatch(r"\w{1,40}", str(step)) else "?" for step in list(path)[:8]]
    return "/".join(["report", *steps])


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\n\t")
_CONTROL.update({0x7F: None})


def printable(text: str) -> str:
    """Text a child printed, without terminal escapes or control characters (kept: newlines, tabs)."""
    text = re.sub(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]", "", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.translate(_CONTROL)
