"""``SequenceClassifier``: one label per sequence, from a recurrent network.

A classifier = a network (:class:`~gatecast.classify.network.SequenceNet`: a recurrent
stack read to the last step, then a linear head) + per-feature standardisation + the shared
trainer (:func:`gatecast.training.trainer.train`). It minimises the (class-weighted)
cross-entropy of the softmax over the logits ``s``::

    loss = - Σ_i w_{y_i} log softmax(s_i)_{y_i} / Σ_i w_{y_i}

Everything learned (standardisation, classes, weights) is fitted inside :meth:`fit` on the
training part only; the validation part (``val_size``) serves early stopping and the choice
of the best epoch.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import torch
from torch import Tensor
from torch.nn import functional as F

from gatecast.checks import whole_number
from gatecast.classify.data import (
    check_labels,
    check_sequences,
    sequences_from_frame,
    stratified_split,
)
from gatecast.classify.io import load_classifier, save_classifier
from gatecast.classify.metrics import accuracy
from gatecast.classify.network import SequenceNet, SequenceNetConfig
from gatecast.classify.source import SequenceSource, feature_stats
from gatecast.errors import ConfigError, DataError, NotFittedError
from gatecast.nn import CELLS
from gatecast.training.config import TrainerConfig
from gatecast.training.trainer import TrainResult, resolve_device, train

__all__ = ["SequenceClassifier", "class_weight_vector"]

#: samples per forward pass at prediction time
PREDICT_BATCH = 1024


def class_weight_vector(spec: str | Sequence[float] | None, counts: np.ndarray) -> np.ndarray:
    """Per-class loss weights ``[n_classes]``: ones (``None``), ``n / (k * count_c)``
    (``"balanced"``: every class weighs as much in total) or the given list."""
    k = counts.size
    if spec is None:
        return np.ones(k)
    if isinstance(spec, str):
        return counts.sum() / (k * counts.astype(np.float64))
    weights = np.asarray(spec, dtype=np.float64)
    if weights.shape != (k,):
        raise ConfigError(f"class_weights has {weights.size} entries but y has {k} classes; "
                          "give one weight per class, in sorted class order")
    return weights


@dataclasses.dataclass(kw_only=True)
class SequenceClassifier:
    """Classify whole sequences ``X [samples, time, features]`` with a recurrent network.

    Args:
        cell: ``lstm``, ``gru``, ``rnn`` (Elman) or ``peephole``.
        hidden_size, num_layers: width and depth of the recurrent stack.
        bidirectional: add a second stack reading the sequence backwards.
        dropout: between recurrent layers and before the linear head.
        class_weights: ``None`` (all 1), ``"balanced"`` or one weight per class (classes
            in sorted order) for the cross-entropy.
        val_size: fraction of the training samples held out, per class (stratified, seeded
            by ``trainer.seed``), for early stopping and the best-epoch choice; 0 for none.
        standardize: scale every feature to mean 0 / std 1 with training statistics.
        shift_augment: random zero-filled shifts of up to this many steps and features
            per training sample (for image-like sequences, see
            :mod:`gatecast.classify.source`); 0 for none.
        trainer: optimiser, schedule, epochs, batch size, patience, seed, device,
            checkpoints, progress bar.
    """

    cell: str = "lstm"
    hidden_size: int = 128
    num_layers: int = 2
    bidirectional: bool = False
    dropout: float = 0.0
    class_weights: str | tuple[float, ...] | None = None
    val_size: float = 0.1
    standardize: bool = True
    shift_augment: int = 0
    trainer: TrainerConfig = dataclasses.field(default_factory=TrainerConfig)

    def __post_init__(self) -> None:
        if isinstance(self.trainer, dict):
            self.trainer = TrainerConfig(**self.trainer)
        if not isinstance(self.trainer, TrainerConfig):
            raise ConfigError("trainer must be a TrainerConfig (or its dict)")
        if self.cell not in CELLS:
            raise ConfigError(f"unknown cell {self.cell!r}; use {', '.join(CELLS)}")
        cw = self.class_weights
        if isinstance(cw, str):
            if cw != "balanced":
                raise ConfigError(f"class_weights must be None, 'balanced' or a list of numbers, "
                                  f"got {cw!r}")
        elif cw is not None:
            values = tuple(float(v) for v in cw)
            if not values or not all(math.isfinite(v) and v > 0 for v in values):
                raise ConfigError("class_weights must be positive finite numbers")
            self.class_weights = values
        v = self.val_size
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0.0 <= v < 1.0:
            raise ConfigError(f"val_size is a fraction in [0, 1), got {v!r}")
        self.shift_augment = whole_number(self.shift_augment, "shift_augment", minimum=0)
        # the network config checks the remaining sizes now rather than deep inside fit
        self._net_config(1, 2)

    def get_params(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def _net_config(self, n_features: int, n_classes: int) -> SequenceNetConfig:
        return SequenceNetConfig(
            cell=self.cell, input_size=n_features, n_classes=n_classes,
            hidden_size=self.hidden_size, num_layers=self.num_layers,
            bidirectional=self.bidirectional, dropout=self.dropout,
        )

    # -- fitting -----------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> Self:
        """Train on ``X [samples, time, features]`` (or ``[samples, time]``) and ``y
        [samples]`` (integer or string labels)."""
        x = check_sequences(X)
        labels = check_labels(y, x.shape[0])
        for stale in ("features_", "val_accuracy_"):  # features_ is set again by fit_frame
            self.__dict__.pop(stale, None)
        classes, codes = np.unique(labels, return_inverse=True)
        if classes.size < 2:
            raise DataError(f"y has a single class ({classes[0]!r}); a classifier needs two or "
                            "more")
        cfg = self.trainer
        if self.val_size > 0:
            train_idx, val_idx = stratified_split(codes, self.val_size, cfg.seed)
        else:
            train_idx, val_idx = np.arange(codes.size), np.arange(0)
        x_train = x[train_idx]  # [n_train, time, features]
        if self.standardize:
            mean, std = feature_stats(x_train)
        else:
            mean = np.zeros(x.shape[2], np.float32)
            std = np.ones(x.shape[2], np.float32)
        counts = np.bincount(codes[train_idx], minlength=classes.size)
        if np.any(counts == 0):
            raise DataError("a class has no training sample left after the validation split; "
                            "use a smaller val_size or more data")
        weights = class_weight_vector(self.class_weights, counts)

        def source(idx: np.ndarray, shift: int) -> SequenceSource:
            return SequenceSource(
                torch.from_numpy(x[idx]), torch.from_numpy(codes[idx].astype(np.int64)),
                torch.from_numpy(mean), torch.from_numpy(std), shift, cfg.seed)

        train_source = source(train_idx, self.shift_augment)
        val_source = source(val_idx, 0) if val_idx.size else None
        net_config = self._net_config(x.shape[2], classes.size)
        torch.manual_seed(cfg.seed)
        net = SequenceNet(net_config)
        start = time.perf_counter()
        result: TrainResult = train(net, _weighted_cross_entropy(weights), train_source, cfg,
                                    val_source)
        self.fit_seconds_ = time.perf_counter() - start
        self.net_ = net
        self.net_config_ = net_config
        self.classes_ = classes
        self.mean_, self.std_ = mean, std
        self.class_weights_ = weights
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.n_features_ = x.shape[2]
        if val_idx.size:
            self.val_accuracy_ = accuracy(labels[val_idx], self.predict(x[val_idx]))
        return self

    def fit_frame(self, data: Any, labels: Any, features: Sequence[str] | None = None,
                  label_col: str | None = None) -> Self:
        """Train on a long frame (``unique_id``, ``ds``, ``y`` [+ feature columns]) with one
        label per ``unique_id`` (a Series, dict, or frame with ``unique_id`` + a label
        column); see :func:`gatecast.classify.data.sequences_from_frame`."""
        seqs = sequences_from_frame(data, labels, features, label_col)
        self.fit(seqs.x, seqs.y)
        self.features_ = seqs.features  # predict_frame reads the same columns
        return self

    # -- prediction --------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise NotFittedError("the SequenceClassifier is not fitted yet; call fit(X, y) first")

    @torch.no_grad()
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``[samples, n_classes]``, columns in ``classes_`` order.

        Sequences may have another length than the training ones; the features must match.
        """
        self._check_fitted()
        x = check_sequences(X)
        if x.shape[2] != self.n_features_:
            raise DataError(f"X has {x.shape[2]} feature(s) per step but the classifier was "
                            f"fitted on {self.n_features_}")
        device = resolve_device(self.trainer.device)
        net = self.net_.to(device).eval()
        mean = torch.from_numpy(self.mean_).to(device)
        std = torch.from_numpy(self.std_).to(device)
        out = []
        for start in range(0, x.shape[0], PREDICT_BATCH):
            chunk = torch.from_numpy(x[start:start + PREDICT_BATCH]).to(device)
            logits = net((chunk - mean) / std)  # [chunk, n_classes]
            out.append(torch.softmax(logits.double(), dim=1).cpu().numpy())
        return np.concatenate(out)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sequence ``[samples]``."""
        self._check_fitted()
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def score(self, X: Any, y: Any) -> float:
        """Accuracy on ``(X, y)``: the share of sequences classified correctly."""
        pred = self.predict(X)
        return accuracy(check_labels(y, pred.shape[0]), pred)

    def predict_frame(self, data: Any) -> pd.DataFrame:
        """Predictions for a long frame: ``unique_id``, ``prediction`` and one probability
        column ``p_<class>`` per class."""
        seqs = sequences_from_frame(data, None, getattr(self, "features_", None))
        proba = self.predict_proba(seqs.x)
        out = pd.DataFrame({"unique_id": seqs.ids,
                            "prediction": self.classes_[proba.argmax(1)]})
        for k, c in enumerate(self.classes_):
            out[f"p_{c}"] = proba[:, k]
        return out

    # -- persistence -------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``config.json`` + ``weights.safetensors`` into the directory ``path``."""
        return save_classifier(self, path)

    @classmethod
    def load(cls, path: str | Path) -> SequenceClassifier:
        return load_classifier(path)


def _weighted_cross_entropy(weights: np.ndarray) -> Any:
    w = torch.as_tensor(weights, dtype=torch.float32)

    def loss(logits: Tensor, target: Tensor) -> Tensor:
        # logits [batch, n_classes], target [batch] class codes
        return F.cross_entropy(logits, target, weight=w.to(logits.device))

    return loss
