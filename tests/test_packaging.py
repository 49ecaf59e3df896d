"""The README's commands, CI and the package layout stay consistent."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.+?)\n```", text, flags=re.S)


def test_readme_opens_with_run_and_test_commands() -> None:
    cmds = readme_commands()
    assert len(cmds) >= 2
    assert "optiscribe" in cmds[0] and "pip install" in cmds[0]
    assert "pytest" in cmds[1] and "torch==2.13.0" in cmds[1]


def test_readme_main_job_runs_offline_on_the_built_in_model() -> None:
    """The README's first command, as a user runs it (the install part aside): the built-in
    model reads the problem and HiGHS solves it; the optimum was worked out by hand
    (50 acres of each: 25000)."""
    import shlex

    cmd = readme_commands()[0]
    solve = cmd[cmd.index("optiscribe solve ") :]
    argv = shlex.split(solve)
    exe = Path(sys.executable).with_name("optiscribe")
    run = (
        [str(exe), *argv[1:]]
        if exe.exists()
        else [sys.executable, "-m", "optiscribe.app.cli", *argv[1:]]
    )
    out = subprocess.run(run, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Objective: 25000" in out.stdout
    assert "builtin" in out.stdout


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert readme_commands()[1] in ci


def test_every_package_folder_is_listed_in_pyproject() -> None:
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(cfg["packages"])
    mapping = cfg["package-dir"]
    found = set()
    for pkg, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([pkg, *rel.parts]) if rel.parts else pkg)
    assert found == listed


def test_core_import_needs_no_heavy_stack() -> None:
    code = (
        "import sys\n"
        "import optiscribe.formulate.ir.model, optiscribe.solvers, optiscribe.app.cli\n"
        "heavy = [m for m in ('torch', 'transformers', 'streamlit', 'peft', 'trl') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def test_readme_formulation_example_solves() -> None:
    import yaml

    from optiscribe.formulate.ir.model import Formulation
    from optiscribe.solvers import solve

    [block] = re.findall(r"```yaml\n(.+?)\n```", (ROOT / "README.md").read_text(), flags=re.S)
    f = Formulation.from_dict(yaml.safe_load(block))
    r = solve(f.to_pyomo())
    # 2c + 3t <= 120 with t <= 30: best is all tables up to the cap, then chairs.
    assert r.is_optimal and r.objective == 30 * 15 + 50 * 30


def test_readme_library_names_exist() -> None:
    import inspect

    from optiscribe.formulate import Formulation, solve_text  # noqa: F401
    from optiscribe.formulate.llm.config import BackendConfig
    from optiscribe.verify import CheckResult, check

    assert {"reference", "candidate", "level"} <= set(inspect.signature(check).parameters)
    assert {"verdict", "certificate", "witness"} <= {f for f in CheckResult.__dataclass_fields__}
    assert {"backend", "samples"} <= set(inspect.signature(solve_text).parameters)
    BackendConfig(backend="openai", base_url="http://localhost:8000/v1", model="m")
