"""Frequencies: parsing, step indices and future timestamps (inference from the data is
:mod:`gatecast.data.freq_infer`).

A frequency is either a pandas offset (hourly, daily, monthly, business days, ...) for
datetime ``ds`` or a positive integer step for integer ``ds``. Every timestamp maps to a
*step index* so that gaps and misaligned timestamps are found with one vectorised ``diff``
over millions of rows:

- fixed steps (hours, minutes, days, ...): elapsed time / step, so any phase is regular
  (hourly data at ``:30`` is hourly data);
- calendar offsets (``MS``, ``BMS``, ``WOM-1SUN``, ``SMS``, ``W-MON``, ``QS-JAN``, ``B``,
  ``C`` ...): the position among the offset's own dates, NaN for a timestamp that is not one
  of them (month-start data on the 15th is an error, not silently moved).

Time zones: ``ds`` may carry one zone. Sub-daily fixed steps count elapsed time, so hourly
data in a zone with daylight saving time (23- and 25-hour local days) is regular in UTC and
its future steps are generated in UTC, then shown in the zone. Days and calendar offsets
count on the local calendar: daily data at local midnight stays at local midnight across a
DST change. Future timestamps always come back in the zone of the data.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, NoReturn

import numpy as np
import pandas as pd
from pandas.tseries import offsets
from pandas.tseries.frequencies import to_offset

from gatecast.errors import DataError

Freq = pd.DateOffset | int

#: Calendar offsets are checked against a grid of their own dates between the first and last
#: timestamp; a span of more dates than this is refused instead of allocated.
MAX_GRID = 200_000
NS_PER_DAY = 86_400_000_000_000  # nanoseconds in a day


def parse_freq(freq: str | int | pd.DateOffset | None) -> Freq | None:
    """Turn a user's frequency (``"h"``, ``"D"``, ``"MS"``, ``1``) into an offset or int step."""
    if freq is None:
        return None
    if isinstance(freq, pd.DateOffset):
        offset = freq
    elif isinstance(freq, (int, np.integer)) and not isinstance(freq, bool):
        if freq < 1:
            raise DataError(f"integer frequency must be a positive step, got {freq}")
        return int(freq)
    elif isinstance(freq, str) and freq.strip().lstrip("-").isdigit():
        return parse_freq(int(freq))
    else:
        try:
            offset = to_offset(freq)
        except (ValueError, TypeError) as exc:
            raise DataError(
                f"unknown frequency {str(freq)[:40]!r}; use a pandas alias such as 'h', 'D',"
                " 'B', 'W-MON', 'MS', 'BMS', 'SMS', 'QS-JAN', 'YS' or an integer step"
            ) from exc
    if offset.n < 1:
        raise DataError(f"frequency {offset.freqstr!r} must step forward (n >= 1)")
    if not isinstance(offset, offsets.Tick):
        try:
            pd.date_range("2000-01-01", periods=2, freq=offset)
        except (ValueError, TypeError, NotImplementedError) as exc:
            raise DataError(
                f"frequency {offset.freqstr!r} cannot generate dates ({exc}); use a calendar"
                " alias such as 'MS', 'B' or 'W-MON'"
            ) from exc
    return offset


def freq_name(freq: Freq | None) -> str:
    if freq is None:
        return "unknown"
    if isinstance(freq, int):
        return f"integer step {freq}"
    return freq.freqstr


def counts_elapsed_time(freq: Freq) -> bool:
    """True for sub-daily fixed steps (hours, minutes, ...), which count time in UTC; days
    and calendar offsets count on the local calendar."""
    return isinstance(freq, offsets.Tick) and not isinstance(freq, offsets.Day)


def fixed_step(freq: pd.DateOffset) -> int | None:
    """Length in nanoseconds of a fixed-length offset (hours, days, ...); None if calendar."""
    if isinstance(freq, offsets.Tick):
        return int(pd.Timedelta(freq).value)
    return None


