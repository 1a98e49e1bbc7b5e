"""report.html: self-contained, small, loads in headless Chromium without console errors, and
its first screen shows the headline numbers."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile

import pandas as pd
import pytest

from simcompute.cli import main
from simcompute.report.answer import answer
from tests.report.conftest import BUNDLED

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (apt-get install -y chromium)"
)
MAX_BYTES = 5_000_000


def _chromium(*args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--enable-logging=stderr", "--v=0", "--window-size=1280,900"]  # fmt: skip
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [CHROMIUM, *flags, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.mark.parametrize("name", BUNDLED)
def test_report_is_self_contained_and_small(bundled_runs, name):
    path = bundled_runs[name].out / "report.html"
    text = path.read_text(encoding="utf-8")
    assert path.stat().st_size < MAX_BYTES
    assert "<script" not in text and "<link" not in text  # nothing to fetch, nothing to run
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert text.count("data:image/png;base64,") >= 2  # power over time, where the energy went


@needs_chromium
@pytest.mark.parametrize("name", BUNDLED)
def test_report_loads_without_console_errors(bundled_runs, name):
    run = bundled_runs[name]
    proc = _chromium("--dump-dom", (run.out / "report.html").as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    summary = pd.read_csv(run.out / "summary.csv")
    metadata = json.loads((run.out / "metadata.json").read_text())
    ans = answer(summary, pd.read_csv(run.out / "jobs.csv"), metadata)
    for _, value in ans.figures:  # the headline cards, as rendered
        assert value.replace("&", "&amp;") in proc.stdout


@needs_chromium
@pytest.mark.parametrize("name", ["quickstart", "llama2-7b-serving"])
def test_first_screen_shows_the_headline(bundled_runs, name, tmp_path):
    """The cards sit at the top: their boxes end inside the first 900-pixel screen, and the
    screenshot of that screen is not blank."""
    run = bundled_runs[name]
    shot = tmp_path / "first.png"
    proc = _chromium(f"--screenshot={shot}", (run.out / "report.html").as_uri())
    assert proc.returncode == 0 and shot.stat().st_size > 10_000, proc.stderr[-2000:]
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (900, 1280)
    top = pixels[:260]  # title and the headline cards
    assert (top[..., :3].mean(axis=2) < 0.3).mean() > 0.01  # dark text is drawn there


def test_report_command_and_errors(bundled_runs, tmp_path, capsys):
    run = bundled_runs["quickstart"]
    (run.out / "report.html").unlink()
    assert main(["report", str(run.out)]) == 0
    assert "report.html" in capsys.readouterr().out and (run.out / "report.html").exists()
    assert main(["report", str(tmp_path)]) == 2
    assert "not a run's output folder" in capsys.readouterr().err
