"""Native MPS reader: every number exactly as written (no small-value drop, huge bounds
kept as the finite numbers written). Small files are read on Python lists only
(:func:`parse_tiny`, straight into ``MilpData``), larger ones with numpy (and Arrow).

It reads only files it understands completely (free MPS, and fixed MPS whose names have
no spaces: the layout ``NAME [OBJSENSE] ROWS COLUMNS [RHS] [RANGES] [BOUNDS] ENDATA``,
one objective row, integer ``MARKER`` lines, bound types UP/LO/FX/FR/MI/PL/BV/LI/UI).
Anything else (another section, free rows, repeated entries or bounds, a negative upper
bound on a column without a lower one, a number Python and HiGHS might read differently)
makes :func:`parse_mps` return ``None`` and the caller reads the file with HiGHS, as
before: the two readers never silently disagree (``tests/verify/test_native_mps.py``
compares them on every instance and on the reader fuzz corpus).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress, islice, repeat
from math import isfinite
from operator import add, itemgetter, ne
from typing import Any, NamedTuple

import numpy as np

from optiscribe.verify._model import ModelLists

try:  # the compiled reader (verify/_mpsc.c), built by the install where a C compiler is
    from optiscribe.verify import _mpsc
except ImportError:  # none: every file is read by the Python methods below, as it reads
    _mpsc = None  # type: ignore[assignment]

__all__ = ["MpsModel", "parse_mps"]


@dataclass(frozen=True, eq=False)
class MpsModel:
    """What an MPS file says, as arrays; the matrix column-wise (``start``/``index``/
    ``value`` as HiGHS gives it, zeros dropped, every other entry kept as written)."""

    sense: int
    c: np.ndarray
    offset: float
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    var_names: list[str]
    row_names: list[str]
    #: the matrix row-wise as ``(indptr, indices, data)`` lists, sorted by column in each
    #: row, when the reader built it on the way (:func:`parse_tiny`, for small files:
    #: its sorted entry keys are the CSR order); None otherwise
    csr: tuple[list[int], list[int], list[float]] | None = None


# bytes.split() splits on exactly these (ASCII whitespace)
#: a plain decimal number (what Python's ``float`` and Arrow's cast both read exactly,
#: correctly rounded); anything else (Fortran ``d`` exponents, inf, nan, hex, the
#: underscores Python accepts) is left to HiGHS
_DECIMAL = rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_IS_DECIMAL = re.compile(_DECIMAL).fullmatch
#: the characters a plain decimal number is made of
_DECIMAL_CHARS = b"0123456789.eE+-"
#: a section header: a line that starts with neither whitespace nor ``*`` (a comment)
_HEADER_SPLIT = re.compile(rb"\n([^\s*][^\n]*)")
_COMMENT_LINE = re.compile(rb"(?m)^\*[^\n]*")
_SECTIONS = ("ROWS", "COLUMNS", "RHS", "RANGES", "BOUNDS")
_SECTION_NAMES = {s.encode(): s for s in _SECTIONS}
#: words HiGHS takes for a section header even on an indented line (``silly-names.mps``
#: names columns OBJSENSE, RANGES, RHS): a data line starting with one is left to HiGHS
_KEYWORDS = frozenset(
    b"NAME OBJSENSE OBJSENCE OBJNAME ROWS COLUMNS RHS RANGES BOUNDS SOS SETS QUADOBJ "
    b"QMATRIX QSECTION QCMATRIX CSECTION INDICATORS GENCONS PWLOBJ PWLCON ENDATA".split()
)
_SENSES = {b"MIN": 1, b"MINIMIZE": 1, b"MAX": -1, b"MAXIMIZE": -1}
_MARKER = b"'MARKER'"
_INTORG, _INTEND = b"'INTORG'", b"'INTEND'"
#: bound type -> (sets lower, sets upper, has a value, makes the column integer)
_BOUND_TYPES: dict[bytes, tuple[bool, bool, bool, bool]] = {
    b"UP": (False, True, True, False),
    b"LO": (True, False, True, False),
    b"FX": (True, True, True, False),
    b"FR": (True, True, False, False),
    b"MI": (True, False, False, False),
    b"PL": (False, True, False, False),
    b"BV": (True, True, False, True),
    b"LI": (True, False, True, True),
    b"UI": (False, True, True, True),
}


class _Refuse(Exception):
    """Raised inside the parser for anything it does not fully understand."""


#: below this many bytes the list reader (:func:`parse_tiny`) is the fastest method
#: (faster than the lists-and-numpy one on every highs-check file up to 32 KiB)
TINY_FILE = 32_768
#: below this many bytes splitting each section into Python lists beats the array passes
SMALL_FILE = 49_152


def parse_mps(raw: bytes, *, method: str = "auto") -> MpsModel | None:
    """The model of MPS text ``raw``, or ``None`` when the file has anything this reader
    does not fully understand (the caller then reads it with HiGHS).

    ``method``: ``"loop"`` (:func:`parse_tiny`'s reading on Python lists only, below
    :data:`TINY_FILE`), ``"lines"`` (each section split into Python lists, then numpy),
    ``"arrays"`` (each section tokenised by Arrow and parsed with numpy), or ``"auto"``
    (by size). All give the same model or all refuse (the tests run each on every file,
    and hold the three to each other bit for bit in ``tests/verify/test_tiny_read.py``)."""
    if method == "auto":
        size = len(raw)
        method = "loop" if size < TINY_FILE else "lines" if size < SMALL_FILE else "arrays"
    if method == "arrays":
        try:
            # lazy: pyarrow (heavy) loads only when a file of 48 KiB or more is read
            import pyarrow  # noqa: F401  (without it the lists method reads the file)
        except ImportError:
            method = "lines"
    parse = {"loop": _parse_loop, "lines": _parse_lines, "arrays": _parse}[method]
    try:
        return parse(raw)
    except (_Refuse, KeyError, ValueError, IndexError, OverflowError):
        return None
    except Exception as exc:  # Arrow's own errors (a number it cannot cast, ...)
        if type(exc).__module__.startswith("pyarrow"):
            return None
        raise


def _number(tok: bytes) -> float:
    """One plain decimal number (:func:`_floats` of one token)."""
    return _floats((tok,))[0]


def _floats(tokens: Sequence[bytes]) -> list[float]:
    """Plain decimal numbers, correctly rounded; refuses anything else. Within the
    characters of a decimal number ``float`` accepts exactly the grammar of ``_DECIMAL``
    (no inf/nan/underscores can be spelled with them; pinned by a test), and deleting
    those characters from all the tokens at once is cheaper than a regular expression per
    token: what is left over, or what ``float`` refuses, is not a plain number."""
    if b"".join(tokens).translate(None, _DECIMAL_CHARS):
        raise _Refuse
    out = list(map(float, tokens))  # ValueError (refused by parse_mps) for e.g. b"1e", b"+-1"
    if not all(map(isfinite, out)):  # 1e400: only an overflow can spell inf here
        raise _Refuse
    return out


class TinyModel(NamedTuple):
    """What :func:`parse_tiny` reads, as plain Python values ready for one array each
    (``MilpData._from_lists``): the sense, the objective constant, the names and the
    model's numbers as :class:`~optiscribe.verify._model.ModelLists` (the matrix
    row-wise and canonical: ``indices`` ascending in each row, no zeros, no repeats)."""

    sense: int
    offset: float
    var_names: list[str]
    row_names: list[str]
    lists: ModelLists


def parse_tiny(raw: bytes) -> TinyModel | None:
    """:func:`parse_mps` for small files as plain Python values (no numpy), or None
    when the file is refused: the reading of the ``"loop"`` method, whose model it is."""
    try:
        return _parse_tiny(raw)
    except (_Refuse, KeyError, ValueError, IndexError, OverflowError):
        return None


#: whether the compiled reader is built (``pip install`` builds it where a C compiler is;
#: ``tests/verify/test_compiled_mps.py`` fails in CI when it is not)
COMPILED = _mpsc is not None


class CompiledModel(NamedTuple):
    """What the compiled reader (``verify/_mpsc.c``) reads, with each array as the bytes
    of its native layout (float64; ``integer`` one byte 0/1 per column; ``indptr`` and
    ``indices`` int64), for ``_read._from_compiled`` to wrap without a copy: the fields of
    :class:`TinyModel` with its :class:`~optiscribe.verify._model.ModelLists` spread out."""

    sense: int
    offset: float
    var_names: list[str]
    row_names: list[str]
    c: bytes
    row_lower: bytes
    row_upper: bytes
    col_lower: bytes
    col_upper: bytes
    integer: bytes
    indptr: bytes
    indices: bytes
    data: bytes


def parse_compiled(raw: bytes) -> CompiledModel | None:
    """The compiled reader's model of ``raw``: :func:`parse_tiny`'s reading, the same
    numbers and names, in one pass in C (2.5-18x faster than the Python methods, the
    most on small files). None when the reader is not built or declines the file: it
    declines everything :func:`parse_tiny` refuses and anything it does not handle
    itself (a line of more than six words, ...), and the caller then runs the Python
    methods, so a file reads the same either way (tested on every file of the reader
    corpora, ``tests/verify/test_compiled_mps.py``)."""
    if _mpsc is None:
        return None
    parsed = _mpsc.parse(raw)
    return CompiledModel(*parsed) if parsed is not None else None


def parse_compiled_lists(raw: bytes) -> TinyModel | None:
    """:func:`parse_compiled` as :func:`parse_tiny` gives it, the arrays as the lists
    ``tolist()`` gives (made in C: for small files, whose checks run on lists)."""
    if _mpsc is None:
        return None
    parsed = _mpsc.parse_lists(raw)
    return _tiny_model(parsed) if parsed is not None else None


def parse_compiled_upto(raw: bytes, list_max: int) -> TinyModel | CompiledModel | None:
    """:func:`parse_compiled_lists` when the matrix has at most ``list_max`` entries,
    else :func:`parse_compiled`: the model's size, known only once it is read, decides
    which form the checks want (their plain-Python paths run up to a size)."""
    if _mpsc is None:
        return None
    parsed = _mpsc.parse_upto(raw, list_max)
    if parsed is None:
        return None
    return CompiledModel(*parsed) if isinstance(parsed[4], bytes) else _tiny_model(parsed)


def _tiny_model(parsed: tuple[Any, ...]) -> TinyModel:
    sense, offset, var_names, row_names, *lists = parsed
    return TinyModel(sense, offset, var_names, row_names, ModelLists(*lists))


def _parse_loop(raw: bytes) -> MpsModel:
    """The ``"loop"`` method: :func:`_parse_tiny`'s reading as an :class:`MpsModel`."""
    t = _parse_tiny(raw)
    lists = t.lists
    m, n = len(lists.row_lower), len(lists.c)
    indptr = np.asarray(lists.indptr, dtype=np.int64)
    rows = np.repeat(np.arange(m, dtype=np.int64), indptr[1:] - indptr[:-1])
    cols = np.asarray(lists.indices, dtype=np.int64)
    by_col = np.argsort(cols, kind="stable")  # column-wise, rows ascending in each column
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=n), out=start[1:])
    return MpsModel(
        sense=t.sense,
        c=np.asarray(lists.c, dtype=np.float64),
        offset=t.offset,
        start=start,
        index=rows[by_col],
        value=np.asarray(lists.data, dtype=np.float64)[by_col],
        row_lower=np.asarray(lists.row_lower, dtype=np.float64),
        row_upper=np.asarray(lists.row_upper, dtype=np.float64),
        col_lower=np.asarray(lists.col_lower, dtype=np.float64),
        col_upper=np.asarray(lists.col_upper, dtype=np.float64),
        integer=np.asarray(lists.integer, dtype=bool),
        var_names=t.var_names,
        row_names=t.row_names,
        csr=(lists.indptr, lists.indices, lists.data),
    )


