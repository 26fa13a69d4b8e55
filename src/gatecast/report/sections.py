"""The report's sections, each built from a :class:`ReportContext` into escaped HTML."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gatecast.data.freq import freq_name
from gatecast.evaluation.backtest import BacktestResult, described
from gatecast.evaluation.compare import model_choices
from gatecast.plotting.errors import plot_errors_by_step
from gatecast.plotting.forecast import plot_forecast, plot_forecast_grid
from gatecast.plotting.leaderboard import BASELINES, plot_leaderboard
from gatecast.plotting.training import loss_histories, plot_loss_curves
from gatecast.report.context import ReportContext
from gatecast.report.html import esc, fmt_number, render_figure, render_table
from gatecast.report.items import DiagnosticItem, Section

MAX_SERIES_TABLE = 20
MAX_PANELS = 6


def _is_time(ctx: ReportContext) -> bool:
    return pd.api.types.is_datetime64_any_dtype(ctx.data.frame["ds"])


def _ds_text(ctx: ReportContext, value: object) -> str:
    return fmt_number(pd.Timestamp(value) if _is_time(ctx) else value)


def data_section(ctx: ReportContext) -> Section:
    """Series count, lengths, frequency, date range, per-series table and an overview plot."""
    lengths = ctx.data.lengths
    first = _ds_text(ctx, ctx.data.first_ds().min())
    last = _ds_text(ctx, ctx.data.last_ds().max())
    summary = pd.DataFrame(
        {"value": [
            fmt_number(int(ctx.data.n_series)), fmt_number(int(lengths.sum())),
            f"{int(lengths.min())} / {int(np.median(lengths))} / {int(lengths.max())}",
            freq_name(ctx.data.freq), f"{first} to {last}", str(ctx.season_length),
            str(ctx.h), str(int(ctx.result.cuts.shape[0])),
        ]},
        index=pd.Index(["series", "observations", "length min / median / max", "frequency",
                        "date range", "season length", "horizon h", "backtest folds"],
                       name="data"),
    )
    parts = []
    if ctx.description:
        parts.append(f"<p>{esc(ctx.description)}</p>")
    parts.append(render_table(summary))
    frame = ctx.data.frame
    per = frame.groupby("unique_id", sort=False)["y"].agg(["count", "mean", "min", "max"])
    per.insert(1, "start", ctx.data.first_ds())
    per.insert(2, "end", ctx.data.last_ds())
    per.index.name = "series"
    per = per.rename(columns={"count": "length"})
    shown = per.head(MAX_SERIES_TABLE)
    parts.append("<h3>Series</h3>" + render_table(shown))
    notes = []
    if len(per) > len(shown):
        notes.append(f"Showing {len(shown)} of {len(per)} series.")
    fig = plot_forecast_grid(ctx.train, None, actuals=ctx.test, max_series=12,
                             title="data; the dotted part is the final hold-out")
    parts.append(render_figure(fig, "Each series; the dashed line is the start of the final"
                               f" hold-out of h={ctx.h} points, which no model saw.",
                               alt="overview of the series"))
    return Section("data", "Data", "".join(parts), notes)


def _reading(board: pd.DataFrame) -> str:
    """One line: the best model and whether it beats the naive forecast."""
    metric = str(board.columns[0])
    best = str(board.index[0])
    line = f"Best on {metric}: {best} ({fmt_number(float(board[metric].iloc[0]))})."
    if "naive" in board.index and metric != "r2":
        naive = float(board.loc["naive", metric])
        others = [m for m in board.index if m not in BASELINES]
        beat = [m for m in others if float(board.loc[m, metric]) < naive]
        line += (f" The naive forecast scores {fmt_number(naive)}; {len(beat)} of"
                 f" {len(others)} non-baseline model(s) beat it.")
    return line


_LOWER_IS_BETTER = ("smape", "mase", "mae", "rmse", "mse", "mape", "msis", "owa")


def _better(column: str) -> str:
    """``"min"``/``"max"`` for score columns whose best value is bolded, else ``""``."""
    if column in _LOWER_IS_BETTER:
        return "min"
    if column == "r2" or column.startswith("skill"):
        return "max"
    return ""


def leaderboard_section(ctx: ReportContext) -> Section:
    board = ctx.board
    best = {c: _better(c) for c in board.columns if _better(c)}
    parts = [f"<p>{esc(_reading(board))}</p>",
             render_table(board, best=best, muted_rows=[b for b in BASELINES
                                                        if b in board.index])]
    figs = [render_figure(plot_leaderboard(board), "Leaderboard (grey: naive baselines;"
                          " dotted line: the naive forecast's score).", alt="leaderboard")]
    if ctx.h > 1:
        figs.append(render_figure(plot_errors_by_step(ctx.result, "mae"),
                                  "Backtest MAE at each step ahead, over all series and folds.",
                                  alt="errors by horizon step"))
    parts.append(f'<div class="grid2">{"".join(figs)}</div>')
    chosen = choices_table(ctx)
    if chosen is not None:
        parts.append("<h3>What each model chose</h3>" + render_table(chosen))
    folds = int(ctx.result.cuts.shape[0])
    notes = [f"Scores: mean over series and {folds} rolling-origin fold(s) of h={ctx.h};"
             f" {refit_text(ctx.result)}"]
    return Section("leaderboard", "Leaderboard", "".join(parts), notes)


def refit_text(result: BacktestResult) -> str:
    """How the backtest fitted its models, in one sentence for the leaderboard's note."""
    folds = int(result.cuts.shape[0])
    refit = getattr(result, "refit", 1)
    if refit == 1 or folds == 1:
        how = "every fold refits every model on the data before its cutoff only"
    elif refit == 0 or refit >= folds:
        how = ("every model is fitted on the first fold only; later folds forecast from"
               " the data before their cutoff with those parameters")
    else:
        how = (f"every model is refitted every {refit} folds on the data before the cutoff;"
               " the folds between forecast from the data before their own cutoff with the"
               " last fit's parameters")
    if getattr(result, "warm_start", False) and refit != 0 and folds > 1:
        how += "; neural models' refits start from the previous fit's weights (warm start)"
    return how + "."


