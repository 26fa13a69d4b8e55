"""Test data built from a seed (no network, no files) and the path to ../shared/data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def seasonal_frame(n_series: int = 3, length: int = 72, m: int = 12, seed: int = 0,
                   freq: str = "MS") -> pd.DataFrame:
    """Trend + multiplicative season + noise; series of different lengths."""
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(n_series):
        n = length + 6 * i
        t = np.arange(n)
        level = 50 + 10 * i + 0.2 * t
        season = 1 + 0.2 * np.sin(2 * np.pi * t / m + i)
        y = level * season + rng.normal(0, 1.0, n)
        ds = pd.date_range("2015-01-01", periods=n, freq=freq)
        parts.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y}))
    return pd.concat(parts, ignore_index=True)
