"""The code of every record is the same model as its IR: it runs, solves to the recorded optimum,
and (with the checker) the model it built is strictly equivalent to the IR."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from optiscribe.data.synth.generate import Record, family_names, generate_record
from optiscribe.formulate.ir.codegen import OBJECTIVE_LABEL, parse_objective, to_pyomo_code
from optiscribe.formulate.ir.model import Formulation
from optiscribe.solvers.errors import InputError

HAVE_SANDBOX = importlib.util.find_spec("optiscribe.solvers.sandbox") is not None


def _have_checker() -> bool:
    try:
        from optiscribe.verify import check  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def records() -> list[Record]:
    out = []
    for k, fam in enumerate(family_names()):
        out.append(
            generate_record(fam, seed=21, index=k, difficulty=("easy", "medium", "hard")[k % 3])
        )
        out.append(generate_record(fam, seed=22, index=k, difficulty="hard"))
    return out


def _run_all(codes: list[str]) -> list[tuple[bool, str, float | None, str | None]]:
    """(ok, output, objective, captured MPS) per code: in the sandbox if it exists, else a subprocess."""
    if HAVE_SANDBOX:
        from optiscribe.solvers.sandbox import WarmPoolExecutor, run_code

        with WarmPoolExecutor(size=2) as ex, ThreadPoolExecutor(2) as tp:
            results = list(tp.map(lambda c: run_code(c, executor=ex), codes))
        out = []
        for r in results:
            rep = r.reports[0] if r.reports else None
            out.append(
                (
                    r.ok and len(r.reports) == 1,
                    r.stdout + r.summary,
                    parse_objective(r.stdout),
                    rep.mps if rep is not None else None,
                )
            )
        return out
    out = []
    for (
        code
    ) in codes:  # fallback: a plain subprocess (no isolation), only while the sandbox is missing
        p = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
        )
        out.append((p.returncode == 0, p.stdout + p.stderr, parse_objective(p.stdout), None))
    return out


def test_every_records_code_gives_the_irs_optimum(records: list[Record], tmp_path: Path) -> None:
    runs = _run_all([r.code for r in records])
    mps_checked = 0
    for rec, (ok, output, objective, mps) in zip(records, runs):
        assert ok, f"{rec.id}: the code failed:\n{output[-2000:]}"
        assert objective is not None, f"{rec.id}: no '{OBJECTIVE_LABEL}' line in:\n{output[-1000:]}"
        assert rec.answer is not None
        assert abs(objective - rec.answer) <= 1e-6 * max(1.0, abs(rec.answer)), (
            rec.id,
            objective,
            rec.answer,
        )
        if mps is not None and _have_checker():
            from optiscribe.verify import Verdict, check

            path = tmp_path / f"{rec.id}.mps"
            path.write_text(mps, encoding="utf-8")
            f = rec.formulation()
            # Pyomo writes an objective constant as a fixed column ONE_VAR_CONSTANT; the checker
            # folds it into the constant at the strict level, so strict is the level for all.
            level = "strict"
            res = check(f, path, level=level)
            assert res.verdict is Verdict.EQUIVALENT, (
                f"{rec.id}: code model differs from the IR ({level}): {res.reason}"
            )
            mps_checked += 1
    if HAVE_SANDBOX and _have_checker():
        assert mps_checked == len(records)


def test_code_keeps_ir_names_and_structure() -> None:
    rec = generate_record("network_flow", seed=3, difficulty="medium")
    f = rec.formulation()
    for v in f.variables:
        assert f"model.{v.name} = pyo.Var(" in rec.code
    for c in f.constraints:
        assert f"model.{c.name} = pyo.Constraint(" in rec.code
    assert "sense=pyo.maximize" in rec.code or "sense=pyo.minimize" in rec.code
    compile(rec.code, rec.id, "exec")


def test_range_constraints_json_keys_and_param_bounds_are_translated() -> None:
    f = Formulation.from_dict(
        {
            "name": "edge",
            "sets": [
                {"name": "T", "first": 1, "last": 3},
                {"name": "A", "elements": [["a", "b"], ["b", "c"]]},
            ],
            "parameters": [
                {"name": "cap", "index": ["T"], "values": {"1": 4, "2": 5, "3": 6}},
                {"name": "w", "index": ["A"], "values": [["a", "b", 2], ["b", "c", 3]]},
                {"name": "lo", "index": ["T"], "values": {"1": 1, "2": 0, "3": 1}, "default": 0},
            ],
            "variables": [
                {"name": "x", "index": ["T"], "lower": "lo", "upper": "cap"},
                {"name": "f", "index": ["A"]},
                {"name": "z", "lower": None},
            ],
            "objective": {
                "sense": "maximize",
                "expression": "sum(x[t] for t in T) + sum(w[i, j] * f[i, j] for (i, j) in A) - z",
            },
            "constraints": [
                {
                    "name": "band",
                    "for_each": "t in T",
                    "condition": "t > 1",
                    "expression": "2 <= x[t] + x[t - 1] <= 9",
                },
                {"name": "flows", "for_each": "(i, j) in A", "expression": "f[i, j] <= 1"},
                {"name": "zz", "expression": "z >= 0.5"},
            ],
        }
    )
    code = to_pyomo_code(f)
    assert "pyo.inequality(2, x[t] + x[t - 1], 9)" in code
    assert "cap = {1: 4, 2: 5, 3: 6}" in code  # JSON's text keys back to the set's integers
    assert "defaultdict(lambda: 0," in code
    ns: dict = {}
    exec(
        compile(code.split("result = ")[0], "edge", "exec"), ns
    )  # build only; solving is tested above
    m = ns["model"]
    assert m.x[1].lb == 1 and m.x[3].ub == 6 and m.z.lb is None
    assert len(m.band) == 2 and m.zz.lower == 0.5


def test_a_name_the_script_needs_is_refused() -> None:
    f = Formulation.from_dict(
        {
            "variables": [{"name": "result"}],
            "objective": {"sense": "min", "expression": "result"},
            "constraints": [{"name": "c", "expression": "result >= 1"}],
        }
    )
    with pytest.raises(InputError, match="uses the name.*'result'"):
        to_pyomo_code(f)
