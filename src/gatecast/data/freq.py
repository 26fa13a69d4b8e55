"""Frequencies: inference, step indices and future timestamps.

A frequency is either a pandas offset (hourly, daily, monthly, ...) for datetime ``ds`` or a
positive integer step for integer ``ds``. Every timestamp maps to an integer *step index*
(fixed offsets: elapsed time / step; calendar offsets: period ordinals), so gaps and
misaligned timestamps are found with one vectorised ``diff`` over millions of rows.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from gatecast.errors import DataError

Freq = pd.DateOffset | int

# Calendar offsets whose length in time varies (month, quarter, year, business day).
_PERIOD_ALIASES = {"M": "M", "MS": "M", "ME": "M", "Q": "Q", "QS": "Q", "QE": "Q",
                   "Y": "Y", "YS": "Y", "YE": "Y", "A": "Y", "AS": "Y", "B": "B"}


def parse_freq(freq: str | int | pd.DateOffset | None) -> Freq | None:
    """Turn a user's frequency (``"h"``, ``"D"``, ``"MS"``, ``1``) into an offset or int step."""
    if freq is None or isinstance(freq, pd.DateOffset):
        return freq
    if isinstance(freq, (int, np.integer)):
        if freq < 1:
            raise DataError(f"integer frequency must be a positive step, got {freq}")
        return int(freq)
    if isinstance(freq, str) and freq.strip().lstrip("-").isdigit():
        return parse_freq(int(freq))
    try:
        return to_offset(freq)
    except ValueError as exc:
        raise DataError(
            f"unknown frequency {freq!r}; use a pandas alias such as 'h', 'D', 'W', 'MS', 'QS'"
            " or an integer step"
        ) from exc


def freq_name(freq: Freq | None) -> str:
    if freq is None:
        return "unknown"
    if isinstance(freq, int):
        return f"integer step {freq}"
    return freq.freqstr


def _period_code(offset: pd.DateOffset) -> str | None:
    base = offset.name.split("-")[0]
    return _PERIOD_ALIASES.get(base)


def fixed_step(freq: pd.DateOffset) -> int | None:
    """Length in nanoseconds of a fixed-length offset (hours, days, ...); None if calendar."""
    if _period_code(freq) is not None:
        return None
    try:
        return int(pd.Timedelta(freq).value)
    except (ValueError, TypeError):
        return None


def step_index(ds: pd.Series | np.ndarray, freq: Freq) -> np.ndarray:
    """Integer position of each timestamp on the frequency's grid (``+0.5`` where off-grid).

    Consecutive timestamps of a regular series differ by exactly 1; a gap of k missing
    points shows as a difference of k + 1; an off-grid timestamp gives a non-integer value.
    """
    if isinstance(freq, int):
        return np.asarray(ds, dtype=np.float64) / freq
    ds = pd.DatetimeIndex(ds)
    step = fixed_step(freq)
    if step is not None:
        return ds.asi8.astype(np.float64) / step
    code = _period_code(freq)
    if code == "B":
        days = ds.to_numpy().astype("datetime64[D]")
        ordinals = np.busday_count(np.datetime64("1970-01-01"), days).astype(np.float64)
        off = ~np.is_busday(days) | (ds.normalize() != ds)
        return (ordinals + 0.5 * off) / max(freq.n, 1)
    period = code or freq.freqstr.lstrip("0123456789")
    ordinals = ds.to_period(period).asi8.astype(np.float64)
    # An anchored offset maps its own timestamps back onto themselves: (ds - f) + f == ds.
    on_grid = np.asarray((ds - freq.base) + freq.base == ds) & np.asarray(ds.normalize() == ds)
    return (ordinals + 0.5 * ~on_grid) / max(freq.n, 1)


