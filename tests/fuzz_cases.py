"""Random inputs for fuzzing gatecast: long frames for the Python API and CSV text for the
CLI, built from a stream of choices.

Each builder asks a :class:`Chooser` for every decision, so the same code serves the
Hypothesis test (``tests/test_fuzz.py``, choices drawn by Hypothesis, which shrinks a
failure to a small case) and the benchmark (``benchmarks/fuzz.py``, choices from a seeded
numpy generator, 10^5 cases). The property checked on every case: the input is accepted,
or refused with a :class:`~gatecast.errors.GatecastError` (CLI: exit status 2); any other
exception is a crash.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd

import gatecast as gc
from gatecast.cli.main import main as cli_main
from gatecast.errors import GatecastError

T = TypeVar("T")


class Chooser(Protocol):
    def pick(self, options: Sequence[T]) -> T: ...

    def integer(self, low: int, high: int) -> int: ...


@dataclass
class RandomChooser:
    """Choices from a seeded numpy generator (the benchmark)."""

    rng: np.random.Generator

    def pick(self, options: Sequence[T]) -> T:
        return options[int(self.rng.integers(len(options)))]

    def integer(self, low: int, high: int) -> int:
        return int(self.rng.integers(low, high + 1))


# -- frames for the Python API --------------------------------------------------------------
STARTS = ("2000-01-01", "2001-01-07", "2161-11-29", "2161-12-06", "2262-03-01",
          "1677-09-22", "1970-01-01", "2024-02-29")
FREQS = ("D", "h", "MS", "W", "YS", "QS", "B", "min", "ME", "s")
ID_KINDS = ("str", "str", "str", "int", "tuple", "mixed", "categorical", "categorical",
            "float", "bool", "none_some", "long_str")
DS_KINDS = ("dates", "dates", "dates", "dates", "int", "int", "int_step", "iso_str",
            "mixed_int_ts", "aware", "aware_mixed", "naive_aware", "float", "object_ts",
            "date_objects", "garbage_str")
Y_KINDS = ("float", "float", "float", "float", "float", "int", "str_num", "str_garbage",
           "complex", "bool", "nan_some", "inf_some", "huge", "object_mixed", "float32",
           "nullable_int", "all_nan")
PERTURB = ("none", "none", "none", "none", "gap", "gap", "dup", "shuffle", "drop_col",
           "extra_col", "nan_ds", "cov_str", "single_point", "empty", "renamed", "big_gap")


def _ids(c: Chooser, kind: str, n: int) -> list[Any]:
    base = {
        "str": [f"s{i}" for i in range(n)], "int": list(range(n)),
        "tuple": [("t", i) for i in range(n)], "mixed": [1, ("t",), "a", 2.5][:n],
        "categorical": [f"c{i}" for i in range(n)], "float": [float(i) + 0.5 for i in range(n)],
        "bool": [True, False, True][:n], "none_some": ["a", None, "b"][:n],
        "long_str": ["x" * 300 + str(i) for i in range(n)],
    }[kind]
    return base + [f"pad{i}" for i in range(n - len(base))]


def _ds(c: Chooser, kind: str, length: int) -> list[Any] | np.ndarray | pd.Index:
    freq = c.pick(FREQS)
    start = c.pick(STARTS)
    if kind in ("int", "int_step"):
        step = 1 if kind == "int" else c.pick([2, 3, 7, -1])
        first = c.pick([0, 1, 10**6, -5, 2**62])
        return [first + step * k for k in range(length)]
    try:
        dates = pd.date_range(start, periods=length, freq=freq)
    except (ValueError, OverflowError):  # past 2262: a few out-of-range strings instead
        return [f"{2262 + k}-01-01" for k in range(length)]
    if kind == "iso_str":
        return [str(d) for d in dates]
    if kind == "mixed_int_ts":
        return [k if k % 2 else d for k, d in enumerate(dates)]
    if kind == "aware":
        return dates.tz_localize(c.pick(["UTC", "America/New_York", "Asia/Kolkata"]))
    if kind == "aware_mixed":
        return [d.tz_localize("UTC") if k % 2 else d for k, d in enumerate(dates)]
    if kind == "naive_aware":
        return [d.tz_localize("UTC") if k == 0 else d for k, d in enumerate(dates)]
    if kind == "float":
        return [k + c.pick([0.0, 0.5]) for k in range(length)]
    if kind == "object_ts":
        return np.array(list(dates), dtype=object)
    if kind == "date_objects":
        return [d.date() for d in dates]
    if kind == "garbage_str":
        return [c.pick(["x", "2020-13-45", "", "NaT", "1e10", str(d)]) for d in dates]
    return dates


def _y(c: Chooser, kind: str, n: int) -> Any:
    values = np.linspace(1.0, 2.0, n) + np.arange(n) % 3
    if kind == "int":
        return values.astype(np.int64)
    if kind == "str_num":
        return [str(v) for v in values]
    if kind == "str_garbage":
        return [c.pick(["1.5", "abc", "", "1,5", "1e400", "0x10"]) for _ in range(n)]
    if kind == "complex":
        return values + c.pick([0j, 1j])
    if kind == "bool":
        return values > 2
    if kind == "nan_some":
        return np.where(np.arange(n) % 4 == 1, np.nan, values)
    if kind == "inf_some":
        return np.where(np.arange(n) % 5 == 2, c.pick([np.inf, -np.inf]), values)
    if kind == "huge":
        with np.errstate(over="ignore"):
            return values * c.pick([1e300, 1e-300, 1e150, 1e308])
    if kind == "object_mixed":
        return np.array([c.pick([1, 2.5, "3", None, "x"]) for _ in range(n)], dtype=object)
    if kind == "float32":
        return values.astype(np.float32)
    if kind == "nullable_int":
        return pd.array([None if k % 3 == 0 else k for k in range(n)], dtype="Int64")
    if kind == "all_nan":
        return np.full(n, np.nan)
    return values


def build_frame(c: Chooser) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A random long frame and the API options to run it with."""
    n_series = c.integer(1, 3)
    length = c.integer(1, 14)
    id_kind = c.pick(ID_KINDS)
    ds_kind = c.pick(DS_KINDS)
    ids = _ids(c, id_kind, n_series)
    parts = []
    for uid in ids:
        ds = _ds(c, ds_kind, length)
        parts.append(pd.DataFrame({"unique_id": [uid] * len(ds), "ds": list(ds)}))
    df = pd.concat(parts, ignore_index=True)
    if ds_kind == "aware":  # keep the zone-aware dtype the concat of lists dropped
        with contextlib.suppress(ValueError, OverflowError):
            df["ds"] = pd.to_datetime(df["ds"], utc=True)
    df["y"] = _y(c, c.pick(Y_KINDS), len(df))
    if id_kind == "categorical":
        df["unique_id"] = df["unique_id"].astype("category")
    perturb = c.pick(PERTURB)
    if perturb == "gap" and len(df) > 2:
        df = df.drop(index=c.integer(1, len(df) - 2)).reset_index(drop=True)
    elif perturb == "big_gap" and len(df) > 2:
        df = df.drop(index=list(range(1, len(df) - 1))).reset_index(drop=True)
    elif perturb == "dup":
        df = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    elif perturb == "shuffle":
        df = df.iloc[::-1].reset_index(drop=True)
    elif perturb == "drop_col":
        df = df.drop(columns=c.pick(["unique_id", "ds", "y"]))
    elif perturb == "extra_col":
        df["x"] = c.pick([np.arange(len(df), dtype=float), np.full(len(df), np.nan),
                          np.array(["a"] * len(df), dtype=object), np.ones(len(df)) + 1j])
    elif perturb == "nan_ds":
        df.loc[0, "ds"] = None
    elif perturb == "cov_str":
        df["x"] = [str(k) for k in range(len(df))]
    elif perturb == "single_point":
        df = df.iloc[:1]
    elif perturb == "empty":
        df = df.iloc[:0]
    elif perturb == "renamed":
        df = df.rename(columns={"y": "value"})
    options = {
        "freq": c.pick([None] * 8 + ["D", "h", "MS", "s", 1, 2, "W", "bogus", "0", "BMS",
                                     "W-SUN"]),
        "fill": c.pick([None, None, "interpolate", "ffill", "zero"]),
        "h": c.pick([1, 2, 3, 12, 1, 2, 3, 0, -1, 500, 100_001, 50_000]),
        "model": c.pick(["naive", "naive", "snaive", "drift", "mean"]),
        "season_length": c.pick([1, 2, 7, 12]),
        "level": c.pick([None, None, [80], [50, 95.5]]),
    }
    return df, options


