"""Pretraining an ensemble: members trained one after another, each cached as it finishes.

Member k is :func:`~gatecast.pretrained.train.pretrain` with its own settings (by default
:func:`member_configs`: the base settings with seed ``base.seed + k``; the recipe's members
also differ by their step budget). When it finishes it is written to ``work/member-k``
(``config.json`` + ``model.safetensors`` with the settings that produced it); a later run
with ``reuse`` reads a member found there with the same settings instead of training it
again, so an interrupted run goes on with the next member. The interrupted member itself
resumes from the trainer's checkpoint in ``checkpoints/member-k`` (``base.resume``): that
folder also holds ``run.json``, the member's settings, and a checkpoint is resumed only
under the same settings. The trainer's own fingerprint covers the data, the seed, the
trainer settings and the parameter shapes; ``run.json`` adds what it cannot see (network
settings that keep the shapes, such as ``skip``, the torch build, the threads and the number
of DDP processes), so member k's checkpoint is never resumed as member j, nor with another
corpus or configuration.

Used by ``gatecast pretrain --members N`` and by ``benchmarks/pretrain_recipe.py`` (the
shipped weights). Inside a DDP group every rank trains every member; rank 0 alone writes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gatecast.checks import whole_number
from gatecast.errors import ConfigError
from gatecast.pretrained.network import MAX_MEMBERS, Net, NetConfig, PretrainedEnsemble
from gatecast.pretrained.store import CONFIG, load_weights, save_weights, weights_hash
from gatecast.pretrained.train import PretrainConfig, pretrain
from gatecast.training.checkpoint import CHECKPOINT
from gatecast.training.distributed import is_main_process

#: The settings of the run a member's checkpoint folder belongs to.
STAMP = "run.json"
Log = Callable[[str], None]


def member_settings(meta: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two members the same run (checkpoint folders and resuming do not)."""
    meta = json.loads(json.dumps(meta))  # tuples and lists compare alike
    train = {k: v for k, v in meta.get("train", {}).items()
             if k not in ("checkpoint_dir", "resume")}
    return (meta.get("corpus"), train, meta.get("network"), meta.get("torch"),
            meta.get("threads"), meta.get("processes", 1))


def series_hash(series: Sequence[tuple[np.ndarray, int]]) -> str:
    """SHA-256 of a corpus (every series' float32 values and season length, in order): what
    identifies a corpus read from files, whatever its path."""
    h = hashlib.sha256()
    for values, m in series:
        v = np.ascontiguousarray(values, dtype=np.float32)
        h.update(f"{v.size}:{int(m)};".encode())
        h.update(v.tobytes())
    return h.hexdigest()


def member_meta(corpus: Any, cfg: PretrainConfig, net: NetConfig, threads: int,
                processes: int = 1) -> dict[str, Any]:
    """The settings of one member's run (the recipe's member ``meta``)."""
    return {"corpus": corpus, "train": dataclasses.asdict(cfg),
            "network": dataclasses.asdict(net), "torch": torch.__version__,
            "threads": threads, **({"processes": processes} if processes > 1 else {})}