def infer_freq(frame: pd.DataFrame, max_series: int = 20) -> Freq:
    """Infer one frequency for all series of a sorted, validated long frame.

    Integer ``ds``: the most common positive step. Datetime ``ds``: :func:`pandas.infer_freq`
    on up to ``max_series`` of the longest series; when gaps defeat it, the most common
    spacing between timestamps.
    """
    ds = frame["ds"]
    if not pd.api.types.is_datetime64_any_dtype(ds):
        diffs = np.diff(ds.to_numpy().astype(np.int64))
        same = frame["unique_id"].to_numpy()[1:] == frame["unique_id"].to_numpy()[:-1]
        diffs = diffs[same & (diffs > 0)]
        if diffs.size == 0:
            return 1
        values, counts = np.unique(diffs, return_counts=True)
        return int(values[np.argmax(counts)])
    sizes = frame.groupby("unique_id", sort=False, observed=True).size()
    longest = sizes.sort_values(ascending=False).index[:max_series]
    found: Counter[str] = Counter()
    grouped = frame.groupby("unique_id", sort=False, observed=True)["ds"]
    for uid in longest:
        values = pd.DatetimeIndex(grouped.get_group(uid))
        if len(values) >= 3:
            guess = pd.infer_freq(values)
            if guess is not None:
                found[guess] += 1
    if found:
        return to_offset(found.most_common(1)[0][0])
    diffs = np.diff(ds.to_numpy().astype("datetime64[ns]").astype(np.int64))
    same = frame["unique_id"].to_numpy()[1:] == frame["unique_id"].to_numpy()[:-1]
    diffs = diffs[same & (diffs > 0)]
    if diffs.size == 0:
        raise DataError(
            "cannot infer the frequency from series of one timestamp each; pass freq= (e.g. 'D')"
        )
    values, counts = np.unique(diffs, return_counts=True)
    common = pd.Timedelta(int(values[np.argmax(counts)]))
    days = common / pd.Timedelta(days=1)
    if 28 <= days <= 31:
        return to_offset("MS")
    if 89 <= days <= 92:
        return to_offset("QS")
    if 365 <= days <= 366:
        return to_offset("YS")
    if days == 1 and not np.any(pd.DatetimeIndex(ds).dayofweek >= 5):
        return to_offset("B")  # daily spacing that never lands on a weekend
    return to_offset(common)


def check_future_range(last: pd.Series | np.ndarray, h: int, freq: Freq) -> None:
    """DataError when ``h`` steps after the latest of ``last`` leave the representable range
    (pandas timestamps end in 2262; integer steps at the int64 limit)."""
    if len(last) == 0:
        return
    if isinstance(freq, int):
        end = int(np.max(np.asarray(last, dtype=np.int64)))
        if end + freq * h <= np.iinfo(np.int64).max:
            return
        raise DataError(f"forecasting {h:,} steps of {freq} after ds={end} overflows 64-bit"
                        " integers; ask for a shorter horizon")
    end = pd.DatetimeIndex(last).max()
    step = fixed_step(freq)
    if step is not None:
        room = (pd.Timestamp.max.value - end.value) // step
        if h <= room:
            return
        fits = f" (at most {room:,} steps fit)"
    else:
        try:  # date_range starts at the first grid point on or after ``end``
            freq.rollforward(end) + h * freq
            return
        except (OverflowError, ValueError):  # OutOfBoundsDatetime is a ValueError
            fits = ""
    raise DataError(
        f"forecasting {h:,} steps of {freq_name(freq)} after {end} goes past"
        f" {pd.Timestamp.max:%Y-%m-%d}, the last date pandas can represent{fits}; ask for a"
        " shorter horizon"
    )


def future_ds(last: pd.Series | np.ndarray, h: int, freq: Freq) -> np.ndarray:
    """Timestamps of the next ``h`` steps after each value of ``last``: ``[n_series, h]``."""
    check_future_range(last, h, freq)
    steps = np.arange(1, h + 1)
    if isinstance(freq, int):
        return np.asarray(last, dtype=np.int64)[:, None] + freq * steps[None, :]
    last = pd.DatetimeIndex(last)
    delta = fixed_step(freq)
    if delta is not None:
        out = last.asi8[:, None] + delta * steps[None, :]
        return out.astype("datetime64[ns]")
    # Calendar offsets: compute once per distinct end date (usually very few).
    out = np.empty((len(last), h), dtype="datetime64[ns]")
    uniq, inverse = np.unique(last.asi8, return_inverse=True)
    for k, value in enumerate(uniq):
        rng = pd.date_range(pd.Timestamp(value), periods=h + 1, freq=freq)[1:]
        out[inverse == k] = rng.to_numpy()
    return out
