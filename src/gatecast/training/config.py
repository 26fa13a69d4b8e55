"""Training configuration: one dataclass, validated at construction, JSON-serialisable."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from gatecast.checks import whole_number
from gatecast.errors import ConfigError
from gatecast.threads import MAX_THREADS

OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd")
SCHEDULES = ("none", "step", "cosine", "onecycle")


#: Windows per batch when neither the config nor the model chooses.
DEFAULT_BATCH = 256


@dataclass
class TrainerConfig:
    """How a network is trained.

    Adam with lr 3e-3 and cosine annealing: annealing lets a short run settle instead of
    ending at a noisy point. ``epochs=10`` splits the step budget into ten validation
    checks (the best kept, a checkpoint each), which gives resume points;
    ``clip_norm=1.0`` is a guard for outliers and spikes; ``patience=None`` because the
    annealed rate is lowest at the end, where stopping early would cut the best part, and
    the best epoch's weights are kept either way. The measurements behind each:
    ``docs/decisions.md``.

    Attributes:
        optimizer: ``adam``, ``adamw``, ``rmsprop`` or ``sgd`` (momentum 0.9).
        lr: learning rate (the peak rate for ``onecycle``).
        schedule: ``none``; ``step`` divides the rate by ``1/gamma`` every ``step_size``
            epochs (the tutorials' "÷10 every 100 epochs"); ``cosine`` anneals to 0 over all
            steps; ``onecycle`` warms up then anneals.
        epochs: passes over the training windows; with ``steps_per_epoch`` set, an epoch is
            that many batches drawn at random instead (useful when windows are plentiful).
        max_steps: the step budget: optimiser steps in all, spread over ``min(epochs,
            max_steps)`` epochs of ``ceil(max_steps / epochs)`` batches each (see
            :func:`spread_steps`). ``0``: ``epochs`` full passes (or ``epochs x
            steps_per_epoch`` batches). ``None``: the same for the trainer alone; a model
            may choose the budget from its data (the recurrent forecasters do, see
            :func:`gatecast.models.recurrent_defaults.auto_steps`). Given together with
            ``steps_per_epoch``, the two must agree, else a ConfigError.
        batch_size: windows per batch; ``None``: ``DEFAULT_BATCH`` (256), or what the model
            chooses from its data (the recurrent forecasters: 128 from 20,000 training
            windows on, see :func:`gatecast.models.recurrent_defaults.batch_size`).
        patience: stop after this many epochs without a better validation loss (``None``:
            never stop early). The weights of the best epoch are kept either way.
        keep_initial: the untrained weights compete with the epochs for "best" on the
            validation loss (as epoch -1; ties keep them): a network built to start as a
            baseline (a forecaster with ``skip``: seasonal naive) then never ends worse than
            that baseline on validation.
        clip_norm: clip the gradient's global norm (``None``: no clipping).
        seed: seeds batch order, initialisation and dropout: same seed, same weights.
        device: ``auto`` (CUDA when available), ``cpu`` or ``cuda``.
        amp: bfloat16 autocast on CUDA (ignored on CPU).
        checkpoint_dir: write a checkpoint there after every epoch; with ``resume=True`` a
            run continues from the last checkpoint instead of starting over.
        progress: show a rich progress bar with the loss.
        threads: torch's intra-op threads while training and forecasting on the CPU
            (``None``: ``GATECAST_THREADS`` if set, else chosen from the network's size and
            the cores free at the start, see :mod:`gatecast.threads`).
    """

    optimizer: str = "adam"
    lr: float = 3e-3
    weight_decay: float = 0.0
    schedule: str = "cosine"
    step_size: int = 100
    gamma: float = 0.1
    epochs: int = 10
    steps_per_epoch: int | None = None
    max_steps: int | None = None
    batch_size: int | None = None
    patience: int | None = None
    keep_initial: bool = True
    clip_norm: float | None = 1.0
    seed: int = 0
    device: str = "auto"
    amp: bool = False
    checkpoint_dir: str | None = None
    resume: bool = False
    progress: bool = False
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r}; use {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"unknown schedule {self.schedule!r}; use {', '.join(SCHEDULES)}")
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ConfigError(f"device must be auto, cpu or cuda, got {self.device!r}")
        positive = {"lr": self.lr, "epochs": self.epochs, "step_size": self.step_size,
                    **({"batch_size": self.batch_size} if self.batch_size is not None else {})}
        for name, value in positive.items():
            if not value > 0:
                raise ConfigError(f"{name} must be > 0, got {value!r}")
        if not 0 < self.gamma <= 1:
            raise ConfigError(f"gamma must be in (0, 1], got {self.gamma!r}")
        if self.steps_per_epoch is not None and self.steps_per_epoch < 1:
            raise ConfigError("steps_per_epoch must be >= 1 or None")
        if self.max_steps is not None:
            self.max_steps = whole_number(self.max_steps, "max_steps", minimum=0)
            self._check_budget()
        if self.patience is not None and self.patience < 1:
            raise ConfigError("patience must be >= 1 or None")
        if self.clip_norm is not None and self.clip_norm <= 0:
            raise ConfigError("clip_norm must be > 0 or None")
        if self.threads is not None:
            self.threads = whole_number(self.threads, "threads", maximum=MAX_THREADS,
                                        hint=" or None (chosen)")

    def _check_budget(self) -> None:
        """``steps_per_epoch`` next to ``max_steps`` must say the same: one of them would
        otherwise be silently ignored."""
        if not self.max_steps or self.steps_per_epoch is None:
            return
        epochs, per_epoch = spread_steps(self.max_steps, self.epochs)
        if self.steps_per_epoch != per_epoch:
            raise ConfigError(
                f"max_steps={self.max_steps} over epochs={epochs} is {per_epoch} steps per"
                f" epoch, but steps_per_epoch={self.steps_per_epoch}; give max_steps alone,"
                " or steps_per_epoch with epochs (epochs x steps_per_epoch steps in all)")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def spread_steps(max_steps: int, epochs: int) -> tuple[int, int]:
    """``(epochs, steps per epoch)`` for a budget of ``max_steps`` optimiser steps: never
    more epochs than steps, the steps rounded up to whole epochs. The one place a step
    budget becomes epochs; the trainer applies it (:func:`gatecast.training.trainer.train`).
    """
    epochs = min(epochs, max_steps)
    return epochs, math.ceil(max_steps / epochs)
