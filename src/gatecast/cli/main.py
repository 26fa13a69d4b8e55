"""The ``gatecast`` command line.

Exit codes: 0 ok, 2 bad input (one line on stderr, no traceback), 1 internal error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gatecast.datasets as datasets
from gatecast.cli.commands import classify, diagnose, gradients, grid, pretrain, report
from gatecast.cli.common import (
    add_data_args,
    add_interval_args,
    build_models,
    conformal_of,
    csv_list,
    engine_of,
    load_data,
    parse_levels,
    run_season,
    write_frame,
)
from gatecast.cli.outputs import check_outputs, input_paths
from gatecast.cli.ui import UI
from gatecast.data.frame import read_table
from gatecast.data.lazy import is_dataset_dir, read_partition, scan_parquet
from gatecast.data.validate import validate
from gatecast.errors import ConfigError, GatecastError, clip
from gatecast.evaluation.compare import compare, model_choices
from gatecast.evaluation.conformal import add_bands, check_windows, conformal_bands
from gatecast.evaluation.forecast import forecast
from gatecast.io.paths import check_output_dir
from gatecast.models.base import check_horizon
from gatecast.plotting import plot_forecast, plot_leaderboard
from gatecast.plotting.style import figure_format
from gatecast.report import build_report
from gatecast.training.distributed import check_distributed, processes

EXAMPLES = {
    "demo": "gatecast demo --output gatecast-demo",
    "forecast": "gatecast forecast sales.csv --model autoarima,ets --h 12 --season-length 12"
    " --level 80,95 --output forecasts.csv",
    "compare": "gatecast compare sales.csv --models arima,ets,theta --h 12 --windows 3"
    " --season-length 12",
    "backtest": "gatecast backtest --dataset airline --models sarima --h 12 --windows 4"
    " --output folds.csv",
}


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors cut to one short line (a bad value is echoed)."""

    def error(self, message: str) -> Any:
        return super().error(clip(message))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gatecast",
        description="Forecast time series with recurrent networks and classical models,"
        " always beside the naive baselines.",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars or tables")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="compare models on bundled data, write forecasts and"
                          " a plot", epilog=f"example: {EXAMPLES['demo']}")
    demo.add_argument("--output", default="gatecast-demo", help="output folder")
    demo.add_argument("--dataset", default="airline")

    fc = sub.add_parser("forecast", help="fit models and write forecasts",
                        epilog=f"example: {EXAMPLES['forecast']}")
    add_data_args(fc)
    fc.add_argument("--model", default="autoarima", help="model name(s), comma-separated")
    fc.add_argument("--output", default="forecasts.csv", help="CSV or Parquet file to write")
    fc.add_argument("--plot", help="also write a plot (PNG or SVG)")
    fc.add_argument("--save", metavar="DIR", help="also save the fitted model(s) there"
                    " (config.json + weights; several models: one folder each); load with"
                    " gatecast.load(DIR)")
    fc.add_argument("--future", help="CSV/Parquet with unique_id, ds and the known-future"
                    " covariates for the forecast steps (models with future_covariates)")
    fc.add_argument("--static", help="CSV/Parquet with unique_id and static features, one row"
                    " per series (models with static_features)")
    add_interval_args(fc)

    for name, help_text in (("compare", "backtest models and print a leaderboard"),
                            ("backtest", "rolling-origin backtest, write every fold")):
        p = sub.add_parser(name, help=help_text, epilog=f"example: {EXAMPLES[name]}")
        add_data_args(p)
        p.add_argument("--models", default="autoarima,ets,theta",
                       help="model names, comma-separated (naive and snaive are always added)")
        p.add_argument("--windows", type=int, default=1, help="number of backtest folds")
        p.add_argument("--step", type=int, default=None, help="steps between folds (default h)")
        p.add_argument("--metrics", default="smape,mase,mae,rmse")
        p.add_argument("--no-refit", action="store_true",
                       help="fit once in the first fold, reuse parameters later (--refit 0)")
        p.add_argument("--refit", metavar="K", default=None,
                       help="refit every K folds (default 1: every fold; 0: the first fold"
                       " only); folds between refits forecast from their new history with"
                       " the last fit's parameters")
        p.add_argument("--warm-start", action=argparse.BooleanOptionalAction, default=None,
                       help="a neural model's refit starts from the previous fit's weights"
                       " and trains a quarter of the steps (default: with 10 or more folds one step"
                       " apart)")
        p.add_argument("--output", help="write the leaderboard (compare) or folds (backtest)")
        if name == "compare":
            p.add_argument("--report", metavar="PATH",
                           help="also write the self-contained HTML report (report.html)")
            p.add_argument("--plot", metavar="PATH",
                           help="also write the leaderboard bars (PNG or SVG)")
    for module in COMMAND_MODULES:
        module.add_parser(sub)
    return parser


