"""The torch.distributed calls the trainer makes as one rank of a group.

Kept apart from :mod:`gatecast.training.distributed` (which starts groups and calls the
trainer) so that the trainer imports these without importing its own caller.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from gatecast.errors import ConfigError


def in_group() -> bool:
    """True inside an initialised torch.distributed group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def wrap_ddp(net: nn.Module, device: torch.device) -> nn.Module:
    if not in_group():
        raise ConfigError("world_size > 1 needs an initialised torch.distributed group; use"
                          " fit(..., distributed=N) or a torchrun launch")
    ids = [device.index if device.index is not None else torch.cuda.current_device()] if (
        device.type == "cuda") else None
    return nn.parallel.DistributedDataParallel(net, device_ids=ids)


def all_sum(values: list[float], device: torch.device) -> list[float]:
    """Sums of ``values`` over all ranks (float64, exact for the counts)."""
    t = torch.tensor(values, dtype=torch.float64,
                     device=device if dist.get_backend() == "nccl" else "cpu")
    dist.all_reduce(t)
    return t.cpu().tolist()


def gather_rng_states() -> list[torch.Tensor]:
    """Every rank's torch CPU RNG state, in rank order (each rank draws its own dropout)."""
    states: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(states, torch.get_rng_state())
    return states
