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
import pandas as pd
import torch

from gatecast.checks import MAX_MEMBERS, MAX_PARAMETERS, MAX_QUANTILES, MAX_SEASON_LENGTH
from gatecast.data.transforms import Pipeline
from gatecast.errors import ConfigError, NotFittedError
from gatecast.io.model_file import CONFIG, WEIGHTS, bounded, expect_type, fail, reading
from gatecast.io.serialize import (
    check_all_used,
    flatten,
    read_model,
    restore_series_meta,
    series_meta,
    unflatten,
    write_model,
)
from gatecast.io.weights import load_weights
from gatecast.models.recurrent_covariates import FittedCovariates, Standardizer
from gatecast.models.recurrent_pretrained import PretrainedPart, check_weights, shipped
from gatecast.nn import NetworkConfig, build_network
from gatecast.pretrained.views import MAX_SEASON_WINDOW

FITTED = {"series", "freq", "last_ds", "network", "members", "quantiles", "pipeline",
          "transform", "history"}
COVARIATES = ("cov.history_loc", "cov.history_scale", "cov.static_loc", "cov.static_scale",
              "cov.static", "cov.tails")


def save_recurrent(model: Any, path: str | Path) -> Path:
    if not hasattr(model, "nets_"):
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
    part = getattr(model, "pretrained_", None)
    if part is not None:
        arrays["pretrained.contexts"] = part.contexts
    fitted = {
        **series_meta(model),
        "pretrained": None if part is None else {"sha256": part.sha256,
                                                 "season_length": part.season_length,
                                                 "log_average": part.log_average,
                                                 "seasonal_view": part.seasonal_view,
                                                 "season_window": part.season_window,
                                                 "weight": part.weight},
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


def _networks(fitted: dict[str, Any], file: Path) -> list[NetworkConfig]:
    """The members' network configs, sizes bounded, parameters counted on the meta device."""
    members = bounded(fitted["members"], "members", file, MAX_MEMBERS, minimum=1)
    raw = fitted.get("networks", [fitted["network"]] * members)
    if not isinstance(raw, list) or len(raw) != members:
        raise fail(file, f"'networks' must list one config per member ({members})")
    configs = []
    for k, cfg in enumerate(raw):
        config = NetworkConfig(**expect_type(cfg, dict, f"networks[{k}]", file))
        with torch.device("meta"):
            n = sum(p.numel() for p in build_network(config).state_dict().values())
        if n > MAX_PARAMETERS:
            raise fail(file, f"member {k}'s network has {n:,} parameters, above gatecast's"
                       f" limit of {MAX_PARAMETERS:,}")
        configs.append(config)
    return configs


def _member(config: NetworkConfig, arrays: dict[str, np.ndarray], k: int,
            file: Path) -> torch.nn.Module:
    """Member ``k``'s network with its saved weights, names, shapes and dtypes checked."""
    return load_weights(build_network(config), arrays, f"member{k}.", file, f"member {k}")


def load_recurrent(path: str | Path) -> Any:
    with reading(path):
        return _load(Path(path))


def _load(path: Path) -> Any:
    cls, params, fitted, arrays = read_model(path)
    file, weights = path / CONFIG, path / WEIGHTS
    missing = sorted(FITTED - set(fitted))
    if missing or set(fitted) - FITTED - {"networks", "pretrained", "season_length"}:
        raise fail(file, f"holds a {cls.__name__}, not a saved recurrent forecaster"
                   f" (fitted keys {sorted(fitted)[:6]})")
    model = cls(**params)
    if not hasattr(model, "_configs"):
        raise fail(file, f"class {cls.__name__} is not a recurrent forecaster")
    restore_series_meta(model, fitted, file)
    model.network_config_ = NetworkConfig(**expect_type(fitted["network"], dict, "network",
                                                        file))
    model.network_configs_ = _networks(fitted, file)
    quantiles = expect_type(fitted["quantiles"], list, "quantiles", file)
    if len(quantiles) > MAX_QUANTILES or not all(
            isinstance(q, float) and 0 < q < 1 for q in quantiles):
        raise fail(file, "quantiles must be at most 99 numbers strictly between 0 and 1")
    model.quantiles_ = quantiles
    tails = arrays.get("tails")
    if tails is None or tails.ndim != 2 or tails.shape[0] != len(model.series_):
        raise fail(weights, f"'tails' must be a [series, look_back] array for"
                   f" {len(model.series_)} series")
    model.tails_ = tails
    model.transform_ = fitted.get("transform", model.window.transform)
    model.history_ = pd.DataFrame(expect_type(fitted["history"], dict, "history", file))
    model.nets_ = [_member(cfg, arrays, k, weights)
                   for k, cfg in enumerate(model.network_configs_)]
    used = {"tails", *(key for key in arrays if key.startswith("member"))}
    model.covariates_ = None
    if any(key.startswith("cov.") for key in arrays):
        cov = {key: arrays[key] for key in COVARIATES}  # KeyError: one missing
        model.covariates_ = FittedCovariates(
            model.covariates,
            Standardizer(cov["cov.history_loc"], cov["cov.history_scale"]),
            Standardizer(cov["cov.static_loc"], cov["cov.static_scale"]),
            cov["cov.static"], cov["cov.tails"])
        used |= set(COVARIATES)
    model.pipeline_ = None
    if fitted["pipeline"] is not None:
        pipe = expect_type(fitted["pipeline"], dict, "pipeline", file)
        state = unflatten(pipe["state"], arrays, used)
        model.pipeline_ = Pipeline.from_state(pipe["params"], state)
    model.pretrained_ = _pretrained_part(fitted.get("pretrained"), arrays, model, file)
    if model.pretrained_ is not None:
        used.add("pretrained.contexts")
    check_all_used(arrays, used, path)
    return model


def _pretrained_part(raw: Any, arrays: dict[str, np.ndarray], model: Any, file: Path
                     ) -> PretrainedPart | None:
    """The pretrained forecast's contexts of a model that adds it (None for one that does
    not); the model must have been fitted with the pretrained weights gatecast ships."""
    if raw is None:
        return None
    raw = expect_type(raw, dict, "pretrained", file)
    try:
        check_weights(raw.get("sha256"))
    except ConfigError as exc:
        raise fail(file, str(exc)) from None
    m = bounded(raw.get("season_length"), "pretrained season_length", file, MAX_SEASON_LENGTH,
                minimum=1)
    contexts = arrays.get("pretrained.contexts")
    if (contexts is None or contexts.ndim != 2 or contexts.shape[0] != len(model.series_)
            or not 1 <= contexts.shape[1] <= shipped()[0].cfg.max_context):
        raise fail(file, "'pretrained.contexts' must be a [series, context] array for"
                   f" {len(model.series_)} series")
    # files from before the log average / the seasonal view forecast without them
    log_average, seasonal_view = raw.get("log_average", False), raw.get("seasonal_view", False)
    for name, value in (("log_average", log_average), ("seasonal_view", seasonal_view)):
        if not isinstance(value, bool):
            raise fail(file, f"'pretrained.{name}' must be true or false")
    window = raw.get("season_window")  # files from before it: indices from every season
    if window is not None:
        window = bounded(window, "'pretrained.season_window'", file, MAX_SEASON_WINDOW,
                         minimum=1)
    weight = raw.get("weight", 0.5)  # files from before it was saved averaged evenly
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
        raise fail(file, "'pretrained.weight' must be a number from 0 to 1")
    return PretrainedPart(contexts.astype(np.float64), m, str(raw["sha256"]), log_average,
                          float(weight), seasonal_view, window)