def _write_json(path: Path, value: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        json.dump(value, fh, indent=2)
    os.replace(tmp, path)


def claim_checkpoints(folder: Path, meta: dict[str, Any], resume: bool) -> None:
    """Make ``folder`` the checkpoint folder of the run ``meta``: with ``resume``, a
    checkpoint there of another run (or of unknown settings) is refused."""
    if resume and ((folder / CHECKPOINT).exists() or (folder / CHECKPOINT).is_symlink()):
        stamp = folder / STAMP
        try:
            saved = json.loads(stamp.read_text()) if stamp.is_file() else None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            saved = None
        if not isinstance(saved, dict) or member_settings(saved) != member_settings(meta):
            raise ConfigError(
                f"the checkpoint in {folder} belongs to another run (its member seed, corpus,"
                f" network or training settings differ, or {STAMP} is missing), so resuming"
                f" it would train something else; delete {folder} or run without resume to"
                " train afresh")
    if is_main_process():
        folder.mkdir(parents=True, exist_ok=True)
        _write_json(folder / STAMP, meta)


def train_member(series: Sequence[tuple[np.ndarray, int]], corpus: Any, cfg: PretrainConfig,
                 net: NetConfig, folder: Path, threads: int, *, reuse: bool = True,
                 processes: int = 1, log: Log | None = print) -> tuple[Net, str, float]:
    """Member ``cfg.seed``: read from ``folder`` when it holds the same run (and ``reuse``),
    else trained (resuming from ``cfg.checkpoint_dir`` when ``cfg.resume``) and written
    there by rank 0; with its SHA-256 and final training loss. ``corpus`` is anything JSON
    that identifies the corpus."""
    say = log or (lambda _: None)
    meta = member_meta(corpus, cfg, net, threads, processes)
    config = folder / CONFIG
    if reuse and config.is_file():
        saved = json.loads(config.read_text())
        old = {**saved.get("meta", {}), "network": saved.get("network")}
        if member_settings(old) == member_settings(meta):
            member = load_weights(folder)
            say(f"member seed {cfg.seed}: read from {folder}")
            return member, weights_hash(member.state_dict()), float(
                old.get("final_loss", float("nan")))
    if cfg.checkpoint_dir is not None:
        claim_checkpoints(Path(cfg.checkpoint_dir), meta, cfg.resume)

    def epoch_done(r: dict[str, float]) -> None:
        say(f"seed {cfg.seed} epoch {r['epoch']:.0f} loss {r['train_loss']:.4f}"
            f" {r['seconds']:.0f} s")

    model, history = pretrain(series, cfg, net, threads=threads,
                              on_epoch=None if log is None else epoch_done)
    meta["final_loss"] = float(history["train_loss"].iloc[-1])
    meta.pop("network")
    if is_main_process():
        digest = save_weights(model, folder, meta)
    else:
        digest = weights_hash(model.state_dict())
    say(history.to_string(index=False))
    return model, digest, meta["final_loss"]


def member_configs(base: PretrainConfig, members: int) -> list[PretrainConfig]:
    """``members`` members that differ by their seed alone: ``base.seed`` ... ``base.seed +
    members - 1``."""
    whole_number(members, "members", maximum=MAX_MEMBERS)
    return [dataclasses.replace(base, seed=base.seed + k) for k in range(members)]


def pretrain_members(series: Sequence[tuple[np.ndarray, int]], corpus: Any,
                     configs: Sequence[PretrainConfig], net: NetConfig, work: Path,
                     checkpoints: Path | None, threads: int, *, reuse: bool = True,
                     processes: int = 1, log: Log | None = print
                     ) -> tuple[Net, list[str], list[float]]:
    """One member per entry of ``configs`` (:func:`member_configs`, or settings of your own),
    trained one after another, each cached in ``work/member-k`` (trainer checkpoints in
    ``checkpoints/member-k``); returns the network (one member, or their
    :class:`PretrainedEnsemble`), each member's SHA-256 and final training loss."""
    whole_number(len(configs), "members", minimum=1, maximum=MAX_MEMBERS)
    nets, digests, losses = [], [], []
    for k, member_cfg in enumerate(configs):
        ckpt = None if checkpoints is None else str(Path(checkpoints) / f"member-{k}")
        cfg = dataclasses.replace(member_cfg, checkpoint_dir=ckpt)
        member, digest, loss = train_member(series, corpus, cfg, net,
                                            Path(work) / f"member-{k}", threads, reuse=reuse,
                                            processes=processes, log=log)
        nets.append(member)
        digests.append(digest)
        losses.append(loss)
        if log is not None:
            log(f"member {k} (seed {cfg.seed}, {cfg.steps} steps): sha256 {digest}")
    model = nets[0] if len(nets) == 1 else PretrainedEnsemble.of(nets)
    return model, digests, losses


def members_record(configs: Sequence[PretrainConfig], digests: Sequence[str]
                   ) -> list[dict[str, Any]]:
    """The ``members`` entry of an ensemble's ``meta``: each member's seed, steps and
    SHA-256."""
    return [{"seed": cfg.seed, "steps": cfg.steps, "sha256": d}
            for cfg, d in zip(configs, digests, strict=True)]
