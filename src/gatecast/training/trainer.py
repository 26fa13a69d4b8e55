"""One training loop for every network: plain PyTorch, no framework.

The loop sees a network (tensor in, tensor out), a loss and two batch sources; it knows
nothing about series or frames. Batches are gathered from pre-computed window indices.
Every epoch's batch order comes from ``numpy.random.default_rng([seed, epoch])`` so a run
resumed from a checkpoint draws exactly the batches the uninterrupted run would have, and
the checkpoint carries torch's RNG state for dropout. With ``world_size > 1`` the loop runs
as one rank of a torch.distributed group (see :mod:`gatecast.training.distributed`): the
network is wrapped in DDP (gradients all-reduced), each rank takes its shard of every
epoch's permutation, the epoch's training loss is averaged over all ranks (so every rank
picks the same best epoch and stops at the same time), and rank 0 alone writes the
checkpoint, which holds every rank's RNG state.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from gatecast.errors import ConfigError
from gatecast.threads import limit_threads, network_work
from gatecast.training.checkpoint import (
    CHECKPOINT,
    fingerprint,
    load_checkpoint,
    save_checkpoint,
)
from gatecast.training.config import DEFAULT_BATCH, TrainerConfig, spread_steps
from gatecast.training.ddp import all_sum, gather_rng_states, wrap_ddp

Batch = tuple[tuple[Tensor, ...], Tensor]
LossFn = Callable[[Tensor, Tensor], Tensor]


class BatchSource(Protocol):
    """Anything that can hand out batches of training samples by index."""

    def __len__(self) -> int: ...

    def batch(self, idx: np.ndarray) -> Batch: ...


@dataclass
class TrainResult:
    history: pd.DataFrame  # epoch, train_loss, val_loss, lr, seconds, samples (all ranks)
    best_epoch: int
    stopped_early: bool


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("device='cuda' asked for but no CUDA GPU is available; use 'auto'")
    return torch.device(device)


def make_optimizer(net: nn.Module, cfg: TrainerConfig) -> torch.optim.Optimizer:
    params = [p for p in net.parameters() if p.requires_grad]
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)


def make_scheduler(
    opt: torch.optim.Optimizer, cfg: TrainerConfig, total_steps: int
) -> tuple[Any, str]:
    """The scheduler and when it steps: ``"epoch"`` or ``"batch"``."""
    if cfg.schedule == "step":
        return torch.optim.lr_scheduler.StepLR(opt, cfg.step_size, cfg.gamma), "epoch"
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(total_steps, 1)), "batch"
    if cfg.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=max(total_steps, 2)
                                                   ), "batch"
    return None, "none"


def with_budget(cfg: TrainerConfig) -> TrainerConfig:
    """``cfg`` with its step budget ``max_steps`` (if any) spread over the epochs as
    ``epochs`` x ``steps_per_epoch`` (:func:`~gatecast.training.config.spread_steps`)."""
    if not cfg.max_steps:
        return cfg
    epochs, per_epoch = spread_steps(cfg.max_steps, cfg.epochs)
    return dataclasses.replace(cfg, epochs=epochs, steps_per_epoch=per_epoch, max_steps=None)


def steps_in_epoch(n_samples: int, cfg: TrainerConfig, world_size: int = 1) -> int:
    if cfg.steps_per_epoch is not None:
        return cfg.steps_per_epoch
    return max(1, math.ceil(n_samples / (cfg.batch_size * world_size)))


def epoch_indices(n: int, epoch: int, cfg: TrainerConfig, rank: int, world_size: int
                  ) -> np.ndarray:
    """This rank's sample indices for one epoch, ``[steps, batch_size]`` (last may be short)."""
    rng = np.random.default_rng([cfg.seed, epoch])
    steps = steps_in_epoch(n, cfg, world_size)
    need = steps * cfg.batch_size * world_size
    if cfg.steps_per_epoch is None:
        order = rng.permutation(n)
    else:  # a fixed number of batches: sample without replacement, repeating if needed
        reps = math.ceil(need / n)
        order = np.concatenate([rng.permutation(n) for _ in range(reps)])[:need]
    if world_size > 1 and order.size % world_size:
        # Every rank must take the same number of steps (DDP syncs each one): pad the
        # permutation cyclically with its own start, as torch's DistributedSampler does.
        order = np.resize(order, math.ceil(order.size / world_size) * world_size)
    mine = order[rank::world_size]
    return [mine[i * cfg.batch_size:(i + 1) * cfg.batch_size] for i in range(steps)
            if i * cfg.batch_size < mine.size]


