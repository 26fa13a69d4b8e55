"""Shared M4 Hourly loading and scoring for the benchmarks (reads ../shared/data/m4)."""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gatecast.data.frame import read_m4
from gatecast.metrics import NAIVE2_HOURLY_MASE, NAIVE2_HOURLY_SMAPE, m4_scores, owa

ROOT = Path(__file__).resolve().parents[1]
#: ``GATECAST_M4_DIR`` points elsewhere (e.g. a copy carried to a GPU machine).
M4_DIR = Path(os.environ.get("GATECAST_M4_DIR", ROOT.parent / "shared" / "data" / "m4"))
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


def out_dir(value: str) -> Path:
    """``--out``: a folder (made if missing). Checked when the arguments are parsed, so a
    file named by mistake fails at once instead of after a 20-minute run."""
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(
            f"{value} is a file; --out names the folder the results CSV is written to")
    return path


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--series", type=int, default=None, help="first N series only")
    parser.add_argument("--out", type=out_dir, default=ROOT / "benchmarks" / "results",
                        help="folder for the results CSV (default: benchmarks/results)")


def merge_rows(path: Path, rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``rows`` written to the CSV ``path`` in place of the rows with the same ``keys`` of
    an earlier run there (other rows kept: a run of some models does not erase the others',
    and a run on the first 50 series does not replace one on all 414)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file():
        old = pd.read_csv(path)
        same = old[keys].apply(tuple, axis=1).isin(set(rows[keys].apply(tuple, axis=1)))
        rows = pd.concat([old[~same], rows], ignore_index=True)
    rows.to_csv(path, index=False)
    return rows


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
