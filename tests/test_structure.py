"""Shallow classes: every registered forecaster is at most two gatecast classes below its base.

The style guide's rule (composition over inheritance): a model is its base plus at most
two levels (for example ``LocalForecaster`` and the StatsForecast adapter); a preset such as
SARIMA is a factory returning a configured class, not a subclass.
"""

from __future__ import annotations

import dataclasses

import pytest

from gatecast import catalog
from gatecast.models.arima import ARIMA, SARIMA
from gatecast.models.base import BaseForecaster
from gatecast.models.registry import accepts

MAX_BETWEEN = 2


def _between(cls: type) -> list[str]:
    """gatecast classes in ``cls``'s MRO strictly between it and BaseForecaster (or, for a
    class outside that hierarchy, above it)."""
    return [k.__qualname__ for k in cls.__mro__[1:]
            if k.__module__.startswith("gatecast.") and k is not BaseForecaster]


@pytest.mark.parametrize("entry", catalog.ENTRIES, ids=lambda e: e.target)
def test_registered_forecasters_are_at_most_two_levels_below_the_base(
        entry: catalog.Entry) -> None:
    target = catalog._import(entry.target)
    cls = target if isinstance(target, type) else target.cls  # a preset: the class it makes
    between = _between(cls)
    assert len(between) <= MAX_BETWEEN, (
        f"{entry.target}: {len(between)} gatecast classes between it and its base"
        f" ({' -> '.join(between)}); compose or make a preset instead of subclassing")


def test_sarima_is_a_preset_of_arima() -> None:
    assert isinstance(SARIMA, catalog.Preset) and SARIMA.cls is ARIMA
    model = SARIMA(season_length=12)
    assert type(model) is ARIMA and model.name == "SARIMA"
    assert (model.order, model.seasonal_order, model.season_length) == ((0, 1, 1), (0, 1, 1), 12)
    assert model.clone().name == "SARIMA"
    arima = {f.name for f in dataclasses.fields(ARIMA)}
    assert set(SARIMA.parameter_names()) == arima - {"preset"}
    assert accepts(SARIMA, "season_length") and not accepts(SARIMA, "preset")