def _to(batch: Batch, device: torch.device) -> Batch:
    inputs, target = batch
    return tuple(t.to(device, non_blocking=True) for t in inputs), target.to(device)


@torch.no_grad()
def evaluate_loss(net: nn.Module, loss_fn: LossFn, source: BatchSource, batch_size: int,
                  device: torch.device) -> float:
    net.eval()
    total, count = 0.0, 0
    n = len(source)
    for start in range(0, n, batch_size):
        idx = np.arange(start, min(start + batch_size, n))
        inputs, target = _to(source.batch(idx), device)
        total += float(loss_fn(net(*inputs), target)) * idx.size
        count += idx.size
    net.train()
    return total / max(count, 1)


def _chosen_threads(loop: Callable[..., TrainResult]) -> Callable[..., TrainResult]:
    """The training loop run with torch's intra-op threads chosen for its work on the CPU
    (``cfg.threads``, else :func:`gatecast.threads.threads_for`), restored afterwards."""

    @functools.wraps(loop)
    def run(net: nn.Module, loss_fn: LossFn, train_source: BatchSource, cfg: TrainerConfig,
            *args: Any, **kwargs: Any) -> TrainResult:
        if resolve_device(cfg.device).type != "cpu":
            return loop(net, loss_fn, train_source, cfg, *args, **kwargs)
        work = network_work(net, cfg.batch_size or DEFAULT_BATCH)
        with limit_threads(work, cfg.threads):
            return loop(net, loss_fn, train_source, cfg, *args, **kwargs)

    return run


