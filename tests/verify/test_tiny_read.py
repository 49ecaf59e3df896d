"""Reading small MPS files cheaply (issue 11, fifth round): the list-based reader of small
files (``_mps.parse_tiny``, the ``"loop"`` method), the model it goes straight into
(``MilpData._from_lists``) and the matrix built without scipy's constructor
(``_model.canonical_csr``) must give exactly what the other methods and the general
construction give: the same refusals, the same arrays bit for bit (signs of zeros,
dtypes, read-only flags), the same names, the same scipy object."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from optiscribe.verify import MilpData, _model, _mps, _read, read_model
from optiscribe.verify._mps import TINY_FILE, _floats, _number, _Refuse, parse_mps, parse_tiny
from tests._support.reader_fuzz import make_corpus

from .conftest import HIGHS_CHECK, need
from .test_native_mps import FEATURES, _mutate

ARRAYS = ("c", "row_lower", "row_upper", "col_lower", "col_upper", "integer")


def identical(a: MilpData | None, b: MilpData | None) -> list[str]:
    """What differs between two models, bit for bit: every array's bytes, dtype, shape
    and writeable flag, the matrix's arrays and scipy attributes, names, sense, the
    offset's bits, source, steps."""
    if a is None or b is None:
        return [] if a is b else ["refused by one only"]
    out = []
    for f in ARRAYS:
        x, y = getattr(a, f), getattr(b, f)
        if (x.dtype, x.shape, x.flags.writeable) != (y.dtype, y.shape, y.flags.writeable):
            out.append(f"{f} dtype/shape/flags")
        elif x.tobytes() != y.tobytes():
            out.append(f)
    for f in ("data", "indices", "indptr"):
        x, y = getattr(a.A, f), getattr(b.A, f)
        if (x.dtype, x.shape, x.flags.writeable) != (y.dtype, y.shape, y.flags.writeable):
            out.append(f"A.{f} dtype/shape/flags")
        elif x.tobytes() != y.tobytes():
            out.append(f"A.{f}")
    va = {k: v for k, v in vars(a.A).items() if not isinstance(v, np.ndarray)}
    vb = {k: v for k, v in vars(b.A).items() if not isinstance(v, np.ndarray)}
    if va != vb or set(vars(a.A)) != set(vars(b.A)) or type(a.A) is not type(b.A):
        out.append(f"A attributes {va} != {vb}")
    if (a.sense, np.float64(a.offset).tobytes()) != (b.sense, np.float64(b.offset).tobytes()):
        out.append("sense/offset")
    if type(a.offset) is not type(b.offset):
        out.append("offset type")
    if a.var_names != b.var_names or a.row_names != b.row_names:
        out.append("names")
    if (a.source, a.read_steps, a.inexact) != (b.source, b.read_steps, b.inexact):
        out.append("source/steps")
    return out


def _relayout(raw: bytes, rng: random.Random) -> bytes:
    """The same file laid out differently: tabs, trailing blanks, CR LF, blank lines and
    comment lines (what a reader must skip), the records themselves unchanged."""
    out = []
    for line in raw.split(b"\n"):
        if rng.random() < 0.1:
            out.append(rng.choice([b"", b"* comment", b"*", b"   ", b"\t", b"*ROWS x"]))
        if line[:1].isspace() and rng.random() < 0.3:
            line = line.replace(b" ", b"\t", rng.randrange(1, 3))
        out.append(line + rng.choice([b"", b"", b" ", b"\r", b" \t"]))
    return b"\n".join(out)


def _corpus(tmp_path: Path) -> list[tuple[str, bytes]]:
    """Every highs-check instance, the record-kind file, 6 relaid-out copies and 20
    mutations (one to three edits each, see test_native_mps.py) of each small one, and
    the reader fuzz corpus's MPS files."""
    files = sorted(need(HIGHS_CHECK).glob("*.mps"))
    out = [(f.name, f.read_bytes()) for f in files] + [("features.mps", FEATURES.encode())]
    rng = random.Random(611)
    for name, seed in [item for item in out if len(item[1]) < TINY_FILE]:
        for i in range(6):
            out.append((f"{name} relaid out {i}", _relayout(seed, rng)))
        for i in range(20):
            raw = seed
            for _ in range(rng.randrange(1, 4)):
                raw = _mutate(raw, rng)
            out.append((f"{name} mutation {i}", raw))
    out += [
        (p.name, p.read_bytes())
        for p in make_corpus(tmp_path, seed=12, n=300)
        if p.name.endswith(".mps")
    ]
    return out


