"""Every bundled scenario run once per session through the command line, with `--report`."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from simcompute.cli import main
from tests.conftest import SCENARIOS

BUNDLED = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))


@dataclass
class BundledRun:
    """A bundled scenario's output folder and what `simcompute run` printed."""

    out: Path
    printed: str


@pytest.fixture(scope="session")
def bundled_runs(tmp_path_factory) -> dict[str, BundledRun]:
    runs = {}
    root = tmp_path_factory.mktemp("bundled")
    for name in BUNDLED:
        out = root / name
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            code = main(["run", str(SCENARIOS / f"{name}.yaml"), "--out", str(out), "--report"])
        assert code == 0, name
        runs[name] = BundledRun(out, buffer.getvalue())
    return runs
