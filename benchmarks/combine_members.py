"""How should the default pair's two networks be combined? Median against validation picks.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/combine_members.py --datasets small,heldout \
        --seeds 0,1,2 [--csv benchmarks/results/combine_members.csv]

The default ``lstm`` trains a plain and a seasonal-skip network and takes their median (the
mean, for two). Each network's validation loss (the last horizon of every series, held out
from training, as the trainer scores it) is known when it is fitted, so it could choose
instead. For every dataset, seed and fold (the last 3 horizons, as in ``defaults.py``;
folds whose training part is shorter than ``2 m + h + 2`` are skipped) this fits the
default once and scores the rules on the same two networks' forecasts:

- ``median``: the default; ``plain`` / ``skip``: one network alone;
- ``best-val``: the network with the lower validation loss;
- ``inv-val``: the networks weighted by 1 / validation loss;
- ``drop>1.25x`` / ``drop>1.5x``: the median of the networks within that factor of the
  best validation loss.

Every rule falls back to the median where the data were too short for a validation
hold-out. Prints MASE relative to seasonal naive per dataset (mean over seeds), the
geometric mean and the datasets won. Needs the ``bench`` extra for the external datasets.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
from rich.console import Console
from rich.table import Table

import defaults
from gatecast.data.slices import slice_frame
from gatecast.data.validate import validate
from gatecast.evaluation.backtest import fold_cuts
from gatecast.metrics import mase
from gatecast.models.recurrent_data import window_stats
from gatecast.models.recurrent_predict import forecast_block
from gatecast.models.registry import make_model
from gatecast.training.config import TrainerConfig

Rule = Callable[[np.ndarray, list[float]], np.ndarray]


def _within(factor: float) -> Rule:
    def rule(f: np.ndarray, losses: list[float]) -> np.ndarray:
        if not losses:
            return f.mean(0)
        keep = [i for i, v in enumerate(losses) if v <= factor * min(losses)]
        return f[keep].mean(0)
    return rule


def _inverse(f: np.ndarray, losses: list[float]) -> np.ndarray:
    if not losses:
        return f.mean(0)
    w = 1 / np.asarray(losses)
    return np.tensordot(w / w.sum(), f, axes=1)


#: rule name -> forecasts from the members' forecasts ``[members, series, h]`` and their
#: validation losses (empty: no validation hold-out)
RULES: dict[str, Rule] = {
    "median": lambda f, losses: np.median(f, axis=0),
    "plain": lambda f, losses: f[0],
    "skip": lambda f, losses: f[1],
    "best-val": lambda f, losses: f[int(np.argmin(losses))] if losses else f.mean(0),
    "inv-val": _inverse,
    "drop>1.25x": _within(1.25),
    "drop>1.5x": _within(1.5),
}


@torch.no_grad()
def member_forecasts(model: object, h: int) -> np.ndarray:
    """Each network's own forecasts, ``[members, series, h]`` (the default combines them)."""
    n, state = model.tails_.shape[0], model._fitted_state()
    return np.stack([forecast_block(net, cfg, state, h, slice(0, n), model.normalize,
                                    model.quantiles_)[:, :, 0]
                     for net, cfg in zip(model.nets_, model._configs(), strict=True)])


@torch.no_grad()
def validation_losses(model: object, train: list[np.ndarray]) -> list[float]:
    """Each network's loss on the last horizon of every training series (held out from its
    training), as the trainer computes it: MAE on the window's standardised scale."""
    if model.history_["val_loss"].isna().all():
        return []
    fitted, losses = model._fitted_state(), []
    for net, cfg in zip(model.nets_, model._configs(), strict=True):
        v, lb = cfg.horizon, cfg.look_back
        x = np.stack([y[-v - lb:-v] for y in train])
        state = dataclasses.replace(fitted, tails=x)
        pred = forecast_block(net, cfg, state, v, slice(0, len(x)), model.normalize,
                              model.quantiles_)[:, :, 0]
        _, scale = window_stats(x, model.normalize)
        losses.append(float(np.mean(np.abs(pred - np.stack([y[-v:] for y in train]))
                                    / scale)))
    return losses


def run_dataset(name: str, seeds: list[int]) -> dict[str, float]:
    """MASE / seasonal naive of every rule on one dataset, mean over seeds. Folds are cut
    as ``backtest`` cuts them (:func:`~gatecast.evaluation.backtest.fold_cuts`)."""
    df, m, h, windows, _, _ = defaults.load(name)
    sf = validate(df)
    cuts = [c for c in fold_cuts(sf.lengths, h, windows, h) if c.min() >= 2 * m + h + 2]
    start = np.zeros(sf.n_series, dtype=np.int64)
    ratios: dict[str, list[float]] = {rule: [] for rule in RULES}
    for seed in seeds:
        scores: dict[str, list[float]] = {rule: [] for rule in [*RULES, "snaive"]}
        for cut in cuts:
            train, test = slice_frame(sf, start, cut), slice_frame(sf, cut, cut + h)
            model = make_model("lstm", season_length=m, horizon=h,
                               trainer=TrainerConfig(seed=seed)).fit(train)
            ys = np.split(train.frame["y"].to_numpy(float), train.indptr[1:-1])
            truth = test.frame["y"].to_numpy(float).reshape(sf.n_series, h)
            forecasts, losses = member_forecasts(model, h), validation_losses(model, ys)
            snaive = np.stack([np.tile(y[-m:], -(-h // m))[:h] for y in ys])
            combined = {rule: combine(forecasts, losses) for rule, combine in RULES.items()}
            for rule, pred in {**combined, "snaive": snaive}.items():
                scores[rule].append(float(np.mean([mase(t, p, y, m) for t, p, y
                                                   in zip(truth, pred, ys, strict=True)])))
        for rule in RULES:
            ratios[rule].append(np.mean(scores[rule]) / np.mean(scores["snaive"]))
    return {rule: float(np.mean(v)) for rule, v in ratios.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="small,heldout",
                        help="names or the groups of defaults.py ('small', 'heldout')")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--csv", default=None, help="also write the table here")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", FutureWarning)
    names = [n for g in args.datasets.split(",") for n in defaults.GROUPS.get(g, (g,))]
    seeds = [int(s) for s in args.seeds.split(",")]
    console = Console(width=160)
    rows = []
    for name in names:
        rows.append({"dataset": name, **run_dataset(name, seeds)})
        console.print(name, " ".join(f"{k} {v:.3f}" for k, v in rows[-1].items()
                                     if k != "dataset"))
    frame = pd.DataFrame(rows).set_index("dataset")
    table = Table(title=f"MASE / seasonal naive by combination rule, seeds {args.seeds}")
    table.add_column("dataset")
    for rule in RULES:
        table.add_column(rule, justify="right")
    for name, row in frame.iterrows():
        table.add_row(str(name), *(f"{row[rule]:.3f}" for rule in RULES))
    table.add_section()
    table.add_row("geometric mean", *(f"{np.exp(np.log(frame[r]).mean()):.3f}" for r in RULES))
    table.add_row("datasets won", *(str(int((frame[r] < 1).sum())) for r in RULES))
    console.print(table)
    if args.csv:
        frame.to_csv(args.csv, float_format="%.4f")
    return 0


if __name__ == "__main__":
    sys.exit(main())
