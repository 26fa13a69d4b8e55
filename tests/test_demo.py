"""The README's main job, ``gatecast demo``: run once through the entry point in a real
subprocess, then checked as the CLI leaves it and as the browser renders its report."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from browser import ARTIFACTS, needs_chromium, render


@dataclass(frozen=True)
class DemoRun:
    """The README's demo, run once for this module through the entry point."""

    output: Path
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """``gatecast demo`` in a real subprocess, shared by the tests of what it writes (the
    CLI's and the browser's): one run of the main job instead of one per test."""
    out = tmp_path_factory.mktemp("demo") / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "gatecast.cli.main", "demo", "--output", str(out)],
        capture_output=True, text=True, timeout=600, check=False)
    return DemoRun(out, proc.returncode, proc.stdout, proc.stderr)


def test_demo_end_to_end(demo_run) -> None:
    """The README's demo, through the installed entry point (a real subprocess)."""
    assert demo_run.returncode == 0, demo_run.stderr
    board = pd.read_csv(demo_run.output / "leaderboard.csv")
    assert {"naive", "snaive", "autoarima", "ets", "theta", "lstm"} <= set(board["model"])
    assert (demo_run.output / "forecast.png").stat().st_size > 1000
    assert "leaderboard" not in demo_run.stderr
    assert "snaive" in demo_run.stdout


@needs_chromium
def test_demo_report_renders_in_headless_chromium(demo_run) -> None:
    """The README's demo writes report.html, which renders with every figure, offline."""
    out = demo_run.output
    assert demo_run.returncode == 0, demo_run.stderr
    for name in ("leaderboard.csv", "leaderboard.png", "forecasts.csv", "forecast.png"):
        assert (out / name).stat().st_size > 500, name
    shot = ARTIFACTS / "demo-report.png"
    shot.unlink(missing_ok=True)
    page = render(out / "report.html", screenshot=shot)
    assert page["problems"] == []
    # Nothing but the file itself and its embedded data: URIs was requested.
    assert all(u.startswith(("file:", "data:")) for u in page["urls"]), page["urls"]
    # the demo's LSTM adds the training section
    assert page["headings"] == ["Data", "Leaderboard", "Diagnostics", "Forecasts", "Training"]
    # data overview, leaderboard bars, errors by step, skill vs naive, one forecast per
    # model, the LSTM's loss curves
    board = pd.read_csv(out / "leaderboard.csv")
    assert len(board) >= 9 and "lstm" in set(board["model"])
    assert len(page["images"]) == 4 + len(board) + 1
    for img in page["images"]:
        assert img["src"] == "data:image/png;base64", img
        assert img["complete"] and img["width"] > 300 and img["height"] > 150, img
    assert shot.stat().st_size > 50_000
