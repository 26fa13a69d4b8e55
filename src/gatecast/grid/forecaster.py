"""Gridded forecasters: frames in, the next ``horizon`` frames out.

The protocol mirrors the series forecasters' (``__init__`` stores parameters, ``fit``
learns everything that ends in ``_``)::

    model.fit(frames)            # [time, C, H, W] (one movie) or [samples, time, C, H, W]
    model.predict(context)       # [>= look_back, C, H, W] -> [horizon, C, H, W]
                                 # [n, >= look_back, C, H, W] -> [n, horizon, C, H, W]
    model.save(path); load(path) # config.json + weights.safetensors

:class:`GridForecaster` is the shared neural machinery (validation split, scaling, the
trainer, prediction, save/load); :class:`ConvLSTMForecaster` and :class:`FCLSTMForecaster`
only say which network to build. :class:`CopyLastFrame` is the baseline every model has to
beat. Two losses: ``bce`` (binary cross-entropy on logits; frames must lie in [0, 1], and
predictions are the sigmoid, i.e. pixel probabilities, as in Shi et al.) and ``mse``
(frames standardised per channel with the training part's mean and deviation).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from gatecast.checks import whole_number
from gatecast.errors import ConfigError, DataError, NotFittedError
from gatecast.grid.data import (
    FrameWindows,
    as_sequences,
    check_length,
    split_validation,
)
from gatecast.grid.fclstm import FCLSTMNet
from gatecast.io.model_file import reading
from gatecast.io.serialize import read_model, write_model
from gatecast.io.weights import bounded_network, load_weights
from gatecast.nn import CELLS, NetworkConfig
from gatecast.nn.convlstm import ConvLSTMConfig, ConvLSTMNet
from gatecast.training.config import TrainerConfig
from gatecast.training.trainer import resolve_device, train

LOSSES = ("bce", "mse")
PREDICT_BATCH = 64


def context_windows(context: Any, look_back: int, frame_shape: tuple[int, ...], name: str
                    ) -> tuple[np.ndarray, bool]:
    """The last ``look_back`` frames of each context, ``[n, look_back, C, H, W]``, and whether
    a single context ``[time, C, H, W]`` was given."""
    arr = np.asarray(context, dtype=np.float32)
    if arr.ndim not in (4, 5):
        raise DataError(f"{name}.predict takes a context [time, C, H, W] or [n, time, C, H, W],"
                        f" got {arr.ndim} dimensions {list(arr.shape)}")
    single = arr.ndim == 4
    seqs = as_sequences(arr, name="context")
    if tuple(seqs.shape[2:]) != tuple(frame_shape):
        raise DataError(f"{name} was fitted on frames of shape {list(frame_shape)} (C, H, W);"
                        f" the context has frames {list(seqs.shape[2:])}")
    if seqs.shape[1] < look_back:
        raise DataError(f"{name} needs a context of at least look_back={look_back} frames,"
                        f" got {seqs.shape[1]}")
    return seqs[:, -look_back:], single


@dataclass(kw_only=True)
class GridForecaster:
    """A network trained on windows of frames: ``look_back`` frames in, ``horizon`` out.

    Args:
        horizon: frames predicted.
        look_back: frames of context read by the encoder.
        loss: ``bce`` (frames in [0, 1], outputs are probabilities) or ``mse``.
        val_fraction: held out for the validation loss and best-epoch choice: the last
            sequences (many sequences) or the last frames (one movie); 0: none.
        trainer: optimiser, schedule, epochs, batch size, seed, device, checkpoints.
        alias: the model's name in tables.
    """

    horizon: int = 10
    look_back: int = 10
    loss: str = "bce"
    val_fraction: float = 0.1
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    alias: str | None = None

    default_name: ClassVar[str] = "grid"

    def __post_init__(self) -> None:
        if isinstance(self.trainer, dict):
            self.trainer = TrainerConfig(**self.trainer)
        self.horizon = whole_number(self.horizon, "horizon")
        self.look_back = whole_number(self.look_back, "look_back")
        if self.loss not in LOSSES:
            raise ConfigError(f"unknown loss {self.loss!r}; use {', '.join(LOSSES)}")
        if not 0 <= self.val_fraction < 1:
            raise ConfigError(f"val_fraction must be in [0, 1), got {self.val_fraction!r}")

    # -- what subclasses provide ------------------------------------------------------------
    def _network_config(self, frame_shape: tuple[int, int, int]) -> dict[str, Any]:
        raise NotImplementedError

    def _build(self, config: dict[str, Any]) -> nn.Module:
        raise NotImplementedError

    # -- parameters ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.alias or self.default_name

    def get_params(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def clone(self) -> Self:
        return type(self)(**self.get_params())

    # -- fitting ------------------------------------------------------------------------------
    def _loss_fn(self) -> Callable[[Tensor, Tensor], Tensor]:
        if self.loss == "bce":
            return F.binary_cross_entropy_with_logits  # mean over pixels
        return F.mse_loss

    def _scaling(self, train_seqs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-channel ``(loc, scale)`` ``[C, 1, 1]`` from the training sequences only."""
        channels = train_seqs.shape[2]
        if self.loss == "bce":
            lo, hi = float(train_seqs.min()), float(train_seqs.max())
            if lo < 0 or hi > 1:
                raise DataError(f"loss='bce' needs frames in [0, 1], got values in [{lo:.4g},"
                                f" {hi:.4g}]; rescale them or use loss='mse'")
            return np.zeros((channels, 1, 1), np.float32), np.ones((channels, 1, 1), np.float32)
        axes = (0, 1, 3, 4)
        loc = train_seqs.mean(axis=axes, dtype=np.float64)
        scale = train_seqs.std(axis=axes, dtype=np.float64)
        scale = np.where(scale > 1e-8 * (1 + np.abs(loc)), scale, 1.0)
        shape = (channels, 1, 1)
        return loc.reshape(shape).astype(np.float32), scale.reshape(shape).astype(np.float32)

    def fit(self, frames: Any) -> Self:
        """Train on ``frames`` [time, C, H, W] (one movie) or [samples, time, C, H, W]."""
        seqs = as_sequences(frames)
        check_length(seqs, self.look_back + self.horizon,
                     f"{self.name} with look_back={self.look_back} and horizon={self.horizon}")
        train_seqs, val_seqs = split_validation(seqs, self.look_back, self.horizon,
                                                self.val_fraction)
        loc, scale = self._scaling(train_seqs)
        source = FrameWindows((train_seqs - loc) / scale, self.look_back, self.horizon)
        val_source = (FrameWindows((val_seqs - loc) / scale, self.look_back, self.horizon)
                      if val_seqs is not None else None)
        frame_shape = tuple(int(v) for v in seqs.shape[2:])
        config = self._network_config(frame_shape)  # type: ignore[arg-type]
        torch.manual_seed(self.trainer.seed)  # initial weights are a function of the seed
        net = self._build(config)
        if self.loss == "bce":  # start at the mean pixel: training skips learning the background
            mean = float(np.clip(train_seqs.mean(), 1e-3, 1 - 1e-3))
            net.init_output_bias(math.log(mean / (1 - mean)))
        start = time.perf_counter()
        result = train(net, self._loss_fn(), source, self.trainer, val_source)
        self.fit_seconds_ = time.perf_counter() - start
        self.net_ = net.cpu().eval()
        self.network_ = config
        self.frame_shape_ = frame_shape
        self.loc_, self.scale_ = loc, scale
        self.history_ = result.history
        return self

    # -- prediction ---------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise NotFittedError(f"{self.name} is not fitted yet; call fit(frames) first")

    @torch.no_grad()
    def predict(self, context: Any) -> np.ndarray:
        """The ``horizon`` frames after ``context`` (its last ``look_back`` frames are used).

        ``[time, C, H, W]`` -> ``[horizon, C, H, W]``; ``[n, time, C, H, W]`` ->
        ``[n, horizon, C, H, W]``. Probabilities in [0, 1] for ``loss='bce'``.
        """
        self._check_fitted()
        x, single = context_windows(context, self.look_back, self.frame_shape_, self.name)
        x = (x - self.loc_) / self.scale_
        device = resolve_device(self.trainer.device)
        net = self.net_.to(device)
        parts = []
        for start in range(0, len(x), PREDICT_BATCH):
            batch = torch.from_numpy(np.ascontiguousarray(x[start:start + PREDICT_BATCH]))
            out = net(batch.to(device))  # [b, horizon, C, H, W]
            if self.loss == "bce":
                out = torch.sigmoid(out)
            parts.append(out.cpu().numpy())
        self.net_ = net.cpu()
        pred = np.concatenate(parts)
        if self.loss == "mse":
            pred = pred * self.scale_ + self.loc_
        pred = pred.astype(np.float32)
        return pred[0] if single else pred

    # -- saving -------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``config.json`` + ``weights.safetensors`` into the directory ``path``."""
        self._check_fitted()
        arrays = {f"net.{k}": v.detach().cpu().numpy() for k, v in self.net_.state_dict().items()}
        arrays["loc"], arrays["scale"] = self.loc_, self.scale_
        history = self.history_.astype(object).where(self.history_.notna(), None)
        fitted = {"network": self.network_, "frame_shape": list(self.frame_shape_),
                  "history": history.to_dict(orient="list"), "fit_seconds": self.fit_seconds_}
        return write_model(path, self, fitted, arrays)

    @classmethod
    def load(cls, path: str | Path) -> Any:
        with reading(path):
            return cls._load(path)

    @classmethod
    def _load(cls, path: str | Path) -> Any:
        klass, params, fitted, arrays = read_model(path)
        if not (isinstance(klass, type) and issubclass(klass, GridForecaster)):
            raise DataError(f"{path} holds a {klass.__name__}, not a gridded forecaster")
        model = klass(**params)
        model.network_ = fitted["network"]
        model.frame_shape_ = tuple(fitted["frame_shape"])
        model.fit_seconds_ = fitted["fit_seconds"]
        model.history_ = pd.DataFrame(fitted["history"]).astype(float)
        file = Path(path) / "weights.safetensors"
        net = bounded_network(lambda: model._build(model.network_), file, "the network")
        model.net_ = load_weights(net, arrays, "net.", file, "the network")
        model.loc_, model.scale_ = np.array(arrays["loc"]), np.array(arrays["scale"])
        return model


