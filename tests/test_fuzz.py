"""Fuzzing as a habit: random frames through the API, random CSV files through the CLI.

Property: every input is accepted or refused with a GatecastError (CLI: exit 2); nothing
else escapes. Hypothesis draws the choices of ``fuzz_cases`` (derandomized: the same cases
on every run, shrunk to a small one on failure). ``benchmarks/fuzz.py`` runs the same
builders on 10^5 cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_cases import (
    build_csv,
    build_frame,
    outcome_of_api,
    outcome_of_cli,
    run_cli,
    run_csv,
    run_frame,
)

T = TypeVar("T")

#: Crashes that belong to the time-zone and calendar work of issue 16 (items 4-5), fixed on
#: its own branch; tolerated here only until that lands, every other crash fails the test.

FUZZ = settings(max_examples=1200, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


class DrawChooser:
    """Choices drawn by Hypothesis."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def pick(self, options: Sequence[T]) -> T:
        return self.data.draw(st.sampled_from(options))

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))


@FUZZ
@given(st.data())
def test_random_frames_give_a_forecast_or_a_gatecast_error(data: st.DataObject) -> None:
    df, options = build_frame(DrawChooser(data))
    outcome, exc = outcome_of_api(lambda: run_frame(df, options))
    assert not outcome.startswith("crash"), (
        f"{outcome}: {exc!r} for options={options}\n{df.head(6)}\n{df.dtypes}")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(FUZZ, max_examples=400)
@given(data=st.data())
def test_random_csv_files_exit_0_or_2(data: st.DataObject, folder: Path) -> None:
    text, args = build_csv(DrawChooser(data))
    run = run_csv(text, args, folder)
    outcome = outcome_of_cli(run)
    assert outcome in ("ok", "exit 2"), f"{outcome}: {run.stderr[:500]}\nargs={args}\n{text[:500]}"
    assert len(run.stderr) < 2_000  # one short line, whatever the file held


def test_a_huge_one_line_csv_gives_a_short_error(tmp_path: Path) -> None:
    path = tmp_path / "one-line.csv"
    path.write_text("unique_id,ds,y\na,2000-01-01," + "9x" * 2_000_000 + "\n")
    run = run_cli(["--quiet", "forecast", str(path), "--model", "naive", "--h", "2",
                   "--output", str(tmp_path / "out.csv")])
    assert run.status == 2
    assert "non-numeric value" in run.stderr
    assert len(run.stderr) < 600
