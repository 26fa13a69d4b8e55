"""Every forecast diagnostic of a backtest in one call.

Example::

    board, result = gc.compare([lstm], df, h=1, n_windows=40, step=1, season_length=12)
    report = diagnose_backtest(result, season_length=12)
    report.shift_table()          # one row per model: skill, movement, lag, verdict
    for model, message, fix in report.warnings():
        print(model, message, fix)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gatecast.diagnostics.folds import run_season
from gatecast.diagnostics.residuals import ResidualDiagnostic, diagnose_residuals, residual_table
from gatecast.diagnostics.shift import ShiftDiagnostic, diagnose_shift, shift_table


@dataclass
class BacktestDiagnostics:
    """The persistence detector per model and the residual checks per model and series."""

    shift: dict[str, ShiftDiagnostic]
    residuals: list[ResidualDiagnostic] = field(default_factory=list)
    season_length: int = 1

    def shift_table(self) -> pd.DataFrame:
        return shift_table(self.shift)

    def residual_table(self) -> pd.DataFrame:
        return residual_table(self.residuals)

    def warnings(self, models: list[str] | None = None) -> list[tuple[str, str, str]]:
        """``(model, message, fix)`` for every verdict that fired (optionally only ``models``).

        The naive forecast's own "persistence" is its definition, not a warning, so it is
        left out.
        """
        out = []
        for name, d in self.shift.items():
            if (models is None or name in models) and d.fired and d.fix:
                out.append((name, d.explanation, d.fix))
        for r in self.residuals:
            if (models is None or r.model in models) and r.fired:
                out.append((r.model, r.message, ""))
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "season_length": self.season_length,
            "shift": {k: v.as_dict() for k, v in self.shift.items()},
            "residuals": [r.as_dict() for r in self.residuals],
        }


def diagnose_backtest(result: Any, season_length: int | None = None, residuals: bool = True,
                      models: list[str] | None = None) -> BacktestDiagnostics:
    """Run the persistence detector (and the backtest residual checks) on ``result``, with
    the run's season length unless ``season_length`` is given."""
    season_length = run_season(result, season_length)
    shift = diagnose_shift(result, season_length, models)
    res = diagnose_residuals(result, season_length, models) if residuals else []
    return BacktestDiagnostics(shift, res, season_length)
