"""The ``gatecast`` command line.

Exit codes: 0 ok, 2 bad input (one line on stderr, no traceback), 1 internal error.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gatecast.errors import ConfigError, GatecastError, clip

EXAMPLES = {
    "demo": "gatecast demo --output gatecast-demo",
    "forecast": "gatecast forecast sales.csv --model autoarima,ets --h 12 --season-length 12"
    " --level 80,95 --output forecasts.csv",
    "compare": "gatecast compare sales.csv --models arima,ets,theta --h 12 --windows 3"
    " --season-length 12",
    "backtest": "gatecast backtest --dataset airline --models sarima --h 12 --windows 4"
    " --output folds.csv",
}


def csv_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def parse_levels(text: str | None) -> list[float] | None:
    if not text:
        return None
    try:
        return [float(v) for v in csv_list(text)]
    except ValueError as exc:
        raise ConfigError(f"--level takes numbers like 80,95, got {text!r}") from exc


def add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", help="CSV or Parquet file in long format (unique_id, ds, y)")
    p.add_argument("--dataset", help="use a bundled dataset instead of FILE (e.g. airline)")
    p.add_argument("--wide", action="store_true", help="FILE has one series per row (M4 style)")
    p.add_argument("--id-col", default="unique_id")
    p.add_argument("--time-col", default="ds")
    p.add_argument("--target-col", default="y")
    p.add_argument("--freq", help="frequency ('h', 'D', 'MS', or an integer step); inferred")
    p.add_argument("--fill", choices=["interpolate", "ffill", "zero"],
                   help="fill missing values and gaps instead of failing")
    p.add_argument("--season-length", type=int, default=None,
                   help="season length m; inferred from the frequency when not given"
                   " (monthly 12, quarterly 4, weekly 52, daily 7, hourly 24, ...)")
    p.add_argument("--h", type=int, default=None, help="forecast horizon (steps)")
    p.add_argument("--level", help="prediction-interval levels, e.g. 80,95")
    p.add_argument("--n-jobs", type=int, default=1, help="processes for per-series models")
    p.add_argument("--engine", default="local", choices=["local", "ray"],
                   help="where per-series work runs: local (--n-jobs processes) or ray"
                   " (partitions of series as Ray tasks; pip install 'gatecast[ray]')")
    p.add_argument("--address", help="Ray cluster to join: auto, HOST:PORT or ray://HOST:PORT"
                   " (default: start a local Ray runtime and stop it afterwards)")
    p.add_argument("--ddp", type=int, default=None, metavar="N",
                   help="train recurrent models on N processes with torch DDP (gloo on CPU,"
                   " NCCL on N GPUs)")
    p.add_argument("--seed", type=int, default=0, help="seed for the neural models")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads for neural models on the CPU (default: chosen from the"
                   " network's size and the free cores; or set GATECAST_THREADS)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                   help="where neural models train (auto: CUDA when available)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="set a model parameter on every model that has it, e.g. --param"
                   " max_steps=500 --param hidden_size=64 (repeatable)")


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
                       help="fit once in the first fold, reuse parameters later")
        p.add_argument("--output", help="write the leaderboard (compare) or folds (backtest)")
        if name == "compare":
            p.add_argument("--report", metavar="PATH",
                           help="also write the self-contained HTML report (report.html)")
            p.add_argument("--plot", metavar="PATH",
                           help="also write the leaderboard bars (PNG or SVG)")
    for module in _command_modules():
        module.add_parser(sub)
    return parser


# Commands that live in their own module under ``gatecast.cli.commands``: each module defines
# ``NAME``, ``add_parser(sub)`` (may call ``add_data_args``) and ``run(args, ui) -> int``.
COMMAND_MODULES: tuple[str, ...] = ("report", "gradients", "classify", "diagnose", "grid",
                                    "pretrain")


def _command_modules() -> list[Any]:
    import importlib

    return [importlib.import_module(f"gatecast.cli.commands.{name}") for name in COMMAND_MODULES]


def load_data(args: argparse.Namespace) -> tuple[Any, int, int]:
    from gatecast import datasets
    from gatecast.data.frame import as_long, from_wide, read_table
    from gatecast.data.validate import validate
    from gatecast.models.base import check_horizon

    default_from = ""
    if args.dataset:
        info = datasets.info(args.dataset)
        raw = datasets.load(args.dataset)
        m, h = info.season_length, info.horizon
        default_from = f"the {args.dataset} dataset's season"
    elif args.file:
        raw = read_table(args.file)
        if args.wide:
            raw = from_wide(raw)
        else:
            raw = as_long(raw, id_col=args.id_col, time_col=args.time_col,
                          target_col=args.target_col)
        m, h = None, None
    else:
        raise ConfigError("give a FILE or --dataset NAME (see gatecast --help)")
    horizon = args.h if args.h is not None else h
    if horizon is None:
        raise ConfigError("give the forecast horizon with --h")
    check_horizon(horizon)
    sf = validate(raw, freq=args.freq, fill=args.fill)
    return sf, run_season(args, sf.freq, m, default_from), horizon


def run_season(args: argparse.Namespace, freq: Any, default: int | None = None,
               default_from: str = "") -> int:
    """The run's season length, decided once (:mod:`gatecast.data.season`) and said on
    stdout (stderr holds only the error line of a bad input)."""
    from gatecast.data.season import decide_season

    given = getattr(args, "season_length", None)
    m, why = decide_season(given, freq, default, default_from)
    if not (getattr(args, "quiet", False) or getattr(args, "json", False)):
        hint = "" if given is not None else "; --season-length to override"
        print(f"season length {m} ({why}{hint})")
    return m


def write_frame(df: Any, path: str | Path, args: argparse.Namespace | None = None) -> Path:
    """CSV or Parquet by suffix, atomically, never over one of the command's inputs."""
    from gatecast.cli.outputs import input_paths
    from gatecast.io.paths import write_frame as write

    return write(df, path, inputs=input_paths(args) if args is not None else ())