def _native(raw: bytes, method: str) -> MilpData | None:
    parsed = parse_mps(raw, method=method)
    return _read._from_native(parsed, "f.mps") if parsed is not None else None


def test_the_tiny_reader_reads_like_the_other_methods(tmp_path):
    """The list-based reader refuses exactly what the lists and Arrow methods refuse and
    otherwise gives the same model bit for bit (the other methods are tested against
    HiGHS in test_native_mps.py)."""
    methods = ["lines"]
    try:
        import pyarrow  # noqa: F401

        methods.append("arrays")
    except ImportError:
        pass
    read = 0
    for name, raw in _corpus(tmp_path):
        tiny = _native(raw, "loop")
        read += tiny is not None
        for method in methods:
            diff = identical(tiny, _native(raw, method))
            assert not diff, f"{name}: loop and {method} differ in {diff}"
    assert read >= 200  # not vacuous: many files are read, many refused


def test_small_files_go_straight_into_milpdata(tmp_path):
    """The production path for small files (lists -> MilpData._from_lists, canonical_csr)
    gives the model that MilpData._from_reader (the general construction, with its
    checks) makes of the same reading's MpsModel."""
    read = 0
    for name, raw in _corpus(tmp_path):
        if len(raw) >= TINY_FILE:
            continue
        p = tmp_path / "f.mps"
        direct = _read._read_native(raw, p)
        via = _native(raw, "loop")
        if via is not None:
            via = MilpData._from_reader(
                A=via.A,
                **{f: getattr(via, f) for f in ARRAYS},
                sense=via.sense,
                offset=via.offset,
                var_names=via.var_names,
                row_names=via.row_names,
                source=str(p),
            )
        diff = identical(direct, via)
        assert not diff, f"{name}: direct and via MpsModel differ in {diff}"
        read += direct is not None
    assert read >= 150


def _assert_scipys_own(mat: sp.csr_array, label: str) -> None:
    """``mat`` is what scipy's constructor builds of its arrays (same attributes, arrays
    and dtypes), passes scipy's full format check, and scipy finds it canonical."""
    arrays = (mat.data.copy(), mat.indices.copy(), mat.indptr.copy())
    ref = sp.csr_array(arrays, shape=mat.shape)
    assert ref.has_canonical_format and ref.has_sorted_indices, label  # computed by scipy
    ref.has_canonical_format = True
    assert set(vars(ref)) == set(vars(mat)), label
    for key, value in vars(ref).items():
        got = vars(mat)[key]
        if isinstance(value, np.ndarray):
            assert got.dtype == value.dtype and np.array_equal(got, value), (label, key)
        else:
            assert type(got) is type(value) and got == value, (label, key)
    fresh = _model.canonical_csr(*arrays, mat.shape)
    fresh.check_format(full_check=True)
    assert (fresh != ref).nnz == 0, label


def test_the_matrix_is_scipys_own(tmp_path):
    """canonical_csr's matrix is the constructor's, from the tiny reader and from HiGHS's
    column-wise arrays (``_canonical_csr``)."""
    (tmp_path / "features.mps").write_text(FEATURES)
    checked = 0
    for f in [*sorted(need(HIGHS_CHECK).glob("*.mps")), tmp_path / "features.mps"]:
        raw = f.read_bytes()
        if len(raw) < TINY_FILE and parse_tiny(raw) is not None:
            _assert_scipys_own(_read._read_native(raw, f).A, f"{f.name} native")  # type: ignore[union-attr]
            checked += 1
        try:
            highs = _read.read_with_highs(f, raw, "mps", False, native=False)
        except Exception:  # unreadable or unsupported by design
            continue
        _assert_scipys_own(highs.A, f"{f.name} HiGHS")
        checked += 1
    assert checked > 90


def test_canonical_csr_falls_back_to_the_constructor(monkeypatch):
    """When scipy's objects carry other attributes, the constructor builds the matrix."""
    data = np.array([1.0, -2.0, 3.0])
    indices = np.array([0, 2, 1], dtype=np.int64)
    indptr = np.array([0, 2, 3], dtype=np.int64)
    fast = _model.canonical_csr(data, indices, indptr, (2, 3))
    assert _model._csr_attributes() is not None  # this scipy: the fast path is taken
    monkeypatch.setattr(_model, "_CSR_ATTRIBUTES", None)
    monkeypatch.setattr(_model, "_CSR_CHECKED", True)
    slow = _model.canonical_csr(data, indices, indptr, (2, 3))
    assert set(vars(slow)) == set(vars(fast)) and slow.has_canonical_format
    assert np.array_equal(slow.toarray(), fast.toarray())


