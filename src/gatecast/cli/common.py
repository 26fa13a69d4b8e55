"""What the ``gatecast`` commands share: the data options and loading, the season length,
model building from names and ``--param``, the engine options and writing frames.

Every command module (:mod:`gatecast.cli.main` and :mod:`gatecast.cli.commands`) imports
these from here, so no command imports another.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path
from typing import Any

import gatecast.datasets as datasets
from gatecast.cli.outputs import input_paths
from gatecast.data.frame import as_long, from_wide, read_table
from gatecast.data.season import decide_season
from gatecast.data.validate import validate
from gatecast.engine import make_engine
from gatecast.errors import ConfigError
from gatecast.evaluation.conformal import (
    DEFAULT_WINDOWS,
    INTERVALS,
    ConformalConfig,
    check_intervals,
)
from gatecast.io.paths import write_frame as write
from gatecast.models.base import check_horizon
from gatecast.models.registry import accepts, make_model, model_class
from gatecast.training.config import TrainerConfig


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


def add_interval_args(p: argparse.ArgumentParser) -> None:
    """``--intervals`` and ``--conformal-windows`` (forecast and report)."""
    p.add_argument("--intervals", default="quantile", metavar="METHOD",
                   help=f"interval method with --level: {' or '.join(INTERVALS)}; quantile"
                   " (default): each model's own; conformal: distribution-free, for every"
                   " model, calibrated on a rolling-origin backtest of its errors per step")
    p.add_argument("--conformal-windows", type=int, default=None, metavar="N",
                   help=f"backtest windows of h steps that calibrate conformal intervals"
                   f" (default {DEFAULT_WINDOWS}; each refits the model)")
    p.add_argument("--conformal-around", default=None, metavar="WHAT",
                   help="what conformal intervals widen: point (default), a band around the"
                   " point forecast; interval, each model's own interval, calibrated (models"
                   " with intervals: an lstm with --param levels=80,95, ets, arima)")


def conformal_of(args: argparse.Namespace, need_level: bool = True) -> ConformalConfig | None:
    """The calibration ``--intervals conformal`` asks for (``None``: quantile intervals)."""
    if check_intervals(args.intervals) != "conformal":
        for flag, value in (("--conformal-windows", args.conformal_windows),
                            ("--conformal-around", args.conformal_around)):
            if value is not None:
                raise ConfigError(f"{flag} needs --intervals conformal")
        return None
    if need_level and not args.level:
        raise ConfigError("--intervals conformal needs --level, e.g. --level 80,95")
    if getattr(args, "static", None):
        raise ConfigError("--intervals conformal does not take --static: put the static"
                          " features in the data file as columns")
    windows = DEFAULT_WINDOWS if args.conformal_windows is None else args.conformal_windows
    return ConformalConfig(n_windows=windows, around=args.conformal_around or "point")


def load_data(args: argparse.Namespace) -> tuple[Any, int, int]:
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
    given = getattr(args, "season_length", None)
    m, why = decide_season(given, freq, default, default_from)
    if not (getattr(args, "quiet", False) or getattr(args, "json", False)):
        hint = "" if given is not None else "; --season-length to override"
        print(f"season length {m} ({why}{hint})")
    return m


def write_frame(df: Any, path: str | Path, args: argparse.Namespace | None = None) -> Path:
    """CSV or Parquet by suffix, atomically, never over one of the command's inputs."""
    return write(df, path, inputs=input_paths(args) if args is not None else ())


def build_models(names: str, season_length: int, horizon: int,
                 args: argparse.Namespace | None = None) -> list[Any]:
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


def engine_of(args: argparse.Namespace) -> Any:
    """The engine the --engine/--address options ask for (``None``: each model's n_jobs)."""
    if getattr(args, "engine", "local") == "local" and not getattr(args, "address", None):
        return None
    return make_engine(args.engine, address=args.address)
