"""One self-contained HTML report: data summary, leaderboard, diagnostics, forecasts.

>>> from gatecast.report import build_report  # doctest: +SKIP
>>> report = build_report([gc.ETS(season_length=12)], df, h=12, season_length=12)
>>> report.write("report.html")

The file embeds its figures as ``data:`` URIs and its CSS inline: no script, no network.
Diagnostics plug in through :mod:`gatecast.report.hook` (or ``diagnostics=`` here).
"""

from gatecast.report.build import Report, build_report, check_report_path, write_report
from gatecast.report.context import ReportContext
from gatecast.report.insample import one_step_fitted, one_step_predictions
from gatecast.report.items import SEVERITIES, DiagnosticItem, Section

__all__ = [
    "SEVERITIES",
    "DiagnosticItem",
    "Report",
    "ReportContext",
    "Section",
    "build_report",
    "check_report_path",
    "one_step_fitted",
    "one_step_predictions",
    "write_report",
]
