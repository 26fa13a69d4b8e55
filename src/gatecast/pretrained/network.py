"""The pretrained forecaster's network: an LSTM over a normalised context, a direct
multi-horizon quantile head and a seasonal-naive skip.

``forward(y, mask, m)`` takes raw values and does everything else itself, so the same
module serves pretraining, fine-tuning and forecasting:

1. instance normalisation: ``z = (y - mean) / scale`` over the observed context
   (``scale`` = its standard deviation, floored at ``1e-3 * mean |y|`` and ``1e-6``);
2. per-step inputs ``[z_t, observed_t, z_{t-m}, observed_{t-m}, sin, cos]`` (the seasonal
   lag, and the phase ``2 pi ((t - T) mod m) / m`` relative to the forecast origin; zeros
   for ``m = 1``) concatenated with a static vector (``log m``, a one-hot season class,
   ``log`` of the observed context length);
3. an LSTM; its last hidden state with the static vector feeds an MLP that outputs
   ``horizon x len(quantiles)`` values;
4. quantiles are monotone by construction: the median is the skip baseline (the last
   season of the context repeated, or the last value when the context is shorter than a
   season; nothing with ``skip='none'``) plus an output, and the other quantiles step away
   from it by softplus increments.

Outputs are in normalised space; ``loc`` and ``scale`` come back with them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

from gatecast.checks import MAX_HIDDEN_SIZE, MAX_LAYERS, MAX_LOOK_BACK, keep_whole, whole_number
from gatecast.errors import ConfigError

QUANTILES = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975,
             0.99)
#: Season classes of the one-hot input; anything else is "other".
SEASON_CLASSES = (1, 2, 4, 5, 6, 7, 12, 24, 48, 52)
SKIPS = ("seasonal", "none")
#: Normalised values are clipped here (a context spike cannot blow up the recurrence).
CLIP = 30.0
MAX_STATIC_SEASON = 10_000
#: Most members an ensemble of pretrained networks may hold.
MAX_MEMBERS = 16
LossFn = Callable[[tuple[Tensor, Tensor, Tensor], Tensor], Tensor]


@dataclasses.dataclass(frozen=True)
class NetConfig:
    """The network's shape; saved with the weights as ``config.json``."""

    hidden_size: int = 96
    num_layers: int = 1
    head_hidden: int = 256
    horizon: int = 64
    max_context: int = 256
    quantiles: tuple[float, ...] = QUANTILES
    skip: str = "seasonal"

    def __post_init__(self) -> None:
        keep_whole(self, "hidden_size", maximum=MAX_HIDDEN_SIZE)
        keep_whole(self, "num_layers", maximum=MAX_LAYERS)
        keep_whole(self, "head_hidden", maximum=MAX_HIDDEN_SIZE)
        keep_whole(self, "horizon", maximum=4096)
        keep_whole(self, "max_context", minimum=2, maximum=MAX_LOOK_BACK)
        qs = tuple(float(q) for q in self.quantiles)
        if (0.5 not in qs or list(qs) != sorted(set(qs)) or not all(0 < q < 1 for q in qs)
                or len(qs) > 99):
            raise ConfigError(f"quantiles must be increasing, in (0, 1), include 0.5 and be"
                              f" at most 99, got {self.quantiles!r}")
        object.__setattr__(self, "quantiles", qs)
        if self.skip not in SKIPS:
            raise ConfigError(f"unknown skip {self.skip!r}; use {', '.join(SKIPS)}")

    @property
    def static_size(self) -> int:
        return 2 + len(SEASON_CLASSES) + 1