# Commands that live in their own module under ``gatecast.cli.commands``: each module defines
# ``NAME``, ``add_parser(sub)`` (may call ``add_data_args``) and ``run(args, ui) -> int``.
COMMAND_MODULES: tuple[Any, ...] = (report, gradients, classify, diagnose, grid, pretrain)


def _fit_predict(model: Any, sf: Any, h: int, levels: list[float] | None,
                 args: argparse.Namespace) -> Any:
    """Fit and predict, handing covariate files to the models that use covariates."""
    uses_future = bool(getattr(model, "future_covariates", ()))
    uses_static = bool(getattr(model, "static_features", ()))
    static = read_table(args.static) if uses_static and args.static else None
    model = model.fit(sf, static=static) if static is not None else model.fit(sf)
    if getattr(args, "save", None):
        several = len([m for m in args.model.split(",") if m.strip()]) > 1
        folder = check_output_dir(Path(args.save) / model.name if several else args.save,
                                  ("config.json", "weights.safetensors"),
                                  inputs=input_paths(args), what="--save")
        model.save(folder)
    if uses_future:
        if not args.future:
            raise ConfigError(f"{model.name} uses future covariates"
                              f" {list(model.future_covariates)}: give them with --future FILE")
        return model.predict(h, level=levels, future=read_table(args.future))
    return model.predict(h, level=levels)


def _forecast_on_engine(args: argparse.Namespace, ui: Any) -> int:
    """forecast with --engine ray or a Parquet directory: partitions mapped by the engine,
    read lazily from the directory; an --output without suffix gets part-*.parquet files."""
    if args.plot or args.static or args.save:
        raise ConfigError("--plot, --static and --save need --engine local and a single input"
                          " file")
    if args.file and is_dataset_dir(args.file) and not args.dataset:
        if args.h is None:
            raise ConfigError("give the forecast horizon with --h")
        data: Any = scan_parquet(args.file, id_col=args.id_col, time_col=args.time_col,
                                 target_col=args.target_col)
        h = check_horizon(args.h)
        # The frequency (for the season length) from the first partition, a worker's share.
        first = None if args.season_length is not None else read_partition(
            data, data.partitions[0], freq=args.freq, fill=args.fill).freq
        m = run_season(args, first)
    else:
        data, m, h = load_data(args)
    models = build_models(args.model, m, h, args)
    to_dir = not Path(args.output).suffix
    future = None
    if args.future:
        future = read_table(args.future)
    conformal = conformal_of(args)
    run = forecast(models, data, h, level=parse_levels(args.level),
                   engine=engine_of(args) or "local", output=args.output if to_dir else None,
                   future=future, freq=args.freq, fill=args.fill, seed=args.seed,
                   intervals="conformal" if conformal else "quantile", conformal=conformal)
    if not to_dir:
        write_frame(run.forecasts, args.output, args)
    n = int(run.partitions["series"].sum())
    ui.done(f"wrote forecasts for {n} series ({len(run.partitions)} partitions, peak worker"
            f" memory {run.partitions['peak_rss_mb'].max():.0f} MiB) to {args.output}",
            {"output": str(args.output), "series": n, "partitions": len(run.partitions),
             "seconds": run.seconds})
    return 0


