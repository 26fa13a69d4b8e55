"""Where :mod:`gatecast.diagnostics` plugs into the report.

``diagnostic_items(ctx)`` is called once per report and returns one
:class:`~gatecast.report.items.DiagnosticItem` per finding: the persistence (right-shift)
check and skill against the naive forecasts for every model, the residual checks that fired,
and the stationarity / differencing advice for the data. The report renders each item's
title, verdict, severity badge, table and figure and needs nothing else.
"""

from __future__ import annotations

import numpy as np

from gatecast.data.stationarity import stationarity_report, stationarity_table
from gatecast.diagnostics.summary import diagnose_backtest
from gatecast.plotting.diagnostics import plot_cross_correlation, plot_skill
from gatecast.report.context import ReportContext
from gatecast.report.items import DiagnosticItem

#: Stationarity advice is shown for at most this many series (the first ones).
MAX_SERIES = 6


def _shift_items(ctx: ReportContext) -> list[DiagnosticItem]:
    diags = diagnose_backtest(ctx.result, ctx.season_length)
    table = diags.shift_table()
    items = [DiagnosticItem(
        title="skill against the naive forecasts",
        verdict="1 - MSE(model) / MSE(naive) on the same backtest points: above 0 beats the"
                " random walk, below 0 loses to it",
        severity="info", table=table, figure=plot_skill(diags.shift))]
    for name, d in diags.shift.items():
        if name in ("naive", "snaive", "drift"):
            continue
        severity = {"persistence": "error", "worse than baseline": "warning"}.get(d.verdict, "ok")
        items.append(DiagnosticItem(
            title=f"right-shift (persistence) check: {name}", verdict=d.explanation,
            severity=severity, table=table.loc[[name]] if name in table.index else None,
            details=d.fix))
    if any(d.ccf is not None for d in diags.shift.values()):
        items.append(DiagnosticItem(
            title="cross-correlation of forecast and actual changes",
            verdict="a peak at lag 1 means the forecast repeats yesterday's change",
            severity="info", figure=plot_cross_correlation(diags.shift)))
    for r in diags.residuals:
        if r.fired:
            items.append(DiagnosticItem(title=f"residuals: {r.model}, series {r.series}",
                                        verdict=r.message, severity="warning"))
    return items


def _stationarity_items(ctx: ReportContext) -> list[DiagnosticItem]:
    ga = ctx.data.grouped()
    reports = [stationarity_report(np.asarray(ga[i]), ctx.season_length, str(ctx.data.ids[i]))
               for i in range(min(ga.n_series, MAX_SERIES))]
    advice = "; ".join(r.advice for r in reports[:3])
    more = f" (first {len(reports)} of {ga.n_series} series)" if ga.n_series > len(reports) else ""
    return [DiagnosticItem(title="stationarity and differencing advice" + more, verdict=advice,
                           severity="info", table=stationarity_table(reports))]


def diagnostic_items(ctx: ReportContext) -> list[DiagnosticItem]:
    """The diagnostics shown in every report; a diagnostic that fails is reported, not
    hidden, and does not stop the report."""
    items: list[DiagnosticItem] = []
    for part in (_shift_items, _stationarity_items):
        try:
            items.extend(part(ctx))
        except Exception as exc:  # a report must still be written
            items.append(DiagnosticItem(title=f"{part.__name__.strip('_')} failed",
                                        verdict=f"{type(exc).__name__}: {exc}",
                                        severity="warning"))
    return items