_INF = float("inf")


def _line_pairs(
    lines: list[list[bytes]],
) -> tuple[tuple[bytes, ...], tuple[bytes, ...], tuple[bytes, ...]]:
    """Records ``head name value [name value]``: each pair's head, name and value, the
    lines' first pairs first, in line order, then the second pairs of two-pair lines
    (``zip(*lines)`` gives the lines' k-th tokens as its k-th tuple, in C)."""
    sizes = set(map(len, lines))
    if sizes - {3, 5}:
        raise _Refuse
    if not lines:
        return (), (), ()
    head, name, value = islice(zip(*lines), 3)
    if 5 in sizes:
        head2, _, _, name2, value2 = zip(*[t for t in lines if len(t) == 5])
        return head + head2, name + name2, value + value2
    return head, name, value


def _row_table(lines: list[list[bytes]]) -> tuple[list[bytes], list[bytes], dict[bytes, int]]:
    """The ROWS records ``(kind, name)`` of the list methods: exactly one objective (N)
    row, the others E/L/G with distinct names (free rows are left to HiGHS, which deletes
    them). Returns the kinds and names of the constraint rows and each name's index, the
    objective's one past the last row; refuses anything else."""
    if not lines or set(map(len, lines)) != {2}:
        raise _Refuse
    objs = [t[1] for t in lines if t[0] == b"N"]
    if len(objs) != 1:
        raise _Refuse
    kinds = [t[0] for t in lines if t[0] != b"N"]
    row_names = [t[1] for t in lines if t[0] != b"N"]
    m = len(row_names)
    row_id = dict(zip(row_names, range(m)))
    if len(row_id) != m or objs[0] in row_id or set(kinds) - {b"E", b"L", b"G"}:
        raise _Refuse
    row_id[objs[0]] = m
    return kinds, row_names, row_id


