"""Shared fixtures."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from helpers import seasonal_frame


@pytest.fixture
def monthly() -> pd.DataFrame:
    return seasonal_frame()


@dataclass(frozen=True)
class DemoRun:
    """The README's demo, run once per test session through the entry point."""

    output: Path
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """``gatecast demo`` in a real subprocess, shared by the tests of what it writes (the
    CLI's and the browser's): one run of the main job instead of one per test."""
    out = tmp_path_factory.mktemp("demo") / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "gatecast.cli.main", "demo", "--output", str(out)],
        capture_output=True, text=True, timeout=600, check=False)
    return DemoRun(out, proc.returncode, proc.stdout, proc.stderr)
