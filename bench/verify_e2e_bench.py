"""End-to-end equivalence checks from files, by size bucket, in one run: optiscribe
against the ORGEval-style baseline and against HiGHS alone reading both files.

Run: ``.venv/bin/python bench/verify_e2e_bench.py [--large] [--reps N] [--wall]
[--max-nnz N] [--python-reader | --python-only] [--orgeval DIR]``. Prints a markdown
table (median per bucket) and one line per pair with ``--verbose``; ``--max-nnz`` keeps only the pairs of at most N nonzeros (a quick run of the
small buckets). Times are
CPU time of the process by default (a loaded shared machine inflates wall time by waiting,
not by work); ``--wall`` uses wall time.

Pairs (written to a temporary folder before any timing, so every method starts from the
same two files): each readable highs-check MPS instance against a permuted, renamed copy
(rows and columns shuffled, written with every number exact), and synthetic random MILPs
(10 nonzeros per row) of 1e2 to 1e5 nonzeros (1e6 with ``--large``) against a permuted
copy. Methods, timed back to back on the same pair, best of ``--reps`` (default 3; 1 for
the baseline above 1e4 nonzeros):

* ``optiscribe``: ``check(path_a, path_b)`` (strict; reading, canonical form, refinement,
  certificate re-verification);
* ``ORGEval-style``: both files read with highspy under its default options into
  ``MilpData`` (ORGEval reads with gurobipy, which we do not ship; HiGHS is the closest
  reader we have), then ``bench/_orgeval_baseline.py`` (our re-implementation of its
  MD5-string WL with colour sets and the SD test);
* ``HiGHS read``: ``Highs().readModel`` of both files, nothing else: the floor for any
  checker that parses with HiGHS;
* with ``--python-reader``, also ``optiscribe`` with the compiled MPS reader switched
  off (``verify/_mpsc.c``); with ``--python-only``, with every compiled part off (the
  reader and the stages' kernels, ``verify/_*c.c``: what an install without a C
  compiler runs);
* with ``--orgeval DIR`` (a checkout of ORGEval's harness, ``ZiweiZHU0513/OR_Benchmark``,
  which has no licence and is not shipped; gurobipy importable, e.g. ``pip install
  --target T gurobipy`` and ``PYTHONPATH=T``: its size-limited licence reads any size),
  also ``ORGEval itself``: its own ``check_lp_equivalence_fast(path_a, path_b)``, gurobipy
  reading included, run in the pairs' folder (it may write a file there). The targets are
  stated against ``ORGEval-style``; this column is context.
"""

from __future__ import annotations

import contextlib
import importlib.util
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _orgeval_baseline import orgeval_check

from optiscribe.data.benchmarks import shared_data_dir
from optiscribe.verify import MilpData, Verdict, _mps, _read, check, read_model

BUCKETS = ((0, 100), (101, 1000), (1001, 10_000), (10_001, 100_000), (100_001, 10**7))


def _fmt(v: float) -> str:
    return repr(float(v))