def run_frame(df: pd.DataFrame, options: dict[str, Any]) -> pd.DataFrame:
    """Validate, fit a cheap model and forecast: what a user of the API does."""
    sf = gc.validate(df, freq=options["freq"], fill=options["fill"])
    params = {"season_length": options["season_length"]} if options["model"] == "snaive" else {}
    model = gc.make_model(options["model"], **params)
    return model.fit(sf).predict(options["h"], level=options["level"])


# -- CSV text for the CLI -------------------------------------------------------------------
ID_TOKENS = ("a", "b", "1", "2", "", '"a,b"', "NaN", "é", "x" * 200)
DS_GARBAGE = ("", "x", "NaT", "2020-13-45", "2161-11-29", "2262-04-12", "1677-09-21",
              "9999-12-31", "2000-01-01T00:00:00+05:30", "2000-01-01T00:00:00Z", "1e20",
              "-3", "1.5", "0", "2000-02-30", "2000/01/05")
Y_TOKENS = ("1", "2.5", "-3", "nan", "inf", "-inf", "1e308", "1e400", "", "abc", "1+2j",
            "True", "0", "1e-320", "1_000", '"1,5"', "12345678901234567890")
HEADERS = ("unique_id,ds,y", "unique_id,ds,y", "ds,y", "unique_id,ds,y,x", "a,b,c", "",
           "unique_id;ds;y", "y,ds,unique_id", "unique_id,ds,y,y")
