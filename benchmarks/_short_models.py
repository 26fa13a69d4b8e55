"""The models of ``short_series.py``: gatecast's own, StatsForecast's AutoTheta through a
small adapter (gatecast's ``theta`` is the standard Theta method, theta = 2), and the
pretrained forecaster when the installed gatecast has it."""

from __future__ import annotations

import dataclasses
from typing import Any

from statsforecast.models import AutoTheta as _SFAutoTheta

from gatecast.data.season import check_season_length
from gatecast.errors import ConfigError
from gatecast.models.registry import accepts, make_model, model_class
from gatecast.models.statsforecast import StatsForecastModel
from gatecast.training.config import TrainerConfig

#: --models names, in table order.
MODEL_NAMES = ("snaive", "autoarima", "autoets", "autotheta", "lstm", "pretrained",
               "pretrained-ft")
#: Models whose minimum lengths fix the folds (the same folds whichever models are run).
FOLD_MODELS = ("snaive", "autoarima", "autoets", "autotheta", "lstm")


@dataclasses.dataclass
class AutoTheta(StatsForecastModel):
    """StatsForecast's AutoTheta (Fiorucci et al., 2016): the standard, optimised, dynamic
    standard and dynamic optimised Theta models, the best by in-sample MSE, after a
    multiplicative seasonal decomposition when a 90% test at lag ``m`` finds a season."""

    season_length: int = 1
    cli_name = "autotheta"

    def __post_init__(self) -> None:
        self.season_length = check_season_length(self.season_length)

    def min_length(self) -> int:
        return 5

    def _new_model(self) -> _SFAutoTheta:
        return _SFAutoTheta(season_length=self.season_length)


class Unavailable(Exception):
    """A model the installed gatecast does not have (the line says which and why)."""


def pretrained_class() -> type:
    """``gatecast.pretrained``'s forecaster (registry name ``pretrained``)."""
    try:
        return model_class("pretrained")
    except (ConfigError, ImportError):
        raise Unavailable("model not available: gatecast.pretrained is not in this checkout"
                          " (its rows are left out)") from None


def build(name: str, m: int, h: int, seeds: list[int], finetune: int) -> list[Any]:
    """The model(s) ``name`` stands for on a dataset with season ``m`` and horizon ``h``
    (one per seed for the lstm)."""
    if name == "snaive":
        return [make_model("snaive", season_length=m, alias="snaive")]
    if name == "autoarima":
        return [make_model("autoarima", season_length=m, alias="autoarima")]
    if name == "autoets":
        return [make_model("ets", season_length=m, model="ZZZ", alias="autoets")]
    if name == "autotheta":
        return [AutoTheta(season_length=m, alias="autotheta")]
    if name == "lstm":
        return [make_model("lstm", season_length=m, horizon=h, trainer=TrainerConfig(seed=s),
                           alias="lstm" if len(seeds) == 1 else f"lstm s{s}")
                for s in seeds]
    if name in ("pretrained", "pretrained-ft"):
        cls = pretrained_class()
        steps = 0 if name == "pretrained" else finetune
        params: dict[str, Any] = {"season_length": m, "horizon": h,
                                  "alias": "pretrained" if steps == 0 else f"pretrained ft{steps}"}
        if accepts(cls, "finetune"):
            params["finetune"] = steps
        elif steps:
            raise Unavailable(f"model not available: {cls.__name__} takes no finetune")
        if accepts(cls, "seed"):
            params["seed"] = seeds[0]
        return [make_model("pretrained", **params)]
    raise ConfigError(f"unknown model {name!r}; choose from {', '.join(MODEL_NAMES)}")


def fold_need(m: int, h: int) -> int:
    """The longest minimum length among the fold-fixing models."""
    return max(mdl.min_length() for name in FOLD_MODELS for mdl in build(name, m, h, [0], 0))
