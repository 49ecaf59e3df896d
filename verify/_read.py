"""Readers: MPS/CPLEX-LP files (through highspy), Pyomo models, our IR, into :class:`MilpData`.

Every reader either returns a complete linear model or raises: :class:`ModelReadError`
for input that cannot be read (missing, empty, truncated, wrong format, NaN), and
:class:`UnsupportedModelError` for parts the checker does not handle (quadratic terms,
SOS, indicator/general constraints, semi-continuous variables). Nothing is silently
dropped: ORGEval's reader drops non-linear parts (equivalence.md §3.9, defect 6).
Files are read as written: HiGHS runs under options that keep its numbers, and what it
still cannot keep is recorded in ``MilpData.inexact`` (``check`` then answers
``UNKNOWN``), never silently changed.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import gzip
import io
import os
import re
import stat
import tempfile
import threading
import zlib
from dataclasses import replace
from itertools import compress
from operator import eq
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import scipy.sparse as sp

from optiscribe.solvers.highs_mps import without_stalling_lines
from optiscribe.verify._model import (
    MilpData,
    ModelReadError,
    UnsupportedModelError,
    canonical_csr,
    huge_bounds,
    kept_lists,
    with_infinite_huge_bounds,
)
from optiscribe.verify._mps import (
    COMPILED,
    TINY_FILE,
    CompiledModel,
    MpsModel,
    parse_compiled,
    parse_compiled_upto,
    parse_mps,
    parse_tiny,
)

try:  # the compiled kernels of the stages after reading (verify/_*c.c), where built
    from optiscribe.verify import _canonc, _certifyc, _graphc, _refinec  # noqa: F401

    STAGE_KERNELS = True
except ImportError:  # the stages run their Python paths, tiny models on lists
    STAGE_KERNELS = False

__all__ = ["ModelLike", "fold_objective_constant", "from_pyomo", "read_file", "read_model"]

#: The name Pyomo's LP and MPS writers give the pseudo-column that carries an objective
#: constant (``/work/shared/docs/ecosystem.md`` §1.3).
PYOMO_CONSTANT_COLUMN = "ONE_VAR_CONSTANT"

#: Anything :func:`read_model` accepts: a path, a Pyomo ConcreteModel, an object with a
#: ``to_pyomo()`` method (our IR), or a :class:`MilpData`.
ModelLike: TypeAlias = str | Path | MilpData | Any

_MPS_UNSUPPORTED_SECTIONS = {
    "QUADOBJ": "quadratic objective",
    "QMATRIX": "quadratic objective",
    "QSECTION": "quadratic objective",
    "QCMATRIX": "quadratic constraint",
    "QSECTION_CON": "quadratic constraint",
    "SOS": "SOS constraint",
    "INDICATORS": "indicator constraint",
    "GENCONS": "general constraint",
    "PWLOBJ": "piecewise-linear objective",
    "PWLCON": "piecewise-linear constraint",
}
_LP_OBJECTIVE_HEADER = re.compile(
    r"^\s*(min|max|minimize|maximize|minimise|maximise|minimum|maximum)\b", re.I | re.M
)
_LP_END = re.compile(r"^\s*end\s*$", re.I | re.M)
# A Gurobi-style indexed name: an identifier immediately followed by one or more
# bracket groups without spaces, e.g. ``x[0,1]`` or ``flow[a,b]``. Quadratic sections
# (``[ x ^ 2 ]``) always follow whitespace or an operator, so they never match.
_LP_NAME_CHARS = r"A-Za-z0-9_!\"#$%&()/,.;?@`'{}|~"
_GUROBI_NAME = re.compile(
    rf"(?<![{_LP_NAME_CHARS}\]])([A-Za-z_!\"#$%&()/,;?@`'{{}}|~][{_LP_NAME_CHARS}]*)"
    rf"((?:\[[^\[\]\s]*\])+)"
)
_LP_GENERAL_CONSTRAINTS = re.compile(r"^\s*(general\s+constraints|genconstrs?)\s*$", re.I | re.M)


def read_model(model: ModelLike, *, name: str = "") -> MilpData:
    """Read any accepted model form into :class:`MilpData`.

    Parameters
    ----------
    model:
        A path (``.mps``, ``.mps.gz``, ``.lp``, ``.lp.gz``), a Pyomo ``ConcreteModel``,
        an object with a callable ``to_pyomo`` (our IR), or a :class:`MilpData`.
    name:
        Label used in messages ("reference", "candidate").

    Raises
    ------
    ModelReadError
        The input cannot be read; the message names it and says what to do.
    UnsupportedModelError
        The input has non-linear or logical parts.
    """
    if isinstance(model, MilpData):
        return model
    if isinstance(model, (str, Path)):
        return fold_objective_constant(read_file(model))
    to_pyomo = getattr(model, "to_pyomo", None)
    if callable(to_pyomo):
        try:
            pyomo_model = to_pyomo()
        except Exception as exc:  # the IR compiler is not ours: name it and pass the cause on
            raise ModelReadError(
                f"{name or 'model'}: {type(model).__name__}.to_pyomo() failed: {exc}. Fix the "
                f"formulation or pass a file/Pyomo model instead.",
                source=type(model).__name__,
            ) from exc
        return fold_objective_constant(
            from_pyomo(pyomo_model, source=f"{type(model).__name__}.to_pyomo()")
        )
    if _is_pyomo_model(model):
        return fold_objective_constant(from_pyomo(model))
    raise ModelReadError(
        f"{name or 'model'}: cannot read an object of type {type(model).__name__}. Pass a path "
        f"to an .mps/.lp file, a Pyomo ConcreteModel, an object with to_pyomo(), or MilpData.",
        source=type(model).__name__,
    )


# --------------------------------------------------------------------------- constants


def fold_objective_constant(m: MilpData) -> MilpData:
    """Fold fixed objective-only columns (how writers spell an objective constant) into
    ``offset``.

    Writers store the constant ``k`` of an objective as ``k · v`` with a column ``v``
    fixed at 1: Gurobi's LP writer (``+ 16455088.61 Constant`` with ``Constant = 1`` in
    Bounds), Pyomo's writers (``ONE_VAR_CONSTANT``, fixed by its bounds in LP files or by
    an extra equality row ``c_e_ONE_VAR_CONSTANT: 1 · ONE_VAR_CONSTANT = 1`` in MPS
    files). This is a presentation of a constant, not a variable, so it is folded at
    every level when the shape is exactly that:

    * any column with a nonzero cost, in no row, fixed by its own bounds (``lb == ub``,
      finite; an integer column only at an integer value, a fractional one is left for
      the infeasibility test), whatever its name: ``c_j · lb_j`` joins the constant;
    * the column named ``ONE_VAR_CONSTANT`` also when it appears only in equality rows
      holding only itself, whose effective bounds are exactly ``[1, 1]`` (those rows go).

    Anything else (the column in a real row, bounds that do not fix it) is left alone;
    general fixed variables are substituted only at the ``normalized`` level. The step
    is recorded in ``read_steps``. Applied identically to files and to Pyomo models.
    """
    n = m.num_vars
    lists = kept_lists(m)  # the list reader's model: the test on its lists (no array made)
    if n == 0 or (
        not (
            any(map(eq, lists.col_lower, lists.col_upper))
            if lists is not None
            else (m.col_lower == m.col_upper).any()
        )
        and PYOMO_CONSTANT_COLUMN not in m.var_names
    ):  # nothing is fixed by its bounds and no Pyomo constant column: the usual case
        return m
    lo, hi = m.col_lower, m.col_upper
    col_nnz = np.bincount(m.A.indices, minlength=n)
    fixed = (col_nnz == 0) & (m.c != 0) & np.isfinite(lo) & (lo == hi)
    fixed &= ~m.integer | (np.floor(lo) == lo)
    drop_cols = np.flatnonzero(fixed)
    values = lo[drop_cols]
    drop_rows = np.zeros(0, dtype=np.int64)
    pyomo_col = _pyomo_constant_column(m, col_nnz)
    if pyomo_col is not None and not fixed[pyomo_col[0]]:
        j, rows = pyomo_col
        drop_cols = np.append(drop_cols, j)
        values = np.append(values, 1.0)
        drop_rows = rows
    if drop_cols.size == 0:
        return m
    k = float(np.dot(m.c[drop_cols], values))
    keep = np.ones(n, dtype=bool)
    keep[drop_cols] = False
    keep_c = np.flatnonzero(keep)
    keep_rows = np.ones(m.num_rows, dtype=bool)
    keep_rows[drop_rows] = False
    keep_r = np.flatnonzero(keep_rows)
    names = [m.var_names[j] for j in drop_cols[:3].tolist()]
    more = f" and {drop_cols.size - 3} more" if drop_cols.size > 3 else ""
    dropped = [m.row_names[i] for i in drop_rows.tolist()]
    step = (
        f"objective constant {k:.10g} read from fixed objective-only column"
        f"{'s' if drop_cols.size > 1 else ''} {', '.join(names)}{more}"
        + (f" (and its row {', '.join(dropped)})" if dropped else "")
    )
    parts = dict(
        c=m.c[keep_c],
        row_lower=m.row_lower[keep_r],
        row_upper=m.row_upper[keep_r],
        col_lower=m.col_lower[keep_c],
        col_upper=m.col_upper[keep_c],
        integer=m.integer[keep_c],
        sense=m.sense,
        offset=m.offset + k,
        var_names=list(compress(m.var_names, keep.tolist())),
        row_names=list(compress(m.row_names, keep_rows.tolist())),
        source=m.source,
    )
    if drop_rows.size or col_nnz[drop_cols].any():
        A = m.A[keep_r] if drop_rows.size else m.A
        out = MilpData.build(A=A[:, keep_c], **parts, infinity=np.inf)  # type: ignore[arg-type]
    else:
        # only columns in no row go (the usual case): the matrix keeps its rows and
        # entries, its columns renumbered in order, so it stays canonical and needs none
        # of build's copying, sorting and slicing (the same model, tested; its index
        # arrays keep their dtypes, where build would pick the smallest)
        renumber = (np.cumsum(keep) - 1).astype(m.A.indices.dtype, copy=False)
        A = canonical_csr(
            m.A.data, renumber[m.A.indices], m.A.indptr, (m.num_rows, int(keep_c.size))
        )
        out = MilpData._from_reader(A=A, **parts)  # type: ignore[arg-type]
    return replace(out, read_steps=(*m.read_steps, step), inexact=m.inexact)


def _pyomo_constant_column(m: MilpData, col_nnz: np.ndarray) -> tuple[int, np.ndarray] | None:
    """Pyomo's MPS pattern: ``ONE_VAR_CONSTANT`` fixed at 1 by equality rows holding only
    itself (and bounds that allow 1); ``(column, its rows)`` or None."""
    try:
        j = m.var_names.index(PYOMO_CONSTANT_COLUMN)
    except ValueError:
        return None
    if PYOMO_CONSTANT_COLUMN in m.var_names[j + 1 :]:
        return None
    if col_nnz[j] == 0:
        fixed_at_one = m.col_lower[j] == 1.0 and m.col_upper[j] == 1.0
        return (j, np.zeros(0, dtype=np.int64)) if fixed_at_one else None
    csc = m.A.tocsc()
    rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]].astype(np.int64)
    vals = csc.data[csc.indptr[j] : csc.indptr[j + 1]]
    nnz = (m.A.indptr[1:] - m.A.indptr[:-1])[rows]
    rl, ru = m.row_lower[rows], m.row_upper[rows]
    if np.any(nnz != 1) or np.any(rl != ru) or not np.all(ru / vals == 1.0):
        return None  # the column takes part in a real row: not the writer's pattern
    if not (m.col_lower[j] <= 1.0 <= m.col_upper[j]):
        return None
    return j, rows


# --------------------------------------------------------------------------- files


def _file_kind(path: Path) -> tuple[str, bool]:
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    core = suffixes[-2] if gz and len(suffixes) >= 2 else (suffixes[-1] if suffixes else "")
    if core in (".mps", ".fmps", ".freemps"):
        return "mps", gz
    if core == ".lp":
        return "lp", gz
    raise ModelReadError(
        f"{path}: unknown model format {''.join(path.suffixes) or '(no extension)'}; use .mps, "
        f".mps.gz or .lp (CPLEX LP format).",
        source=str(path),
    )


MAX_MODEL_BYTES = 64 << 20
"""Largest model text read, on disk and after decompression (keeps reading bounded in memory)."""


def _read_bytes(path: Path, gz: bool) -> bytes:
    """The file's bytes: a regular file, UTF-8, at most :data:`MAX_MODEL_BYTES` (also after gunzip)."""
    try:
        # plain descriptor calls (no buffered file object: its set-up cost more than
        # reading a small model); O_NONBLOCK so that a FIFO cannot block the open
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):  # os.open opens a directory; open() refused it
                raise IsADirectoryError(errno.EISDIR, "is a directory")
            if not stat.S_ISREG(st.st_mode):
                raise ModelReadError(f"{path}: not a regular file.", source=str(path))
            # the size as stat says, plus one byte to see a file that grew meanwhile
            chunks = [os.read(fd, min(st.st_size, MAX_MODEL_BYTES) + 1)]
            left = MAX_MODEL_BYTES + 1 - len(chunks[0])
            while left > 0 and chunks[-1]:
                chunks.append(os.read(fd, min(left, 1 << 20)))
                left -= len(chunks[-1])
            if len(chunks) > 1 and not chunks[-1]:
                chunks.pop()  # the end of the file: no copy of the text (join) to make
            raw = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        finally:
            os.close(fd)
    except IsADirectoryError as exc:
        raise ModelReadError(
            f"{path}: is a directory, not a model file.", source=str(path)
        ) from exc
    except FileNotFoundError as exc:
        raise ModelReadError(f"{path}: no such file.", source=str(path)) from exc
    except OSError as exc:
        raise ModelReadError(f"{path}: cannot be read ({exc.strerror}).", source=str(path)) from exc
    too_big = f"{path}: more than {MAX_MODEL_BYTES} bytes of model text; it is refused."
    if len(raw) > MAX_MODEL_BYTES:
        raise ModelReadError(too_big, source=str(path))
    if gz:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz_fh:
                raw = gz_fh.read(MAX_MODEL_BYTES + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise ModelReadError(
                f"{path}: not a valid gzip file or truncated ({exc}).", source=str(path)
            ) from exc
        if len(raw) > MAX_MODEL_BYTES:
            raise ModelReadError(too_big + " (decompressed)", source=str(path))
    if not raw or raw.isspace():  # (what raw.strip() empties, without the copy)
        raise ModelReadError(f"{path}: the file is empty; write the model again.", source=str(path))
    if b"\x00" in raw[:4096]:
        raise ModelReadError(f"{path}: binary content, not an MPS/LP text file.", source=str(path))
    try:
        if not raw.isascii():  # ASCII is UTF-8: decoded only when it may not be
            raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ModelReadError(
            f"{path}:{line}: not UTF-8 text (byte {exc.start}); names must be ASCII or UTF-8.",
            source=str(path),
        ) from None
    return raw


# All scans below run on the bytes with C-level searches (a literal-prefixed regular
# expression, ``bytes.find``), never a Python loop over lines: they only look for things
# HiGHS would accept silently (unsupported sections, NaN, a missing end line).
_MPS_SECTION = re.compile(
    rb"\n(" + b"|".join(k.encode() for k in _MPS_UNSUPPORTED_SECTIONS) + rb")(?=\s)"
)
_NAN_TOKEN = re.compile(rb"(?<![^\s])[+-]?nan(?![^\s])")
_NAN_TOKEN_LP = re.compile(rb"(?<![\w.])[+-]?nan(?![\w.])")
_MPS_ENDATA = re.compile(rb"\n[ \t]*ENDATA\b", re.I)
_MPS_ROWS = re.compile(rb"\nROWS\b", re.I)
_INLINE_COMMENT = re.compile(rb"(?m)(?<=\S)[ \t]+[$*][^\n]*$")
#: SOS (any case) on a line with a 'MARKER' record, before or after it (the definition;
#: :func:`_sos_marker` finds the same lines faster, tested against it)
_SOS_MARKER = re.compile(rb"'MARKER'[^\n]*(?i:sos)|(?i:sos)[^\n]*'MARKER'")
_MARKER_RECORD = b"'MARKER'"
#: A number of magnitude <= 1e-12 written in the file (what HiGHS drops at its smallest
#: ``small_matrix_value``); looked for only when HiGHS warns.
#: The header comment of Pyomo's MPS and LP writers, whose infinite bounds are written 10E20.
_PYOMO_WRITER = re.compile(rb"Source:?\s+Pyomo (?:MPS Writer|LP file|model)", re.I)
_TINY_NUMBER = re.compile(
    rb"(?<![\w.])[+-]?(?:\d+\.?\d*|\.\d+)[eEdD]-0*(?:1[2-9]|[2-9]\d|\d{3,})\b"
)


def _nan_in(raw: bytes, pattern: re.Pattern[bytes], path: Path, low: bytes | None = None) -> None:
    """NaN in the file: HiGHS drops a NaN matrix entry silently (``nan1.mps``), so the
    text is searched (one lower-casing, ``low`` when the caller has it, and a find; the
    exact token test only on a hit)."""
    if low is None:
        low = raw.lower()
    if b"nan" in low and pattern.search(low):
        raise ModelReadError(
            f"{path}: the file contains NaN values; every number must be finite (or an "
            f"infinite bound). Fix the code that wrote it.",
            source=str(path),
        )


def _sos_marker(raw: bytes) -> bool:
    """A ``'MARKER'`` record whose line names SOS in any case (what ``_SOS_MARKER``
    matches): the few marker lines are found with ``bytes.find`` and only they are
    searched. The regular expression has no literal prefix, so it tried every byte of the
    file: 1.7 ms on a 96 KB file, as long as HiGHS's whole read of it."""
    i = raw.find(_MARKER_RECORD)
    while i >= 0:
        end = raw.find(b"\n", i)
        end = len(raw) if end < 0 else end
        if b"sos" in raw[raw.rfind(b"\n", 0, i) + 1 : end].lower():
            return True
        i = raw.find(_MARKER_RECORD, end)
    return False


def _has_endata(low: bytes) -> bool:
    """An ``ENDATA`` line (leading blanks allowed, any case, then a non-word byte or the
    end) anywhere in ``low``, the lower-cased file (what ``_MPS_ENDATA`` matches),
    searched from the end, where it is, with ``bytes.rfind``."""
    i = low.rfind(b"endata")
    while i >= 0:
        j = i
        while j > 0 and low[j - 1] in b" \t":
            j -= 1
        after = low[i + 6 : i + 7]
        if (j == 0 or low[j - 1] == 10) and not (after.isalnum() or after == b"_"):
            return True
        i = low.rfind(b"endata", 0, i)
    return False


def _scan_mps(raw: bytes, path: Path) -> None:
    features = [_MPS_UNSUPPORTED_SECTIONS[m.group(1).decode()] for m in _MPS_SECTION.finditer(raw)]
    if _sos_marker(raw):  # a 'MARKER' line that names SOS: unsupported
        features.append("SOS constraint")
    low = raw.lower()
    _nan_in(raw, _NAN_TOKEN, path, low)
    if not (_MPS_ROWS.search(b"\n" + raw[:65536]) or _MPS_ROWS.search(raw)):
        if _LP_OBJECTIVE_HEADER.search(raw[:65536].decode("latin-1")):
            raise ModelReadError(
                f"{path}: this looks like a CPLEX LP file, not MPS; rename it to .lp.",
                source=str(path),
            )
        raise ModelReadError(f"{path}: not an MPS file (no ROWS section).", source=str(path))
    if not _has_endata(low):
        raise ModelReadError(
            f"{path}: the MPS file has no ENDATA line; it looks truncated. Write it again.",
            source=str(path),
        )
    if features:
        raise UnsupportedModelError(
            f"{path}: the model has parts the equivalence checker does not handle: "
            f"{', '.join(sorted(set(features)))}. Only linear models are supported.",
            source=str(path),
            features=tuple(sorted(set(features))),
        )


def _prepare_lp(raw: bytes, path: Path) -> tuple[str | None, dict[str, str]]:
    """Check an LP file; replace Gurobi-style indexed names by plain identifiers.

    HiGHS reads ``[`` as the start of a quadratic term, so ``x[0,1]`` must be renamed
    before parsing; the returned dict maps each placeholder back to the original name.
    Returns ``(None, {})`` when the file needs no change (HiGHS then reads it in place).
    """
    text = raw.decode("latin-1")
    if not _LP_OBJECTIVE_HEADER.search(text):
        if re.search(r"^\s*(ROWS|COLUMNS)\s*$", text, re.M):
            raise ModelReadError(
                f"{path}: this looks like an MPS file, not CPLEX LP; rename it to .mps.",
                source=str(path),
            )
        raise ModelReadError(
            f"{path}: not a CPLEX LP file (no Minimize/Maximize section).", source=str(path)
        )
    if not (_LP_END.search(text, max(0, len(text) - 65536)) or _LP_END.search(text)):
        raise ModelReadError(
            f"{path}: the LP file has no 'End' line; it looks truncated. Write it again.",
            source=str(path),
        )
    # comments start with a backslash and run to the end of the line
    body = re.sub(r"\\[^\n]*", "", text) if "\\" in text else text
    _nan_in(body.encode("latin-1") if body is not text else raw, _NAN_TOKEN_LP, path)
    mapping: dict[str, str] = {}
    reverse: dict[str, str] = {}

    def repl(match: re.Match[str]) -> str:
        original = match.group(0)
        token = reverse.get(original)
        if token is None:
            token = f"osq_{len(reverse)}_"
            while token in body:
                token = "o" + token
            reverse[original] = token
            mapping[token] = original
        return token

    renamed = _GUROBI_NAME.sub(repl, body) if "[" in body else body
    features: list[str] = []
    if "[" in renamed or "]" in renamed:
        features.append("quadratic terms")
    if "::" in renamed:
        features.append("SOS constraint")
    if "->" in renamed:
        features.append("indicator constraint")
    if _LP_GENERAL_CONSTRAINTS.search(renamed):
        features.append("general constraint")
    if features:
        raise UnsupportedModelError(
            f"{path}: the model has parts the equivalence checker does not handle: "
            f"{', '.join(features)}. Only linear models are supported.",
            source=str(path),
            features=tuple(features),
        )
    return (renamed if mapping else None), mapping


#: HiGHS options under which it reads numbers as written: the smallest
#: ``small_matrix_value`` it allows (its default 1e-9 drops entries such as gas11.mps's
#: 1.25e-9, and a -5e-10 on a variable bounded by 1e12 changes the optimum by 500), no
#: bound or cost turned into infinity (its default: magnitudes >= 1e20), no upper limit
#: on matrix entries (its default rejects entries above 1e15).
_FAITHFUL_OPTIONS: tuple[tuple[str, float], ...] = (
    ("small_matrix_value", 1e-12),
    ("infinite_bound", float("inf")),
    ("infinite_cost", float("inf")),
    ("large_matrix_value", float("inf")),
)


_READERS = threading.local()


def _reader() -> Any:
    """This thread's HiGHS instance, set up once with the faithful options (creating one
    and setting its options costs about as much as reading a small file); the model of
    the previous read is cleared first. Its log goes to a file of this thread's (see
    :func:`_logged_warning`), not to the console."""
    h = getattr(_READERS, "highs", None)
    if h is None:
        # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
        import highspy

        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        for key, value in _FAITHFUL_OPTIONS:
            h.setOptionValue(key, value)
        _READERS.log = None
        try:
            fd, log = tempfile.mkstemp(prefix="optiscribe_highs_", suffix=".log")
            os.close(fd)
        except OSError:  # no writable temporary folder: HiGHS's status alone is used
            pass
        else:
            _LOGS.append(log)
            h.setOptionValue("log_to_console", False)
            h.setOptionValue("log_file", log)
            h.setOptionValue("output_flag", True)
            _READERS.log = [log, 0]
        _READERS.highs = h
    else:
        h.clearModel()
    return h


#: the log files of the threads' HiGHS instances, removed when the process exits
_LOGS: list[str] = []


@atexit.register
def _remove_logs() -> None:
    for log in _LOGS:
        with contextlib.suppress(OSError):
            os.unlink(log)


def _logged_warning() -> bool:
    """Whether HiGHS logged a warning while reading the last file. Its MPS reader reports
    some changes only there: an entry in a row ROWS does not declare is ignored with the
    status OK (``WARNING: Row name "c9" in COLUMNS section is not defined: ignored``).
    One ``stat`` when nothing was logged (the usual case)."""
    state = getattr(_READERS, "log", None)
    if state is None:
        return False
    try:
        size = os.stat(state[0]).st_size
        if size <= state[1]:
            return False
        with open(state[0], "rb") as fh:
            fh.seek(state[1])
            new = fh.read(size - state[1])
    except OSError:
        return False
    state[1] = size
    return b"WARNING" in new


def _highs_read(source: Path, payload: bytes | None, kind: str) -> tuple[Any, Any]:
    """Read with HiGHS: the file in place when ``payload`` is None, otherwise the
    payload through a temporary file (highspy reads only from disk)."""
    h = _reader()
    if payload is None:
        status = h.readModel(str(source))
    else:
        fd, tmp = tempfile.mkstemp(suffix=f".{kind}", prefix="optiscribe_verify_")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            status = h.readModel(tmp)
        finally:
            os.unlink(tmp)
    # always consumed, so that a read's log is never taken for the next one's
    if _logged_warning() and status == type(status).kOk:
        status = type(status).kWarning  # a change HiGHS only logged
    return h, status


def _tiny_numbers(raw: bytes) -> list[str]:
    """Numbers of magnitude in (0, 1e-12] written in the file (at most a few, as text)."""
    out = []
    for m in _TINY_NUMBER.finditer(raw):
        tok = m.group(0).decode("latin-1")
        try:
            v = abs(float(tok.replace("d", "e").replace("D", "e")))
        except ValueError:
            continue
        if 0 < v <= 1e-12:
            out.append(tok)
    return out


#: MPS files read natively first: below this many bytes (the list reader of small files
#: is faster than HiGHS's reader plus the conversion of its model: 0.5-0.6x on the
#: highs-check files of 3-6 KiB, 0.9-1.0x on copies written with 17 digits; above about
#: 8 KiB such copies read faster with HiGHS) ...
NATIVE_BELOW = 6144
#: ... and from this many bytes (Arrow's passes are faster than HiGHS from about here);
#: in between, HiGHS's C++ reader is faster, and any warning it gives (a dropped tiny
#: entry, a repeated bound, an unknown row) sends the file to the native reader
NATIVE_FROM = 196_608


def read_file(path: str | Path) -> MilpData:
    """Read an MPS or CPLEX-LP file into :class:`MilpData`, as written.

    MPS files are read by the native reader (:func:`optiscribe.verify._mps.parse_mps`:
    every number exactly as written, no temporary copy) when they are small, large or
    gzipped, and whenever HiGHS reports anything while reading them (see
    ``NATIVE_BELOW``/``NATIVE_FROM``). What the native reader does not fully understand,
    and every LP file, is read with highspy under options that keep its numbers (see
    ``_FAITHFUL_OPTIONS``; a plain file in place). Gurobi-style names such as ``x[0,1]``
    are accepted in LP files and kept as names; inline MPS comments (``$ ...`` or
    ``* ...`` after a record, which Gurobi accepts and HiGHS refuses) are removed on a
    retry and the step is recorded. What HiGHS still cannot keep (matrix entries of
    magnitude at most 1e-12) is recorded in ``MilpData.inexact``, and :func:`check`
    answers ``UNKNOWN`` for such a model.
    """
    p = path if isinstance(path, Path) else Path(path)
    # a plain .mps name (the usual case) without building the suffix list
    plain_mps = p.name.lstrip(".").lower().endswith(".mps")
    kind, gz = ("mps", False) if plain_mps else _file_kind(p)
    raw = _read_bytes(p, gz)
    native_first = kind == "mps" and (gz or not NATIVE_BELOW <= len(raw) < NATIVE_FROM)
    if native_first or (COMPILED and kind == "mps"):
        # the compiled reader is faster than HiGHS at every size; where it declines, the
        # Python methods read first only where they are faster than HiGHS
        model = _read_native(raw, p, python=native_first)
        if model is not None:
            return _finish(model, raw, [])
    return read_with_highs(p, raw, kind, gz, native=not native_first)


#: A small file's model whose matrix has more entries than this comes from the compiled
#: reader as arrays, not lists: the checks take their array paths above the small paths'
#: size (:data:`optiscribe.verify._canon.SMALL_NNZ`, held equal by a test), and making
#: the arrays from the lists on first access cost more than the lists saved (the check
#: 4-11 % slower at 140-900 entries, docs/benchmarks.md).
LIST_ENTRIES = 128


def _list_entries() -> int:
    """:data:`LIST_ENTRIES`, or -1 (arrays at every size) where every stage of a check
    after reading has its compiled kernel (:data:`STAGE_KERNELS`): those take arrays at
    every size, faster than the plain-Python paths even on tiny models, so lists would
    only be turned into arrays."""
    return -1 if STAGE_KERNELS else LIST_ENTRIES


def _read_native(raw: bytes, p: Path, *, python: bool = True) -> MilpData | None:
    """The native reader's model of ``raw``, or None when it refuses the file (or,
    without ``python``, when the compiled reader declines it). The compiled reader
    (:func:`parse_compiled`) reads first; the Python methods read what it declines. A
    small file goes straight from the reader's Python lists into :class:`MilpData` (the
    arrays are made from them only if read; the :class:`MpsModel` in between cost as
    much as the parsing); the model is the one :func:`_from_native` makes of
    ``parse_mps(raw)`` (tested)."""
    if len(raw) < TINY_FILE:
        t = parse_compiled_upto(raw, _list_entries())
        if isinstance(t, CompiledModel):
            return _from_compiled(t, str(p))
        if t is None and python:
            t = parse_tiny(raw)
        return MilpData._from_lists(**t._asdict(), source=str(p)) if t is not None else None
    compiled = parse_compiled(raw)
    if compiled is not None:
        return _from_compiled(compiled, str(p))
    if not python:
        return None
    parsed = parse_mps(raw)
    return _from_native(parsed, str(p)) if parsed is not None else None


def _from_compiled(t: CompiledModel, source: str) -> MilpData:
    """The compiled reader's model: its arrays over the reader's bytes (no copy) into
    :meth:`MilpData._from_reader`; the model :func:`_read_native` gives without the
    compiled reader (tested)."""

    def floats(b: bytes) -> np.ndarray:
        return np.frombuffer(b, dtype=np.float64)

    m, n = len(t.row_names), len(t.var_names)
    mat = canonical_csr(
        floats(t.data),
        np.frombuffer(t.indices, dtype=np.int64),
        np.frombuffer(t.indptr, dtype=np.int64),
        (m, n),
    )
    return MilpData._from_reader(
        A=mat,
        c=floats(t.c),
        row_lower=floats(t.row_lower),
        row_upper=floats(t.row_upper),
        col_lower=floats(t.col_lower),
        col_upper=floats(t.col_upper),
        integer=np.frombuffer(t.integer, dtype=np.bool_),
        sense=t.sense,
        offset=t.offset,
        var_names=t.var_names,
        row_names=t.row_names,
        source=source,
    )


def _from_native(mps: MpsModel, source: str) -> MilpData | None:
    """The native reader's model as :class:`MilpData`; None when the matrix repeats an
    entry (the CSR construction finds it; the file is then left to HiGHS)."""
    m, n = mps.row_lower.size, mps.c.size
    parts = dict(
        c=mps.c,
        row_lower=mps.row_lower,
        row_upper=mps.row_upper,
        col_lower=mps.col_lower,
        col_upper=mps.col_upper,
        integer=mps.integer,
        sense=mps.sense,
        offset=mps.offset,
        var_names=mps.var_names,
        row_names=mps.row_names,
        source=source,
    )
    if mps.csr is not None:  # built canonical by the reader (sorted, no repeats or zeros)
        indptr, indices, data = mps.csr
        mat = canonical_csr(
            np.array(data, dtype=np.float64),
            np.array(indices, dtype=np.int64),
            np.array(indptr, dtype=np.int64),
            (m, n),
        )
    else:
        mat = _canonical_csr(mps.start, mps.index, mps.value, m, n)
        if mat is None:
            return None
    return MilpData._from_reader(A=mat, **parts)  # type: ignore[arg-type]


def _column_record_fits(toks: list[bytes], rows: set[bytes]) -> bool:
    return len(toks) in (3, 5) and all(toks[k] in rows for k in range(1, len(toks), 2))


def _refuse_malformed(p: Path, raw: bytes) -> None:
    """A :class:`ModelReadError` naming the first malformed COLUMNS record, if any (see
    :func:`malformed_column_record`); only files HiGHS and the native reader disagree on,
    or that HiGHS read as fixed-format MPS, are checked."""
    bad = malformed_column_record(raw)
    if bad is not None:
        raise ModelReadError(
            f"{p}: line {bad[0]}: the COLUMNS record {bad[1]!r} is not a column name "
            f"followed by one or two (row name, value) pairs with rows declared in ROWS. "
            f"Fix the record (free-format MPS; names without spaces).",
            source=str(p),
        )


def _has_blank(*names: list[str] | None) -> bool:
    """Whether any name holds a blank (one join and a search in C)."""
    return any(ns is not None and re.search(r"\s", "".join(ns)) is not None for ns in names)


def malformed_column_record(raw: bytes) -> tuple[int, str] | None:
    """``(line number, record)`` of the first COLUMNS record that no reading of free-format
    MPS can take, with or without inline comments: not a column name and one or two
    (row name, value) pairs, or a row name ROWS does not declare. Such a record makes
    HiGHS 1.12 ignore the entry or, with short names, switch to its fixed-format parser,
    which misreads the file (and loops forever on some lines, which
    :func:`~optiscribe.solvers.highs_mps.without_stalling_lines` fills before any HiGHS
    read), so a file the native reader refused is checked for one before HiGHS is asked.
    A plain Python pass: only files the native reader refused get it."""
    rows: set[bytes] = set()
    section = b""
    for number, line in enumerate(raw.split(b"\n"), 1):
        toks = line.split()
        if not toks or line[:1] == b"*":
            continue
        if not line[:1].isspace():
            section = toks[0].upper()
            if section in (b"RHS", b"RANGES", b"BOUNDS", b"ENDATA"):
                return None
            continue
        if section == b"ROWS" and len(toks) >= 2:
            rows.add(toks[1])
        elif (
            section == b"COLUMNS"
            and b"MARKER" not in line.upper()  # marker lines: HiGHS reads them before names
            and not _column_record_fits(toks, rows)
        ):
            if not _column_record_fits(_INLINE_COMMENT.sub(b"", line).split(), rows):
                return number, line.decode("latin-1").strip()
    return None


def read_with_highs(p: Path, raw: bytes, kind: str, gz: bool, *, native: bool = True) -> MilpData:
    """Read ``raw`` (the bytes of ``p``) with highspy under the faithful options: the
    path for LP files and for MPS files the native reader leaves alone. With ``native``,
    an MPS file HiGHS warns about or refuses goes to the native reader first (HiGHS's
    model may then differ from the file)."""
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    import highspy

    mapping: dict[str, str] = {}
    steps: list[str] = []
    payload: bytes | None
    if kind == "mps":
        _scan_mps(raw, p)
        if not native:  # the native reader refused it: HiGHS would misread such a record
            _refuse_malformed(p, raw)
        payload = without_stalling_lines(raw) or (raw if gz else None)
    else:
        text, mapping = _prepare_lp(raw, p)
        payload = text.encode("latin-1") if text is not None else (raw if gz else None)
    h, status = _highs_read(p, payload, kind)
    if native and kind == "mps" and status != highspy.HighsStatus.kOk:
        model = _read_native(raw, p)
        if model is not None:
            return _finish(model, raw, [])
        if status == highspy.HighsStatus.kWarning:
            _refuse_malformed(p, raw)
    if status == highspy.HighsStatus.kError and kind == "mps":
        cleaned, n_comments = _INLINE_COMMENT.subn(b"", raw)
        if n_comments:
            step = (
                f"{n_comments} inline comments ('$ ...' or '* ...' after a record) "
                f"removed before parsing"
            )
            model = _read_native(cleaned, p)
            if model is not None:
                return _finish(model, cleaned, [step])
            h, status = _highs_read(p, without_stalling_lines(cleaned) or cleaned, kind)
            if status != highspy.HighsStatus.kError:
                steps.append(step)
                raw = cleaned
    if status == highspy.HighsStatus.kError:
        raise ModelReadError(
            f"{p}: HiGHS could not parse this {kind.upper()} file (syntax error, truncated or "
            f"wrong format). Check the file, or write it again as MPS.",
            source=str(p),
        )
    inexact: list[str] = []
    if status == highspy.HighsStatus.kWarning:
        tiny = _tiny_numbers(raw)
        if tiny:
            inexact.append(
                f"{p.name} has {len(tiny)} number{'s' if len(tiny) > 1 else ''} of magnitude "
                f"at most 1e-12 (e.g. "
                f"{', '.join(tiny[:3])}); HiGHS drops such matrix entries when it reads, so "
                f"the model as read may differ from the file. Write such coefficients as 0 "
                f"or rescale the model"
            )
        elif kind == "mps":
            # the native reader refused the file (or it would not be here), and HiGHS's
            # warnings mean it dropped or reinterpreted something: a name ROWS or COLUMNS
            # does not define is ignored, and a record its free-format parser cannot split
            # (short names: " y c9 1" with c9 undefined) switches it to its fixed-format
            # parser, which reads a free-format file as entirely different names and rows
            inexact.append(
                f"HiGHS warned while reading {p.name} and the native reader does not accept "
                f"it: a record names a row or column the file does not define, repeats an "
                f"entry, or has the wrong number of fields (HiGHS then ignores it or reads the "
                f"file as fixed-format MPS), so the model as read may differ from the file. "
                f"Fix the record (free-format MPS: names without spaces)"
            )
    model = h.getModel()
    lp = model.lp_
    if model.hessian_.dim_ > 0 and len(model.hessian_.value_) > 0:
        raise UnsupportedModelError(
            f"{p}: the objective is quadratic; only linear models are supported.",
            source=str(p),
            features=("quadratic objective",),
        )
    integrality = lp.integrality_
    n, m = lp.num_col_, lp.num_row_
    is_int = np.zeros(n, dtype=bool)
    if len(integrality):
        codes = np.fromiter(map(int, integrality), dtype=np.int64, count=n)
        semi_c = int(highspy.HighsVarType.kSemiContinuous)
        semi_i = int(highspy.HighsVarType.kSemiInteger)
        if ((codes == semi_c) | (codes == semi_i)).any():
            raise UnsupportedModelError(
                f"{p}: the model has semi-continuous variables (or semi-integer ones); only "
                f"plain continuous/integer variables are supported.",
                source=str(p),
                features=("semi-continuous variable",),
            )
        is_int = codes == int(highspy.HighsVarType.kInteger)
    a = lp.a_matrix_
    start = np.asarray(a.start_, dtype=np.int64)
    index = np.asarray(a.index_, dtype=np.int64)
    value = np.asarray(a.value_, dtype=np.float64)
    colwise = a.format_ == highspy.MatrixFormat.kColwise
    mat = _canonical_csr(start, index, value, m, n) if colwise else None
    var_names: Any = lp.col_names_ if len(lp.col_names_) else None
    row_names: Any = lp.row_names_ if len(lp.row_names_) else None
    if kind == "mps" and _has_blank(var_names, row_names):
        # names with blanks: HiGHS read the file as fixed-format MPS, which it also does
        # (with status OK) when a malformed free-format record misleads it
        _refuse_malformed(p, raw)
    if mapping:
        var_names = [mapping.get(s, s) for s in var_names] if var_names is not None else None
        row_names = [mapping.get(s, s) for s in row_names] if row_names is not None else None
    sense = -1 if lp.sense_ == highspy.ObjSense.kMaximize else 1
    parts = dict(
        c=np.asarray(lp.col_cost_, dtype=np.float64),
        row_lower=np.asarray(lp.row_lower_, dtype=np.float64),
        row_upper=np.asarray(lp.row_upper_, dtype=np.float64),
        col_lower=np.asarray(lp.col_lower_, dtype=np.float64),
        col_upper=np.asarray(lp.col_upper_, dtype=np.float64),
        integer=is_int,
        sense=sense,
        offset=float(lp.offset_),
        var_names=var_names,
        row_names=row_names,
        source=str(p),
    )
    if mat is not None:
        out = MilpData._from_reader(A=mat, **parts)
    else:  # row-wise, or duplicate/zero entries: the general path sums and drops them
        if colwise:
            full = sp.csc_array((value, index, start), shape=(m, n)).tocsr()
        else:
            full = sp.csr_array((value, index, start), shape=(m, n))
        out = MilpData.build(A=full, infinity=np.inf, **parts)
    return _finish(out, raw, steps, tuple(inexact))


def _finish(out: MilpData, raw: bytes, steps: list[str], inexact: tuple[str, ...] = ()) -> MilpData:
    """The steps both readers share: bounds of magnitude >= 1e20 (Pyomo's writers mean
    infinity by them; anywhere else they stay the finite numbers written), and the
    record of what was changed or could not be kept."""
    n_huge = huge_bounds(out)
    if n_huge and _PYOMO_WRITER.search(raw[:512]):
        # Pyomo's writers have no way to say "no bound" for an integer column but 10E20: in a
        # file that names Pyomo as its source, that is the writer's infinity, read as meant.
        out = with_infinite_huge_bounds(out)
        steps.append(
            f"{n_huge} bounds of magnitude >= 1e20 read as infinite: the file's source is "
            f"Pyomo's writer, which writes infinity that way"
        )
    elif n_huge:
        steps.append(
            f"{n_huge} bounds of magnitude >= 1e20 kept finite as written (HiGHS and CPLEX "
            f"read them as infinite, Gurobi as finite)"
        )
    if steps or inexact:
        out = replace(out, read_steps=tuple(steps), inexact=inexact)
    return out


def _canonical_csr(
    start: np.ndarray, index: np.ndarray, value: np.ndarray, m: int, n: int
) -> sp.csr_array | None:
    """HiGHS's column-wise matrix as CSR with sorted indices, built with a few numpy
    calls and one scipy constructor (``csc_array(...).tocsr()`` and the copies after it
    cost more than HiGHS's own reading of a small file). None when the arrays are not
    plainly well formed, or hold duplicate or zero entries: the caller then takes the
    general path, which sums duplicates and drops zeros."""
    if start.size != n + 1 or start[0] != 0 or (n and ((start[1:] - start[:-1]) < 0).any()):
        return None
    nnz = int(start[-1])
    if index.size < nnz or value.size < nnz:
        return None
    index, value = index[:nnz], value[:nnz]
    if nnz and (int(index.min()) < 0 or int(index.max()) >= m or not value.all()):
        return None
    cols = np.repeat(np.arange(n, dtype=np.int64), (start[1:] - start[:-1]))
    # per row, columns stay ascending; below 2**16 rows numpy's stable sort of 16-bit
    # keys is a radix sort (about 10x faster than on int64)
    key = index.astype(np.uint16) if m <= 1 << 16 else index
    order = np.argsort(key, kind="stable")
    rows, indices = index[order], cols[order]
    if nnz > 1 and ((rows[1:] == rows[:-1]) & (indices[1:] == indices[:-1])).any():
        return None
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=m), out=indptr[1:])
    # sorted above, repeats, zeros and indices out of range ruled out: canonical
    return canonical_csr(value[order].astype(np.float64, copy=False), indices, indptr, (m, n))