def normalise(y: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """Mean and floored standard deviation of the observed values: ``[B]``, ``[B]``."""
    count = mask.sum(1).clamp_min(1.0)
    loc = (y * mask).sum(1) / count
    var = (((y - loc[:, None]) * mask) ** 2).sum(1) / count
    floor = torch.maximum(1e-3 * ((y.abs() * mask).sum(1) / count), torch.full_like(loc, 1e-6))
    return loc, torch.maximum(var.sqrt(), floor)


def static_features(m: Tensor, n_obs: Tensor) -> Tensor:
    """``[B, 2 + classes + 1]``: log m, one-hot season class (+ other), log context length."""
    classes = torch.tensor(SEASON_CLASSES, device=m.device)
    onehot = (m[:, None] == classes[None, :]).float()
    other = 1.0 - onehot.sum(1, keepdim=True)
    logm = torch.log(m.float().clamp(1, MAX_STATIC_SEASON))[:, None] / math.log(64)
    logn = torch.log1p(n_obs)[:, None] / math.log(512)
    return torch.cat([logm, onehot, other, logn], 1)


def seasonal_index(length: int, m: Tensor, n_obs: Tensor, steps: int) -> Tensor:
    """Context position each future step's seasonal-naive value comes from: ``[B, steps]``
    (the last season repeated; the last value when fewer than ``m`` points are observed)."""
    k = torch.arange(steps, device=m.device)[None, :]
    mm = m[:, None]
    seasonal = length - mm + torch.remainder(k, mm)
    use = (mm > 1) & (n_obs[:, None] >= mm)
    return torch.where(use, seasonal, torch.full_like(seasonal, length - 1))


class PretrainedNet(nn.Module):
    """``forward(y [B, T], mask [B, T], m [B]) -> (quantiles [B, H, Q], loc [B], scale [B])``."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        s = cfg.static_size
        self.lstm = nn.LSTM(6 + s, cfg.hidden_size, cfg.num_layers, batch_first=True)
        q = len(cfg.quantiles)
        self.head = nn.Sequential(
            nn.Linear(cfg.hidden_size + s, cfg.head_hidden), nn.GELU(),
            nn.Linear(cfg.head_hidden, cfg.horizon * q))
        self.median = cfg.quantiles.index(0.5)
        with torch.no_grad():  # start near the skip baseline with narrow, ordered quantiles
            self.head[-1].weight.mul_(0.1)
            self.head[-1].bias.zero_()

    def forward(self, y: Tensor, mask: Tensor, m: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        b, t = y.shape
        loc, scale = normalise(y, mask)
        z = ((y - loc[:, None]) / scale[:, None]).clamp(-CLIP, CLIP) * mask  # [B, T]
        n_obs = mask.sum(1)
        pos = torch.arange(t, device=y.device)[None, :]  # [1, T]
        lag_pos = pos - m[:, None]  # [B, T]
        ok = (lag_pos >= 0) & (m[:, None] > 1)
        lag_idx = lag_pos.clamp_min(0)
        z_lag = torch.gather(z, 1, lag_idx) * ok
        lag_mask = torch.gather(mask, 1, lag_idx) * ok
        phase = 2 * math.pi * torch.remainder(pos - t, m[:, None]).float() / m[:, None].float()
        seasonal = (m[:, None] > 1).float()
        stat = static_features(m, n_obs)  # [B, S]
        steps = torch.stack([z, mask, z_lag, lag_mask, torch.sin(phase) * seasonal,
                             torch.cos(phase) * seasonal], -1)  # [B, T, 6]
        x = torch.cat([steps, stat[:, None, :].expand(b, t, stat.shape[1])], -1)
        out, _ = self.lstm(x)  # [B, T, hidden]
        raw = self.head(torch.cat([out[:, -1], stat], 1))  # [B, H * Q]
        raw = raw.view(b, self.cfg.horizon, len(self.cfg.quantiles))  # [B, H, Q]
        centre = raw[..., self.median]
        if self.cfg.skip == "seasonal":
            idx = seasonal_index(t, m, n_obs, self.cfg.horizon)
            centre = centre + torch.gather(z, 1, idx)
        inc = nn.functional.softplus(raw - 2.0)
        up = centre[..., None] + torch.cumsum(inc[..., self.median + 1:], -1)
        down = centre[..., None] - torch.cumsum(inc[..., :self.median].flip(-1), -1).flip(-1)
        return torch.cat([down, centre[..., None], up], -1), loc, scale


class PretrainedEnsemble(nn.Module):
    """Members of one shape (trained from different seeds) whose quantiles are averaged.

    Same signature as :class:`PretrainedNet`. Every member normalises the context the same
    way, so their normalised quantiles are averaged level by level (the average of ordered
    quantiles stays ordered) and ``loc``/``scale`` are the first member's.
    """

    def __init__(self, cfg: NetConfig, members: int) -> None:
        super().__init__()
        whole_number(members, "members", minimum=2, maximum=MAX_MEMBERS)
        self.cfg = cfg
        self.members = nn.ModuleList(PretrainedNet(cfg) for _ in range(members))

    @classmethod
    def of(cls, nets: list[PretrainedNet]) -> PretrainedEnsemble:
        """An ensemble holding copies of the weights of ``nets`` (all of one shape)."""
        if len({net.cfg for net in nets}) != 1:
            raise ConfigError("ensemble members must all have the same network settings")
        ens = cls(nets[0].cfg, len(nets))
        for member, net in zip(ens.members, nets, strict=True):
            member.load_state_dict(net.state_dict())
        return ens

    def forward(self, y: Tensor, mask: Tensor, m: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        outs = [member(y, mask, m) for member in self.members]
        pred = torch.stack([o[0] for o in outs]).mean(0)
        return pred, outs[0][1], outs[0][2]


#: A pretrained network: one member or an ensemble of members.
Net = PretrainedNet | PretrainedEnsemble


def count_members(net: Net) -> int:
    return len(net.members) if isinstance(net, PretrainedEnsemble) else 1


def build(cfg: NetConfig, members: int = 1) -> Net:
    """An untrained network of ``members`` members (1: a plain :class:`PretrainedNet`)."""
    whole_number(members, "members", maximum=MAX_MEMBERS)
    return PretrainedNet(cfg) if members == 1 else PretrainedEnsemble(cfg, members)


def quantile_loss(quantiles: tuple[float, ...]) -> LossFn:
    """Pinball loss over the observed future steps, in normalised space.

    The loss takes the network's output and ``target [B, H, 2]``: raw future values and
    their observed mask.
    """
    q = torch.tensor(quantiles, dtype=torch.float32)

    def loss(out: tuple[Tensor, Tensor, Tensor], target: Tensor) -> Tensor:
        pred, loc, scale = out
        y, mask = target[..., 0], target[..., 1]
        z = ((y - loc[:, None]) / scale[:, None]).clamp(-CLIP, CLIP)  # [B, H]
        diff = z[..., None] - pred  # [B, H, Q]
        qq = q.to(pred.device, pred.dtype)
        per = torch.maximum(qq * diff, (qq - 1) * diff).mean(-1)  # [B, H]
        return (per * mask).sum() / mask.sum().clamp_min(1.0)

    return loss
