"""Saving recurrent forecasters: ``config.json`` + ``weights.safetensors``, no pickle.

The JSON holds the forecaster's parameters (the trainer config nested), the network
config, the fitted metadata and the transform's scalar state; safetensors holds every
member network's weights, the transform's arrays, the last input windows and the
covariates' scalers, static features and last windows.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gatecast.data.transforms import Pipeline
from gatecast.io.serialize import (
    flatten,
    read_model,
    restore_series_meta,
    series_meta,
    unflatten,
    write_model,
)
from gatecast.models.recurrent_covariates import FittedCovariates, Standardizer
from gatecast.nn import NetworkConfig, build_network


def save_recurrent(model: Any, path: str | Path) -> Path:
    if not hasattr(model, "nets_"):
        from gatecast.errors import NotFittedError

        raise NotFittedError(f"{model.name} is not fitted yet; call fit(frame) first")
    arrays: dict[str, np.ndarray] = {"tails": model.tails_}
    for k, net in enumerate(model.nets_):
        for key, tensor in net.state_dict().items():
            arrays[f"member{k}.{key}"] = tensor.detach().cpu().numpy()
    pipeline = None
    if model.pipeline_ is not None:
        pipeline = {"params": model.pipeline_.get_params(),
                    "state": flatten(model.pipeline_.state_dict(), arrays, "transform")}
    covs = getattr(model, "covariates_", None)
    if covs is not None:
        arrays.update({"cov.history_loc": covs.history_scaler.loc,
                       "cov.history_scale": covs.history_scaler.scale,
                       "cov.static_loc": covs.static_scaler.loc,
                       "cov.static_scale": covs.static_scaler.scale,
                       "cov.static": covs.static, "cov.tails": covs.tails})
    fitted = {
        **series_meta(model),
        "network": dataclasses.asdict(model.network_config_),
        # one per member: members of a look-back ensemble differ in look_back and patch
        "networks": [dataclasses.asdict(cfg) for cfg in model._configs()],
        "members": len(model.nets_),
        "quantiles": list(model.quantiles_),
        "pipeline": pipeline,
        "transform": model.transform_,
        "history": model.history_.to_dict(orient="list"),
    }
    return write_model(path, model, fitted, arrays)


def load_recurrent(path: str | Path) -> Any:
    import pandas as pd

    cls, params, fitted, arrays = read_model(path)
    model = cls(**params)
    restore_series_meta(model, fitted)
    model.network_config_ = NetworkConfig(**fitted["network"])
    model.network_configs_ = [NetworkConfig(**c) for c in fitted.get(
        "networks", [fitted["network"]] * fitted["members"])]
    model.quantiles_ = fitted["quantiles"]
    model.tails_ = arrays["tails"]
    model.transform_ = fitted.get("transform", model.transform)
    model.history_ = pd.DataFrame(fitted["history"])
    model.nets_ = []
    for k in range(fitted["members"]):
        net = build_network(model.network_configs_[k])
        prefix = f"member{k}."
        state = {key[len(prefix):]: torch.from_numpy(np.array(v))
                 for key, v in arrays.items() if key.startswith(prefix)}
        net.load_state_dict(state)
        net.eval()
        model.nets_.append(net)
    model.covariates_ = None
    if "cov.tails" in arrays:
        model.covariates_ = FittedCovariates(
            model._covariate_spec(),
            Standardizer(arrays["cov.history_loc"], arrays["cov.history_scale"]),
            Standardizer(arrays["cov.static_loc"], arrays["cov.static_scale"]),
            arrays["cov.static"], arrays["cov.tails"])
    model.pipeline_ = None
    if fitted["pipeline"] is not None:
        state = unflatten(fitted["pipeline"]["state"], arrays)
        model.pipeline_ = Pipeline.from_state(fitted["pipeline"]["params"], state)
    return model
