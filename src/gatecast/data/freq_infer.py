"""Frequency inference: which frequency a long frame's timestamps are on.

Integer steps take the most common positive step. Timestamps take :func:`pandas.infer_freq`
on the longest series, and when gaps (or a calendar pandas does not infer, such as
semi-monthly data) defeat it, the most common spacing matched against the calendars of that
spacing (week, semi-month, month, quarter and year families). The frequencies themselves
(parsing, step indices, future timestamps) are :mod:`gatecast.data.freq`.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from pandas.tseries import offsets
from pandas.tseries.frequencies import to_offset

from gatecast.data.freq import NS_PER_DAY, Freq, clock, grid_index
from gatecast.errors import DataError


def _canonical(offset: pd.DateOffset) -> pd.DateOffset:
    """pandas infers January quarters as ``QS-OCT``; name them by their first month."""
    if isinstance(offset, (offsets.QuarterBegin, offsets.BQuarterBegin)):
        month = (offset.startingMonth - 1) % 3 + 1
        return type(offset)(n=offset.n, startingMonth=month)
    return offset


def _fits(wall: pd.DatetimeIndex, offset: pd.DateOffset) -> bool:
    """All timestamps are dates of ``offset`` and at least two are one step apart."""
    try:
        index = grid_index(wall, offset)
    except DataError:
        return False
    steps = np.diff(index)
    return bool(np.all(np.isfinite(index)) and steps.size and steps.min() == 1)


def _calendar_candidates(days: float, wall: pd.DatetimeIndex) -> list[pd.DateOffset]:
    """The calendars a spacing of ``days`` between timestamps may be, most common first."""
    first = wall[0]
    if 6.5 <= days <= 7.5:
        return [offsets.Week(weekday=first.weekday())]
    if 13 <= days <= 16.5:
        inner = sorted({int(d) for d in wall.day if 2 <= d <= 27})
        return [c for d in inner for c in (offsets.SemiMonthBegin(day_of_month=d),
                                           offsets.SemiMonthEnd(day_of_month=d))]
    if 27 <= days <= 32:
        return [offsets.MonthBegin(), offsets.MonthEnd(), offsets.BusinessMonthBegin(),
                offsets.BusinessMonthEnd(),
                offsets.WeekOfMonth(week=min((first.day - 1) // 7, 3), weekday=first.weekday())]
    if 88 <= days <= 93:
        month = first.month
        return [offsets.QuarterBegin(startingMonth=month),
                offsets.QuarterEnd(startingMonth=month),
                offsets.BQuarterBegin(startingMonth=month),
                offsets.BQuarterEnd(startingMonth=month)]
    if 364 <= days <= 367:
        month = first.month
        return [offsets.YearBegin(month=month), offsets.YearEnd(month=month),
                offsets.BYearBegin(month=month), offsets.BYearEnd(month=month)]
    return []


def _pandas_guess(values: pd.DatetimeIndex) -> str | None:
    try:
        return pd.infer_freq(values)
    except (ValueError, TypeError):
        return None


def infer_freq(frame: pd.DataFrame, max_series: int = 20) -> Freq:
    """Infer one frequency for all series of a sorted, validated long frame.

    Integer ``ds``: the most common positive step. Datetime ``ds``: :func:`pandas.infer_freq`
    on up to ``max_series`` of the longest series; when gaps (or a calendar pandas does not
    infer, such as semi-monthly data) defeat it, the most common spacing, matched against
    the calendars of that spacing (week, semi-month, month, quarter, year families).
    """
    ds = frame["ds"]
    uid = frame["unique_id"].to_numpy()
    same = uid[1:] == uid[:-1]
    if not pd.api.types.is_datetime64_any_dtype(ds):
        diffs = np.diff(ds.to_numpy().astype(np.int64))
        diffs = diffs[same & (diffs > 0)]
        if diffs.size == 0:
            return 1
        values, counts = np.unique(diffs, return_counts=True)
        return int(values[np.argmax(counts)])
    sizes = frame.groupby("unique_id", sort=False, observed=True).size()
    longest = sizes.sort_values(ascending=False, kind="stable").index[:max_series]
    found: Counter[str] = Counter()
    grouped = frame.groupby("unique_id", sort=False, observed=True)["ds"]
    for key in longest:
        values = pd.DatetimeIndex(grouped.get_group(key))
        if len(values) >= 3:
            guess = _pandas_guess(values)
            if guess is not None:
                found[guess] += 1
    if found:
        return _canonical(to_offset(found.most_common(1)[0][0]))
    instants = clock(ds, offsets.Hour())  # UTC instants: elapsed time between timestamps
    diffs = np.diff(instants.asi8)
    diffs = diffs[same & (diffs > 0)]
    if diffs.size == 0:
        raise DataError(
            "cannot infer the frequency from series of one timestamp each; pass freq= (e.g. 'D')"
        )
    values, counts = np.unique(diffs, return_counts=True)
    common = int(values[np.argmax(counts)])
    if common < NS_PER_DAY:
        return to_offset(pd.Timedelta(common))
    wall = clock(grouped.get_group(longest[0]), offsets.Day())
    days = common / NS_PER_DAY
    # The most common spacing names the family; the mean spacing of the longest series
    # catches calendars of uneven steps (SMS-10: 9 and 21 days).
    # In floats: a span of more than 292 years overflows a Timedelta (and int64 ns).
    span = float(wall.asi8[-1]) - float(wall.asi8[0])
    mean_days = span / max(len(wall) - 1, 1) / NS_PER_DAY
    candidates = _calendar_candidates(days, wall)
    candidates += [c for c in _calendar_candidates(mean_days, wall) if c not in candidates]
    for candidate in candidates:
        if _fits(wall, candidate):
            return candidate
    if candidates and not 6.5 <= days <= 7.5:
        raise DataError(
            f"series {str(longest[0])!r}: timestamps about {days:.0f} days apart (from"
            f" {wall[0].date()}) are on none of the calendars"
            f" {', '.join(c.freqstr for c in candidates)}; move them onto one (e.g. the"
            " month start), pass freq=, or use integer steps"
        )
    local = clock(ds, offsets.Day())
    if days == 1 and not np.any(local.dayofweek >= 5):
        return offsets.BusinessDay()  # daily spacing that never lands on a weekend
    return to_offset(pd.Timedelta(common))
