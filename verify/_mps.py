"""Native MPS reader: the whole file tokenised once and parsed with numpy, every number
exactly as written (no small-value drop, huge bounds kept as the finite numbers written).

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
from dataclasses import dataclass
from typing import Any

import numpy as np

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
    #: row, when the reader built it on the way (the line loop, for tiny files: cheaper
    #: than sorting the column-wise arrays with numpy afterwards); None otherwise
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
_HEADER = re.compile(rb"\n[^\s*][^\n]*")
_COMMENT_LINE = re.compile(rb"(?m)^\*[^\n]*")
_SECTIONS = ("ROWS", "COLUMNS", "RHS", "RANGES", "BOUNDS")
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


#: below this many bytes a plain loop over the lines is the fastest method
TINY_FILE = 16_384
#: below this many bytes splitting each section into Python lists beats the array passes
SMALL_FILE = 49_152


def parse_mps(raw: bytes, *, method: str = "auto") -> MpsModel | None:
    """The model of MPS text ``raw``, or ``None`` when the file has anything this reader
    does not fully understand (the caller then reads it with HiGHS).

    ``method``: ``"loop"`` (one line at a time, for files of a few KiB), ``"lines"``
    (each section split into Python lists), ``"arrays"`` (each section tokenised by
    Arrow and parsed with numpy), or ``"auto"`` (by size). All give the same model or all
    refuse (the tests run each on every file)."""
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
    """A plain decimal number, correctly rounded; refuses anything else. Within the
    characters of a decimal number ``float`` accepts exactly the grammar of ``_DECIMAL``
    (see :func:`_numbers_of`), and deleting those characters is cheaper than the regular
    expression: what is left over, or what ``float`` refuses, is not a plain number."""
    if tok.translate(None, _DECIMAL_CHARS):
        raise _Refuse
    v = float(tok)  # ValueError (refused by parse_mps) for e.g. b"1e" or b"+-1"
    if v - v != 0.0:  # inf or nan
        raise _Refuse
    return v


def _parse_loop(raw: bytes) -> MpsModel:
    """The same reading as :func:`_parse`, one line at a time in plain Python (the
    fastest for files of a few KiB, where every numpy call costs more than a line)."""
    sense = 1
    order: list[str] = []
    section = ""
    row_id: dict[bytes, int] = {}
    row_kind: list[bytes] = []
    obj: bytes | None = None
    col_id: dict[bytes, int] = {}
    col_int: list[bool] = []
    cost: dict[int, float] = {}
    ent_row: list[int] = []
    ent_val: list[float] = []
    ent_col: list[int] = []
    col_seen: set[int] = set()  # the rows of the current column's entries
    in_int = False
    rhs: dict[int, float] = {}
    ranges: dict[int, float] = {}
    offset: float | None = None
    set_name: dict[str, bytes] = {}
    bound_lines: list[tuple[bytes, int, float]] = []
    sense_pending = False
    for line in raw.split(b"\n"):
        toks = line.split()
        if not toks or line[:1] == b"*":
            continue
        if not line[:1].isspace():  # a section header
            key = toks[0].decode("latin-1")
            if sense_pending:
                raise _Refuse
            if key == "NAME":
                if order:
                    raise _Refuse
                order.append(key)
                continue
            if key == "ENDATA":
                if len(toks) != 1:
                    raise _Refuse
                order.append(key)
                break
            if key == "OBJSENSE":
                if order != ["NAME"] or len(toks) > 2:
                    raise _Refuse
                if len(toks) == 2:
                    sense = _SENSES[toks[1]]
                else:
                    sense_pending = True
                order.append(key)
                section = key
                continue
            if key not in _SECTIONS or len(toks) != 1 or key in order:
                raise _Refuse
            order.append(key)
            section = key
            continue
        head = toks[0].upper()
        if head in _KEYWORDS and head != section.encode():
            raise _Refuse
        if section == "COLUMNS":
            if len(toks) == 3 and toks[1] == _MARKER:
                if toks[2] != (_INTEND if in_int else _INTORG):
                    raise _Refuse
                in_int = not in_int
                continue
            if len(toks) not in (3, 5):
                raise _Refuse
            name = toks[0]
            j = col_id.get(name)
            if j is None:
                j = col_id[name] = len(col_int)
                col_int.append(in_int)
                col_seen = set()
            elif j != len(col_int) - 1 or col_int[j] != in_int:
                raise _Refuse  # a column in two places, or across a marker
            for k in range(1, len(toks), 2):
                r = row_id[toks[k]] if toks[k] != obj else -1
                tok = toks[k + 1]  # _number, inlined (most tokens of a file are here)
                if tok.translate(None, _DECIMAL_CHARS):
                    raise _Refuse
                v = float(tok)
                if v - v != 0.0:
                    raise _Refuse
                # a column's records are contiguous (checked above), so a repeated
                # entry can only be within the current column
                if r in col_seen:
                    raise _Refuse
                col_seen.add(r)
                if r < 0:
                    cost[j] = v
                elif v != 0.0:
                    ent_col.append(j)
                    ent_row.append(r)
                    ent_val.append(v)
        elif section == "OBJSENSE":
            if not sense_pending or len(toks) != 1:
                raise _Refuse
            sense = _SENSES[toks[0]]
            sense_pending = False
        elif section == "ROWS":
            if len(toks) != 2:
                raise _Refuse
            kind, name = toks
            if kind == b"N":
                if obj is not None:
                    raise _Refuse
                obj = name
            elif kind in (b"E", b"L", b"G"):
                if name in row_id:
                    raise _Refuse
                row_id[name] = len(row_kind)
                row_kind.append(kind)
            else:
                raise _Refuse
        elif section in ("RHS", "RANGES"):
            if len(toks) not in (3, 5) or set_name.setdefault(section, toks[0]) != toks[0]:
                raise _Refuse
            for k in range(1, len(toks), 2):
                v = _number(toks[k + 1])
                if toks[k] == obj:
                    if section == "RANGES" or offset is not None:
                        raise _Refuse
                    offset = -v
                    continue
                r = row_id[toks[k]]
                target = rhs if section == "RHS" else ranges
                if r in target:
                    raise _Refuse
                target[r] = v
        elif section == "BOUNDS":
            spec = _BOUND_TYPES[toks[0]]
            if len(toks) != (4 if spec[2] else 3):
                raise _Refuse
            if set_name.setdefault(section, toks[1]) != toks[1]:
                raise _Refuse
            bound_lines.append((toks[0], col_id[toks[2]], _number(toks[3]) if spec[2] else 0.0))
        else:
            raise _Refuse  # data before ROWS
    if not order or order[0] != "NAME" or order[-1] != "ENDATA" or obj is None or in_int:
        raise _Refuse
    seq = [s for s in order if s in _SECTIONS]
    if seq[:2] != ["ROWS", "COLUMNS"] or seq != sorted(seq, key=_SECTIONS.index):
        raise _Refuse
    if sense_pending or obj in row_id:
        raise _Refuse
    m, n = len(row_kind), len(col_int)
    lower = [0.0] * m
    upper = [0.0] * m
    for i, kind in enumerate(row_kind):
        b = rhs.get(i, 0.0)
        lower[i] = -np.inf if kind == b"L" else b
        upper[i] = np.inf if kind == b"G" else b
    for i, v in ranges.items():
        b, kind = rhs.get(i, 0.0), row_kind[i]
        if kind == b"E":
            lower[i], upper[i] = (b + v, b) if v < 0 else (b, b + v)
        elif kind == b"L":
            lower[i] = b - abs(v)
        else:
            upper[i] = b + abs(v)
    col_lower = [0.0] * n
    col_upper = [np.inf] * n
    integer = list(col_int)
    has_lo: set[int] = set()
    has_up: set[int] = set()
    negative: list[int] = []
    for kind, j, v in bound_lines:
        sets_lo, sets_up, _, makes_int = _BOUND_TYPES[kind]
        if sets_lo:
            if j in has_lo:
                raise _Refuse
            has_lo.add(j)
            col_lower[j] = -np.inf if kind in (b"FR", b"MI") else (0.0 if kind == b"BV" else v)
        if sets_up:
            if j in has_up:
                raise _Refuse
            has_up.add(j)
            up = np.inf if kind in (b"FR", b"PL") else (1.0 if kind == b"BV" else v)
            col_upper[j] = up
            if not sets_lo and up < 0:
                negative.append(j)
        if makes_int:
            integer[j] = True
    if any(j not in has_lo for j in negative):
        raise _Refuse  # a negative upper bound alone: readers disagree on the lower (0, -inf)
    for j in range(n):
        if col_int[j] and j not in has_lo and j not in has_up:
            col_upper[j] = 1.0  # HiGHS: an integer column without bounds is binary
    c = np.zeros(n)
    if cost:
        c[list(cost)] = list(cost.values())
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(np.asarray(ent_col, dtype=np.int64), minlength=n), out=start[1:])
    # row-wise copy: entries come column by column (columns are contiguous and never
    # repeated, zeros dropped and repeated entries refused above), so a stable sort by row
    # leaves the columns ascending inside each row: a canonical CSR matrix
    by_row = sorted(range(len(ent_row)), key=ent_row.__getitem__)
    indptr = [0] * (m + 1)
    for r in ent_row:
        indptr[r + 1] += 1
    for i in range(m):
        indptr[i + 1] += indptr[i]
    csr = (indptr, [ent_col[k] for k in by_row], [ent_val[k] for k in by_row])
    return MpsModel(
        sense=sense,
        c=c,
        offset=0.0 if offset is None else offset,
        start=start,
        index=np.asarray(ent_row, dtype=np.int64),
        value=np.asarray(ent_val, dtype=np.float64),
        row_lower=np.asarray(lower, dtype=np.float64),
        row_upper=np.asarray(upper, dtype=np.float64),
        col_lower=np.asarray(col_lower, dtype=np.float64),
        col_upper=np.asarray(col_upper, dtype=np.float64),
        integer=np.asarray(integer, dtype=bool),
        var_names=[t.decode() for t in col_id],
        row_names=[t.decode() for t in row_id],
        csr=csr,
    )


def _numbers_of(tokens: list[bytes]) -> np.ndarray:
    """Plain decimal numbers, correctly rounded (``float``, mapped in C); refuses
    anything else. Within the characters of a decimal number ``float`` accepts exactly
    the grammar of ``_DECIMAL`` (no inf/nan/underscores can be spelled with them)."""
    if not tokens:
        return np.zeros(0)
    if b"".join(tokens).translate(None, b"0123456789+-.eE"):
        raise _Refuse
    out = np.fromiter(map(float, tokens), dtype=np.float64, count=len(tokens))
    if not np.isfinite(out).all():
        raise _Refuse
    return out


def _split(body: bytes, section: str) -> list[list[bytes]]:
    """The section's non-empty lines as token lists (comment lines dropped); refuses a
    line that starts with a section keyword (see ``_KEYWORDS``)."""
    lines = [t for t in map(bytes.split, _strip_comments(body).split(b"\n")) if t]
    heads = {t[0].upper() for t in lines}
    heads.discard(section.encode())
    if not _KEYWORDS.isdisjoint(heads):
        raise _Refuse
    return lines


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
    if set(map(len, lines)) - {2}:
        raise _Refuse
    objs = [t[1] for t in lines if t[0] == b"N"]
    kept = [t for t in lines if t[0] != b"N"]
    if len(objs) != 1:
        raise _Refuse
    kinds = [t[0] for t in kept]
    row_names = [t[1] for t in kept]
    m = len(row_names)
    row_id = dict(zip(row_names, range(m)))
    if len(row_id) != m or objs[0] in row_id or set(kinds) - {b"E", b"L", b"G"}:
        raise _Refuse
    row_id[objs[0]] = m  # the objective: one past the last row
    kind = np.array(kinds, dtype="S1")
    is_e, is_l, is_g = kind == b"E", kind == b"L", kind == b"G"

    # COLUMNS: integer MARKER lines toggle integrality
    lines = _split(bodies["COLUMNS"], "COLUMNS")
    marks: list[int] = []
    if _MARKER in bodies["COLUMNS"]:
        marks = [i for i, t in enumerate(lines) if len(t) == 3 and t[1] == _MARKER]
        what = [lines[i][2] for i in marks]
        if len(marks) % 2 or set(what[0::2]) - {_INTORG} or set(what[1::2]) - {_INTEND}:
            raise _Refuse
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
    """(objective sense, section name -> body); refuses any layout but the plain one."""
    heads = [(m.start() + 1, m.end()) for m in _HEADER.finditer(raw)]
    if raw[:1] and not raw[:1].isspace() and raw[:1] != b"*":
        heads.insert(0, (0, raw.find(b"\n") if b"\n" in raw else len(raw)))
    if not heads or _strip_comments(raw[: heads[0][0]]).split():
        raise _Refuse
    sense = 1
    order: list[str] = []
    bodies: dict[str, bytes] = {}
    for k, (h0, h1) in enumerate(heads):
        words = raw[h0:h1].split()
        key = words[0].decode("latin-1")
        body = raw[h1 : heads[k + 1][0] if k + 1 < len(heads) else len(raw)]
        if key == "NAME":
            if order or _strip_comments(body).split():
                raise _Refuse
            order.append(key)
            continue
        if key == "ENDATA":
            if len(words) != 1:
                raise _Refuse
            order.append(key)
            break
        if key == "OBJSENSE":
            if order != ["NAME"]:
                raise _Refuse
            rest = _strip_comments(body).split()
            value = words[1:] + rest
            if len(value) != 1 or len(words) > 2:
                raise _Refuse
            if rest and rest[0].upper() in _KEYWORDS:
                raise _Refuse
            sense = _SENSES[value[0]]
            order.append(key)
            continue
        if key not in _SECTIONS or len(words) != 1 or key in bodies:
            raise _Refuse
        order.append(key)
        bodies[key] = body
    if not order or order[0] != "NAME" or order[-1] != "ENDATA":
        raise _Refuse
    seq = [s for s in order if s in _SECTIONS]
    if seq[:2] != ["ROWS", "COLUMNS"] or seq != sorted(seq, key=_SECTIONS.index):
        raise _Refuse
    return sense, bodies


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
        if mk.size % 2 or not (
            (what[0::2] == sec.code(_INTORG)).all() and (what[1::2] == sec.code(_INTEND)).all()
        ):
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
