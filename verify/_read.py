"""Readers: MPS/CPLEX-LP files (through highspy), Pyomo models, our IR, into :class:`MilpData`.

Every reader either returns a complete linear model or raises: :class:`ModelReadError`
for input that cannot be read (missing, empty, truncated, wrong format, NaN), and
:class:`UnsupportedModelError` for parts the checker does not handle (quadratic terms,
SOS, indicator/general constraints, semi-continuous variables). Nothing is silently
dropped: ORGEval's reader drops non-linear parts (equivalence.md §3.9, defect 6).
"""

from __future__ import annotations

import gzip
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Union

import numpy as np
import scipy.sparse as sp

from optiscribe.verify._model import MilpData, ModelReadError, UnsupportedModelError

__all__ = ["ModelLike", "fold_objective_constant", "from_pyomo", "read_file", "read_model"]

#: The name Pyomo's LP and MPS writers give the pseudo-column that carries an objective
#: constant (``/work/shared/docs/ecosystem.md`` §1.3).
PYOMO_CONSTANT_COLUMN = "ONE_VAR_CONSTANT"

#: Anything :func:`read_model` accepts: a path, a Pyomo ConcreteModel, an object with a
#: ``to_pyomo()`` method (our IR), or a :class:`MilpData`.
ModelLike = Union[str, Path, MilpData, Any]

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
_LP_SOS = re.compile(r"::")
_LP_INDICATOR = re.compile(r"->")
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
    """Fold Pyomo's objective-constant pseudo-column into ``offset``.

    Pyomo's writers store the constant ``k`` of an objective as ``k · ONE_VAR_CONSTANT``
    with the column fixed at 1: by its bounds ``[1, 1]`` (LP writer) or by an extra
    equality row ``c_e_ONE_VAR_CONSTANT: 1 · ONE_VAR_CONSTANT = 1`` (MPS writer). This is
    a presentation of a constant, not a variable, so it is folded at every level when
    (and only when) the shape is exactly that: a column named ``ONE_VAR_CONSTANT`` that
    appears in no row except possibly equality rows holding only itself, whose effective
    bounds (column bounds intersected with those rows) are exactly ``[1, 1]``. Anything
    else (the column in a real row, bounds that do not fix it at 1) is left alone, and a
    general fixed variable is substituted only at the ``normalized`` level. The step is
    recorded in ``read_steps``. Applied identically to files and to Pyomo models.
    """
    try:
        j = m.var_names.index(PYOMO_CONSTANT_COLUMN)
    except ValueError:
        return m
    if PYOMO_CONSTANT_COLUMN in m.var_names[j + 1 :]:
        return m
    csc = m.A.tocsc()
    rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
    vals = csc.data[csc.indptr[j] : csc.indptr[j + 1]]
    lo, hi = float(m.col_lower[j]), float(m.col_upper[j])
    if rows.size:
        nnz = np.diff(m.A.indptr)[rows]
        rl, ru = m.row_lower[rows], m.row_upper[rows]
        if np.any(nnz != 1) or np.any(rl != ru):
            return m  # the column takes part in a real row: not the writer's pattern
        fixed_at = ru / vals
        if not np.all(fixed_at == 1.0):
            return m
        if not (lo <= 1.0 <= hi):
            return m
        lo = hi = 1.0
    if lo != 1.0 or hi != 1.0:
        return m
    keep_c = np.flatnonzero(np.arange(m.num_vars) != j)
    keep_r = np.setdiff1d(np.arange(m.num_rows), rows)
    k = float(m.c[j])
    dropped = [m.row_names[i] for i in rows.tolist()]
    step = f"objective constant {k:.10g} read from Pyomo's fixed column {PYOMO_CONSTANT_COLUMN}" + (
        f" (and its row {', '.join(dropped)})" if dropped else ""
    )
    out = MilpData.build(
        c=m.c[keep_c],
        A=m.A[keep_r][:, keep_c],
        row_lower=m.row_lower[keep_r],
        row_upper=m.row_upper[keep_r],
        col_lower=m.col_lower[keep_c],
        col_upper=m.col_upper[keep_c],
        integer=m.integer[keep_c],
        sense=m.sense,
        offset=m.offset + k,
        var_names=[m.var_names[i] for i in keep_c.tolist()],
        row_names=[m.row_names[i] for i in keep_r.tolist()],
        source=m.source,
    )
    return replace(out, read_steps=m.read_steps + (step,))


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