def test_floats_refuse_a_batch_with_any_bad_number():
    good = [b"1", b"-2.5", b".5", b"5.", b"1e-13", b"+1E+05", b"-0"]
    assert _floats(good) == [float(t) for t in good]
    assert _number(b"-0") == 0.0 and np.signbit(_number(b"-0"))
    for bad in (b"1d5", b"inf", b"nan", b"1e400", b"1_0", b"1e", b"+-1", b"0x1"):
        with pytest.raises((_Refuse, ValueError)):
            _floats([*good, bad])
    assert _floats([]) == []


def test_read_model_of_a_small_file_takes_the_tiny_path(tmp_path, monkeypatch):
    path = tmp_path / "features.mps"
    path.write_text(FEATURES)
    monkeypatch.setattr(_read, "parse_mps", lambda *a, **k: pytest.fail("not the tiny path"))
    m = read_model(path)
    assert m.num_vars == 8 and m.A.has_canonical_format and not m.A.data.flags.writeable


@pytest.mark.parametrize(
    "name",
    [
        "a.mps",
        "A.MPS",
        "a.b.Mps",
        "x..mps",
        ".mps",
        "..mps",
        "a.mps.",
        "mps",
        "a.lp",
        "a.mps.gz",
        "a.fmps",
        "a.gz.mps",
        ".a.mps",
        "a.mpsx",
        "a.xmps",
    ],
)
def test_the_plain_mps_name_shortcut_agrees_with_file_kind(name):
    # read_file takes a name whose last suffix is .mps as ("mps", False) without
    # _file_kind, which must say the same for it
    p = Path("/some/dir") / name
    shortcut = p.name.lstrip(".").lower().endswith(".mps")
    try:
        kind = _read._file_kind(p)
    except Exception:
        kind = None
    # the last of pathlib's suffixes, as _file_kind reads them ("..mps" has none)
    assert shortcut == ([s.lower() for s in p.suffixes[-1:]] == [".mps"]), name
    if shortcut:
        assert kind == ("mps", False), name


def test_row_kinds_and_bound_types_are_no_keywords():
    # parse_tiny skips the keyword test on ROWS and BOUNDS lines because it refuses any
    # first token there but these, none of which HiGHS takes for a header
    from optiscribe.verify._mps import _BOUND_TYPES, _KEYWORDS

    firsts = {t.upper() for t in [*_BOUND_TYPES, b"N", b"E", b"L", b"G"]}
    assert not firsts & _KEYWORDS
    assert set(_BOUND_TYPES) == {t.upper() for t in _BOUND_TYPES}  # case-sensitive lookup


def _exactly(values: list[object]) -> list[tuple[type, str]]:
    """Each value's type and ``repr`` (bit-exact for floats, the sign of a zero too)."""
    return [(type(v), repr(v)) for v in values]


def test_the_kept_lists_are_the_arrays_lists(tmp_path, monkeypatch):
    """The lists a small file's model keeps (``_model.kept_lists``, read by the tiny
    models' plain-Python paths instead of the arrays) are exactly the arrays' ``tolist()``:
    values, types, signs of zeros; the huge-bound count and the objective-constant test on
    them answer as on the arrays; a model made from it (``replace``) or built in memory
    keeps none. (The Python reader keeps lists for every small file; the compiled one
    only up to ``_read.LIST_ENTRIES`` entries, ``test_compiled_mps.py``.)"""
    monkeypatch.setattr(_mps, "_mpsc", None)
    kept = fixed = 0
    files = [(f.name, f.read_bytes()) for f in sorted(need(HIGHS_CHECK).glob("*.mps"))]
    for name, raw in [*files, *_corpus(tmp_path)]:
        if len(raw) >= TINY_FILE:
            continue
        m = _read._read_native(raw, tmp_path / "f.mps")
        if m is None:
            continue
        lists = _model.kept_lists(m)
        assert lists is not None, name
        fresh = dataclasses.replace(m)
        assert _model.kept_lists(fresh) is None
        want = _model.model_lists(fresh)  # the arrays' tolist()
        for field, got_list, want_list in zip(lists._fields, lists, want):
            assert _exactly(got_list) == _exactly(want_list), (name, field)
        assert _model.huge_bounds(m) == _model.huge_bounds(fresh), name
        folded = _read.fold_objective_constant(m)
        assert not identical(folded, _read.fold_objective_constant(fresh)), name
        kept += 1
        fixed += any(lo == hi for lo, hi in zip(lists.col_lower, lists.col_upper))
    assert kept >= 150 and fixed >= 5, (kept, fixed)
    assert (
        _model.kept_lists(
            MilpData.build(c=[1.0], A=sp.csr_array((1, 1)), row_lower=[0.0], row_upper=[1.0])
        )
        is None
    )