def build_models(names: str, season_length: int, horizon: int,
                 args: argparse.Namespace | None = None) -> list[Any]:
    from gatecast.models.registry import accepts, make_model, model_class
    from gatecast.training.config import TrainerConfig

    names_ = csv_list(names)
    if not names_:
        raise ConfigError("give at least one model name")
    seed, device = getattr(args, "seed", 0), getattr(args, "device", "auto")
    progress = args is not None and not (args.quiet or args.json) and sys.stderr.isatty()
    extra = parse_params(getattr(args, "param", []))
    models = []
    for n in names_:
        cls = model_class(n)
        mine = {k: v for k, v in extra.items() if accepts(cls, k)}
        models.append(make_model(
            n, season_length=season_length, horizon=horizon,
            n_jobs=getattr(args, "n_jobs", 1),
            trainer=TrainerConfig(seed=seed, device=device, progress=progress,
                                  threads=getattr(args, "threads", None)), **mine))
    unused = set(extra) - {k for n in names_ for k in extra if accepts(model_class(n), k)}
    if unused:
        raise ConfigError(f"no chosen model has parameter(s) {sorted(unused)}")
    return models


def parse_params(items: list[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs; values are Python literals (numbers, strings, tuples)."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ConfigError(f"--param takes NAME=VALUE, got {item!r}")
        try:
            out[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[name] = value  # a bare word such as --param normalize=mean
    return out


def _fit_predict(model: Any, sf: Any, h: int, levels: list[float] | None,
                 args: argparse.Namespace) -> Any:
    """Fit and predict, handing covariate files to the models that use covariates."""
    from gatecast.cli.outputs import input_paths
    from gatecast.data.frame import read_table

    uses_future = bool(getattr(model, "future_covariates", ()))
    uses_static = bool(getattr(model, "static_features", ()))
    static = read_table(args.static) if uses_static and args.static else None
    model = model.fit(sf, static=static) if static is not None else model.fit(sf)
    if getattr(args, "save", None):
        from gatecast.io.paths import check_output_dir

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


def engine_of(args: argparse.Namespace) -> Any:
    """The engine the --engine/--address options ask for (``None``: each model's n_jobs)."""
    from gatecast.engine import make_engine

    if getattr(args, "engine", "local") == "local" and not getattr(args, "address", None):
        return None
    return make_engine(args.engine, address=args.address)


def _forecast_on_engine(args: argparse.Namespace, ui: Any) -> int:
    """forecast with --engine ray or a Parquet directory: partitions mapped by the engine,
    read lazily from the directory; an --output without suffix gets part-*.parquet files."""
    from gatecast.data.lazy import is_dataset_dir, read_partition, scan_parquet
    from gatecast.engine.forecast import forecast
    from gatecast.models.base import check_horizon

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
        from gatecast.data.frame import read_table

        future = read_table(args.future)
    run = forecast(models, data, h, level=parse_levels(args.level),
                   engine=engine_of(args) or "local", output=args.output if to_dir else None,
                   future=future, freq=args.freq, fill=args.fill, seed=args.seed)
    if not to_dir:
        write_frame(run.forecasts, args.output, args)
    n = int(run.partitions["series"].sum())
    ui.done(f"wrote forecasts for {n} series ({len(run.partitions)} partitions, peak worker"
            f" memory {run.partitions['peak_rss_mb'].max():.0f} MiB) to {args.output}",
            {"output": str(args.output), "series": n, "partitions": len(run.partitions),
             "seconds": run.seconds})
    return 0


def cmd_forecast(args: argparse.Namespace, ui: Any) -> int:
    from gatecast.data.lazy import is_dataset_dir

    if args.engine != "local" or args.address or (args.file and is_dataset_dir(args.file)):
        return _forecast_on_engine(args, ui)
    if args.plot:
        from gatecast.plotting.style import figure_format

        figure_format(args.plot)  # a bad figure name fails before any fitting
    sf, m, h = load_data(args)
    levels = parse_levels(args.level)
    models = build_models(args.model, m, h, args)
    out = None
    with ui.progress("fitting", total=len(models)) as advance:
        for model in models:
            lv = levels if getattr(model, "supports_intervals", False) else None
            fc = _fit_predict(model, sf, h, lv, args)
            out = fc if out is None else out.merge(fc, on=["unique_id", "ds"])
            advance(model.name)
    path = write_frame(out, args.output, args)
    if args.plot:
        from gatecast.cli.commands.report import forecast_figures

        forecast_figures(args.plot, sf, out, models, h, m)
    ui.done(f"wrote {len(out)} forecast rows for {sf.n_series} series to {path}",
            {"output": str(path), "rows": len(out), "series": int(sf.n_series)})
    return 0


def _run_compare(args: argparse.Namespace, ui: Any) -> tuple[Any, Any, int]:
    from gatecast.evaluation.compare import compare

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
            metrics=metrics, refit=not args.no_refit, level=levels,
            progress=lambda name, w: advance(f"{name} fold {w + 1}"), engine=engine_of(args),
        )
    return board, result, m


def cmd_compare(args: argparse.Namespace, ui: Any) -> int:
    from gatecast.cli.commands.diagnose import warn_verdicts
    from gatecast.cli.commands.report import check_compare_outputs, write_compare_outputs

    check_compare_outputs(args)  # a bad --report/--plot name fails before the backtest
    board, result, m = _run_compare(args, ui)
    if args.output:
        write_frame(board.reset_index(), args.output, args)
    ui.table(board, title=f"leaderboard: h={result.h}, {result.cuts.shape[0]} fold(s),"
             f" {result.data.n_series} series")
    warn_verdicts(args, result, m, ui)
    for path in write_compare_outputs(args, board, result, m, ui):
        ui.done(f"wrote {path}", {"output": str(path)})
    return 0


def cmd_backtest(args: argparse.Namespace, ui: Any) -> int:
    from gatecast.cli.commands.diagnose import warn_verdicts

    board, result, m = _run_compare(args, ui)
    if args.output:
        write_frame(result.forecasts, args.output, args)
    ui.table(board, title=f"backtest: h={result.h}, {result.cuts.shape[0]} fold(s)")
    warn_verdicts(args, result, m, ui)
    return 0


def cmd_demo(args: argparse.Namespace, ui: Any) -> int:
    from gatecast import datasets
    from gatecast.data.validate import validate
    from gatecast.evaluation.compare import compare
    from gatecast.plotting import plot_forecast, plot_leaderboard
    from gatecast.report import build_report

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
    ui.table(board, title=f"{info.name}: {windows} folds of h={h} (season length {m})")
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
    from gatecast.cli.outputs import check_outputs
    from gatecast.cli.ui import UI

    parser = build_parser()
    args = parser.parse_args(argv)
    ui = UI(quiet=args.quiet, as_json=args.json)
    debug = args.debug or os.environ.get("GATECAST_DEBUG")
    try:
        check_outputs(args)  # a path that cannot be written fails before any work
        with _ddp(args):
            if args.command in COMMANDS:
                return COMMANDS[args.command](args, ui)
            module = next(m for m in _command_modules() if args.command == m.NAME)
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


def _ddp(args: argparse.Namespace) -> Any:
    """--ddp N: recurrent fits in this command train on N processes."""
    import contextlib

    if getattr(args, "ddp", None) is None:
        return contextlib.nullcontext()
    from gatecast.training.distributed import check_distributed, processes

    return processes(check_distributed(args.ddp) or None)


def _json_default(value: Any) -> Any:
    return str(value)


def dumps(payload: Any) -> str:
    return json.dumps(payload, default=_json_default)


if __name__ == "__main__":
    sys.exit(main())