def choices_table(ctx: ReportContext) -> pd.DataFrame | None:
    """One row per model whose fit chose something (an ARIMA order, an ETS form, a
    network's shape): the backtest's choice and the final hold-out fit's; ``None`` when
    no model chose anything."""
    backtest = model_choices(ctx.result)
    final = {name: described(model) for name, model in ctx.models.items()}
    names = [n for n in ctx.board.index if n in backtest or final.get(n)]
    if not names:
        return None
    rows = {n: {"backtest (last fit)": _choice_text(n, backtest.get(n)),
                "final hold-out fit": _choice_text(n, final.get(n))} for n in names}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    return table


def _choice_text(name: str, text: str | None) -> str:
    """``describe()``'s line without the model's name in front (the row says it)."""
    if not text:
        return "-"
    prefix = f"{name}: "
    return text[len(prefix):] if text.startswith(prefix) else text


def render_item(item: DiagnosticItem) -> str:
    parts = [f'<div class="item {esc(item.severity)}"><h3>{esc(item.title)}</h3>',
             f'<p><span class="badge {esc(item.severity)}">{esc(item.severity)}</span>'
             f"{esc(item.verdict)}</p>"]
    if item.table is not None:
        parts.append(render_table(item.table))
    if item.figure is not None:
        parts.append(render_figure(item.figure, alt=item.title))
    if item.details:
        parts.append(f'<p class="note">{esc(item.details)}</p>')
    parts.append("</div>")
    return "".join(parts)


def diagnostics_section(items: list[DiagnosticItem]) -> Section:
    if not items:
        body = "<p>No diagnostics were run for this report.</p>"
    else:
        counts = pd.Series([i.severity for i in items]).value_counts()
        summary = ", ".join(f"{n} {sev}" for sev, n in counts.items())
        body = f"<p>{esc(summary)}.</p>" + "".join(render_item(i) for i in items)
    return Section("diagnostics", "Diagnostics", body)


