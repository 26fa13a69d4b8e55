"""The season length of the data: decided once per run, from its frequency unless given.

When the user gives no ``season_length``, the run (``compare``, ``backtest``, the CLI)
takes one cycle of the calendar the data lives on:

==============================================  =====  =====================
data (pandas offsets)                           m      one cycle is
==============================================  =====  =====================
yearly (YS, YE, BYS, BYE)                       1      (no season)
quarterly (QS, QE, BQS, BQE)                    4      a year
monthly (MS, ME, BMS, BME, WOM, LWOM)           12     a year
semi-monthly (SMS, SME)                         24     a year
weekly (W-SUN, W-MON, ..., 7D)                  52     a year
daily (D)                                       7      a week
business-daily (B, C)                           5      a week
hourly (h)                                      24     a day
half-hourly (30min)                             48     a day
quarter-hourly (15min)                          96     a day
minutely (min)                                  60     an hour
secondly (s)                                    60     a minute
integer steps, anything else                    1      unknown
==============================================  =====  =====================

A multiple of a step divides the cycle when it can (``2h``: 12, ``5min``: 12, ``2MS``: 6)
and gives 1 otherwise (``2D``). Daily data could also have a yearly cycle (365) and hourly
data a weekly one (168); the shorter cycle is the one every seasonal model can fit.

The run's season length sets the seasonal-naive baseline, the MASE/MSIS scale and the
diagnostics, so scores never depend on which models were chosen. A model built with its
own ``season_length`` keeps it for its own fit; models the run builds (the CLI,
``make_model`` with the run's value) and models that leave their season to the data
(``season_length=None``, the default) get the run's.

A model fitted outside a run with ``season_length=None`` decides it the same way from the
frequency of the data it is fitted on (:func:`model_season`), keeps it as
``season_length_`` and says it on the ``gatecast`` logger (level INFO).
"""

from __future__ import annotations

import logging

import pandas as pd
from pandas.tseries import offsets

from gatecast.checks import MAX_SEASON_LENGTH, whole_number

log = logging.getLogger(__name__)

_CALENDARS: tuple[tuple[tuple[type, ...], int, str], ...] = (
    ((offsets.YearBegin, offsets.YearEnd, offsets.BYearBegin, offsets.BYearEnd), 1, "yearly"),
    ((offsets.QuarterBegin, offsets.QuarterEnd, offsets.BQuarterBegin, offsets.BQuarterEnd),
     4, "quarterly"),
    ((offsets.MonthBegin, offsets.MonthEnd, offsets.BusinessMonthBegin,
      offsets.BusinessMonthEnd, offsets.CustomBusinessMonthBegin,
      offsets.CustomBusinessMonthEnd, offsets.WeekOfMonth, offsets.LastWeekOfMonth),
     12, "monthly"),
    ((offsets.SemiMonthBegin, offsets.SemiMonthEnd), 24, "semi-monthly"),
    ((offsets.Week,), 52, "weekly"),
    ((offsets.BusinessDay, offsets.CustomBusinessDay), 5, "business-daily"),
)
# Fixed steps, matched exactly first, then by unit (``2h`` is hourly divided by 2).
_STEPS: tuple[tuple[str, int, str], ...] = (
    ("7D", 52, "weekly"), ("D", 7, "daily"), ("h", 24, "hourly"), ("30min", 48, "half-hourly"),
    ("15min", 96, "quarter-hourly"), ("min", 60, "minutely"), ("s", 60, "secondly"),
)


def _divide(m: int, n: int) -> int:
    return m // n if n > 0 and m % n == 0 else 1


def season_of(freq: pd.DateOffset | int | None) -> tuple[int, str]:
    """``(season length, what the data is called)`` for a frequency, from the table above."""
    if freq is None or isinstance(freq, int):
        return 1, "integer-step" if isinstance(freq, int) else "unknown-frequency"
    if isinstance(freq, offsets.Tick):
        nanos = pd.Timedelta(freq).value
        for alias, m, name in _STEPS:
            if pd.Timedelta(pd.tseries.frequencies.to_offset(alias)).value == nanos:
                return m, name
        unit = type(freq)(n=1)
        for alias, m, _ in _STEPS:
            if pd.tseries.frequencies.to_offset(alias) == unit:
                return _divide(m, freq.n), freq.freqstr
        return 1, freq.freqstr
    for kinds, m, name in _CALENDARS:
        if isinstance(freq, kinds):
            return (m, name) if freq.n == 1 else (_divide(m, freq.n), freq.freqstr)
    return 1, freq.freqstr


def check_season_length(season_length: int | None) -> int | None:
    """A model's ``season_length`` parameter: a whole number in ``[1, MAX_SEASON_LENGTH]``,
    or ``None`` (decided in ``fit`` from the data's frequency)."""
    if season_length is None:
        return None
    return whole_number(season_length, "season_length", maximum=MAX_SEASON_LENGTH)


def resolve_season_length(season_length: int | None, freq: pd.DateOffset | int | None) -> int:
    """The run's season length: the one given (checked), else the one of the frequency."""
    if season_length is None:
        return season_of(freq)[0]
    return whole_number(season_length, "season_length", maximum=MAX_SEASON_LENGTH)


def decide_season(given: int | None, freq: pd.DateOffset | int | None,
                  default: int | None = None, default_from: str = "") -> tuple[int, str]:
    """The run's season length and why: ``given`` (checked), else ``default`` (a bundled
    dataset's, said by ``default_from``), else the frequency's; e.g. ``(12, "inferred from
    monthly data")``."""
    if given is not None:
        return resolve_season_length(given, freq), "given"
    if default is not None:
        return resolve_season_length(default, freq), default_from or "default"
    if freq is None:
        return 1, "frequency not known yet"
    m, name = season_of(freq)
    return m, f"inferred from {name} data"


def model_season(model: str, given: int | None, freq: pd.DateOffset | int) -> int:
    """The season length a model fits with: ``given`` (checked), else the one of the fitted
    data's frequency ``freq``, said on the logger at INFO (``model`` names the model)."""
    m, why = decide_season(given, freq)
    if given is None:
        log.info("%s: season length %d (%s; pass season_length= to override)", model, m, why)
    return m


def inferred_note(given: int | None, m: int, freq: pd.DateOffset | int) -> str | None:
    """How a fitted model's season length ``m`` came about, for ``describe()``:
    ``"12 (inferred from monthly data)"``; ``None`` when it was given."""
    if given is not None:
        return None
    return f"{m} (inferred from {season_of(freq)[1]} data)"