def _marker_records(body: bytes, lines: list[list[bytes]]) -> list[int]:
    """Indices in ``lines`` (COLUMNS) of the integer MARKER records, which must alternate
    ``'INTORG'``/``'INTEND'`` (refused otherwise); the body is searched first, so a file
    without markers costs one ``in``. The last ``'INTORG'`` may be left open: its columns
    are integer to the end of the section, as HiGHS reads them (infeasible-mip1.mps)."""
    if _MARKER not in body:
        return []
    marks = [i for i, t in enumerate(lines) if len(t) == 3 and t[1] == _MARKER]
    what = [lines[i][2] for i in marks]
    if set(what[0::2]) - {_INTORG} or set(what[1::2]) - {_INTEND}:
        raise _Refuse
    return marks


def _parse_tiny(raw: bytes) -> TinyModel:
    """The same reading as :func:`_parse`, section by section on Python lists: the layout
    by :func:`_sections`, each section's lines split by :func:`_split`, and every step
    a C-level map, zip, dict or sort over a section's records (no Python code per line
    but a few list comprehensions): the fastest for files of a few KiB, where a numpy
    call costs more than a line."""
    sense, bodies = _sections(raw)
    # ROWS: exactly one objective (N) row; free rows are left to HiGHS (it deletes them)
    lines = _split(bodies["ROWS"], "ROWS", check_heads=False)  # kinds checked below
    kinds, row_names, row_id = _row_table(lines)
    m = len(row_names)

    # COLUMNS: entries column by column; integer MARKER lines toggle integrality
    lines = _split(bodies["COLUMNS"], "COLUMNS")
    state: list[bool] = []
    marks = _marker_records(bodies["COLUMNS"], lines)
    if marks:
        data: list[list[bytes]] = []
        prev = 0
        for s, i in enumerate(marks):  # lines after an odd number of markers are integer
            data += lines[prev:i]
            state += [s % 2 == 1] * (i - prev)
            prev = i + 1
        data += lines[prev:]
        state += [len(marks) % 2 == 1] * (len(lines) - prev)  # an INTORG left open
        lines = data
    cnames, rnames, vtoks = _line_pairs(lines)
    first = cnames[: len(lines)]  # each line's column, in file order
    col_id = dict.fromkeys(first, 0)
    n = len(col_id)
    # a column in two places (left to HiGHS): more name changes than columns
    if n > 1 and sum(map(ne, first[1:], first[:-1])) != n - 1:
        raise _Refuse
    if state and len(set(zip(first, state))) != n:
        raise _Refuse  # a column on both sides of a marker
    col_int = list(dict(zip(first, state)).values()) if state else [False] * n
    col_id = dict(zip(col_id, range(n)))
    # every entry (the objective's too) as one integer key row * n + column: a repeated
    # entry is a repeated key, and the sorted keys are the CSR order (the objective's last)
    row_key = dict(zip(row_id, range(0, (m + 1) * n, n))) if n else dict.fromkeys(row_id, 0)
    keys = list(map(add, map(row_key.__getitem__, rnames), map(col_id.__getitem__, cnames)))
    entry = dict(zip(keys, _floats(vtoks)))
    if len(entry) != len(keys):
        raise _Refuse
    keys.sort()
    on_obj = bisect_left(keys, m * n)
    c = [0.0] * n
    for key in keys[on_obj:]:
        c[key - m * n] = entry[key]
    del keys[on_obj:]
    if 0.0 in entry.values():  # explicit zeros are no entries (as in HiGHS)
        keys = [key for key in keys if entry[key] != 0.0]
    values = list(map(entry.__getitem__, keys))
    indices = [key % n for key in keys] if n else []
    indptr = (
        list(map(bisect_left, repeat(keys, m + 1), range(0, (m + 1) * n, n)))
        if n
        else [0] * (m + 1)
    )

    # RHS and RANGES
    rhs = [0.0] * m
    offset = 0.0
    lower: list[float]
    upper: list[float]
    lines = _split(bodies["RHS"], "RHS") if "RHS" in bodies else []
    if lines:
        sets, targets, numbers = _line_pairs(lines)
        if len(set(sets)) > 1:
            raise _Refuse
        r = list(map(row_id.__getitem__, targets))
        if len(set(r)) != len(r):
            raise _Refuse
        for i, v in zip(r, _floats(numbers)):
            if i == m:
                offset = -v
            else:
                rhs[i] = v
    lower = [-_INF if kind == b"L" else b for kind, b in zip(kinds, rhs)]
    upper = [_INF if kind == b"G" else b for kind, b in zip(kinds, rhs)]
    lines = _split(bodies["RANGES"], "RANGES") if "RANGES" in bodies else []
    if lines:
        sets, targets, numbers = _line_pairs(lines)
        if len(set(sets)) > 1:
            raise _Refuse
        r = list(map(row_id.__getitem__, targets))
        if len(set(r)) != len(r) or m in r:
            raise _Refuse
        for i, v in zip(r, _floats(numbers)):
            b, kind = rhs[i], kinds[i]
            if kind == b"E":
                lower[i], upper[i] = (b + v, b) if v < 0 else (b, b + v)
            elif kind == b"L":
                lower[i] = b - abs(v)
            else:
                upper[i] = b + abs(v)

    # BOUNDS
    col_lower = [0.0] * n
    col_upper = [_INF] * n
    # (the bound types are checked below)
    lines = _split(bodies["BOUNDS"], "BOUNDS", check_heads=False) if "BOUNDS" in bodies else []
    has_lo: set[int] = set()
    has_up: set[int] = set()
    integer = list(col_int)
    if lines:
        specs = list(map(_BOUND_TYPES.__getitem__, [t[0] for t in lines]))
        if any(len(t) != (4 if spec[2] else 3) for t, spec in zip(lines, specs)):
            raise _Refuse
        if len({t[1] for t in lines}) > 1:
            raise _Refuse
        values_b = iter(_floats([t[3] for t in lines if len(t) == 4]))
        negative: list[int] = []
        for t, (sets_lo, sets_up, has_value, makes_int) in zip(lines, specs):
            kind, j = t[0], col_id[t[2]]
            v = next(values_b) if has_value else 0.0
            if sets_lo:
                if j in has_lo:
                    raise _Refuse
                has_lo.add(j)
                col_lower[j] = -_INF if kind in (b"FR", b"MI") else (0.0 if kind == b"BV" else v)
            if sets_up:
                if j in has_up:
                    raise _Refuse
                has_up.add(j)
                up = _INF if kind in (b"FR", b"PL") else (1.0 if kind == b"BV" else v)
                col_upper[j] = up
                if not sets_lo and up < 0:
                    negative.append(j)
            if makes_int:
                integer[j] = True
        if any(j not in has_lo for j in negative):
            raise _Refuse  # a negative upper bound alone: readers disagree on the lower (0, -inf)
    if state:
        for j in compress(range(n), col_int):
            if j not in has_lo and j not in has_up:
                col_upper[j] = 1.0  # HiGHS: an integer column without bounds is binary
    return TinyModel(
        sense=sense,
        offset=offset,
        var_names=list(map(bytes.decode, col_id)),
        row_names=list(map(bytes.decode, row_names)),
        lists=ModelLists(c, lower, upper, col_lower, col_upper, integer, indptr, indices, values),
    )