DS_STYLES = ("daily", "monthly", "hourly", "int", "aware", "mixed", "yearly", "weekly_sun")


def _ds_token(style: str, k: int) -> str:
    if style == "int":
        return str(k)
    if style == "aware":
        return (pd.Timestamp("2000-03-10T00:00:00-05:00") + pd.Timedelta(hours=k)).isoformat()
    if style == "mixed":
        return str(k) if k % 2 else f"2000-01-{k + 1:02d}"
    freq = {"daily": "D", "monthly": "MS", "hourly": "h", "yearly": "YS",
            "weekly_sun": "W-SUN"}[style]
    return str(pd.date_range("2000-01-01", periods=k + 1, freq=freq)[-1])


def build_csv(c: Chooser) -> tuple[str, list[str]]:
    """Random CSV text and the CLI options (after the file) to run it with."""
    header = c.pick(HEADERS)
    sep = ";" if ";" in header else ","
    n_cols = max(header.count(sep) + 1, 3)
    style = c.pick(DS_STYLES)
    n_series = c.integer(1, 2)
    length = c.integer(0, 12)
    lines = [header]
    for s in range(n_series):
        uid = c.pick(ID_TOKENS) if c.integer(0, 3) == 0 else f"s{s}"
        for k in range(length):
            ds = c.pick(DS_GARBAGE) if c.integer(0, 9) == 0 else _ds_token(style, k)
            y = c.pick(Y_TOKENS) if c.integer(0, 9) == 0 else f"{1 + (k % 4) * 0.5}"
            row = [uid, ds, y] + ["1"] * (n_cols - 3)
            if c.integer(0, 19) == 0:
                row = row[: c.integer(0, len(row))]
            lines.append(sep.join(row))
    text = "\n".join(lines) + c.pick(["\n", "", "\n\n", "\r\n"])
    args = ["--model", c.pick(["naive", "naive", "snaive", "drift"]),
            "--h", c.pick(["2", "1", "12", "0", "-1", "abc", "100001", "99999", "2.5"])]
    if c.integer(0, 2) == 0:
        args += ["--fill", c.pick(["interpolate", "ffill", "zero"])]
    if c.integer(0, 3) == 0:
        args += ["--freq", c.pick(["D", "h", "MS", "s", "1", "bogus", "0", "W"])]
    if c.integer(0, 3) == 0:
        args += ["--season-length", c.pick(["2", "7", "12", "0", "100001"])]
    return text, args


@dataclass
class CliRun:
    """Exit status and stderr of one in-process CLI call."""

    status: int
    stderr: str
    escaped: BaseException | None = field(default=None)


def run_cli(argv: list[str]) -> CliRun:
    """``gatecast.cli.main.main(argv)`` in this process, stdout/stderr captured."""
    err, out = io.StringIO(), io.StringIO()
    escaped: BaseException | None = None
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            status = cli_main(argv)
        except SystemExit as exc:  # argparse's usage errors
            status = exc.code if isinstance(exc.code, int) else 1
        except Exception as exc:
            status, escaped = 1, exc
    return CliRun(int(status), err.getvalue(), escaped)


def run_csv(text: str, args: list[str], folder: Path) -> CliRun:
    path = folder / "input.csv"
    path.write_text(text, encoding="utf-8")
    return run_cli(["--quiet", "forecast", str(path), *args,
                    "--output", str(folder / "forecasts.csv")])


_INTERNAL = re.compile(r"internal error: (\w+)")


def outcome_of_cli(run: CliRun) -> str:
    """``ok``, ``exit 2`` or ``crash: <exception type>`` (exit 1 or an escaped exception)."""
    if run.escaped is not None:
        return f"crash: {type(run.escaped).__name__} (escaped main)"
    if run.status == 0:
        return "ok"
    if run.status == 2:
        return "exit 2"
    found = _INTERNAL.search(run.stderr)
    return f"crash: {found.group(1)}" if found else f"exit {run.status}"


def outcome_of_api(fn: Callable[[], Any]) -> tuple[str, BaseException | None]:
    """``ok``, ``GatecastError`` or ``crash: <exception type>`` and the exception."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn()
        except GatecastError as exc:
            return "GatecastError", exc
        except Exception as exc:
            return f"crash: {type(exc).__name__}", exc
    return "ok", None
