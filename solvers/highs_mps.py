"""MPS bytes HiGHS's readers can take without stalling.

HiGHS 1.12's fixed-format MPS reader loops forever on some lines (see
:func:`without_stalling_lines`), inside ``readModel``, holding the GIL: no alarm, thread or
time limit stops it, and the process hangs. Every MPS file this project hands HiGHS goes
through this module first: files the checker reads (``optiscribe.verify``), files the CLI
and batch solve (:func:`optiscribe.solvers.solve_mps`), and models a sandboxed program sends
back, which are untrusted.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["without_stalling_lines"]

#: a line HiGHS 1.12's fixed-format MPS reader never gets past: empty, or of a length that is a
#: multiple of 127 (the chunk its ``istream::get`` takes), matched up to its newline
_STALLING_LINE = re.compile(rb"^(?:[^\n]{127})*(?=\n)", re.M)


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
    the filled copy reads as the file would have, with the same line numbers. Cost on a
    file without such lines: a few numpy passes over its bytes (about 5 % of HiGHS's read
    of a 6-192 KiB file; splitting it into lines costs twice that).
    """
    ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)  # the newlines
    if not ((np.diff(ends, prepend=-1) - 1) % 127 == 0).any():  # no line of 0, 127, ... chars
        return None
    filled, n = _STALLING_LINE.subn(lambda m: m.group(0) + b" ", raw)
    return filled if n else None
