"""Training checkpoints: written atomically, read safely, and only for the run they belong to.

A checkpoint stores a *fingerprint* of what determines the training: every training and
validation sample (hashed through the batch sources, in order), the network's architecture
(parameter names, shapes and dtypes; not its initial values, which the checkpoint replaces)
and the trainer settings except those that do not change the result (device, progress bar,
checkpoint folder, resume). ``resume=True`` with a checkpoint whose fingerprint differs is
refused with a :class:`~gatecast.errors.ConfigError`: resuming would silently return a model
trained on other data or settings. Delete the checkpoint, choose another ``checkpoint_dir``
or set ``resume=False`` to train afresh.

Checkpoints are read with ``torch.load(weights_only=True)`` (no pickled code); a truncated
or corrupt one is one :class:`~gatecast.errors.ModelFileError` naming the file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor, nn

from gatecast.errors import ConfigError, ModelFileError
from gatecast.training.config import TrainerConfig

CHECKPOINT = "last.pt"
#: Trainer settings that do not change the trained weights; ``max_steps`` is spread into
#: ``epochs`` x ``steps_per_epoch`` (fingerprinted) before training starts.
NOT_FINGERPRINTED = ("device", "progress", "checkpoint_dir", "resume", "max_steps")
#: Samples hashed per call of ``source.batch``.
HASH_CHUNK = 256
#: Keys every checkpoint holds.
KEYS = ("model", "optimizer", "scheduler", "rng", "epoch", "history", "history_keys",
        "best_loss", "best_epoch", "best_model", "bad_epochs", "fingerprint")


class _Source(Protocol):
    def __len__(self) -> int: ...

    def batch(self, idx: np.ndarray) -> tuple[tuple[Tensor, ...], Tensor]: ...


def _hash_source(digest: Any, source: _Source | None) -> None:
    n = 0 if source is None else len(source)
    digest.update(f"samples={n};".encode())
    for start in range(0, n, HASH_CHUNK):
        inputs, target = source.batch(np.arange(start, min(start + HASH_CHUNK, n)))
        for tensor in (*inputs, target):
            t = tensor.detach().cpu().contiguous()
            digest.update(f"{t.dtype}{tuple(t.shape)};".encode())
            digest.update(t.numpy().tobytes() if t.dtype != torch.bfloat16
                          else t.float().numpy().tobytes())


def fingerprint(net: nn.Module, cfg: TrainerConfig, train_source: _Source,
                val_source: _Source | None) -> str:
    """SHA-256 of the data, the architecture and the training settings (see module doc)."""
    digest = hashlib.sha256()
    settings = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in NOT_FINGERPRINTED}
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    for name, tensor in net.state_dict().items():
        digest.update(f"{name}:{tensor.dtype}{tuple(tensor.shape)};".encode())
    _hash_source(digest, train_source)
    _hash_source(digest, val_source)
    return digest.hexdigest()


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)  # atomic: an interrupt never leaves a half-written checkpoint


def load_checkpoint(path: Path, device: torch.device, expected: str) -> dict[str, Any]:
    """The checkpoint at ``path`` if it is readable, complete and of this run."""
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, EOFError, UnpicklingError, OSError
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise ModelFileError(f"checkpoint {path} is truncated or corrupt"
                             f" ({type(exc).__name__}: {first}); delete it to train afresh"
                             ) from exc
    keys = state if isinstance(state, dict) else {}
    missing = [k for k in KEYS if k != "fingerprint" and k not in keys]
    if missing:
        raise ModelFileError(f"checkpoint {path} is incomplete (no {', '.join(missing[:3])});"
                             " delete it to train afresh")
    if "fingerprint" not in state:
        raise ConfigError(f"checkpoint {path} has no fingerprint (an older gatecast wrote it),"
                          " so it cannot be matched to this run; delete it or set"
                          " resume=False to train afresh")
    if state["fingerprint"] != expected:
        raise ConfigError(
            f"checkpoint {path} was written for other data or settings (its fingerprint"
            " differs), so resuming would return a model trained on something else; delete"
            " it, choose another checkpoint_dir, or set resume=False to train afresh")
    return state
