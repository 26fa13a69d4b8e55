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
        self.console = Console(stderr=False)
        self.err = Console(stderr=True)

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

    def table(self, df: pd.DataFrame, title: str = "") -> None:
        if self.as_json:
            records = df.reset_index().replace({np.nan: None}).to_dict(orient="records")
            print(json.dumps({"title": title, "rows": records}, default=str))
            return
        if self.quiet:
            return
        table = Table(title=title)
        index_name = df.index.name or ""
        table.add_column(index_name, style="bold")
        for col in df.columns:
            table.add_column(str(col), justify="right")
        for idx, row in df.iterrows():
            table.add_row(str(idx), *(_fmt(v) for v in row))
        self.console.print(table)

    def done(self, message: str, payload: dict[str, Any] | None = None) -> None:
        if self.as_json:
            print(json.dumps(payload or {"message": message}, default=str))
        elif not self.quiet:
            self.console.print(message)


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return "-"
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"
    return str(value)