def cmd_forecast(args: argparse.Namespace, ui: Any) -> int:
    if args.engine != "local" or args.address or (args.file and is_dataset_dir(args.file)):
        return _forecast_on_engine(args, ui)
    if args.plot:
        figure_format(args.plot)  # a bad figure name fails before any fitting
    conformal = conformal_of(args)
    sf, m, h = load_data(args)
    levels = parse_levels(args.level)
    models = build_models(args.model, m, h, args)
    for model in models if conformal is not None else ():
        check_windows(model, sf, h, conformal.n_windows)  # before any fitting
    out = None
    with ui.progress("fitting", total=len(models)) as advance:
        for model in models:
            if conformal is not None:
                bands = conformal_bands(model, sf, h, levels or [], conformal)
                fc = add_bands(_fit_predict(model, sf, h, bands.model_levels(), args), bands)
            else:
                lv = levels if getattr(model, "supports_intervals", False) else None
                fc = _fit_predict(model, sf, h, lv, args)
            out = fc if out is None else out.merge(fc, on=["unique_id", "ds"])
            advance(model.name)
    for model in models:
        ui.note(model.describe())
    path = write_frame(out, args.output, args)
    if args.plot:
        report.forecast_figures(args.plot, sf, out, models, h, m,
                                intervals="conformal" if conformal else None)
    ui.done(f"wrote {len(out)} forecast rows for {sf.n_series} series to {path}",
            {"output": str(path), "rows": len(out), "series": int(sf.n_series),
             "models": {model.name: model.describe() for model in models}})
    return 0


def refit_option(args: argparse.Namespace) -> int:
    """The refit interval of ``--refit K`` / ``--no-refit`` (a ConfigError for a bad K)."""
    if args.refit is None:
        return 0 if args.no_refit else 1
    text = str(args.refit).strip()
    if not text.isdigit():
        raise ConfigError(f"--refit takes a whole number of folds >= 0 (1: refit every fold,"
                          f" 0: the first fold only), got {clip(text, 40)!r}")
    if args.no_refit and int(text) != 0:
        raise ConfigError(f"--no-refit and --refit {int(text)} disagree; give one of them")
    return int(text)


def _run_compare(args: argparse.Namespace, ui: Any) -> tuple[Any, Any, int]:
    refit = refit_option(args)  # a bad --refit fails before the data is read
    sf, m, h = load_data(args)
    models = build_models(args.models, m, h, args)
    metrics = tuple(csv_list(args.metrics))
    levels = parse_levels(args.level)
    if levels:
        metrics = (*metrics, "coverage")
    total = (len(models) + 3) * args.windows
    with ui.progress("backtesting", total=total) as advance:
        board, result = compare(
            models, sf, h, n_windows=args.windows, step=args.step, season_length=m,
            metrics=metrics, refit=refit, level=levels, warm_start=args.warm_start,
            progress=lambda name, w: advance(f"{name} fold {w + 1}"), engine=engine_of(args),
        )
    return board, result, m


def _fit_note(result: Any, ui: Any) -> None:
    """Say how the backtest trained when it is not "from scratch in every fold"."""
    if result.warm_start:
        ui.note("neural models' refits started from the previous fold's weights"
                " (--no-warm-start trains every fold from scratch)")
    if result.refit != 1 and result.cuts.shape[0] > 1:
        ui.note("models refitted " + (f"every {result.refit} folds" if result.refit else
                                      "on the first fold only") + "; the folds between"
                " forecast with the last fit's parameters")


def cmd_compare(args: argparse.Namespace, ui: Any) -> int:
    report.check_compare_outputs(args)  # a bad --report/--plot name fails before the backtest
    board, result, m = _run_compare(args, ui)
    if args.output:
        write_frame(board.reset_index(), args.output, args)
    ui.table(board, title=f"leaderboard: h={result.h}, {result.cuts.shape[0]} fold(s),"
             f" {result.data.n_series} series", choices=model_choices(result))
    _fit_note(result, ui)
    diagnose.warn_verdicts(args, result, m, ui)
    for path in report.write_compare_outputs(args, board, result, m, ui):
        ui.done(f"wrote {path}", {"output": str(path)})
    return 0