def clock(ds: pd.Series | np.ndarray | pd.DatetimeIndex, freq: Freq) -> pd.DatetimeIndex:
    """``ds`` in nanoseconds on the clock ``freq`` counts on: UTC instants for sub-daily
    steps, the local wall clock (zone dropped) for days and calendar offsets."""
    idx = pd.DatetimeIndex(ds)
    if idx.unit != "ns":
        try:
            idx = idx.as_unit("ns")
        except (OverflowError, pd.errors.OutOfBoundsDatetime) as exc:
            raise DataError(
                "timestamps in 'ds' fall outside 1677-09-22 .. 2262-04-11, the range pandas"
                " holds in nanoseconds; use integer steps for such dates"
            ) from exc
    if idx.tz is not None and not counts_elapsed_time(freq):
        idx = idx.tz_localize(None)
    return idx


def calendar_grid(first: pd.Timestamp, last: pd.Timestamp, freq: pd.DateOffset
                  ) -> pd.DatetimeIndex:
    """Every date of ``freq`` (one step, ``n=1``) from on or before ``first`` to ``last``."""
    base = freq.base
    try:
        start = base.rollback(first)
        probe = pd.date_range(start, periods=8, freq=base)
        shortest = int(np.diff(probe.asi8).min())
        size = (last.value - start.value) // max(shortest, 1) + 2
        if size > MAX_GRID:
            raise DataError(
                f"the timestamps span about {size:,} steps of {base.freqstr}, above gatecast's"
                f" limit of {MAX_GRID:,}; check the frequency or aggregate the data"
            )
        return pd.date_range(start, last, freq=base)
    except (OverflowError, pd.errors.OutOfBoundsDatetime) as exc:
        raise DataError(
            f"timestamps near the end of pandas' date range (1677..2262) cannot be put on"
            f" a {base.freqstr} calendar; use integer steps"
        ) from exc


def _business_day_index(idx: pd.DatetimeIndex, freq: pd.DateOffset) -> np.ndarray:
    """:func:`grid_index` for business days, vectorised with numpy's busday functions (a
    pandas ``CustomBusinessDay`` range is generated one day at a time)."""
    calendar = getattr(freq, "calendar", None)  # CustomBusinessDay: weekmask and holidays
    if not isinstance(calendar, np.busdaycalendar):
        calendar = np.busdaycalendar()
    ns = idx.asi8
    days = np.floor_divide(ns, NS_PER_DAY)
    clock_time = ns - days * NS_PER_DAY  # time of day: one per calendar, the first timestamp's
    day = days.astype("datetime64[D]")
    on = np.is_busday(day, busdaycal=calendar)
    on &= clock_time == clock_time[np.argmin(ns)]
    pos = np.busday_count(day.min(), day, busdaycal=calendar)
    return np.where(on, pos.astype(np.float64), np.nan) / freq.n


def grid_index(idx: pd.DatetimeIndex, freq: pd.DateOffset) -> np.ndarray:
    """Position of each timestamp among the dates of ``freq`` / ``freq.n``; NaN off the grid."""
    if isinstance(freq, (offsets.BusinessDay, offsets.CustomBusinessDay)) and not freq.offset:
        return _business_day_index(idx, freq)
    grid = calendar_grid(idx.min(), idx.max(), freq)
    pos = grid.searchsorted(idx)
    hit = pos < len(grid)
    hit[hit] = grid.asi8[pos[hit]] == idx.asi8[hit]
    return np.where(hit, pos.astype(np.float64), np.nan) / freq.n


def step_index(ds: pd.Series | np.ndarray, freq: Freq) -> np.ndarray:
    """Position of each timestamp on the frequency's grid.

    Consecutive timestamps of a regular series differ by exactly 1; a gap of k missing
    points shows as a difference of k + 1; a timestamp between two steps gives a fraction,
    and one that is not a date of a calendar offset gives NaN.
    """
    if isinstance(freq, int):
        return np.asarray(ds, dtype=np.float64) / freq
    idx = clock(ds, freq)
    if idx.size == 0:
        return np.empty(0)
    step = fixed_step(freq)
    if step is None:
        return grid_index(idx, freq)
    # Exact integer arithmetic relative to the first timestamp (float64 of epoch
    # nanoseconds would round sub-second steps).
    whole, part = np.divmod(idx.asi8 - idx.asi8.min(), step)
    return whole.astype(np.float64) + part / step