def _read_text(path: Path, gz: bool) -> str:
    """The file's text: a regular file, at most :data:`MAX_MODEL_BYTES` (also after gunzip)."""
    import io
    import os
    import stat
    import zlib

    try:
        with open(path, "rb", opener=lambda p, f: os.open(p, f | os.O_NONBLOCK)) as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise ModelReadError(f"{path}: not a regular file.", source=str(path))
            raw = fh.read(MAX_MODEL_BYTES + 1)
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
    if not raw.strip():
        raise ModelReadError(f"{path}: the file is empty; write the model again.", source=str(path))
    if b"\x00" in raw[:4096]:
        raise ModelReadError(f"{path}: binary content, not an MPS/LP text file.", source=str(path))
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ModelReadError(
            f"{path}:{line}: not UTF-8 text (byte {exc.start}); names must be ASCII or UTF-8.",
            source=str(path),
        ) from None
    return raw.decode("latin-1")


def _scan_mps(text: str, path: Path) -> None:
    features: list[str] = []
    saw_rows = False
    saw_end = False
    in_bounds = False
    for line in text.splitlines():
        if not line or line[0] in "*":
            continue
        if not line[0].isspace():
            head = line.split()[0].upper()
            in_bounds = head == "BOUNDS"
            if head in _MPS_UNSUPPORTED_SECTIONS:
                features.append(_MPS_UNSUPPORTED_SECTIONS[head])
            elif head == "ROWS":
                saw_rows = True
            elif head == "ENDATA":
                saw_end = True
        elif in_bounds:
            kind = line.split()[0].upper() if line.split() else ""
            if kind in ("SC", "SI"):
                features.append("semi-continuous variable")
        elif "'MARKER'" in line.upper() and "SOS" in line.upper():
            features.append("SOS constraint")
    if re.search(r"(?<![^\s])[+-]?nan(?![^\s])", text, re.I):
        raise ModelReadError(
            f"{path}: the file contains NaN values; every number must be finite (or an "
            f"infinite bound). Fix the code that wrote it.",
            source=str(path),
        )
    if not saw_rows:
        if _LP_OBJECTIVE_HEADER.search(text):
            raise ModelReadError(
                f"{path}: this looks like a CPLEX LP file, not MPS; rename it to .lp.",
                source=str(path),
            )
        raise ModelReadError(f"{path}: not an MPS file (no ROWS section).", source=str(path))
    if not saw_end:
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


def _prepare_lp(text: str, path: Path) -> tuple[str, dict[str, str]]:
    """Check an LP file and replace Gurobi-style indexed names by plain identifiers.

    HiGHS reads ``[`` as the start of a quadratic term, so ``x[0,1]`` must be renamed
    before parsing; the returned dict maps each placeholder back to the original name.
    """
    if not _LP_OBJECTIVE_HEADER.search(text):
        if re.search(r"^\s*(ROWS|COLUMNS)\s*$", text, re.M):
            raise ModelReadError(
                f"{path}: this looks like an MPS file, not CPLEX LP; rename it to .mps.",
                source=str(path),
            )
        raise ModelReadError(
            f"{path}: not a CPLEX LP file (no Minimize/Maximize section).", source=str(path)
        )
    if not _LP_END.search(text):
        raise ModelReadError(
            f"{path}: the LP file has no 'End' line; it looks truncated. Write it again.",
            source=str(path),
        )
    # comments start with a backslash and run to the end of the line
    body = re.sub(r"\\[^\n]*", "", text)
    if re.search(r"(?<![\w.])[+-]?nan(?![\w.])", body, re.I):
        raise ModelReadError(
            f"{path}: the file contains NaN values; every number must be finite (or an "
            f"infinite bound). Fix the code that wrote it.",
            source=str(path),
        )
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

    renamed = _GUROBI_NAME.sub(repl, body)
    features: list[str] = []
    if "[" in renamed or "]" in renamed:
        features.append("quadratic terms")
    if _LP_SOS.search(renamed):
        features.append("SOS constraint")
    if _LP_INDICATOR.search(renamed):
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
    return renamed, mapping


