"""Losses on normalised targets: ``pred [batch, horizon, n_outputs]``, ``y [batch, horizon]``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from gatecast.errors import ConfigError

LOSSES = ("mae", "mse", "huber", "pinball")


def make_loss(name: str, quantiles: Sequence[float] = (0.5,)) -> Callable[[Tensor, Tensor], Tensor]:
    """``mae``/``mse``/``huber`` score output 0; ``pinball`` scores every quantile output.

    Pinball loss for quantile q: ``max(q (y - f), (q - 1)(y - f))``; at q = 0.5 it is half
    the absolute error, so the median output is trained exactly as with ``mae``.
    """
    if name not in LOSSES:
        raise ConfigError(f"unknown loss {name!r}; use {', '.join(LOSSES)}")
    if name == "pinball" or len(quantiles) > 1:
        q = torch.tensor(list(quantiles), dtype=torch.float32)

        def pinball(pred: Tensor, y: Tensor) -> Tensor:
            diff = y.unsqueeze(-1) - pred  # [batch, horizon, n_quantiles]
            qq = q.to(pred.device, pred.dtype)
            return torch.maximum(qq * diff, (qq - 1) * diff).mean()

        return pinball
    if name == "mse":
        return lambda pred, y: torch.mean((pred[..., 0] - y) ** 2)
    if name == "huber":
        return lambda pred, y: torch.nn.functional.huber_loss(pred[..., 0], y, delta=1.0)
    return lambda pred, y: torch.mean(torch.abs(pred[..., 0] - y))
