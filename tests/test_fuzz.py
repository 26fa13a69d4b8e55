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

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gatecast as gc
from fuzz_cases import (
    build_csv,
    build_frame,
    outcome_of_api,
    outcome_of_cli,
    run_cli,
    run_csv,
    run_frame,
)
from gatecast.errors import GatecastError

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


def test_crash_classes_found_by_the_fuzz_benchmark() -> None:
    """Each of these crashed (IndexError, ValueError, OutOfBoundsDatetime) in a 30,000-case
    run of benchmarks/fuzz.py; each now gives a forecast or one gatecast error."""
    cat = pd.DataFrame({"unique_id": pd.Categorical(["c0", "c1"]),
                        "ds": [pd.Timestamp("2000-01-01")] * 2, "y": [1.0, np.nan]})
    with pytest.raises(GatecastError, match="series 'c1' has 1 missing value"):
        gc.validate(cat, freq="MS")
    tuples = pd.DataFrame({"unique_id": [("t", 0)] * 2, "ds": pd.to_datetime(
        ["2000-01-01", "2000-01-04"]), "y": [1.0, 3.0]})
    filled = gc.validate(tuples, freq="D", fill="ffill")
    assert filled.n_series == 1 and len(filled.frame) == 4
    ds = pd.date_range("1677-09-26", "2262-01-01", freq="7D")  # a span beyond 292 years
    long = pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.arange(len(ds), dtype=float)})
    assert gc.validate(long).freq.freqstr == "W-SUN"
