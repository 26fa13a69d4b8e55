"""The training loop: determinism, resume after an interrupt, schedules, early stopping."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from gatecast.errors import ConfigError
from gatecast.training.config import TrainerConfig
from gatecast.training.losses import make_loss
from gatecast.training.trainer import train


class Source:
    """Noisy linear data: y = x @ w + noise."""

    def __init__(self, n: int = 256, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.x = rng.normal(size=(n, 5, 1)).astype(np.float32)
        w = rng.normal(size=(5,)).astype(np.float32)
        self.y = (self.x[:, :, 0] @ w)[:, None] + 0.1 * rng.normal(size=(n, 1)).astype(
            np.float32)

    def __len__(self) -> int:
        return len(self.x)

    def batch(self, idx: np.ndarray):
        x = torch.from_numpy(self.x[idx])
        return (x,), torch.from_numpy(self.y[idx])


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, 8, batch_first=True)
        self.drop = nn.Dropout(0.2)  # dropout makes the RNG state part of the run
        self.head = nn.Linear(8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)  # [batch, time, hidden]
        return self.head(self.drop(out[:, -1]))[:, :, None]  # [batch, 1, 1]


def fresh(seed: int = 0) -> Net:
    torch.manual_seed(seed)
    return Net()


LOSS = make_loss("mse")


def test_same_seed_same_weights_other_seed_differs() -> None:
    cfg = TrainerConfig(epochs=3, batch_size=32, seed=1)
    a, b, c = fresh(), fresh(), fresh()
    train(a, LOSS, Source(), cfg)
    train(b, LOSS, Source(), cfg)
    train(c, LOSS, Source(), TrainerConfig(epochs=3, batch_size=32, seed=2))
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(va, vb), k
    assert any(not torch.equal(va, vc) for va, vc in zip(a.state_dict().values(),
                                                         c.state_dict().values(), strict=True))


def test_resume_after_interrupt_gives_identical_weights(tmp_path) -> None:
    src, val = Source(), Source(64, seed=5)
    full = fresh()
    cfg = TrainerConfig(epochs=5, batch_size=32, seed=3, schedule="step", step_size=2,
                        checkpoint_dir=str(tmp_path / "a"))
    result_full = train(full, LOSS, src, cfg, val)

    class Interrupt(Exception):
        pass

    def stop_after_two(record: dict[str, float]) -> None:
        if record["epoch"] == 1:
            raise Interrupt

    cfg_b = TrainerConfig(**{**cfg.to_dict(), "checkpoint_dir": str(tmp_path / "b")})
    with pytest.raises(Interrupt):
        train(fresh(), LOSS, src, cfg_b, val, on_epoch=stop_after_two)
    resumed = fresh(seed=99)  # different init: everything must come from the checkpoint
    cfg_r = TrainerConfig(**{**cfg_b.to_dict(), "resume": True})
    result_resumed = train(resumed, LOSS, src, cfg_r, val)
    for (k, va), vb in zip(full.state_dict().items(), resumed.state_dict().values(),
                           strict=True):
        assert torch.equal(va, vb), k
    np.testing.assert_array_equal(result_full.history["train_loss"],
                                  result_resumed.history["train_loss"])
    assert len(result_resumed.history) == 5


def test_step_schedule_divides_by_ten() -> None:
    cfg = TrainerConfig(epochs=5, batch_size=64, schedule="step", step_size=2, lr=1e-2)
    hist = train(fresh(), LOSS, Source(), cfg).history
    np.testing.assert_allclose(hist["lr"], [1e-2, 1e-2, 1e-3, 1e-3, 1e-4])


@pytest.mark.parametrize("opt", ["adam", "adamw", "rmsprop", "sgd"])
@pytest.mark.parametrize("schedule", ["none", "cosine", "onecycle"])
def test_optimizers_and_schedules_reduce_loss(opt: str, schedule: str) -> None:
    lr = 1e-1 if opt == "sgd" else 2e-2  # plain SGD needs a larger rate to move as far
    cfg = TrainerConfig(optimizer=opt, schedule=schedule, epochs=20, batch_size=32, lr=lr)
    hist = train(fresh(), LOSS, Source(), cfg).history
    assert hist["train_loss"].iloc[-1] < 0.7 * hist["train_loss"].iloc[0]


def test_early_stopping_and_best_epoch_weights() -> None:
    # An SGD step of 1e-30 cannot change float32 weights: validation never improves.
    cfg = TrainerConfig(optimizer="sgd", lr=1e-30, epochs=10, batch_size=64, patience=2,
                        keep_initial=False)
    result = train(fresh(), LOSS, Source(), cfg, Source(64, seed=9))
    assert result.stopped_early
    assert len(result.history) == 3 and result.best_epoch == 0


class Flipped(Source):
    """The same inputs with the opposite targets: learning Source makes it worse."""

    def batch(self, idx: np.ndarray):
        (x,), y = super().batch(idx)
        return (x,), -y


@pytest.mark.parametrize("keep", [True, False])
def test_keep_initial_weights_when_training_only_hurts_validation(keep: bool) -> None:
    cfg = TrainerConfig(epochs=10, batch_size=32, lr=2e-2, keep_initial=keep)
    net = fresh()
    start = {k: v.clone() for k, v in net.state_dict().items()}
    result = train(net, LOSS, Source(), cfg, Flipped())
    hist = result.history
    assert hist["train_loss"].iloc[-1] < 0.8 * hist["train_loss"].iloc[0]  # it did learn
    same = all(torch.equal(v, start[k]) for k, v in net.state_dict().items())
    if keep:  # every epoch's validation loss was above the untrained network's
        assert result.best_epoch == -1 and same
    else:
        assert result.best_epoch >= 0 and not same


def test_config_errors() -> None:
    with pytest.raises(ConfigError, match="optimizer"):
        TrainerConfig(optimizer="lbfgs")
    with pytest.raises(ConfigError, match="schedule"):
        TrainerConfig(schedule="warm")
    with pytest.raises(ConfigError, match="lr"):
        TrainerConfig(lr=0)
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA"):
            train(fresh(), LOSS, Source(), TrainerConfig(device="cuda"))


def test_history_counts_samples_and_training_ignores_a_callers_no_grad() -> None:
    net = fresh()
    before = [p.clone() for p in net.parameters()]
    cfg = TrainerConfig(epochs=2, batch_size=32, steps_per_epoch=5, seed=3)
    with torch.no_grad():  # e.g. a notebook cell that evaluated something first
        hist = train(net, LOSS, Source(), cfg).history
    assert hist["samples"].tolist() == [160, 160]  # 5 steps x 32 windows per epoch
    assert all(not torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
    full = train(fresh(), LOSS, Source(n=100), TrainerConfig(epochs=1, batch_size=32)).history
    assert full["samples"].tolist() == [100]  # one pass: 32 + 32 + 32 + 4