def _numbers_of(tokens: list[bytes]) -> np.ndarray:
    """:func:`_floats` as an array (one rule for every method's numbers)."""
    return np.array(_floats(tokens), dtype=np.float64)


def _split(body: bytes, section: str, *, check_heads: bool = True) -> list[list[bytes]]:
    """The section's non-empty lines as token lists (comment lines dropped); refuses a
    line that starts with a section keyword (see ``_KEYWORDS``). ``check_heads=False``
    where the caller refuses every first token but a few that are no keyword anyway
    (ROWS: N/E/L/G; BOUNDS: the bound types): the same files are refused."""
    lines = list(filter(None, map(bytes.split, _strip_comments(body).split(b"\n"))))
    if check_heads:
        _no_keyword_heads(lines, section)
    return lines


def _no_keyword_heads(lines: list[list[bytes]], section: str) -> None:
    """Refuses a data line of ``section`` that starts with a section keyword, any case
    (HiGHS takes it for a header; see ``_KEYWORDS``); each distinct first token is
    upper-cased once."""
    heads = set(map(bytes.upper, set(map(itemgetter(0), lines))))
    heads.discard(section.encode())
    if not _KEYWORDS.isdisjoint(heads):
        raise _Refuse


def _records(lines: list[list[bytes]], offset: int) -> tuple[list[int], list[bytes], list[bytes]]:
    """Records ``[head] name value [name value]`` (``offset`` = 1 with a head): the line
    number, name and value of each pair, in file order."""
    counts = set(map(len, lines))
    if not counts <= {offset + 2, offset + 4}:
        raise _Refuse
    if counts == {offset + 2}:  # one pair a line: plain list slicing
        return list(range(len(lines))), [t[offset] for t in lines], [t[offset + 1] for t in lines]
    line: list[int] = []
    names: list[bytes] = []
    values: list[bytes] = []
    for i, t in enumerate(lines):
        line.append(i)
        names.append(t[offset])
        values.append(t[offset + 1])
        if len(t) == offset + 4:
            line.append(i)
            names.append(t[offset + 2])
            values.append(t[offset + 3])
    return line, names, values