# --------------------------------------------------------------------------- pyomo


def _is_pyomo_model(obj: object) -> bool:
    mod = type(obj).__module__ or ""
    return mod.startswith("pyomo.") and hasattr(obj, "component_data_objects")


def from_pyomo(model: Any, *, source: str = "") -> MilpData:
    """Compile a Pyomo model with ``LinearStandardFormCompiler`` into :class:`MilpData`.

    Pyomo names (``x[chairs]``) are kept. Fixed variables are kept as columns with equal
    bounds (the compiler would substitute them; at the strict level a fixed variable is
    part of the model). Ranged constraints come back as one ranged row.
    """
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    import pyomo.environ as pyo
    from pyomo.common.errors import InvalidConstraintError
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    label = source or f"Pyomo model {getattr(model, 'name', '')!r}"
    objectives = list(model.component_data_objects(pyo.Objective, active=True))
    if len(objectives) > 1:
        raise ModelReadError(
            f"{label}: {len(objectives)} active objectives; deactivate all but one.", source=label
        )
    fixed: list[tuple[Any, Any, Any, Any]] = []
    for v in model.component_data_objects(pyo.Var, descend_into=True):
        if v.fixed:
            fixed.append((v, v.value, v.lower, v.upper))
    try:
        for v, val, _lo, _up in fixed:
            v.unfix()
            v.setlb(val)
            v.setub(val)
        try:
            info = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
        except InvalidConstraintError as exc:
            raise UnsupportedModelError(
                f"{label}: {exc} Only linear models are supported.",
                source=label,
                features=("nonlinear constraint",),
            ) from exc
        except ValueError as exc:
            msg = str(exc)
            if "does not know how to process" in msg:
                raise UnsupportedModelError(
                    f"{label}: the model has components the checker does not handle "
                    f"(SOS, disjunctions, logical constraints ...): {msg.strip()}",
                    source=label,
                    features=("non-linear component",),
                ) from exc
            if "nonlinear" in msg.lower() or "quadratic" in msg.lower():
                raise UnsupportedModelError(
                    f"{label}: {msg} Only linear models are supported.",
                    source=label,
                    features=("nonlinear objective",),
                ) from exc
            raise ModelReadError(
                f"{label}: Pyomo could not compile the model: {msg}", source=label
            ) from exc
        # read the bounds while fixed variables still carry their value as bounds
        columns = list(info.columns)
        lo = np.array([-np.inf if v.lb is None else float(v.lb) for v in columns])
        up = np.array([np.inf if v.ub is None else float(v.ub) for v in columns])
    finally:
        for v, val, old_lo, old_up in fixed:
            v.setlb(old_lo)
            v.setub(old_up)
            v.fix(val)
    n = len(columns)
    A = sp.csr_array(info.A) if info.A is not None else sp.csr_array((0, n))
    rhs = np.asarray(info.rhs, dtype=np.float64).reshape(-1)
    # merge the two rows of a ranged constraint back into one ranged row
    order: dict[int, int] = {}
    lower: list[float] = []
    upper: list[float] = []
    names: list[str] = []
    take: list[int] = []
    for k, (con, side) in enumerate(info.rows):
        key = id(con)
        if key in order and side != 0:
            i = order[key]
            if side > 0:
                upper[i] = rhs[k]
            else:
                lower[i] = rhs[k]
            continue
        order[key] = len(lower)
        take.append(k)
        names.append(con.name)
        lower.append(rhs[k] if side <= 0 else -np.inf)
        upper.append(rhs[k] if side >= 0 else np.inf)
    A = A[np.asarray(take, dtype=np.int64)] if take else sp.csr_array((0, n))
    if objectives:
        c = np.asarray(sp.csr_array(info.c).toarray()).reshape(-1) if n else np.zeros(0)
        c = c[:n] if c.size >= n else np.zeros(n)
        offset = float(np.asarray(info.c_offset).reshape(-1)[0]) if len(info.c_offset) else 0.0
        sense = int(objectives[0].sense)
    else:
        c, offset, sense = np.zeros(n), 0.0, 1
    return MilpData.build(
        c=c,
        A=A,
        row_lower=np.asarray(lower, dtype=np.float64),
        row_upper=np.asarray(upper, dtype=np.float64),
        col_lower=lo,
        col_upper=up,
        integer=np.array([bool(v.is_integer()) for v in columns], dtype=bool),
        sense=1 if sense >= 0 else -1,
        offset=offset,
        var_names=[v.name for v in columns],
        row_names=names,
        source=label,
    )
