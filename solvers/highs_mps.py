"""MPS text HiGHS's readers can take without stalling.

HiGHS 1.12's fixed-format MPS reader loops forever on some lines (see
:func:`without_stalling_lines`), inside ``readModel``, holding the GIL: no alarm, thread or
time limit stops it, and the process hangs. Every MPS file this project hands HiGHS goes
through this module first: files the checker reads (``optiscribe.verify``), files the CLI
and batch solve (:func:`optiscribe.solvers.solve_mps`), and models a sandboxed program sends
back, which are untrusted.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

__all__ = ["copy_without_stalling_lines", "stalls", "without_stalling_lines"]

#: bytes read at a time from a file (memory stays bounded whatever the file's size)
_BLOCK = 1 << 23


def stalls(blocks: Iterable[bytes]) -> bool:
    """Whether the text made of ``blocks`` has a line (ended by a newline) of 0, 127, 254,
    ... characters. A few numpy passes per block: about 5 % of HiGHS's own read of a
    6-192 KiB file (splitting the text into lines cost twice that)."""
    carry = 0  # characters of the current line in earlier blocks
    for block in blocks:
        ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)  # the newlines
        if ends.size == 0:
            carry += len(block)
            continue
        if (carry + int(ends[0])) % 127 == 0:  # the line begun in earlier blocks
            return True
        if ends.size > 1 and ((ends[1:] - ends[:-1] - 1) % 127 == 0).any():
            return True
        carry = len(block) - 1 - int(ends[-1])
    return False


def without_stalling_lines(raw: bytes) -> bytes | None:
    """``raw`` with one blank appended to every line HiGHS's fixed-format MPS reader would
    loop on forever, or None when there is none.

    HiGHS 1.12 reads a line with ``istream::get(buffer, 128)`` and consumes its newline only
    when fewer than 127 characters came before it, so an empty line, or one of 127 (254,
    ...) characters, leaves the stream failed on the newline and the loop reading lines
    never ends, holding the GIL (no alarm or thread can stop it). It reads with that parser
    whenever its free-format parser takes a name for one with blanks (a ROWS record of
    three words, a COLUMNS record whose second word is not a row), which a valid
    fixed-format file with spaces in names and any malformed record can both cause. A
    blank line means nothing to either parser and a trailing blank is trimmed by both, so
    the filled copy reads as the file would have, with the same line numbers.
    """
    if not stalls((raw,)):
        return None
    return b"".join(_filled(io.BytesIO(raw).readline))


def copy_without_stalling_lines(path: Path, folder: Path) -> Path | None:
    """A plain copy of the MPS file ``path`` (``.mps`` or ``.mps.gz``) in ``folder`` with
    the lines of :func:`without_stalling_lines` filled, or None when it has none (or
    cannot be read: HiGHS then reports that itself). Reads in blocks, so memory stays
    bounded for a file of any size (a MIPLIB instance, a gzip bomb)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            if not stalls(iter(lambda: fh.read(_BLOCK), b"")):
                return None
        copy = folder / "model.mps"
        with opener(path, "rb") as fh, open(copy, "wb") as out:
            out.writelines(_filled(fh.readline))
        return copy
    except (OSError, EOFError, gzip.BadGzipFile):
        return None


def _filled(readline: Callable[[int], bytes]) -> Iterator[bytes]:
    """The text ``readline`` gives, in parts, with one blank before the newline of every
    line of 0, 127, 254, ... characters (the one rule of this module's copies). Reads a
    line, or a block of a longer one, at a time: memory stays bounded whatever the line
    lengths."""
    length = 0  # characters of the current line given so far
    while part := readline(_BLOCK):
        if part.endswith(b"\n"):
            length += len(part) - 1
            yield part[:-1] + b" \n" if length % 127 == 0 else part
            length = 0
        else:
            length += len(part)
            yield part
