"""The leaderboard stays legible in an 80-column terminal: whole headers, one-word
verdicts, a legend, and the least needed columns left out (and named) when it is narrow."""

from __future__ import annotations

import pandas as pd
from rich.console import Console

from gatecast.cli.ui import UI


def board() -> pd.DataFrame:
    rows = {
        "autoarima": [7.657, 1.101, 32.03, 35.73, 1.2231, 0.0042, 0.879, "ok"],
        "lstm s0 transform=diff": [8.151, 1.235, 36.09, 41.54, 12.0217, 0.00213, 0.8426, "ok"],
        "drift": [16.45, 2.472, 72.68, 97.62, 0.00051, 0.00093, 0.1839, "worse than baseline"],
        "naive": [19.36, 2.846, 83.67, 108.1, 0.00049, 0.0021, 0.0, "persistence"],
    }
    cols = ["smape", "mase", "mae", "rmse", "fit_seconds", "predict_seconds", "skill_naive",
            "verdict"]
    df = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
    df.index.name = "model"
    return df


def render(width: int) -> str:
    ui = UI()
    ui.console = Console(width=width, record=True, force_terminal=False)
    ui.table(board(), title="leaderboard: h=12, 3 fold(s), 1 series")
    return ui.console.export_text()


def test_leaderboard_fits_80_columns_without_truncation() -> None:
    text = render(80)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "…" not in text  # rich's ellipsis: a header or a cell was cut
    for header in ("sMAPE", "MASE", "fit s", "skill", "verdict", "SHIFT", "worse"):
        assert header in text
    assert "lstm s0 transform=diff" in text
    assert "not shown at 80 columns: pred s" in text  # the dropped column is named
    assert "SHIFT = last value shifted right" in text  # the legend


def test_wide_terminal_shows_every_column() -> None:
    text = render(160)
    assert "pred s" in text and "RMSE" in text and "not shown" not in text


def test_user_text_prints_as_written(capsys) -> None:
    """Notes and messages carry user text (transforms, paths, series names): neither rich's
    emoji codes (":-1:") nor its markup ("[bold]") may rewrite it, on the UI's own consoles."""
    ui = UI()
    ui.note("transform minmax:-1:1 on series [bold]x[/bold]")
    ui.done("wrote out:smile:.csv [red]")
    text = capsys.readouterr().out
    assert "minmax:-1:1" in text and "[bold]x[/bold]" in text
    assert "out:smile:.csv [red]" in text