def _ids(table: dict[bytes, int], names: list[bytes]) -> np.ndarray:
    """Positions of ``names`` in ``table`` (a KeyError refuses the file)."""
    return np.fromiter(map(table.__getitem__, names), dtype=np.int64, count=len(names))


def _parse_lines(raw: bytes) -> MpsModel:
    """The same reading as :func:`_parse` with Python lists (small files): each section
    split once, records taken by list slicing, names and numbers mapped in C."""
    sense, bodies = _sections(raw)
    # ROWS
    lines = _split(bodies["ROWS"], "ROWS")
    kinds, row_names, row_id = _row_table(lines)
    m = len(row_names)
    kind = np.array(kinds, dtype="S1")
    is_e, is_l, is_g = kind == b"E", kind == b"L", kind == b"G"

    # COLUMNS: integer MARKER lines toggle integrality
    lines = _split(bodies["COLUMNS"], "COLUMNS")
    marks = _marker_records(bodies["COLUMNS"], lines)
    for i in reversed(marks):
        del lines[i]
    line, rnames, vtoks = _records(lines, 1)
    cnames = [lines[i][0] for i in line]
    col_id = {name: j for j, name in enumerate(dict.fromkeys(cnames))}
    n = len(col_id)
    col = _ids(col_id, cnames)
    if col.size > 1 and ((col[1:] - col[:-1]) < 0).any():
        raise _Refuse  # a column in two places: left to HiGHS
    # line numbers before the markers were removed: a marker before a line shifts it
    state = np.zeros(0, dtype=bool)
    if col.size:
        at = np.asarray(line, dtype=np.int64)
        state = (
            np.searchsorted(np.asarray(marks, dtype=np.int64) - np.arange(len(marks)), at, "right")
            % 2
            == 1
        )
    first = np.ones(col.size, dtype=bool)
    first[1:] = col[1:] != col[:-1]
    integer = state[first]
    if not (state == integer[col]).all():
        raise _Refuse
    row = _ids(row_id, rnames)
    val = _numbers_of(vtoks)
    on_obj = row == m
    keep = ~on_obj & (val != 0)
    key = col * (m + 1) + row
    if key.size > 1 and np.unique(key).size != key.size:
        raise _Refuse
    c = np.zeros(n)
    c[col[on_obj]] = val[on_obj]
    index, value, mcol = row[keep], val[keep], col[keep]
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(mcol, minlength=n), out=start[1:])

    # RHS and RANGES
    rhs = np.zeros(m)
    offset = 0.0
    if "RHS" in bodies:
        lines = _split(bodies["RHS"], "RHS")
        if len({t[0] for t in lines}) > 1:
            raise _Refuse
        _, names, vtoks = _records(lines, 1)
        r, v = _ids(row_id, names), _numbers_of(vtoks)
        if r.size > 1 and np.unique(r).size != r.size:
            raise _Refuse
        at_obj = r == m
        if at_obj.any():
            offset = -float(v[at_obj][0])
        rhs[r[~at_obj]] = v[~at_obj]
    lower = np.where(is_l, -np.inf, rhs)
    upper = np.where(is_g, np.inf, rhs)
    if "RANGES" in bodies:
        lines = _split(bodies["RANGES"], "RANGES")
        if len({t[0] for t in lines}) > 1:
            raise _Refuse
        _, names, vtoks = _records(lines, 1)
        r, v = _ids(row_id, names), _numbers_of(vtoks)
        if (r.size > 1 and np.unique(r).size != r.size) or (r == m).any():
            raise _Refuse
        a = np.abs(v)
        rr = rhs[r]
        e, lo_side = is_e[r], is_l[r]
        lower[r] = np.where(e, np.where(v < 0, rr + v, rr), np.where(lo_side, rr - a, rr))
        upper[r] = np.where(e, np.where(v > 0, rr + v, rr), np.where(lo_side, rr, rr + a))

    # BOUNDS
    col_lower, col_upper = np.zeros(n), np.full(n, np.inf)
    bound_lines = _split(bodies["BOUNDS"], "BOUNDS") if "BOUNDS" in bodies else []
    if not bound_lines:
        col_upper[integer] = 1.0  # HiGHS: an integer column without bounds is binary
    else:
        if len({t[1] for t in bound_lines if len(t) > 1}) > 1:
            raise _Refuse
        spec = [_BOUND_TYPES[t[0]] for t in bound_lines]
        if any(len(t) != (4 if sp[2] else 3) for t, sp in zip(bound_lines, spec)):
            raise _Refuse
        flags = np.array(spec, dtype=bool).reshape(-1, 4)
        sets_lo, sets_up, has_value, makes_int = flags.T
        j = _ids(col_id, [t[2] for t in bound_lines])
        bval = np.full(j.size, np.nan)
        bval[has_value] = _numbers_of([t[3] for t in bound_lines if len(t) == 4])
        for side in (sets_lo, sets_up):
            if np.unique(j[side]).size != int(side.sum()):
                raise _Refuse
        names_b = np.array([t[0] for t in bound_lines], dtype="S2")
        lo_val = np.select(
            [names_b == b"FR", names_b == b"MI", names_b == b"BV"], [-np.inf, -np.inf, 0.0], bval
        )
        up_val = np.select(
            [names_b == b"FR", names_b == b"PL", names_b == b"BV"], [np.inf, np.inf, 1.0], bval
        )
        negative = j[sets_up & ~sets_lo & (up_val < 0)]
        if negative.size and not np.isin(negative, j[sets_lo]).all():
            raise _Refuse  # a negative upper bound alone: readers disagree on the lower
        bounded = np.zeros(n, dtype=bool)
        bounded[j] = True
        col_upper[integer & ~bounded] = 1.0
        col_lower[j[sets_lo]] = lo_val[sets_lo]
        col_upper[j[sets_up]] = up_val[sets_up]
        integer[j[makes_int]] = True
    return MpsModel(
        sense=sense,
        c=c,
        offset=offset,
        start=start,
        index=index,
        value=value,
        row_lower=lower,
        row_upper=upper,
        col_lower=col_lower,
        col_upper=col_upper,
        integer=integer,
        var_names=[t.decode() for t in col_id],
        row_names=[t.decode() for t in row_names],
    )


