"""Shared M4 Hourly loading and scoring for the benchmarks (reads ../shared/data/m4)."""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gatecast.data.frame import read_m4
from gatecast.metrics import NAIVE2_HOURLY_MASE, NAIVE2_HOURLY_SMAPE, m4_scores, owa

ROOT = Path(__file__).resolve().parents[1]
M4_DIR = ROOT.parent / "shared" / "data" / "m4"
H, M = 48, 24


def load_hourly(n_series: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    train, test = read_m4(M4_DIR / "Hourly-train.csv", M4_DIR / "Hourly-test.csv")
    if n_series is not None:
        keep = train["unique_id"].drop_duplicates().iloc[:n_series]
        train = train[train["unique_id"].isin(keep)]
        test = test[test["unique_id"].isin(keep)]
    return train.reset_index(drop=True), test.reset_index(drop=True)


def published() -> pd.DataFrame:
    table = pd.read_csv(M4_DIR / "Hourly-published-scores.csv")
    table = table[pd.to_numeric(table["OWA"], errors="coerce").notna()]
    table["label"] = np.where(table["method"] == "-", table["method_id"],
                              table["method_id"] + " " + table["method"])
    return table.astype({"sMAPE": float, "MASE": float, "OWA": float})


def score(train: pd.DataFrame, test: pd.DataFrame, forecasts: pd.DataFrame, column: str
          ) -> tuple[float, float, float]:
    """Official M4 sMAPE, MASE and OWA of one forecast column."""
    ids = test["unique_id"].drop_duplicates().to_numpy()
    y = test["y"].to_numpy().reshape(len(ids), H)
    merged = test[["unique_id", "ds"]].merge(forecasts, on=["unique_id", "ds"], how="left")
    y_hat = merged[column].to_numpy().reshape(len(ids), H)
    groups = dict(tuple(train.groupby("unique_id", sort=False)["y"]))
    insample = [groups[i].to_numpy() for i in ids]
    s, m = m4_scores(y, y_hat, insample, M)
    return s, m, owa(s, m, NAIVE2_HOURLY_SMAPE, NAIVE2_HOURLY_MASE)


def machine() -> str:
    import os

    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--series", type=int, default=None, help="first N series only")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