def cmd_backtest(args: argparse.Namespace, ui: Any) -> int:
    board, result, m = _run_compare(args, ui)
    if args.output:
        write_frame(result.forecasts, args.output, args)
    ui.table(board, title=f"backtest: h={result.h}, {result.cuts.shape[0]} fold(s)",
             choices=model_choices(result))
    _fit_note(result, ui)
    diagnose.warn_verdicts(args, result, m, ui)
    return 0


def cmd_demo(args: argparse.Namespace, ui: Any) -> int:
    info = datasets.info(args.dataset)
    sf = validate(datasets.load(args.dataset))
    m, h = info.season_length, info.horizon
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    models = build_models("drift,naive2,autoarima,sarima,ets,theta,lstm", m, h)
    windows = 3
    with ui.progress("backtesting", total=(len(models) + 2) * windows) as advance:
        board, result = compare(models, sf, h, n_windows=windows, season_length=m,
                                progress=lambda name, w: advance(f"{name} fold {w + 1}"))
    write_frame(board.reset_index(), out / "leaderboard.csv")
    plot_leaderboard(board, path=out / "leaderboard.png")
    ui.table(board, title=f"{info.name}: {windows} folds of h={h} (season length {m})",
             choices=model_choices(result))
    best = [n for n in board.index if n not in ("naive", "snaive")][:2]
    forecasts = None
    for name in dict.fromkeys(["snaive", *best]):
        model = build_models(name, m, h)[0].fit(sf)
        fc = model.predict(h, level=[80, 95] if model.supports_intervals else None)
        forecasts = fc if forecasts is None else forecasts.merge(fc, on=["unique_id", "ds"])
    write_frame(forecasts, out / "forecasts.csv")
    plot_forecast(sf, forecasts, out / "forecast.png", last=6 * m)
    with ui.progress("report", total=len(models) + 2) as advance:
        report = build_report(models, sf, h, season_length=m, n_windows=windows,
                              title=f"gatecast demo: {info.name}", description=info.description,
                              board=board, result=result, progress=advance)
    report.write(out / "report.html")
    files = ["leaderboard.csv", "leaderboard.png", "forecasts.csv", "forecast.png", "report.html"]
    ui.done(f"wrote {', '.join(str(out / f) for f in files)}",
            {"output": str(out), "best": best, "files": files})
    return 0


COMMANDS = {"demo": cmd_demo, "forecast": cmd_forecast, "compare": cmd_compare,
            "backtest": cmd_backtest}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    ui = UI(quiet=args.quiet, as_json=args.json)
    debug = args.debug or os.environ.get("GATECAST_DEBUG")
    try:
        check_outputs(args)  # a path that cannot be written fails before any work
        with _ddp(args), warnings.catch_warnings():
            warnings.showwarning = _show_warning
            if args.command in COMMANDS:
                return COMMANDS[args.command](args, ui)
            module = next(m for m in COMMAND_MODULES if args.command == m.NAME)
            return int(module.run(args, ui))
    except GatecastError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {clip(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            traceback.print_exc()
        print(f"internal error: {type(exc).__name__}: {clip(str(exc), 300)} (rerun with"
              " --debug and report it)", file=sys.stderr)
        return 1


def _show_warning(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: Any = None, line: str | None = None) -> None:
    """A warning as one line for the user (``warning: ...``), not Python's file:line
    form with the source line under it."""
    print(f"warning: {clip(str(message))}", file=sys.stderr)


def _ddp(args: argparse.Namespace) -> Any:
    """--ddp N: recurrent fits in this command train on N processes."""
    if getattr(args, "ddp", None) is None:
        return contextlib.nullcontext()
    return processes(check_distributed(args.ddp) or None)


def _json_default(value: Any) -> Any:
    return str(value)


def dumps(payload: Any) -> str:
    return json.dumps(payload, default=_json_default)


if __name__ == "__main__":
    sys.exit(main())