@pytest.mark.usefixtures("python_stages")  # (with the kernels a small file reads to arrays)
def test_huge_bounds_on_kept_lists(tmp_path):
    """The huge-bound count on a small file's lists: huge finite bounds of both signs,
    infinite ones, none."""
    text = """NAME H
ROWS
 N obj
 L c1
 G c2
COLUMNS
 x obj 1 c1 1
 x c2 1
 y obj 1 c1 1
 y c2 1
RHS
 rhs c1 {r1} c2 {r2}
BOUNDS
 LO bnd x {lx}
 UP bnd x {ux}
 MI bnd y
ENDATA
"""
    for values, count in (
        (dict(r1="1e25", r2="-1e20", lx="-1e30", ux="2e20"), 4),
        (dict(r1="1e19", r2="-1e19", lx="-5", ux="9.99e19"), 0),
        (dict(r1="1", r2="-1e21", lx="0", ux="1"), 1),
    ):
        raw = text.format(**values).encode()
        m = _read._read_native(raw, tmp_path / "h.mps")
        assert m is not None and _model.kept_lists(m) is not None
        assert _model.huge_bounds(m) == count == _model.huge_bounds(dataclasses.replace(m))


@pytest.mark.usefixtures("python_stages")
def test_a_small_file_s_model_makes_its_arrays_on_first_read(tmp_path):
    """The list reader's model sets its arrays when one is first read (all of them, the
    same as the general construction's); until then its sizes are its lists'. Pickled or
    copied on its lists, or replaced, it is the same model (arrays unpickled are writeable,
    as for any model)."""
    import copy
    import pickle

    path = tmp_path / "small.mps"
    path.write_text(
        "NAME S\nROWS\n N obj\n L c1\n E c2\nCOLUMNS\n x obj 1 c1 1\n x c2 -2.5\n"
        " y obj -3 c1 4\n y c2 1\nRHS\n rhs c1 7 c2 0.5\nBOUNDS\n UP bnd x 4\nENDATA\n"
    )
    m = read_model(path)
    lists = _model.kept_lists(m)
    assert lists is not None and not _model._MODEL_ARRAYS & set(vars(m))
    assert (m.num_vars, m.num_rows, m.nnz) == (len(lists.c), len(lists.row_lower), len(lists.data))
    assert not _model._MODEL_ARRAYS & set(vars(m))
    for other in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):  # still on lists
        assert not identical(other, m)
    m = read_model(path)
    assert m.A.nnz == len(lists.data) and _model._MODEL_ARRAYS <= set(vars(m))
    for other in (dataclasses.replace(m), _read._read_native(path.read_bytes(), path)):
        assert not identical(other, m)
        assert (other.num_vars, other.num_rows, other.nnz) == (m.num_vars, m.num_rows, m.nnz)
    replaced = dataclasses.replace(m, c=m.c * 2)
    assert _model.kept_lists(replaced) is None and replaced.c.tolist() != lists.c
    assert repr(m) == repr(_read._read_native(path.read_bytes(), path)) == repr(via_reader(m))
    assert repr(m).startswith("MilpData(sense=1, c=array(")
    with pytest.raises(AttributeError):
        m.no_such_field  # noqa: B018


def via_reader(m: MilpData) -> MilpData:
    """``m`` made by the general construction (an ordinary :class:`MilpData`)."""
    return MilpData._from_reader(
        A=m.A,
        **{f: getattr(m, f) for f in ARRAYS},
        sense=m.sense,
        offset=m.offset,
        var_names=m.var_names,
        row_names=m.row_names,
        source=m.source,
    )
