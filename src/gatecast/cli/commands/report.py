"""``gatecast report``: backtest models and write one self-contained HTML report.

Also home of the ``compare --report PATH`` / ``--plot PATH`` outputs, so the report logic
of the CLI lives in one place.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import gatecast.datasets as datasets
from gatecast.cli.common import (
    add_data_args,
    add_interval_args,
    build_models,
    conformal_of,
    csv_list,
    load_data,
    parse_levels,
)
from gatecast.evaluation.compare import with_baselines
from gatecast.plotting import plot_forecast, plot_leaderboard, plot_loss_curves
from gatecast.plotting.style import figure_format
from gatecast.plotting.training import loss_histories
from gatecast.report import build_report, check_report_path, write_report
from gatecast.report.insample import fitted_table

NAME = "report"
EXAMPLE = ("gatecast report --dataset airline --models ets,theta,autoarima --h 12 --windows 3"
           " --output report.html")
DEFAULT_LEVELS = [80.0, 95.0]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        NAME, help="backtest models and write one self-contained HTML report",
        description="Backtest models beside the naive baselines and write one HTML file with"
        " the data summary, the leaderboard, the diagnostics, each model's forecast plot and"
        " the loss curves of neural models (figures embedded, no network access needed).",
        epilog=f"example: {EXAMPLE}")
    add_data_args(p)
    p.add_argument("--models", default="autoarima,ets,theta",
                   help="model names, comma-separated (naive and snaive are always added)")
    p.add_argument("--windows", type=int, default=1, help="number of backtest folds")
    p.add_argument("--metrics", default="smape,mase,mae,rmse")
    p.add_argument("--title", help="report title (default: from the data)")
    p.add_argument("--output", default="report.html", help="HTML file to write")
    add_interval_args(p)


def _describe(args: argparse.Namespace) -> tuple[str, str]:
    """(title, description) of the data for the report header."""
    if getattr(args, "dataset", None):
        return f"gatecast report: {args.dataset}", datasets.info(args.dataset).description
    name = Path(args.file).name if getattr(args, "file", None) else "data"
    return f"gatecast report: {name}", f"File {args.file}." if args.file else ""


def make_report(args: argparse.Namespace, sf: Any, m: int, h: int, ui: Any,
                board: Any = None, result: Any = None, path: str | None = None) -> Path:
    """Build and write the report for the CLI (reusing a backtest when given)."""
    out = check_report_path(path or args.output)
    models = build_models(args.models, m, h, args)
    levels = parse_levels(getattr(args, "level", None)) or DEFAULT_LEVELS
    conformal = conformal_of(args, need_level=False) if hasattr(args, "intervals") else None
    title, description = _describe(args)
    n_models = len(with_baselines(models, m))
    folds = 0 if result is not None else args.windows * n_models
    with ui.progress("report", total=folds + n_models) as advance:
        report = build_report(
            models, sf, h, season_length=m, n_windows=args.windows, level=levels,
            metrics=tuple(csv_list(args.metrics)), title=getattr(args, "title", None) or title,
            description=description, board=board, result=result, progress=advance,
            intervals="conformal" if conformal is not None else "quantile", conformal=conformal,
        )
    return write_report(report, out)


def run(args: argparse.Namespace, ui: Any) -> int:
    check_report_path(args.output)  # fail before any work
    conformal_of(args, need_level=False)  # a bad --intervals too
    sf, m, h = load_data(args)
    path = make_report(args, sf, m, h, ui)
    ui.done(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB)",
            {"output": str(path), "series": int(sf.n_series), "h": h})
    return 0


# -- compare --report / --plot --------------------------------------------------------
def check_compare_outputs(args: argparse.Namespace) -> None:
    """Reject a bad ``--report``/``--plot`` file name before the backtest runs."""
    if getattr(args, "report", None):
        check_report_path(args.report)
    if getattr(args, "plot", None):
        figure_format(args.plot)


def write_compare_outputs(args: argparse.Namespace, board: Any, result: Any, m: int,
                          ui: Any) -> list[Path]:
    """Write the leaderboard figure (``--plot``) and the HTML report (``--report``)."""
    written = []
    if getattr(args, "plot", None):
        plot_leaderboard(board, path=args.plot)
        written.append(Path(args.plot))
    if getattr(args, "report", None):
        written.append(make_report(args, result.data, m, result.h, ui, board=board,
                                   result=result, path=args.report))
    return written


# -- forecast --plot ----------------------------------------------------------------------
def forecast_figures(path: str, sf: Any, forecasts: Any, models: list[Any], h: int, m: int,
                     intervals: str | None = None) -> list[Path]:
    """The forecast figure with each model's in-sample fit, plus the loss curves of neural
    models beside it (``<name>-loss.<suffix>``); ``intervals`` names the band's method."""
    window = max(4 * h, 3 * m)
    shown = list(sf.ids[:12])  # plot_forecast draws at most 12 panels
    fitted, _ = fitted_table({mod.name: mod for mod in models}, sf, window, ids=shown)
    plot_forecast(sf, forecasts, path, last=window, fitted=fitted, ids=shown,
                  intervals=intervals)
    written = [Path(path)]
    curves = loss_histories(models)
    if curves:
        loss_path = Path(path).with_name(f"{Path(path).stem}-loss{Path(path).suffix}")
        plot_loss_curves(curves, path=loss_path)
        written.append(loss_path)
    return written