def _sections(raw: bytes) -> tuple[int, dict[str, bytes]]:
    """(objective sense, section name -> body); refuses any layout but the plain one.
    One C-level split at the header lines (a line starting with neither whitespace nor
    ``*``), then :func:`_layout`."""
    parts = _HEADER_SPLIT.split(b"\n" + raw)  # [before, header, body, header, body, ...]
    bodies = parts[2::2]
    sense, where = _layout([h.split() for h in parts[1::2]], parts[0], bodies)
    return sense, {key: bodies[k] for key, k in where.items()}


def _layout(
    heads: list[list[bytes]], before: bytes, bodies: list[bytes]
) -> tuple[int, dict[str, int]]:
    """The layout rules: ``NAME [OBJSENSE] ROWS COLUMNS [RHS] [RANGES] [BOUNDS]
    ENDATA``, each section once, no data before the first header or after ``NAME``, one
    sense. ``heads``: the header lines' tokens in file order; ``before``: the text before
    the first header; ``bodies[k]``: the text after header ``k``. Returns (objective
    sense, section name -> its header's position); refuses any other layout."""
    if not heads or _strip_comments(before).split():
        raise _Refuse
    sense = 1
    order: list[bytes] = []
    where: dict[str, int] = {}
    for k, head in enumerate(heads):
        key = head[0]
        if key == b"NAME":
            if order or _strip_comments(bodies[k]).split():
                raise _Refuse
        elif key == b"ENDATA":
            if len(head) != 1:
                raise _Refuse
            order.append(key)
            break
        elif key == b"OBJSENSE":
            if order != [b"NAME"]:
                raise _Refuse
            rest = _strip_comments(bodies[k]).split()
            value = head[1:] + rest
            if len(value) != 1 or len(head) > 2:
                raise _Refuse
            if rest and rest[0].upper() in _KEYWORDS:
                raise _Refuse
            sense = _SENSES[value[0]]
        else:
            name = _SECTION_NAMES.get(key)
            if name is None or len(head) != 1 or name in where:
                raise _Refuse
            where[name] = k
        order.append(key)
    if order[0] != b"NAME" or order[-1] != b"ENDATA":
        raise _Refuse
    seq = list(where)  # the sections in file order
    if seq[:2] != ["ROWS", "COLUMNS"] or seq != sorted(seq, key=_SECTIONS.index):
        raise _Refuse
    return sense, where


def _strip_comments(body: bytes) -> bytes:
    if body.startswith(b"*") or b"\n*" in body:
        return _COMMENT_LINE.sub(b"", body)
    return body


@dataclass(frozen=True, eq=False)
class _Section:
    """A section's tokens, dictionary-encoded once: ``codes[k]`` is token ``k``'s position
    in ``words`` (its distinct tokens, an Arrow string array), so every later step is an
    integer array operation; ``first``/``count``: each non-empty line's first token and
    its number of tokens."""

    codes: np.ndarray
    words: Any
    first: np.ndarray
    count: np.ndarray

    def code(self, literal: bytes) -> int:
        """The code of ``literal``, -1 if no token is that."""
        # lazy: pyarrow (heavy) loads only when a file of 48 KiB or more is read
        import pyarrow.compute as pc

        return int(pc.index(self.words, literal.decode()).as_py())

    def text(self, codes: np.ndarray) -> list[str]:
        return list(self.words.take(codes).to_pylist())

    def lookup(self, codes: np.ndarray, names: Any) -> np.ndarray:
        """Positions of the tokens among ``names`` (an Arrow array); refuses an unknown one."""
        # lazy: pyarrow (heavy) loads only when a file of 48 KiB or more is read
        import pyarrow.compute as pc

        pos = pc.index_in(self.words, value_set=names).fill_null(-1)
        ids: np.ndarray = np.asarray(pos.to_numpy(zero_copy_only=False), dtype=np.int64)[codes]
        if (ids < 0).any():
            raise _Refuse
        return ids

    def numbers(self, codes: np.ndarray) -> np.ndarray:
        """The tokens as numbers, each distinct token cast once by Arrow: exact (correctly
        rounded like ``float``); Arrow accepts exactly the grammar of ``_DECIMAL`` plus
        inf/nan spellings, which are refused here (``tests/verify/test_native_mps.py``
        pins both); anything else raises."""
        # lazy: pyarrow (heavy) loads only when a file of 48 KiB or more is read
        import pyarrow as pa
        import pyarrow.compute as pc

        if not codes.size:
            return np.zeros(0)
        used = np.zeros(len(self.words), dtype=bool)
        used[codes] = True
        distinct = np.flatnonzero(used)
        cast = pc.cast(self.words.take(distinct), pa.float64())
        values = np.asarray(cast.to_numpy(zero_copy_only=False), dtype=np.float64)
        if not np.isfinite(values).all():
            raise _Refuse
        table = np.zeros(len(self.words))
        table[distinct] = values
        out: np.ndarray = table[codes]
        return out


