"""Fine-tuning the pretrained network on the user's series, guarded by a held-out tail.

The last ``hold`` points of each long-enough series are held out: training windows are cut
from the points before them (:class:`~gatecast.pretrained.train.CorpusWindows`), and one
validation window per series forecasts the held-out points from everything before them.
The trainer scores the untouched network first (``keep_initial``) and after every epoch and
keeps the best, so fine-tuning is kept only where it forecast the held-out tails better
than the pretrained network did (the fine-tuned model then forecasts from the full
series). Where no series is long enough to hold points out, it fine-tunes unguarded.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch

from gatecast.pretrained.network import Net, quantile_loss
from gatecast.pretrained.train import CorpusWindows
from gatecast.training.config import TrainerConfig
from gatecast.training.trainer import Batch, train

#: Fewest points a series keeps for training after its tail is held out.
MIN_TRAIN = 8


def hold_out(n: int, m: int, horizon: int) -> int:
    """Points held out at the end of a series of ``n`` (0: too short to hold any out)."""
    hold = min(horizon, max(m, 6), n // 4)
    return hold if n - hold >= MIN_TRAIN and hold >= 1 else 0


class TailWindows:
    """Validation windows: each series' held-out tail after the points before it."""

    def __init__(self, series: Sequence[tuple[np.ndarray, int]], horizon: int,
                 max_context: int) -> None:
        self.items = []
        for values, m in series:
            hold = hold_out(len(values), m, horizon)
            if hold:
                cut = len(values) - hold
                self.items.append((values[max(0, cut - max_context):cut], values[cut:], m))
        self.horizon = horizon

    def __len__(self) -> int:
        return len(self.items)

    def batch(self, idx: np.ndarray) -> Batch:
        rows = [self.items[int(i)] for i in idx]
        width = max(len(c) for c, _, _ in rows)
        y = np.zeros((len(rows), width), np.float32)
        mask = np.zeros((len(rows), width), np.float32)
        target = np.zeros((len(rows), self.horizon, 2), np.float32)
        for r, (ctx, fut, _) in enumerate(rows):
            y[r, width - len(ctx):] = ctx
            mask[r, width - len(ctx):] = 1.0
            target[r, :len(fut), 0] = fut
            target[r, :len(fut), 1] = 1.0
        seasons = np.array([m for _, _, m in rows], dtype=np.int64)
        return ((torch.from_numpy(y), torch.from_numpy(mask), torch.from_numpy(seasons)),
                torch.from_numpy(target))


def finetune(base: Net, series: Sequence[tuple[np.ndarray, int]], steps: int,
             lr: float, seed: int) -> Net:
    """A copy of ``base`` fine-tuned ``steps`` AdamW steps on windows of ``series``."""
    net = copy.deepcopy(base)
    horizon = net.cfg.horizon
    val = TailWindows(series, horizon, net.cfg.max_context)
    train_series = []
    for values, m in series:
        hold = hold_out(len(values), m, horizon) if len(val) else 0
        train_series.append((values[:len(values) - hold], m))
    source = CorpusWindows(train_series, horizon, min(8, net.cfg.max_context),
                           net.cfg.max_context, seed)
    epochs = min(steps, 4)
    cfg = TrainerConfig(optimizer="adamw", lr=lr, weight_decay=0.0, schedule="cosine",
                        epochs=epochs, steps_per_epoch=-(-steps // epochs), batch_size=64,
                        keep_initial=True, clip_norm=1.0, seed=seed, device="cpu")
    torch.manual_seed(seed)
    train(net, quantile_loss(net.cfg.quantiles), source, cfg,
          val_source=val if len(val) else None)
    net.eval()
    return net