@_chosen_threads
def train(
    net: nn.Module,
    loss_fn: LossFn,
    train_source: BatchSource,
    cfg: TrainerConfig,
    val_source: BatchSource | None = None,
    rank: int = 0,
    world_size: int = 1,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
) -> TrainResult:
    """Train ``net`` in place and load the weights of the best epoch into it.

    The best epoch is the one with the lowest validation loss (training loss when there is
    no validation source). Checkpoints hold model, optimizer, scheduler, RNG and history.
    """
    if cfg.batch_size is None:
        cfg = dataclasses.replace(cfg, batch_size=DEFAULT_BATCH)
    cfg = with_budget(cfg)
    device = resolve_device(cfg.device)
    net.to(device)
    net.train()
    n = len(train_source)
    if n == 0:
        raise ConfigError("no training samples: the series are too short for the window")
    steps = steps_in_epoch(n, cfg, world_size)
    model = net  # what the loop calls: the network itself, or its DDP wrapper
    if world_size > 1:
        model = wrap_ddp(net, device)
    opt = make_optimizer(net, cfg)
    sched, sched_every = make_scheduler(opt, cfg, steps * cfg.epochs)
    history: list[dict[str, float]] = []
    best = (math.inf, -1, copy.deepcopy(net.state_dict()))
    bad_epochs, start_epoch = 0, 0
    ckpt = Path(cfg.checkpoint_dir) / CHECKPOINT if cfg.checkpoint_dir else None
    # what the checkpoint is for: resuming another run's checkpoint is refused
    stamp = fingerprint(net, cfg, train_source, val_source) if ckpt is not None else None
    if ckpt is not None and cfg.resume and (ckpt.exists() or ckpt.is_symlink()):
        state = load_checkpoint(ckpt, device, stamp)
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        if sched is not None:
            sched.load_state_dict(state["scheduler"])
        rngs = state.get("rng_ranks") or []
        torch.set_rng_state(rngs[rank] if len(rngs) == world_size else state["rng"])
        history = [dict(zip(state["history_keys"], row, strict=True))
                   for row in state["history"].tolist()]
        best = (float(state["best_loss"]), int(state["best_epoch"]), state["best_model"])
        bad_epochs, start_epoch = int(state["bad_epochs"]), int(state["epoch"]) + 1
    else:
        # Dropout draws from torch's global RNG: seed it so a run is a function of cfg.seed.
        torch.manual_seed(cfg.seed + 7919 * rank)
        if ckpt is not None:
            ckpt.parent.mkdir(parents=True, exist_ok=True)
        if cfg.keep_initial and val_source is not None and len(val_source):
            initial = evaluate_loss(net, loss_fn, val_source, 4 * cfg.batch_size, device)
            best = (initial, -1, best[2])

    amp = cfg.amp and device.type == "cuda"
    progress = _progress(cfg, rank, cfg.epochs * steps, start_epoch * steps)
    stopped = False
    # enable_grad: a caller inside torch.no_grad() (or with grad globally off) still trains
    with progress as bar, torch.enable_grad():
        for epoch in range(start_epoch, cfg.epochs):
            t0 = time.perf_counter()
            total, count = 0.0, 0
            for idx in epoch_indices(n, epoch, cfg, rank, world_size):
                inputs, target = _to(train_source.batch(idx), device)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                    loss = loss_fn(model(*inputs), target)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.clip_norm is not None:
                    nn.utils.clip_grad_norm_(net.parameters(), cfg.clip_norm)
                opt.step()
                if sched_every == "batch":
                    sched.step()
                total += float(loss.detach()) * idx.size
                count += idx.size
                bar.advance(float(loss.detach()))
            lr = opt.param_groups[0]["lr"]
            if sched_every == "epoch":
                sched.step()
            if world_size > 1:
                total, count = all_sum([total, float(count)], device)
            train_loss = total / max(count, 1)
            val_loss = (evaluate_loss(net, loss_fn, val_source, 4 * cfg.batch_size, device)
                        if val_source is not None and len(val_source) else math.nan)
            record = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss,
                      "lr": lr, "seconds": time.perf_counter() - t0, "samples": int(count)}
            history.append(record)
            score = val_loss if not math.isnan(val_loss) else train_loss
            if score < best[0]:
                best, bad_epochs = (score, epoch, copy.deepcopy(net.state_dict())), 0
            else:
                bad_epochs += 1
            stopped = cfg.patience is not None and bad_epochs >= cfg.patience
            rngs = None
            if ckpt is not None and world_size > 1:
                rngs = gather_rng_states()  # a collective: every rank takes part
            if ckpt is not None and rank == 0:
                keys = list(record)
                save_checkpoint(ckpt, {
                    "model": net.state_dict(), "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict() if sched is not None else {},
                    "rng": torch.get_rng_state(), "epoch": epoch,
                    # .get: a run resumed from an older checkpoint lacks newer keys
                    "history": torch.tensor([[h.get(k, math.nan) for k in keys]
                                             for h in history],
                                            dtype=torch.float64),
                    "history_keys": keys, "best_loss": best[0], "best_epoch": best[1],
                    "best_model": best[2], "bad_epochs": bad_epochs, "fingerprint": stamp,
                    **({"rng_ranks": rngs} if rngs is not None else {}),
                })
            if rngs is not None:
                torch.distributed.barrier()  # no rank reads it before rank 0 has written it
            if on_epoch is not None:
                on_epoch(record)
            if stopped:
                break
    net.load_state_dict(best[2])
    net.eval()
    return TrainResult(pd.DataFrame(history), best[1], stopped)


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def advance(self, loss: float) -> None:
        return None


class _RichBar(_NoBar):
    def __init__(self, total: int, done: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(TextColumn("training"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("loss {task.fields[loss]:.4f}"),
                                 TimeElapsedColumn(), TimeRemainingColumn(), transient=True)
        self.task = self.progress.add_task("train", total=total, completed=done, loss=math.nan)
        self.ema = math.nan

    def __enter__(self) -> _RichBar:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def advance(self, loss: float) -> None:
        self.ema = loss if math.isnan(self.ema) else 0.95 * self.ema + 0.05 * loss
        self.progress.update(self.task, advance=1, loss=self.ema)


def _progress(cfg: TrainerConfig, rank: int, total: int, done: int) -> _NoBar:
    return _RichBar(total, done) if cfg.progress and rank == 0 else _NoBar()