def _lines(body: bytes, section: str) -> _Section:
    """The section's tokens (see :class:`_Section`): lines, comments and whitespace are
    handled by Arrow's string kernels over the bytes, never a Python loop. ``body`` is
    UTF-8 (the caller, ``_read._read_bytes``, checks)."""
    # lazy: pyarrow (heavy) loads only when a file of 48 KiB or more is read
    import pyarrow as pa
    import pyarrow.compute as pc

    empty = np.zeros(0, dtype=np.int64)
    nothing = _Section(empty, pa.array([], type=pa.string()), empty, empty)
    if not body or body.isspace():
        return nothing
    # one string per line, straight over the bytes (no copy): the offsets are the line
    # starts; each line keeps its newline, which the kernels below treat as space
    ends = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == 10) + 1
    offsets = np.zeros(ends.size + 2, dtype=np.int32)
    offsets[1 : ends.size + 1] = ends
    offsets[-1] = len(body)
    if body.endswith(b"\n"):
        offsets = offsets[:-1]
    lines = pa.StringArray.from_buffers(offsets.size - 1, pa.py_buffer(offsets), pa.py_buffer(body))
    trimmed = pc.ascii_trim_whitespace(lines)
    keep = pc.and_(pc.not_equal(trimmed, ""), pc.invert(pc.starts_with(lines, "*")))
    trimmed = trimmed.filter(keep)
    if not len(trimmed):
        return nothing
    split = pc.ascii_split_whitespace(trimmed)
    count = np.asarray(pc.list_value_length(split).to_numpy(), dtype=np.int64)
    encoded = pc.list_flatten(split).dictionary_encode()
    codes = np.asarray(encoded.indices.to_numpy(), dtype=np.int64)
    first = np.cumsum(count) - count
    sec = _Section(codes, encoded.dictionary, first, count)
    seen = np.zeros(len(sec.words), dtype=bool)
    seen[codes[first]] = True
    heads = pc.ascii_upper(sec.words.take(np.flatnonzero(seen)))
    heads = heads.filter(pc.not_equal(heads, section))
    if pc.any(pc.is_in(heads, value_set=_keyword_array())).as_py():
        raise _Refuse
    return sec


def _keyword_array() -> Any:
    # lazy: pyarrow (heavy) loads only when a file of 48 KiB or more is read
    import pyarrow as pa

    return pa.array(sorted(k.decode() for k in _KEYWORDS))


