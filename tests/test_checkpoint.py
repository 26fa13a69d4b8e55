"""Checkpoints belong to one run: other data or settings are refused, corruption is one error."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from gatecast.errors import ConfigError, ModelFileError
from gatecast.models.registry import make_model
from gatecast.training.checkpoint import CHECKPOINT
from gatecast.training.config import TrainerConfig
from gatecast.training.trainer import train
from helpers import seasonal_frame
from test_trainer import LOSS, Source, fresh


def _cfg(folder: Path, **over: object) -> TrainerConfig:
    return TrainerConfig(**{"epochs": 2, "batch_size": 32, "seed": 3,
                            "checkpoint_dir": str(folder), **over})


def _weights(net: torch.nn.Module) -> list[torch.Tensor]:
    return [t.clone() for t in net.state_dict().values()]


def test_resuming_a_finished_run_on_the_same_data_gives_the_same_weights(tmp_path) -> None:
    first = fresh()
    train(first, LOSS, Source(), _cfg(tmp_path))
    again = fresh(seed=7)
    result = train(again, LOSS, Source(), _cfg(tmp_path, resume=True))
    assert all(torch.equal(a, b) for a, b in zip(_weights(first), _weights(again), strict=True))
    assert len(result.history) == 2


@pytest.mark.parametrize("change", ["data", "validation", "settings", "architecture"])
def test_resuming_with_other_data_or_settings_is_refused(tmp_path, change: str) -> None:
    train(fresh(), LOSS, Source(), _cfg(tmp_path), Source(64, seed=5))
    net, src, val, cfg = fresh(), Source(), Source(64, seed=5), _cfg(tmp_path, resume=True)
    if change == "data":
        src = Source(seed=1)
    elif change == "validation":
        val = Source(64, seed=6)
    elif change == "settings":
        cfg = _cfg(tmp_path, resume=True, lr=1e-2)
    else:
        net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(5, 1),
                                  torch.nn.Unflatten(1, (1, 1)))
    with pytest.raises(ConfigError, match="other data or settings") as info:
        train(net, LOSS, src, cfg, val)
    assert str(tmp_path / CHECKPOINT) in str(info.value)


def test_device_and_progress_do_not_change_the_fingerprint(tmp_path) -> None:
    train(fresh(), LOSS, Source(), _cfg(tmp_path))
    train(fresh(), LOSS, Source(), _cfg(tmp_path, resume=True, device="cpu", progress=True))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:200])


def _code_pickle(path: Path) -> None:
    path.write_bytes(pickle.dumps(Path("/tmp")))  # a class weights_only refuses


@pytest.mark.parametrize("damage", {
    "truncated": _truncate,
    "empty": lambda p: p.write_bytes(b""),
    "garbage": lambda p: p.write_bytes(b"\x00not a checkpoint" * 50),
    "pickle of an object": _code_pickle,
    "a plain dict": lambda p: torch.save({"model": {}}, p),
    "a folder": lambda p: (p.unlink(), p.mkdir()),
}.items(), ids=lambda item: item[0] if isinstance(item, tuple) else str(item))
def test_a_corrupt_checkpoint_is_one_error_naming_the_file(tmp_path, damage) -> None:
    train(fresh(), LOSS, Source(), _cfg(tmp_path))
    damage[1](tmp_path / CHECKPOINT)
    with pytest.raises(ModelFileError, match=str(tmp_path / CHECKPOINT)):
        train(fresh(), LOSS, Source(), _cfg(tmp_path, resume=True))


def test_forecaster_resume_on_other_data_is_refused_not_the_old_model(tmp_path) -> None:
    trainer = TrainerConfig(batch_size=16, checkpoint_dir=str(tmp_path), resume=True)

    def model():
        return make_model("lstm", horizon=3, look_back=12, hidden_size=4, num_layers=1,
                          head_hidden=4, head_layers=1, max_steps=4, ensemble=1,
                          skip="none", trainer=trainer)

    model().fit(seasonal_frame(n_series=2, length=48, seed=1))
    with pytest.raises(ConfigError, match="other data or settings"):
        model().fit(seasonal_frame(n_series=2, length=48, seed=2))


def test_a_checkpoint_without_fingerprint_is_refused(tmp_path) -> None:
    train(fresh(), LOSS, Source(), _cfg(tmp_path))
    state = torch.load(tmp_path / CHECKPOINT, weights_only=True)
    del state["fingerprint"]
    torch.save(state, tmp_path / CHECKPOINT)
    with pytest.raises(ConfigError, match="no fingerprint"):
        train(fresh(), LOSS, Source(), _cfg(tmp_path, resume=True))
