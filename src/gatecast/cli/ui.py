"""Terminal output for the CLI: rich progress bars and tables, or JSON, or silence."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


class UI:
    def __init__(self, quiet: bool = False, as_json: bool = False) -> None:
        self.quiet = quiet
        self.as_json = as_json
        # emoji=False: user text such as "minmax:-1:1" must print as written, not as an emoji
        self.console = Console(stderr=False, emoji=False)
        self.err = Console(stderr=True, emoji=False)

    @contextmanager
    def progress(self, label: str, total: int) -> Iterator[Callable[[str], None]]:
        if self.quiet or self.as_json or not sys.stderr.isatty():
            yield lambda _desc: None
            return
        columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=self.err, transient=True) as bar:
            task = bar.add_task(label, total=total)

            def advance(desc: str) -> None:
                bar.update(task, advance=1, description=f"{label}: {desc}")

            yield advance

    def table(self, df: pd.DataFrame, title: str = "",
              choices: dict[str, str] | None = None) -> None:
        """The table (columns dropped to fit the terminal, a legend under it); ``choices``:
        one line per model saying what its fit chose, under the legend (in JSON: a
        ``choices`` object beside the rows)."""
        if self.as_json:
            records = df.reset_index().replace({np.nan: None}).to_dict(orient="records")
            extra = {"choices": choices} if choices else {}
            print(json.dumps({"title": title, "rows": records, **extra}, default=str))
            return
        if self.quiet:
            return
        shown, hidden = fit_columns(df, self.console.width)
        table = Table(title=title)
        index_name = df.index.name or ""
        table.add_column(index_name, style="bold")
        for col in shown:
            table.add_column(HEADERS.get(str(col), str(col)), justify="right")
        for idx, row in df[shown].iterrows():
            table.add_row(str(idx), *(_cell(col, v) for col, v in row.items()))
        self.console.print(table)
        notes = [text for key, text in LEGEND.items() if key in shown]
        if hidden:
            notes.append(f"not shown at {self.console.width} columns: "
                         f"{', '.join(HEADERS.get(c, c) for c in hidden)} (--json shows all)")
        for note in notes + list((choices or {}).values()):
            self.console.print(note, style="dim", highlight=False)

    def note(self, message: str) -> None:
        """A dim line on the terminal (not with --quiet or --json)."""
        if not (self.quiet or self.as_json):
            self.console.print(message, style="dim", highlight=False, markup=False)

    def done(self, message: str, payload: dict[str, Any] | None = None) -> None:
        if self.as_json:
            print(json.dumps(payload or {"message": message}, default=str))
        elif not self.quiet:
            self.console.print(message, markup=False)


#: Short headers for the leaderboard's columns, so it fits an 80-column terminal.
HEADERS = {"smape": "sMAPE", "mase": "MASE", "mae": "MAE", "rmse": "RMSE", "mape": "MAPE",
           "fit_seconds": "fit s", "predict_seconds": "pred s", "skill_naive": "skill",
           "verdict": "verdict", "coverage": "cover", "msis": "MSIS"}
#: Verdicts in one word; the legend under the table says what each means.
VERDICTS = {"persistence": "SHIFT", "worse than baseline": "worse", "ok": "ok"}
LEGEND = {
    "skill_naive": "skill: 1 - MSE / MSE(naive) on the same points; > 0 beats naive",
    "verdict": "verdict: SHIFT = last value shifted right; worse = loses to a naive",
}
#: Columns given up first when the table is wider than the terminal.
DROP_ORDER = ("predict_seconds", "rmse", "mae", "mape", "fit_seconds", "coverage", "msis")


def fit_columns(df: pd.DataFrame, width: int) -> tuple[list[str], list[str]]:
    """The columns to show in ``width`` characters, and those left out (least needed
    first): each column needs its widest cell plus rich's three characters of padding."""
    def need(col: str) -> int:
        cells = [_cell(col, v) for v in df[col]] + [HEADERS.get(col, col)]
        return max(len(c) for c in cells) + 3

    index = max([len(str(i)) for i in df.index] + [len(str(df.index.name or ""))]) + 4
    shown = [str(c) for c in df.columns]
    hidden: list[str] = []
    for col in DROP_ORDER:
        if index + sum(need(c) for c in shown) <= width:
            break
        if col in shown:
            shown.remove(col)
            hidden.append(col)
    return shown, hidden


def _cell(col: object, value: Any) -> str:
    if col == "verdict":
        return VERDICTS.get(str(value), str(value))
    if str(col).endswith("_seconds") and isinstance(value, (float, np.floating)):
        return "-" if np.isnan(value) else f"{value:.2f}"
    return _fmt(value)


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return "-"
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"
    return str(value)