def write_mps(m: MilpData, path: Path) -> Path:
    """Free-format MPS with every number exact (``repr`` of the float)."""
    out = ["NAME bench", "ROWS", " N obj"]
    kinds = []
    for i in range(m.num_rows):
        lo, hi = m.row_lower[i], m.row_upper[i]
        kind = "E" if lo == hi else ("L" if np.isneginf(lo) else "G")
        if kind in "LG" and np.isfinite(lo) and np.isfinite(hi):
            kind = "R"
        if kind == "L" and np.isposinf(hi):
            kind = "N"  # free row
        kinds.append(kind)
        out.append(f" {'G' if kind == 'R' else kind} {m.row_names[i]}")
    out.append("COLUMNS")
    csc = m.A.tocsc()
    rn, vn = m.row_names, m.var_names
    in_int = False
    for j in range(m.num_vars):
        if bool(m.integer[j]) != in_int:
            out.append(f" M{j} 'MARKER' '{'INTEND' if in_int else 'INTORG'}'")
            in_int = not in_int
        out.append(f" {vn[j]} obj {_fmt(m.c[j])}")
        lo, hi = csc.indptr[j], csc.indptr[j + 1]
        out.extend(
            f" {vn[j]} {rn[i]} {_fmt(a)}"
            for i, a in zip(csc.indices[lo:hi].tolist(), csc.data[lo:hi].tolist())
        )
    if in_int:
        out.append(" Mend 'MARKER' 'INTEND'")
    out.append("RHS")
    if m.offset:
        out.append(f" rhs obj {_fmt(-m.offset)}")
    for i, kind in enumerate(kinds):
        if kind != "N":
            rhs = m.row_upper[i] if kind == "L" else m.row_lower[i]
            out.append(f" rhs {rn[i]} {_fmt(rhs)}")
    out.append("RANGES")
    out.extend(
        f" rng {rn[i]} {_fmt(m.row_upper[i] - m.row_lower[i])}"
        for i, k in enumerate(kinds)
        if k == "R"
    )
    out.append("BOUNDS")
    for j in range(m.num_vars):
        lb, ub = m.col_lower[j], m.col_upper[j]
        if lb == ub:
            out.append(f" FX bnd {vn[j]} {_fmt(lb)}")
            continue
        if np.isneginf(lb):
            out.append(f" MI bnd {vn[j]}")
        elif lb != 0:
            out.append(f" LO bnd {vn[j]} {_fmt(lb)}")
        if np.isfinite(ub):
            out.append(f" UP bnd {vn[j]} {_fmt(ub)}")
        elif m.integer[j]:
            out.append(f" PL bnd {vn[j]}")
    out.append("ENDATA")
    if m.sense < 0:
        out.insert(1, "OBJSENSE\n    MAX")
    path.write_text("\n".join(out) + "\n")
    return path


def permuted(m: MilpData, seed: int) -> MilpData:
    rng = np.random.default_rng(seed)
    pc, pr = rng.permutation(m.num_vars), rng.permutation(m.num_rows)
    return MilpData.build(
        c=m.c[pc],
        A=sp.csr_array(m.A)[pr][:, pc],
        row_lower=m.row_lower[pr],
        row_upper=m.row_upper[pr],
        col_lower=m.col_lower[pc],
        col_upper=m.col_upper[pc],
        integer=m.integer[pc],
        sense=m.sense,
        offset=m.offset,
        var_names=[f"v{j}" for j in pc],
        row_names=[f"r{i}" for i in pr],
        infinity=np.inf,
    )


