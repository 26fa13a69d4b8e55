"""Networks rebuilt from a model file: sized on torch's meta device first, weights checked.

:func:`bounded_network` builds the network on the ``meta`` device (shapes, no memory) and
refuses it above :data:`~gatecast.checks.MAX_PARAMETERS` before the real one is allocated;
:func:`load_weights` loads saved tensors only if their names, shapes and dtypes match the
network exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gatecast.checks import MAX_PARAMETERS
from gatecast.io.model_file import fail


def bounded_network(build: Callable[[], nn.Module], file: Path, what: str) -> nn.Module:
    """``build()`` if the network it builds has at most MAX_PARAMETERS parameters."""
    with torch.device("meta"):
        n = sum(t.numel() for t in build().state_dict().values())
    if n > MAX_PARAMETERS:
        raise fail(file, f"{what} has {n:,} parameters, above gatecast's limit of"
                   f" {MAX_PARAMETERS:,}")
    return build()


def load_weights(net: nn.Module, arrays: dict[str, np.ndarray], prefix: str, file: Path,
                 what: str) -> nn.Module:
    """Load the tensors named ``prefix + key`` into ``net``; names, shapes and dtypes must
    match the network's own exactly. Returns ``net`` in eval mode."""
    expected = net.state_dict()
    saved = {key[len(prefix):]: v for key, v in arrays.items() if key.startswith(prefix)}
    if set(saved) != set(expected):
        missing, extra = sorted(set(expected) - set(saved)), sorted(set(saved) - set(expected))
        raise fail(file, f"{what}: missing tensors {missing[:3]}" if missing
                   else f"{what}: unexpected tensors {extra[:3]}")
    for key, ref in expected.items():
        arr, dtype = saved[key], str(ref.dtype).removeprefix("torch.")
        if tuple(arr.shape) != tuple(ref.shape) or str(arr.dtype) != dtype:
            raise fail(file, f"tensor {prefix}{key} is {arr.dtype}{list(arr.shape)}, the"
                       f" network needs {dtype}{list(ref.shape)}")
    net.load_state_dict({key: torch.from_numpy(np.array(v)) for key, v in saved.items()})
    return net.eval()
