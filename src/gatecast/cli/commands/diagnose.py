"""``gatecast diagnose``: what the data need and whether the forecasts tell the truth.

Without ``--models``: a summary of each series, the ADF/KPSS tests, the seasonal strength and
the differencing advice (a transform spec such as ``log,diff:12,diff``). With ``--models``: a
short rolling-origin backtest (each model fitted once on the first fold, ``--no-refit`` style,
then the origin moves one step at a time so the forecasts form a path), the naive, seasonal
naive and drift baselines beside them, the right-shift / persistence detector, skill against
the naive forecasts, and residual checks (backtest lead-1 and in-sample one-step residuals).
Tables are printed; CSV, JSON and PNG files go to ``--output``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gatecast.cli.common import add_data_args, build_models, csv_list, load_data, write_frame
from gatecast.data.grouped import GroupedArray
from gatecast.data.stationarity import common_transform, stationarity_report, stationarity_table
from gatecast.data.transforms import make_pipeline
from gatecast.data.validate import SeriesFrame
from gatecast.diagnostics.residuals import insample_residuals, residual_diagnostic
from gatecast.diagnostics.shift import diagnose_shift
from gatecast.diagnostics.summary import diagnose_backtest
from gatecast.errors import ConfigError
from gatecast.evaluation.compare import compare, with_baselines
from gatecast.io.paths import write_text
from gatecast.plotting.diagnostics import (
    plot_acf_panels,
    plot_cross_correlation,
    plot_residual_acf,
    plot_skill,
)

NAME = "diagnose"
EXAMPLE = ("gatecast diagnose --dataset sales --models lstm --param max_steps=200"
           " --output diag")
MAX_WINDOWS = 30
AUTO_BASELINES = ("naive", "snaive", "drift")
SHIFT_COLUMNS = {"verdict": "verdict", "skill_naive": "skill vs naive",
                 "skill_snaive": "vs snaive", "movement_ratio": "movement",
                 "change_corr": "change r", "last_value_corr": "r(f, last)",
                 "actual_last_value_corr": "r(y, last)", "ccf_peak_lag": "peak lag",
                 "ccf_peak": "peak r"}


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        NAME, help="stationarity advice, and the right-shift detector on a short backtest",
        description="Data summary, ADF/KPSS tests and differencing advice per series; with"
        " --models also a one-step-rolling backtest with the persistence (right-shift)"
        " detector, skill against the naive forecasts and residual checks.",
        epilog=f"example: {EXAMPLE}")
    add_data_args(p)
    p.add_argument("--models", default=None,
                   help="models to check, comma-separated (naive, snaive and drift are added)")
    p.add_argument("--windows", type=int, default=None,
                   help=f"backtest folds (default: a third of the room, at most {MAX_WINDOWS})")
    p.add_argument("--step", type=int, default=1, help="steps between folds (default 1)")
    p.add_argument("--refit", action="store_true",
                   help="refit every fold (default: fit once, roll the origin forward)")
    p.add_argument("--max-series", type=int, default=10,
                   help="only the first N series (files with many series)")
    p.add_argument("--insample-points", type=int, default=40,
                   help="one-step in-sample residuals over the last N points (0: skip)")
    p.add_argument("--output", default="gatecast-diagnose",
                   help="folder for the CSV, JSON and PNG files")


def print_warnings(ui: Any, items: list[tuple[str, str, str]]) -> None:
    """One rich warning line per finding, with the fix under it (not in --quiet/--json)."""
    if ui.quiet or ui.as_json:
        return
    for _model, message, fix in items:
        ui.console.print(f"[bold yellow]warning[/]: {message}", highlight=False)
        if fix:
            ui.console.print(f"  [bold]fix[/]: {fix}", highlight=False)


def shift_warnings(result: Any, season_length: int, models: list[str]) -> list[tuple[str, str,
                                                                                    str]]:
    """Persistence warnings for the named models of a backtest (used by compare/backtest)."""
    diags = diagnose_shift(result, season_length, [m for m in models if m in result.models])
    return [(n, d.explanation, d.fix) for n, d in diags.items() if d.fired and d.fix]


def warn_verdicts(args: argparse.Namespace, result: Any, season_length: int, ui: Any) -> None:
    """After ``compare``/``backtest``: a warning line + fix for each model the detector flags.

    The baselines compare adds on its own (naive, snaive, drift) are not warned about unless
    the user asked for them.
    """
    asked = {n.lower() for n in csv_list(args.models or "")}
    names = [n for n in result.models if n in asked or n not in AUTO_BASELINES]
    print_warnings(ui, shift_warnings(result, season_length, names))


def first_series(sf: Any, n: int) -> Any:
    """The first ``n`` series of a validated frame (rows are grouped by series)."""
    if isinstance(n, bool) or n < 1:
        raise ConfigError(f"--max-series must be >= 1, got {n}")
    if n >= sf.n_series:
        return sf
    frame = sf.frame.iloc[: int(sf.indptr[n])].reset_index(drop=True)
    return SeriesFrame(frame=frame, freq=sf.freq, ids=sf.ids[:n], indptr=sf.indptr[: n + 1])


def data_summary(sf: Any) -> pd.DataFrame:
    rows = []
    for i, y in enumerate(sf.grouped()):
        rows.append({"series": str(sf.ids[i]), "length": int(y.size),
                     "start": _when(sf.first_ds()[i]), "end": _when(sf.last_ds()[i]),
                     "mean": float(y.mean()),
                     "sd": float(y.std()), "min": float(y.min()), "max": float(y.max())})
    return pd.DataFrame(rows).set_index("series")


def _when(ds: Any) -> str:
    text = str(pd.Timestamp(ds)) if isinstance(ds, np.datetime64) else str(ds)
    return text.removesuffix(" 00:00:00")


def _windows(args: argparse.Namespace, sf: Any, h: int, need: int) -> int:
    room = int(sf.lengths.min()) - h - need  # cutoffs the shortest series can move through
    if args.windows is not None:
        if args.windows < 1:
            raise ConfigError(f"--windows must be >= 1, got {args.windows}")
        return int(args.windows)
    auto = min(MAX_WINDOWS, max(1, (int(sf.lengths.min()) - h) // 3))
    return max(1, min(auto, room // max(args.step, 1) + 1))


def _stationarity(sf: Any, m: int, ui: Any, out: Path) -> tuple[list[Any], str]:
    values = [np.asarray(y) for y in sf.grouped()]
    reports = [stationarity_report(y, m, str(uid)) for y, uid in zip(values, sf.ids, strict=True)]
    table = stationarity_table(reports)
    shown = {"transform": "transform", "log": "log", "D": "D", "d": "d",
             "boxcox_lambda": "lambda", "seasonal_strength": "F_s", "trend_strength": "F_t",
             "adf_pvalue": "ADF p", "kpss_pvalue": "KPSS p", "kpss_pvalue_after": "KPSS p after"}
    ui.table(table[list(shown)].rename(columns=shown),
             title=f"stationarity (season length {m})")
    write_frame(table.reset_index(), out / "stationarity.csv")
    if not (ui.quiet or ui.as_json):
        for r in reports:
            ui.console.print(f"[bold]advice[/]: {r.advice}", highlight=False)
    common = common_transform(values, m) if len(values) > 1 else reports[0].transform
    if len(values) > 1 and not (ui.quiet or ui.as_json):
        ui.console.print(f"[bold]advice[/]: one transform for all {len(values)} series (a"
                         f" global model): transform={common!r}", highlight=False)
    plot_acf_panels(_acf_panels(values, reports, sf.ids), out / "series_acf.png",
                    title="autocorrelation before and after the advised transform")
    return reports, common


def _acf_panels(values: list[np.ndarray], reports: list[Any], ids: Any) -> list[Any]:
    from statsmodels.tsa.stattools import acf

    panels = []
    for y, r, uid in list(zip(values, reports, ids, strict=True))[:3]:
        if y.size < 4:
            continue
        k = min(max(2 * r.season_length, 20), y.size // 2)
        panels.append((f"{uid}: as given", acf(y, nlags=k), y.size))
        if r.transform:
            z = make_pipeline(r.transform).fit_transform(GroupedArray.from_arrays([y]))[0]
            if z.size > k + 1:
                panels.append((f"{uid}: after {r.transform!r}", acf(z, nlags=k), z.size))
    return panels


def _forecasts(args: argparse.Namespace, sf: Any, m: int, h: int, ui: Any, out: Path
               ) -> dict[str, Any]:
    models = build_models(args.models, m, h, args)
    names = [mdl.name for mdl in models]
    everyone = with_baselines(models, m)
    need = max(int(mdl.min_length()) for mdl in everyone)
    windows = _windows(args, sf, h, need)
    with ui.progress("backtesting", total=len(everyone) * windows) as advance:
        board, result = compare(models, sf, h, n_windows=windows, step=args.step,
                                season_length=m, refit=bool(args.refit),
                                progress=lambda name, w: advance(f"{name} fold {w + 1}"))
    how = "refit every fold" if args.refit else "fitted once on the first fold"
    ui.table(board, title=f"backtest: {windows} fold(s) of h={h}, step {args.step}, {how}")
    write_frame(board.reset_index(), out / "leaderboard.csv")
    report = diagnose_backtest(result, m)
    shift = report.shift_table()
    ui.table(shift[list(SHIFT_COLUMNS)].rename(columns=SHIFT_COLUMNS),
             title="right-shift / persistence detector (skill: 1 - MSE / MSE of the reference)")
    write_frame(shift.reset_index(), out / "shift.csv")
    insample = []
    if args.insample_points > 0:
        with ui.progress("in-sample residuals", total=len(models)) as advance:
            for model in models:
                for uid, e in insample_residuals(model, sf, args.insample_points).items():
                    insample.append(residual_diagnostic(e, m, model.name, uid, "in-sample"))
                advance(model.name)
    residuals = insample + report.residuals
    report.residuals = residuals
    rtable = report.residual_table()
    ui.table(rtable.set_index("model"), title="residual checks (Ljung-Box, Jarque-Bera)")
    write_frame(rtable, out / "residuals.csv")
    print_warnings(ui, report.warnings(names))
    plot_cross_correlation(report.shift, out / "cross_correlation.png")
    plot_skill(report.shift, out / "skill.png")
    mine = [r for r in residuals if r.model in names] or residuals
    plot_residual_acf(mine, out / "residual_acf.png")
    payload = report.as_dict()
    payload["windows"], payload["h"], payload["step"] = windows, h, args.step
    return payload


def run(args: argparse.Namespace, ui: Any) -> int:
    if args.h is None and not args.dataset and not args.models:
        args.h = 1  # the data diagnostics need no horizon; a backtest does (load_data asks)
    if args.step < 1:
        raise ConfigError(f"--step must be >= 1, got {args.step}")
    if args.insample_points < 0:
        raise ConfigError(f"--insample-points must be >= 0, got {args.insample_points}")
    sf, m, h = load_data(args)
    sf = first_series(sf, args.max_series)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    summary = data_summary(sf)
    ui.table(summary, title=f"data: {sf.n_series} series, frequency {sf.freq}")
    write_frame(summary.reset_index(), out / "summary.csv")
    reports, common = _stationarity(sf, m, ui, out)
    payload: dict[str, Any] = {
        "season_length": m, "series": [str(s) for s in sf.ids], "common_transform": common,
        "stationarity": [r.as_dict() for r in reports],
    }
    files = ["summary.csv", "stationarity.csv", "series_acf.png"]
    if args.models:
        payload["forecasts"] = _forecasts(args, sf, m, h, ui, out)
        files += ["leaderboard.csv", "shift.csv", "residuals.csv", "cross_correlation.png",
                  "skill.png", "residual_acf.png"]
    write_text(out / "diagnostics.json", json.dumps(_clean(payload), default=str, indent=1))
    files.append("diagnostics.json")
    ui.done(f"wrote {', '.join(files)} to {out}", {"output": str(out), "files": files})
    return 0


def _clean(value: Any) -> Any:
    """Plain JSON values: arrays to lists, numpy scalars to Python, NaN/inf to null."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if np.isfinite(value) else None
    return value