@dataclass(kw_only=True)
class ConvLSTMForecaster(GridForecaster):
    """ConvLSTM encoder-forecaster (see :mod:`gatecast.nn.convlstm` for the equations).

    Args:
        hidden_channels: channels of each ConvLSTM layer (the encoder and the forecaster
            stack have the same layers).
        kernel_size: odd side of the input-to-state and state-to-state kernels.
        peephole: per-pixel peephole terms ``W_c* ∘ C`` in the gates.
        patch_size: cut frames into P x P patches stacked as channels (``None``: the
            smallest of 1, 2, 4 that divides the frame and leaves at most 16 x 16 cells;
            64 x 64 frames get Shi et al.'s 4 x 4 patches).
    """

    hidden_channels: tuple[int, ...] = (32, 32)
    kernel_size: int = 5
    peephole: bool = True
    patch_size: int | None = None

    default_name: ClassVar[str] = "convlstm"

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.hidden_channels, int):
            self.hidden_channels = (self.hidden_channels,)
        self.hidden_channels = tuple(self.hidden_channels)
        if self.patch_size is not None:
            self.patch_size = whole_number(self.patch_size, "patch_size")
        # fail at construction on bad widths or kernel (frame size checked in fit)
        ConvLSTMConfig(1, (1, 1), self.horizon, self.hidden_channels, self.kernel_size)

    def _patch(self, rows: int, cols: int) -> int:
        if self.patch_size is not None:
            return self.patch_size
        for p in (1, 2, 4):
            if rows % p == 0 and cols % p == 0 and (rows // p) * (cols // p) <= 256:
                return p
        return next(p for p in (4, 2, 1) if rows % p == 0 and cols % p == 0)

    def _network_config(self, frame_shape: tuple[int, int, int]) -> dict[str, Any]:
        c, rows, cols = frame_shape
        return ConvLSTMConfig(
            channels=c, frame_size=(rows, cols), horizon=self.horizon,
            hidden_channels=self.hidden_channels, kernel_size=self.kernel_size,
            peephole=self.peephole, patch_size=self._patch(rows, cols)).to_dict()

    def _build(self, config: dict[str, Any]) -> nn.Module:
        return ConvLSTMNet(ConvLSTMConfig(**config))


@dataclass(kw_only=True)
class FCLSTMForecaster(GridForecaster):
    """FC-LSTM encoder-decoder on flattened frames (the paper's baseline).

    Args:
        hidden_size: LSTM units per layer.
        num_layers: stacked layers in the encoder and in the decoder.
        cell: ``peephole`` (the paper's FC-LSTM) or ``lstm``, ``gru``, ``rnn``.
    """

    hidden_size: int = 256
    num_layers: int = 1
    cell: str = "peephole"

    default_name: ClassVar[str] = "fc-lstm"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.hidden_size = whole_number(self.hidden_size, "hidden_size")
        self.num_layers = whole_number(self.num_layers, "num_layers")
        if self.cell not in CELLS:
            raise ConfigError(f"unknown cell {self.cell!r}; use {', '.join(CELLS)}")

    def _network_config(self, frame_shape: tuple[int, int, int]) -> dict[str, Any]:
        net = FCLSTMNet.make_config(frame_shape, self.look_back, self.horizon,
                                    self.hidden_size, self.num_layers, self.cell)
        return {"frame_shape": list(frame_shape), "network": dataclasses.asdict(net)}

    def _build(self, config: dict[str, Any]) -> nn.Module:
        return FCLSTMNet(NetworkConfig(**config["network"]), tuple(config["frame_shape"]))


@dataclass(kw_only=True)
class CopyLastFrame:
    """Baseline: every future frame is the last frame of the context."""

    horizon: int = 10
    look_back: int = 1
    alias: str | None = None

    def __post_init__(self) -> None:
        self.horizon = whole_number(self.horizon, "horizon")
        self.look_back = whole_number(self.look_back, "look_back")

    @property
    def name(self) -> str:
        return self.alias or "copy-last-frame"

    def get_params(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def fit(self, frames: Any) -> Self:
        seqs = as_sequences(frames)
        check_length(seqs, self.look_back, self.name)
        self.frame_shape_ = tuple(int(v) for v in seqs.shape[2:])
        return self

    def predict(self, context: Any) -> np.ndarray:
        if not hasattr(self, "frame_shape_"):
            raise NotFittedError(f"{self.name} is not fitted yet; call fit(frames) first")
        x, single = context_windows(context, self.look_back, self.frame_shape_, self.name)
        pred = np.repeat(x[:, -1:], self.horizon, axis=1)  # [n, horizon, C, H, W]
        return pred[0] if single else pred

    def save(self, path: str | Path) -> Path:
        if not hasattr(self, "frame_shape_"):
            raise NotFittedError(f"{self.name} is not fitted yet; call fit(frames) first")
        return write_model(path, self, {"frame_shape": list(self.frame_shape_)}, {})

    @classmethod
    def load(cls, path: str | Path) -> CopyLastFrame:
        with reading(path):
            klass, params, fitted, _ = read_model(path)
            model = klass(**params)
            model.frame_shape_ = tuple(fitted["frame_shape"])
        return model
