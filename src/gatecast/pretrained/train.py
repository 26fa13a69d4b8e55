"""Pretraining: random windows of a corpus, fed to gatecast's trainer.

A window is ``(series, cut, context length)``: the context is up to ``length`` points
before ``cut`` (left-padded with a mask when the series starts later), the target the next
``horizon`` points (masked past the series' end). Every batch shares one context length,
drawn log-uniformly in ``[min_context, max_context]``, so short contexts cost little and
long ones are seen too. Which windows a batch holds is a function of its sample indices and
the seed alone, so a run is reproducible and resumes exactly from a checkpoint (the trainer
saves model, optimiser, scheduler and RNG every epoch), and under DDP each rank draws its
own indices (:func:`gatecast.training.trainer.epoch_indices`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import torch

from gatecast.checks import keep_whole, whole_number
from gatecast.errors import ConfigError, DataError
from gatecast.pretrained.network import NetConfig, PretrainedNet, quantile_loss
from gatecast.training.config import TrainerConfig
from gatecast.training.distributed import train_rank
from gatecast.training.trainer import Batch

#: Virtual windows per series in one pass (a window is drawn afresh for each index).
WINDOWS_PER_SERIES = 64
MAX_STEPS = 10_000_000


@dataclasses.dataclass(frozen=True)
class PretrainConfig:
    """How the network is pretrained.

    Attributes:
        steps: optimiser steps in all (split into ``epochs`` checkpoints).
        epochs: checkpoints (and resume points) along the run.
        batch_size: windows per step.
        lr, weight_decay: AdamW's rate (annealed by a cosine to 0) and decay.
        min_context: the shortest context drawn (the longest is the network's
            ``max_context``).
        seed: seeds initialisation and every window drawn.
        clip_norm: gradient clipping.
        checkpoint_dir, resume: where checkpoints go; continue from the last one.
    """

    steps: int = 4000
    epochs: int = 10
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 0.01
    min_context: int = 8
    seed: int = 0
    clip_norm: float = 1.0
    checkpoint_dir: str | None = None
    resume: bool = False
    device: str = "cpu"

    def __post_init__(self) -> None:
        keep_whole(self, "steps", maximum=MAX_STEPS)
        keep_whole(self, "epochs", maximum=self.steps)
        keep_whole(self, "batch_size", maximum=65_536)
        keep_whole(self, "min_context", minimum=2)
        keep_whole(self, "seed", minimum=0)
        if not (self.lr > 0 and self.weight_decay >= 0 and self.clip_norm > 0):
            raise ConfigError("lr and clip_norm must be > 0 and weight_decay >= 0")

    def trainer(self, threads: int | None = None) -> TrainerConfig:
        """The trainer's config; ``threads`` fixes torch's threads on the CPU (else chosen
        from the work and the free cores, which makes the weights depend on the machine)."""
        return TrainerConfig(
            optimizer="adamw", lr=self.lr, weight_decay=self.weight_decay, schedule="cosine",
            epochs=self.epochs, steps_per_epoch=math.ceil(self.steps / self.epochs),
            batch_size=self.batch_size, keep_initial=False, clip_norm=self.clip_norm,
            seed=self.seed, device=self.device, checkpoint_dir=self.checkpoint_dir,
            resume=self.resume, threads=threads)


class CorpusWindows:
    """A :class:`~gatecast.training.trainer.BatchSource` of random corpus windows.

    ``batch(idx)`` returns ``((y [B, T], mask [B, T], m [B]), target [B, H, 2])``.
    """

    def __init__(self, series: Sequence[tuple[np.ndarray, int]], horizon: int,
                 min_context: int, max_context: int, seed: int) -> None:
        kept = [(np.asarray(v, dtype=np.float32), int(m)) for v, m in series if len(v) >= 2]
        if not kept:
            raise DataError("the corpus has no series of 2 or more points to learn from")
        self.values = [v for v, _ in kept]
        self.seasons = np.array([m for _, m in kept], dtype=np.int64)
        self.lengths = np.array([len(v) for v in self.values], dtype=np.int64)
        self.horizon, self.seed = horizon, seed
        self.min_context, self.max_context = min(min_context, max_context), max_context

    def __len__(self) -> int:
        return len(self.values) * WINDOWS_PER_SERIES

    def batch(self, idx: np.ndarray) -> Batch:
        idx = np.asarray(idx, dtype=np.int64)
        rng = np.random.default_rng([self.seed, int(idx[0]), int(idx.sum()) % (2**62)])
        length = round(math.exp(rng.uniform(math.log(self.min_context),
                                                math.log(self.max_context))))
        which = idx % len(self.values)
        n = self.lengths[which]
        lo = np.minimum(4, n - 1)
        cuts = lo + (rng.random(idx.size) * (n - lo)).astype(np.int64)  # in [lo, n - 1]
        y = np.zeros((idx.size, length), np.float32)
        mask = np.zeros((idx.size, length), np.float32)
        target = np.zeros((idx.size, self.horizon, 2), np.float32)
        for row, (s, c) in enumerate(zip(which, cuts, strict=True)):
            v = self.values[s]
            ctx = v[max(0, c - length):c]
            y[row, length - ctx.size:] = ctx
            mask[row, length - ctx.size:] = 1.0
            fut = v[c:c + self.horizon]
            target[row, :fut.size, 0] = fut
            target[row, :fut.size, 1] = 1.0
        y_t, m_t = torch.from_numpy(y), torch.from_numpy(mask)
        return (y_t, m_t, torch.from_numpy(self.seasons[which])), torch.from_numpy(target)


def frame_series(frame: pd.DataFrame, season_length: int | None = None
                 ) -> list[tuple[np.ndarray, int]]:
    """A long frame (``unique_id``, ``ds``, ``y``; optional ``season_length`` column) as
    ``[(values, season length)]``, series in order of appearance, sorted by ``ds``."""
    missing = [c for c in ("unique_id", "ds", "y") if c not in frame.columns]
    if missing:
        raise DataError(f"the corpus needs columns unique_id, ds, y; missing {missing}")
    if season_length is None and "season_length" not in frame.columns:
        raise ConfigError("the corpus has no season_length column; pass --season-length")
    frame = frame.sort_values(["unique_id", "ds"], kind="stable")
    y = pd.to_numeric(frame["y"], errors="coerce").to_numpy(np.float64)
    if not np.all(np.isfinite(y)):
        bad = frame["unique_id"].to_numpy()[~np.isfinite(y)][0]
        raise DataError(f"series {str(bad)!r} has missing or non-numeric y; fill or drop it")
    codes, uniques = pd.factorize(frame["unique_id"], sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    seasons = (frame["season_length"].to_numpy() if season_length is None
               else np.full(len(frame), season_length))
    out = []
    for k in range(len(uniques)):
        rows = order[bounds[k]:bounds[k + 1]]
        m = whole_number(seasons[rows[0]], f"season_length of series {uniques[k]!r}",
                         maximum=10_000)
        out.append((y[rows].astype(np.float32), m))
    return out


def pretrain(series: Sequence[tuple[np.ndarray, int]], cfg: PretrainConfig,
             net_cfg: NetConfig | None = None, net: PretrainedNet | None = None,
             on_epoch: Callable[[dict[str, float]], None] | None = None,
             threads: int | None = None) -> tuple[PretrainedNet, pd.DataFrame]:
    """Pretrain a network (a new one from ``net_cfg``, or continue ``net``) on ``series``;
    returns it (eval mode) and the trainer's per-epoch history. ``threads`` fixes torch's
    threads (:meth:`PretrainConfig.trainer`). Inside a torch.distributed group (``gatecast
    pretrain --processes P``, torchrun) this process trains as its rank: every rank builds
    the same initial network from the seed and draws the windows of its shard of each
    step's indices."""
    if net is None:
        torch.manual_seed(cfg.seed)
        net = PretrainedNet(net_cfg or NetConfig())
    source = CorpusWindows(series, net.cfg.horizon, cfg.min_context, net.cfg.max_context,
                           cfg.seed)
    result = train_rank(net, quantile_loss(net.cfg.quantiles), source, cfg.trainer(threads),
                        on_epoch=on_epoch)
    return net, result.history
