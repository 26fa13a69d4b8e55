"""Saving a fitted ``SequenceClassifier``: ``config.json`` + ``weights.safetensors``, no pickle.

The JSON holds the constructor parameters (trainer config nested), the network config,
the classes, the feature columns and the training history; safetensors holds the network
weights, the standardisation statistics and the class weights.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gatecast.classify.network import SequenceNet, SequenceNetConfig
from gatecast.errors import DataError, NotFittedError
from gatecast.io.model_file import reading
from gatecast.io.serialize import read_model, write_model
from gatecast.io.weights import bounded_network, load_weights

__all__ = ["load_classifier", "save_classifier"]


def save_classifier(model: Any, path: str | Path) -> Path:
    if not hasattr(model, "net_"):
        raise NotFittedError("the SequenceClassifier is not fitted yet; call fit(X, y) first")
    arrays: dict[str, np.ndarray] = {
        "mean": model.mean_, "std": model.std_, "class_weights": model.class_weights_,
    }
    for key, tensor in model.net_.state_dict().items():
        arrays[f"net.{key}"] = tensor.detach().cpu().numpy()
    fitted = {
        "network": dataclasses.asdict(model.net_config_),
        "classes": model.classes_.tolist(),
        "features": getattr(model, "features_", None),
        "best_epoch": int(model.best_epoch_),
        "fit_seconds": float(model.fit_seconds_),
        "val_accuracy": getattr(model, "val_accuracy_", None),
        "history": model.history_.to_dict(orient="list"),
    }
    return write_model(path, model, fitted, arrays)


def load_classifier(path: str | Path) -> Any:
    with reading(path):
        return _load(path)


def _load(path: str | Path) -> Any:
    cls, params, fitted, arrays = read_model(path)
    if "network" not in fitted or "classes" not in fitted:
        raise DataError(f"{path} holds a saved {cls.__name__}, not a SequenceClassifier")
    model = cls(**params)
    model.net_config_ = SequenceNetConfig(**fitted["network"])
    file = Path(path) / "weights.safetensors"
    net = bounded_network(lambda: SequenceNet(model.net_config_), file, "the network")
    model.net_ = load_weights(net, arrays, "net.", file, "the network")
    model.classes_ = np.asarray(fitted["classes"])
    model.mean_ = np.asarray(arrays["mean"], dtype=np.float32)
    model.std_ = np.asarray(arrays["std"], dtype=np.float32)
    model.class_weights_ = np.asarray(arrays["class_weights"])
    model.n_features_ = model.net_config_.input_size
    model.best_epoch_ = fitted["best_epoch"]
    model.fit_seconds_ = fitted["fit_seconds"]
    model.history_ = pd.DataFrame(fitted["history"])
    if fitted["features"] is not None:
        model.features_ = list(fitted["features"])
    if fitted["val_accuracy"] is not None:
        model.val_accuracy_ = fitted["val_accuracy"]
    return model