def read_file(path: str | Path) -> MilpData:
    """Read an MPS or CPLEX-LP file with highspy into :class:`MilpData`.

    Gurobi-style names such as ``x[0,1]`` are accepted in LP files and kept as names.
    """
    import os
    import tempfile

    import highspy

    p = Path(path)
    kind, gz = _file_kind(p)
    if p.is_dir():
        raise ModelReadError(f"{p}: is a directory, not a model file.", source=str(p))
    text = _read_text(p, gz)
    mapping: dict[str, str] = {}
    if kind == "mps":
        _scan_mps(text, p)
        payload = text
    else:
        payload, mapping = _prepare_lp(text, p)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    # highspy only reads from disk; write what we checked (decompressed, names mangled)
    fd, tmp = tempfile.mkstemp(suffix=f".{kind}", prefix="optiscribe_verify_")
    try:
        with os.fdopen(fd, "w", encoding="latin-1") as fh:
            fh.write(payload)
        status = h.readModel(tmp)
    finally:
        os.unlink(tmp)
    if status == highspy.HighsStatus.kError:
        raise ModelReadError(
            f"{p}: HiGHS could not parse this {kind.upper()} file (syntax error, truncated or "
            f"wrong format). Check the file, or write it again as MPS.",
            source=str(p),
        )
    model = h.getModel()
    lp = model.lp_
    if model.hessian_.dim_ > 0 and len(model.hessian_.value_) > 0:
        raise UnsupportedModelError(
            f"{p}: the objective is quadratic; only linear models are supported.",
            source=str(p),
            features=("quadratic objective",),
        )
    integrality = list(lp.integrality_)
    semi = {highspy.HighsVarType.kSemiContinuous, highspy.HighsVarType.kSemiInteger}
    if any(t in semi for t in integrality):
        raise UnsupportedModelError(
            f"{p}: the model has semi-continuous variables (or semi-integer ones); only plain "
            f"continuous/integer variables are supported.",
            source=str(p),
            features=("semi-continuous variable",),
        )
    n, m = lp.num_col_, lp.num_row_
    a = lp.a_matrix_
    start = np.asarray(a.start_, dtype=np.int64)
    index = np.asarray(a.index_, dtype=np.int64)
    value = np.asarray(a.value_, dtype=np.float64)
    if a.format_ == highspy.MatrixFormat.kColwise:
        mat = sp.csc_array((value, index, start), shape=(m, n)).tocsr()
    else:
        mat = sp.csr_array((value, index, start), shape=(m, n))
    is_int = np.zeros(n, dtype=bool)
    if integrality:
        is_int = np.array([t == highspy.HighsVarType.kInteger for t in integrality], dtype=bool)
    var_names = [mapping.get(s, s) for s in lp.col_names_] if len(lp.col_names_) else None
    row_names = [mapping.get(s, s) for s in lp.row_names_] if len(lp.row_names_) else None
    sense = -1 if lp.sense_ == highspy.ObjSense.kMaximize else 1
    return MilpData.build(
        c=np.asarray(lp.col_cost_, dtype=np.float64),
        A=mat,
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
