"""``optiscribe equiv``: exit codes, rich and JSON output, bad input without tracebacks."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from optiscribe.app.cli import app

runner = CliRunner()

LP_A = "Minimize\n x + 2 y\nSubject To\n c1: x + y <= 5\n c2: x - y >= -2\nEnd\n"
LP_B = "Maximize\n - 2 v - u\nSubject To\n d2: -u + v <= 2\n d1: -u - v >= -5\nEnd\n"
LP_C = "Minimize\n x + 2 y\nSubject To\n c1: x + y <= 6\n c2: x - y >= -2\nEnd\n"


def _files(tmp_path):
    out = []
    for name, text in (("a.lp", LP_A), ("b.lp", LP_B), ("c.lp", LP_C)):
        p = tmp_path / name
        p.write_text(text)
        out.append(str(p))
    return out


def test_exit_codes_and_output(tmp_path):
    a, b, c = _files(tmp_path)
    r = runner.invoke(app, ["equiv", a, b])
    assert r.exit_code == 0 and "EQUIVALENT" in r.stdout and "x -> u" in r.stdout
    r = runner.invoke(app, ["equiv", a, c])
    assert r.exit_code == 1 and "NOT_EQUIVALENT" in r.stdout
    r = runner.invoke(app, ["equiv", a, c, "--json"])
    assert r.exit_code == 1
    d = json.loads(r.stdout)
    assert d["verdict"] == "not_equivalent" and d["witness"]["message"]
    r = runner.invoke(app, ["equiv", a, b, "--json", "--level", "normalized"])
    assert r.exit_code == 0 and json.loads(r.stdout)["level"] == "normalized"


def test_unsupported_is_exit_2(tmp_path):
    q = tmp_path / "q.lp"
    q.write_text("Minimize\n x + [ x ^ 2 ]\nSubject To\n c: x >= 1\nEnd\n")
    r = runner.invoke(app, ["equiv", str(q), str(q)])
    assert r.exit_code == 2 and "UNSUPPORTED" in r.stdout


def test_bad_input_is_exit_3_without_traceback(tmp_path):
    a, _, _ = _files(tmp_path)
    empty = tmp_path / "e.mps"
    empty.write_text("")
    trunc = tmp_path / "t.lp"
    trunc.write_text(LP_A[:30])
    wrong = tmp_path / "w.mps"
    wrong.write_text(LP_A)
    for bad in (str(empty), str(trunc), str(wrong), str(tmp_path / "missing.mps")):
        r = runner.invoke(app, ["equiv", a, bad])
        assert r.exit_code == 3, (bad, r.output)
        assert ("Traceback" not in r.output and r.exception is None) or isinstance(
            r.exception, SystemExit
        )
    r = runner.invoke(app, ["equiv", a, a, "--level", "loose"])
    assert r.exit_code == 3
    r = runner.invoke(app, ["equiv", a, str(empty), "--json"])
    assert r.exit_code == 3 and json.loads(r.stdout)["verdict"] == "bad_input"


PYOMO_MPS = """* Source:     Pyomo MPS Writer
NAME unknown
OBJSENSE
 MIN
ROWS
 N  o
 G  c_l_need(S3)_
 E  c_e_ONE_VAR_CONSTANT
COLUMNS
     x(chairs) o 2
     x(chairs) c_l_need(S3)_ 1
     ONE_VAR_CONSTANT o 7
     ONE_VAR_CONSTANT c_e_ONE_VAR_CONSTANT 1
RHS
     RHS c_l_need(S3)_ 1
     RHS c_e_ONE_VAR_CONSTANT 1
BOUNDS
 UP BOUND x(chairs) 5
ENDATA
"""
PYOMO_LP = """\\* Source Pyomo model name=unknown *\\
min
o:
+7 ONE_VAR_CONSTANT
+2 x(chairs)
s.t.
c_l_need(S3)_:
+1 x(chairs)
>= 1
bounds
   1 <= ONE_VAR_CONSTANT <= 1
   0 <= x(chairs) <= 5
end
"""


def test_pyomo_exports_show_demangled_names_and_fold_constant(tmp_path):
    a, b = tmp_path / "m.mps", tmp_path / "m.lp"
    a.write_text(PYOMO_MPS)
    b.write_text(PYOMO_LP)
    r = runner.invoke(app, ["equiv", str(a), str(b)])
    assert r.exit_code == 0, r.stdout
    assert "x[chairs] -> x[chairs]" in r.stdout and "c_l_" not in r.stdout.split("steps:")[0]
    assert "ONE_VAR_CONSTANT" in r.stdout  # the folding step is reported
    r = runner.invoke(app, ["equiv", str(a), str(b), "--json"])
    d = json.loads(r.stdout)
    assert d["certificate"]["variables"] == {"x(chairs)": "x(chairs)"}
    assert d["certificate"]["reference_names"]["x(chairs)"] == "x[chairs]"