def _localize(wall: pd.DatetimeIndex, tz: object) -> pd.DatetimeIndex:
    """Wall-clock times in ``tz``: a time the DST change skips moves forward, a repeated one
    takes its first (daylight) occurrence."""
    return wall.tz_localize(tz, ambiguous=np.ones(len(wall), dtype=bool),
                            nonexistent="shift_forward")


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
    """Timestamps of the next ``h`` steps after each value of ``last``: ``[n_series, h]``.

    ``datetime64[ns]`` for naive timestamps; for timestamps in a zone, an object array of
    :class:`pandas.Timestamp` in that zone (a ``DataFrame`` column of them has the zone's
    dtype).
    """
    check_future_range(last, h, freq)
    steps = np.arange(1, h + 1)
    if isinstance(freq, int):
        return np.asarray(last, dtype=np.int64)[:, None] + freq * steps[None, :]
    tz = pd.DatetimeIndex(last).tz
    wall = clock(last, freq)
    n = len(wall)
    delta = fixed_step(freq)
    if delta is not None:
        reach = (int(wall.asi8.max()) if n else 0) + delta * h
        if reach > pd.Timestamp.max.value:
            _past_the_end(h, freq)
        out = wall.asi8[:, None] + delta * steps[None, :]
    else:
        # Calendar offsets: compute once per distinct end date (usually very few).
        out = np.empty((n, h), dtype=np.int64)
        uniq, inverse = np.unique(wall.asi8, return_inverse=True)
        for k, value in enumerate(uniq):
            try:
                rng = pd.date_range(pd.Timestamp(value), periods=h + 1, freq=freq)[1:]
            except (OverflowError, pd.errors.OutOfBoundsDatetime):
                _past_the_end(h, freq)
            out[inverse == k] = rng.asi8
    values = pd.DatetimeIndex(out.reshape(-1).view("datetime64[ns]"))
    if tz is None:
        return out.view("datetime64[ns]")
    if counts_elapsed_time(freq):
        aware = values.tz_localize("UTC").tz_convert(tz)
    else:
        aware = _localize(values, tz)
    return np.asarray(aware, dtype=object).reshape(n, h)


def _past_the_end(h: int, freq: Freq) -> NoReturn:
    raise DataError(
        f"{h} steps of {freq_name(freq)} after the end of the data go past 2262-04-11, the"
        " last timestamp pandas can hold; use a shorter horizon h"
    )


def stamps_to_text(ds: np.ndarray) -> list[Any]:
    """Last timestamps as JSON values: integers, naive ISO text, or ISO text with the UTC
    offset and the zone's name in brackets (``2024-03-10T03:00:00-04:00[America/New_York]``,
    the RFC 9557 form) so that a saved model forecasts in the zone it was fitted in."""
    ds = np.asarray(ds)
    if ds.dtype == object and ds.size:
        idx = pd.DatetimeIndex(ds)
        return [f"{t.isoformat()}[{idx.tz}]" for t in idx]
    if np.issubdtype(ds.dtype, np.datetime64):
        return [str(v) for v in pd.DatetimeIndex(ds).strftime("%Y-%m-%dT%H:%M:%S.%f")]
    return ds.tolist()


def _zone(name: str) -> Any:
    """A zone from its name: an IANA name (``Europe/Paris``) or a fixed ``UTC+05:30``."""
    match = re.fullmatch(r"UTC([+-])(\d{2}):(\d{2})", name)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        minutes = int(match.group(2)) * 60 + int(match.group(3))
        return datetime.timezone(sign * datetime.timedelta(minutes=minutes))
    try:
        pd.Timestamp(0, tz=name)
    except (ValueError, TypeError, KeyError, OSError) as exc:
        raise DataError(f"unknown time zone {name[:40]!r}") from exc
    return name


def stamps_from_text(values: list[Any], freq: Freq) -> np.ndarray:
    """Inverse of :func:`stamps_to_text`."""
    if isinstance(freq, int):
        return np.asarray(values, dtype=np.int64)
    text = [str(v) for v in values]
    if text and text[0].endswith("]") and "[" in text[0]:
        zone = _zone(text[0][text[0].rindex("[") + 1: -1])
        stamps = pd.to_datetime([v[: v.rindex("[")] if "[" in v else v for v in text],
                                utc=True, format="ISO8601")
        return np.asarray(pd.DatetimeIndex(stamps).tz_convert(zone), dtype=object)
    return pd.DatetimeIndex(pd.to_datetime(text, format="ISO8601")).as_unit("ns").to_numpy()