def _holdout_mae(ctx: ReportContext, model: str) -> float:
    y = ctx.test["y"].to_numpy(np.float64)
    pred = ctx.holdout[model].to_numpy(np.float64)
    return float(np.mean(np.abs(y - pred)))


def _interval_method(ctx: ReportContext) -> str:
    """How the bands were made, for conformal ones (quantile bands say nothing, as before)."""
    if ctx.intervals != "conformal":
        return ""
    return (f" (conformal: calibrated on the absolute errors per horizon step of"
            f" {ctx.conformal_windows} rolling-origin backtest windows of the training part)")


def forecasts_section(ctx: ReportContext) -> Section:
    """One figure per model: train tail, in-sample fit, hold-out forecast and interval."""
    order = [m for m in ctx.board.index if m in ctx.models]
    show = max(4 * ctx.h, 3 * ctx.season_length, 24)
    cutoff = ctx.train.last_ds()
    parts = [f"<p>Each model was fitted on the data up to the dashed line (for the first"
             f" series: {esc(_ds_text(ctx, cutoff[0]))})"
             f" and forecasts the final {ctx.h} points it never saw (dotted: actual). Thin line:"
             " in-sample one-step fit; band: the widest prediction interval"
             f"{_interval_method(ctx)}.</p>"]
    naive = _holdout_mae(ctx, "naive") if "naive" in ctx.holdout else float("nan")
    figures = []
    for name in order:
        cols = ["unique_id", "ds", name] + [c for c in ctx.holdout.columns
                                            if c.startswith(f"{name}-lo-")
                                            or c.startswith(f"{name}-hi-")]
        fitted = None
        if ctx.fitted is not None and name in ctx.fitted:
            fitted = ctx.fitted[["unique_id", "ds", name]].dropna()
        conformal = "conformal" if ctx.intervals == "conformal" else None
        fig = plot_forecast(ctx.train, ctx.holdout[cols], actuals=ctx.test, fitted=fitted,
                            last=show, max_series=MAX_PANELS, title=name, intervals=conformal)
        mae = _holdout_mae(ctx, name)
        rel = f"; naive {fmt_number(naive)}" if name != "naive" and np.isfinite(naive) else ""
        figures.append(f'<div id="model-{esc(name)}">' + render_figure(
            fig, f"{name}: hold-out MAE {fmt_number(mae)}{rel}.", alt=f"forecast of {name}")
            + "</div>")
    # one series: small figures, two per row; several: one full-width grid per model
    layout = "grid2" if ctx.data.n_series == 1 else "stack"
    parts.append(f'<div class="{layout}">{"".join(figures)}</div>')
    return Section("forecasts", "Forecasts", "".join(parts), list(ctx.notes))


def training_section(ctx: ReportContext) -> Section | None:
    """Loss curves and a summary per neural model; ``None`` when there is none."""
    curves = loss_histories(ctx.models)
    if not curves:
        return None
    rows = {}
    for name, hist in curves.items():
        val = hist["val_loss"] if "val_loss" in hist else pd.Series(dtype=float)
        rows[name] = {
            "epochs": int(hist["epoch"].max()) + 1 if "epoch" in hist else len(hist),
            "first train loss": float(hist["train_loss"].iloc[0]),
            "last train loss": float(hist["train_loss"].iloc[-1]),
            "best validation loss": float(val.min()) if val.notna().any() else float("nan"),
            "fit seconds": float(getattr(ctx.models[name], "fit_seconds_", float("nan"))),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    fig = plot_loss_curves(curves)
    body = render_table(table) + render_figure(
        fig, "Training (solid) and validation (dashed) loss per epoch, on the normalised"
        " scale the network trains on.", alt="loss curves")
    return Section("training", "Training", body)