def _pairs(
    sec: _Section, first: np.ndarray, count: np.ndarray, offset: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Records ``[head] name value [name value]`` (``offset`` = 1 with a head) on the lines
    ``first``/``count``: the line number, name code and value code of each pair."""
    pairs = count - offset
    if (pairs == 2).all():  # one pair a line (most writers): no repeat needed
        name = first + offset
        return np.arange(first.size), sec.codes[name], sec.codes[name + 1]
    if not np.isin(pairs, (2, 4)).all():
        raise _Refuse
    k = pairs // 2
    line = np.repeat(np.arange(first.size), k)
    pos = np.arange(line.size) - np.repeat(np.cumsum(k) - k, k)
    name = np.repeat(first, k) + offset + 2 * pos
    return line, sec.codes[name], sec.codes[name + 1]


def _one_set(codes: np.ndarray) -> None:
    """RHS/RANGES/BOUNDS records name their set; only files with one set are read here."""
    if codes.size and not (codes == codes[0]).all():
        raise _Refuse


def _unique(keys: np.ndarray) -> None:
    if keys.size > 1:
        s = np.sort(keys)
        if (s[1:] == s[:-1]).any():
            raise _Refuse


def _parse(raw: bytes) -> MpsModel:
    """The whole file as a few Arrow/numpy passes per section (large files)."""
    # lazy: pyarrow (heavy) loads only when a file of 48 KiB or more is read
    import pyarrow as pa

    sense, bodies = _sections(raw)
    # ROWS: exactly one objective (N) row; free rows are left to HiGHS (it deletes them)
    sec = _lines(bodies["ROWS"], "ROWS")
    if not (sec.count == 2).all():
        raise _Refuse
    kinds, name_codes = sec.codes[sec.first], sec.codes[sec.first + 1]
    is_n = kinds == sec.code(b"N")
    if int(is_n.sum()) != 1:
        raise _Refuse
    obj_code = name_codes[is_n][0]
    kinds, name_codes = kinds[~is_n], name_codes[~is_n]
    m = name_codes.size
    is_e, is_l, is_g = (kinds == sec.code(k) for k in (b"E", b"L", b"G"))
    if not (is_e | is_l | is_g).all():
        raise _Refuse
    if np.bincount(np.append(name_codes, obj_code), minlength=len(sec.words)).max() > 1:
        raise _Refuse
    row_names = sec.text(name_codes)
    row_set = pa.array(row_names + sec.text(obj_code[None]))  # the objective: row m

    # COLUMNS: entries column by column; integer MARKER lines toggle integrality
    sec = _lines(bodies["COLUMNS"], "COLUMNS")
    first, count = sec.first, sec.count
    second = sec.codes[np.minimum(first + 1, max(sec.codes.size - 1, 0))]
    marker = (count == 3) & (second == sec.code(_MARKER))
    mk = np.flatnonzero(marker)
    if mk.size:
        what = sec.codes[first[mk] + 2]
        if not (
            (what[0::2] == sec.code(_INTORG)).all() and (what[1::2] == sec.code(_INTEND)).all()
        ):  # alternating; the last INTORG may be left open (see _marker_records)
            raise _Refuse
    data = np.flatnonzero(~marker)
    line, rcode, vcode = _pairs(sec, first[data], count[data], 1)
    ccode = sec.codes[first[data][line]]
    change = np.ones(ccode.size, dtype=bool)
    change[1:] = ccode[1:] != ccode[:-1]
    col_codes = ccode[change]
    n = col_codes.size
    if n and np.bincount(col_codes).max() > 1:
        raise _Refuse  # a column in two places: left to HiGHS
    col = np.cumsum(change) - 1
    state = np.searchsorted(mk, data[line]) % 2 == 1
    integer = state[change]
    if not (state == integer[col]).all():
        raise _Refuse
    var_names = sec.text(col_codes)
    col_set = pa.array(var_names)
    row = sec.lookup(rcode, row_set)
    val = sec.numbers(vcode)
    on_obj = row == m
    keep = ~on_obj & (val != 0)
    # a repeated entry: among the matrix entries the CSR construction finds it for free
    # (``_read._from_native`` refuses the model then); here only where that cannot see
    if on_obj.any():
        _unique(col[on_obj])
    if (val[~on_obj] == 0).any():
        _unique((col * m + row)[~on_obj])
    c = np.zeros(n)
    c[col[on_obj]] = val[on_obj]
    index, value, mcol = row[keep], val[keep], col[keep]
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(mcol, minlength=n), out=start[1:])

    # RHS and RANGES
    rhs = np.zeros(m)
    offset = 0.0
    if "RHS" in bodies:
        sec = _lines(bodies["RHS"], "RHS")
        _one_set(sec.codes[sec.first])
        _, rcode, vcode = _pairs(sec, sec.first, sec.count, 1)
        r, v = sec.lookup(rcode, row_set), sec.numbers(vcode)
        _unique(r)
        at_obj = r == m
        if at_obj.any():
            offset = -float(v[at_obj][0])
        rhs[r[~at_obj]] = v[~at_obj]
    lower = np.where(is_l, -np.inf, rhs)
    upper = np.where(is_g, np.inf, rhs)
    if "RANGES" in bodies:
        sec = _lines(bodies["RANGES"], "RANGES")
        _one_set(sec.codes[sec.first])
        _, rcode, vcode = _pairs(sec, sec.first, sec.count, 1)
        r, v = sec.lookup(rcode, row_set), sec.numbers(vcode)
        _unique(r)
        if (r == m).any():
            raise _Refuse
        a = np.abs(v)
        rr = rhs[r]
        e, lo_side = is_e[r], is_l[r]
        lower[r] = np.where(e, np.where(v < 0, rr + v, rr), np.where(lo_side, rr - a, rr))
        upper[r] = np.where(e, np.where(v > 0, rr + v, rr), np.where(lo_side, rr, rr + a))

    # BOUNDS
    col_lower, col_upper = np.zeros(n), np.full(n, np.inf)
    if "BOUNDS" in bodies:
        col_lower, col_upper = _bounds(
            _lines(bodies["BOUNDS"], "BOUNDS"), col_set, integer, col_lower, col_upper
        )
    else:
        col_upper[integer] = 1.0  # HiGHS: an integer column without bounds is binary
    return MpsModel(
        sense=sense,
        c=c,
        offset=offset,
        start=start,
        index=index,
        value=value,
        row_lower=lower,
        row_upper=upper,
        col_lower=col_lower,
        col_upper=col_upper,
        integer=integer,
        var_names=var_names,
        row_names=row_names,
    )


_BOUND_ORDER = tuple(_BOUND_TYPES)
_BOUND_SPEC = np.array([_BOUND_TYPES[k] for k in _BOUND_ORDER], dtype=bool)


def _bounds(
    sec: _Section,
    col_set: Any,
    integer: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply the BOUNDS records; ``integer`` is updated in place (BV/LI/UI)."""
    # lazy: pyarrow (heavy) loads only when a file of 48 KiB or more is read
    import pyarrow as pa

    first, count = sec.first, sec.count
    n = len(col_set)
    if not first.size:
        upper[integer] = 1.0
        return lower, upper
    _one_set(sec.codes[first + 1])
    kind = sec.lookup(sec.codes[first], pa.array([k.decode() for k in _BOUND_ORDER]))
    sets_lo, sets_up, has_value, makes_int = _BOUND_SPEC[kind].T
    if not (count == np.where(has_value, 4, 3)).all():
        raise _Refuse
    j = sec.lookup(sec.codes[first + 2], col_set)
    value = np.full(first.size, np.nan)
    value[has_value] = sec.numbers(sec.codes[first[has_value] + 3])
    _unique(j[sets_lo])
    _unique(j[sets_up])
    names = np.array(_BOUND_ORDER, dtype=object)[kind]
    lo_val = np.select(
        [names == b"FR", names == b"MI", names == b"BV"], [-np.inf, -np.inf, 0.0], value
    )
    up_val = np.select(
        [names == b"FR", names == b"PL", names == b"BV"], [np.inf, np.inf, 1.0], value
    )
    negative = j[sets_up & ~sets_lo & (up_val < 0)]
    if negative.size and not np.isin(negative, j[sets_lo]).all():
        raise _Refuse  # a negative upper bound alone: readers disagree on the lower (0, -inf)
    bounded = np.zeros(n, dtype=bool)
    bounded[j] = True
    upper[integer & ~bounded] = 1.0  # HiGHS: an integer column without bounds is binary
    lower[j[sets_lo]] = lo_val[sets_lo]
    upper[j[sets_up]] = up_val[sets_up]
    integer[j[makes_int]] = True
    return lower, upper
