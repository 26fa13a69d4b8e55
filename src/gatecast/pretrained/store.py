"""Pretrained weights on disk: ``config.json`` (the :class:`NetConfig` and what produced
it) + ``model.safetensors`` (the tensors). JSON and safetensors only: loading a weights
folder never runs code, and every size in its config is bounded before allocation."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from gatecast.errors import DataError
from gatecast.pretrained.network import MAX_MEMBERS, Net, NetConfig, build, count_members

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
FORMAT = 1
#: The folder name of the weights shipped inside the package.
SHIPPED = "weights"


def shipped_dir() -> Path:
    """The weights shipped with gatecast (``gatecast/pretrained/weights``), read offline."""
    return Path(str(resources.files("gatecast.pretrained").joinpath(SHIPPED)))


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def save_weights(net: Net, path: str | Path, meta: dict[str, Any] | None = None
                 ) -> str:
    """Write ``config.json`` + ``model.safetensors`` into the folder ``path``; returns the
    SHA-256 of the tensors (what the recipe prints to show a run reproduced them)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    digest = weights_hash(tensors)
    config = {"format": FORMAT, "network": dataclasses.asdict(net.cfg),
              "members": count_members(net), "sha256": digest,
              **({"meta": meta} if meta else {})}
    fd, tmp = tempfile.mkstemp(dir=path, prefix=f".{WEIGHTS}.")
    os.close(fd)
    save_file(tensors, tmp, metadata={"format": str(FORMAT)})
    os.replace(tmp, path / WEIGHTS)
    _atomic_write(path / CONFIG, json.dumps(config, indent=2).encode())
    return digest


def weights_hash(tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 over the tensors' names and bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        h.update(name.encode())
        h.update(tensors[name].detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def net_config(raw: Any, where: str) -> NetConfig:
    """A :class:`NetConfig` from JSON, refusing unknown keys (sizes are bounded by it)."""
    if not isinstance(raw, dict):
        raise DataError(f"{where}: 'network' must be an object")
    known = {f.name for f in dataclasses.fields(NetConfig)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise DataError(f"{where}: unknown network settings {unknown}")
    values = dict(raw)
    if "quantiles" in values:
        values["quantiles"] = tuple(values["quantiles"])
    try:
        return NetConfig(**values)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{where}: bad network settings ({exc})") from exc


_LOADED: dict[str, Net] = {}


def cached_weights(path: str | Path | None = None) -> Net:
    """:func:`load_weights`, read once per folder and process (forecasting only reads the
    network; fine-tuning trains a copy)."""
    key = str(path or "")
    if key not in _LOADED:
        _LOADED[key] = load_weights(path)
    return _LOADED[key]


def members_in(config: dict[str, Any], where: str) -> int:
    """The number of ensemble members a config names (1 when it names none), bounded."""
    members = config.get("members", 1)
    if (not isinstance(members, int) or isinstance(members, bool)
            or not 1 <= members <= MAX_MEMBERS):
        raise DataError(f"{where}: 'members' must be a whole number from 1 to {MAX_MEMBERS},"
                        f" got {members!r}")
    return members


def load_weights(path: str | Path | None = None) -> Net:
    """The network saved in ``path`` (default: the shipped weights), in eval mode."""
    path = shipped_dir() if path is None else Path(path)
    if not (path / CONFIG).is_file() or not (path / WEIGHTS).is_file():
        raise DataError(f"no pretrained weights at {path}: it needs {CONFIG} and {WEIGHTS}"
                        " (write them with `gatecast pretrain CORPUS --output DIR`)")
    try:
        config = json.loads((path / CONFIG).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path / CONFIG} is not valid JSON ({exc})") from exc
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise DataError(f"{path / CONFIG}: not a gatecast pretrained-weights config"
                        f" (format {FORMAT})")
    where = str(path / CONFIG)
    net = build(net_config(config.get("network"), where), members_in(config, where))
    try:
        tensors = load_file(str(path / WEIGHTS))
        net.load_state_dict(tensors)
    except (RuntimeError, OSError, ValueError) as exc:
        raise DataError(f"{path / WEIGHTS} does not match its config ({exc})") from exc
    net.eval()
    return net
