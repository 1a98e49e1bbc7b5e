"""Every command in README.md runs as written (from a copy of the repository root), and its
Python examples and field-by-field scenario run too.

Not run: installation lines (`make`, `pip`, `python3 -m venv`, `python bench/...`,
`calibration/run_gpu.sh`) and `simcompute calibrate`, which needs PyTorch and minutes of
measuring (tests/calibration covers it). `--samples N` runs with 4 samples.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex

import pytest
import yaml

from simcompute.cli import main
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
NOT_RUN = ("simcompute calibrate",)


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def readme_commands() -> list[str]:
    """The `simcompute ...` lines of the README's bash blocks, continuations joined, comments cut."""
    commands = []
    for block in _blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["simcompute"] and not line.strip().startswith(NOT_RUN):
                commands.append(shlex.join(words))
    return commands


COMMANDS = readme_commands()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder that looks like the repository root: its inputs linked, outputs written here."""
    root = tmp_path_factory.mktemp("readme")
    for name in ("scenarios", "sweeps", "calibration", "budgets"):
        (root / name).symlink_to(ROOT / name)
    return root


def test_the_readme_has_commands():
    assert len(COMMANDS) >= 13 and any(c.startswith("simcompute report") for c in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(workdir, monkeypatch, command):
    monkeypatch.chdir(workdir)
    argv = shlex.split(command)[1:]
    if "--samples" in argv:
        argv[argv.index("--samples") + 1] = "4"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code == 0, err.getvalue()
    printed = out.getvalue()
    assert printed.strip()
    if "--csv" not in argv:  # CSV is for programs; what is printed for people fits 120 columns
        assert max(len(line) for line in printed.splitlines()) <= 120, printed
        assert not re.search(r"\d\.?\d*e[+-]\d", printed), printed  # no scientific notation


def test_readme_python_examples_run(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    namespace: dict = {}
    for block in _blocks("python"):
        exec(compile(block, "README.md", "exec"), namespace)  # the README's own examples
    assert (workdir / "runs" / "my-run" / "summary.csv").exists()
    assert "france" in capsys.readouterr().out


def test_readme_field_by_field_scenario_runs():
    import simcompute as sc

    scenario = yaml.safe_load(_blocks("yaml")[0])
    assert scenario["horizon"] == "60d"
    result = sc.run(scenario)
    assert result.summary.iloc[0]["completed"]
    assert result.total("wall_time_s") < 86400 * 60 / 10  # horizon is a cap: no 60 days of idle GPUs