def synthetic(nnz: int, seed: int = 0) -> MilpData:
    """Random MILP with about ``nnz`` nonzeros, 10 per row, integer data (some repeats)."""
    rng = np.random.default_rng(seed)
    rows = max(nnz // 10, 1)
    n = max(rows // 2, 10)
    r = np.repeat(np.arange(rows), 10)
    c = rng.integers(0, n, r.size)
    A = sp.csr_array((rng.integers(1, 20, r.size).astype(float), (r, c)), shape=(rows, n))
    return MilpData.build(
        c=rng.integers(0, 10, n),
        A=A,
        row_lower=np.full(rows, -np.inf),
        row_upper=rng.integers(10, 100, rows).astype(float),
        integer=rng.random(n) < 0.3,
        col_upper=np.full(n, 50.0),
    )


def highs_read(path: Path) -> object:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if h.readModel(str(path)) == highspy.HighsStatus.kError:
        raise RuntimeError(f"HiGHS cannot read {path}")
    return h


def baseline_read(path: Path) -> MilpData:
    """HiGHS with its default options into MilpData: the baseline's reader."""
    h = highs_read(path)
    lp = h.getLp()  # type: ignore[attr-defined]
    a = lp.a_matrix_
    mat = sp.csc_array(
        (np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_)),
        shape=(lp.num_row_, lp.num_col_),
    )
    integ = np.asarray([int(t) for t in lp.integrality_], dtype=np.int64)
    return MilpData.build(
        c=np.asarray(lp.col_cost_),
        A=mat.tocsr(),
        row_lower=np.asarray(lp.row_lower_),
        row_upper=np.asarray(lp.row_upper_),
        col_lower=np.asarray(lp.col_lower_),
        col_upper=np.asarray(lp.col_upper_),
        integer=integ == 1 if integ.size else None,
        sense=-1 if int(lp.sense_) == -1 else 1,
        offset=float(lp.offset_),
    )


#: which clock the tables use: CPU time of this process (``time.process_time``) by
#: default, which is what a loaded shared machine cannot inflate; ``--wall`` for wall time
CLOCK = time.perf_counter if "--wall" in sys.argv else time.process_time


def best(fn: Callable[[], object], reps: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(reps):
        t = CLOCK()
        out = fn()
        times.append(CLOCK() - t)
    return min(times), out


def pairs(tmp: Path, large: bool, max_nnz: int) -> Iterator[tuple[str, Path, Path]]:
    hc = shared_data_dir() / "instances" / "highs-check"
    for src in sorted(hc.glob("*.mps")):
        try:
            m = read_model(src)
        except Exception:  # unreadable or unsupported by design: not a speed case
            continue
        if m.inexact or m.num_vars == 0 or any("comment" in x for x in m.read_steps):
            continue  # only files HiGHS reads as they are (comment.mps needs a retry)
        if m.nnz > max_nnz:
            continue
        b = write_mps(permuted(m, len(src.name)), tmp / f"{src.stem}.perm.mps")
        yield src.stem, src, b
    sizes = [100, 1000, 10_000, 100_000] + ([1_000_000] if large else [])
    for nnz in (n for n in sizes if n <= max_nnz):
        m = synthetic(nnz, seed=nnz % 97)
        a = write_mps(m, tmp / f"syn{nnz}.mps")
        b = write_mps(permuted(m, 2), tmp / f"syn{nnz}.perm.mps")
        yield f"synthetic {nnz:.0e}", a, b


def orgeval_itself(root: Path) -> Callable[[str, str], object]:
    """ORGEval's own ``check_lp_equivalence_fast`` from a checkout at ``root`` (its module
    file only: the package's ``__init__`` pulls in its LLM harness)."""
    path = root / "evaluate" / "equivalence_check.py"
    if not path.is_file():
        sys.exit(f"--orgeval: {path} not found; pass a checkout of ZiweiZHU0513/OR_Benchmark")
    spec = importlib.util.spec_from_file_location("orgeval_equivalence_check", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # needs gurobipy and networkx
    fn: Callable[[str, str], object] = module.check_lp_equivalence_fast
    return fn


@contextlib.contextmanager
def _python_parts(*, everything: bool) -> Iterator[None]:
    """The compiled MPS reader switched off, and with ``everything`` the stages' compiled
    kernels too (a check as an install without a C compiler runs it)."""
    from optiscribe.verify import _canon, _certify, _refine

    parts = [(_mps, "_mpsc")]
    if everything:
        parts += [(_canon, "_canonc"), (_canon, "_graphc"), (_refine, "_refinec")]
        parts += [(_certify, "_certifyc")]
    saved = [getattr(m, k) for m, k in parts]
    kernels = _read.STAGE_KERNELS
    try:
        for m, k in parts:
            setattr(m, k, None)
        _read.STAGE_KERNELS = kernels and not everything
        yield
    finally:
        for (m, k), v in zip(parts, saved):
            setattr(m, k, v)
        _read.STAGE_KERNELS = kernels


def _bucket_label(lo: int, hi: int) -> str:
    return f"<= {hi}" if lo == 0 else (f"{lo}-{hi}" if hi < 10**7 else f"> {lo - 1}")


def _context_table(
    rows: list[tuple[str, int, float, float, float, str, bool]],
    times: dict[str, float],
    column: str,
    ratio: str,
) -> None:
    """A context column's table (a method timed beside optiscribe on the same pairs): the
    median per bucket, and the median of its time over optiscribe's."""
    if not times:
        return
    print(f"\n| nonzeros | pairs | {column} | {ratio} |")
    print("| --- | --- | --- | --- |")
    for lo, hi in BUCKETS:
        sel = [r for r in rows if lo <= r[1] <= hi]
        if sel:
            med = statistics.median(times[r[0]] for r in sel)
            rel = statistics.median(times[r[0]] / r[2] for r in sel)
            print(f"| {_bucket_label(lo, hi)} | {len(sel)} | {med * 1e3:.2f} ms | {rel:.2f}x |")


def main() -> None:
    large = "--large" in sys.argv
    verbose = "--verbose" in sys.argv
    reps = int(sys.argv[sys.argv.index("--reps") + 1]) if "--reps" in sys.argv else 3
    max_nnz = int(sys.argv[sys.argv.index("--max-nnz") + 1]) if "--max-nnz" in sys.argv else 10**9
    own = (
        orgeval_itself(Path(sys.argv[sys.argv.index("--orgeval") + 1]))
        if "--orgeval" in sys.argv
        else None
    )
    rows: list[tuple[str, int, float, float, float, str, bool]] = []
    own_times: dict[str, float] = {}
    py_times: dict[str, float] = {}
    python_reader = "--python-reader" in sys.argv
    python_only = "--python-only" in sys.argv
    if python_reader and not _mps.COMPILED:
        raise SystemExit("--python-reader: the compiled reader is not built here")
    if python_only and not (_mps.COMPILED and _read.STAGE_KERNELS):
        raise SystemExit("--python-only: the compiled parts are not all built here")
    with tempfile.TemporaryDirectory(prefix="verify_e2e_") as d:
        for name, a, b in list(pairs(Path(d), large, max_nnz)):
            nnz = read_model(a).nnz
            r_reps = reps if nnz <= 10_000 else 1
            t_read, _ = best(lambda a=a, b=b: (highs_read(a), highs_read(b)), reps)
            t_ours, res = best(lambda a=a, b=b: check(a, b), reps)
            t_base, base = best(
                lambda a=a, b=b: orgeval_check(baseline_read(a), baseline_read(b)), r_reps
            )
            extra = ""
            if python_reader or python_only:  # the same check, compiled parts off
                with _python_parts(everything=python_only):
                    t_py, _ = best(lambda a=a, b=b: check(a, b), reps)
                py_times[name] = t_py
                extra += (
                    f"  {'python only' if python_only else 'python reader'} {t_py * 1e3:9.2f} ms"
                )
            if own is not None:
                with contextlib.chdir(d):
                    t_own, said = best(lambda a=a, b=b: own(str(a), str(b)), r_reps)
                own_times[name] = t_own
                extra += f"  ORGEval itself {t_own * 1e3:9.2f} ms ({said[0]})"  # type: ignore[index]
            verdict = res.verdict.value  # type: ignore[attr-defined]
            rows.append((name, nnz, t_ours, t_base, t_read, verdict, bool(base)))
            if verbose:
                print(
                    f"{name:28s} {nnz:8d}  ours {t_ours * 1e3:9.2f} ms  base {t_base * 1e3:9.2f}"
                    f" ms  read {t_read * 1e3:8.2f} ms  {verdict}{extra}",
                    flush=True,
                )
    wrong = [r[0] for r in rows if r[5] != Verdict.EQUIVALENT.value]
    print(
        "| nonzeros | pairs | optiscribe | ORGEval-style | ORGEval-style / optiscribe "
        "| HiGHS read (both files) | optiscribe / HiGHS read |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for lo, hi in BUCKETS:
        sel = [r for r in rows if lo <= r[1] <= hi]
        if not sel:
            continue
        ours = statistics.median(r[2] for r in sel)
        base = statistics.median(r[3] for r in sel)
        read = statistics.median(r[4] for r in sel)
        ratio_b = statistics.median(r[3] / r[2] for r in sel)
        ratio_r = statistics.median(r[2] / r[4] for r in sel)
        print(
            f"| {_bucket_label(lo, hi)} | {len(sel)} | {ours * 1e3:.2f} ms | {base * 1e3:.2f} ms | "
            f"{ratio_b:.1f}x | {read * 1e3:.2f} ms | {ratio_r:.2f}x |"
        )
    _context_table(
        rows,
        py_times,
        "optiscribe, Python only" if python_only else "optiscribe, Python reader",
        "its time / optiscribe's",
    )
    _context_table(rows, own_times, "ORGEval itself (gurobipy)", "ORGEval itself / optiscribe")
    clock = "wall time" if CLOCK is time.perf_counter else "CPU time (time.process_time)"
    print(f"\n{clock}; pairs: {len(rows)}; not decided equivalent by optiscribe: {wrong or 'none'}")


if __name__ == "__main__":
    main()
