"""The log average of the pretrained forecast (pretrained/inference.forecast): positive
series average the forecast made on their values with the one made on their logarithms;
models saved before the option forecast as they did
(tests/test_pretrained_seasonal_view.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gatecast.errors import ConfigError
from gatecast.metrics.point import mase
from gatecast.models.pretrained import Pretrained
from gatecast.pretrained.inference import forecast, forecast_quantiles
from gatecast.pretrained.store import cached_weights

FAST = {"max_steps": 30, "seed": 0}


def _series() -> list[np.ndarray]:
    t = np.arange(48)
    positive = 100 * 1.02 ** t * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
    crossing = 5 * np.sin(2 * np.pi * t / 12) + 0.1 * t  # negative values: no log view
    return [positive, crossing]


def test_positive_series_average_the_value_and_log_forecasts() -> None:
    net = cached_weights()
    ys, seasons = _series(), np.array([12, 12])
    plain = forecast_quantiles(net, ys, seasons, 10)
    logged = np.exp(forecast_quantiles(net, [np.log(ys[0])], seasons[:1], 10))[0]
    both = forecast(net, ys, seasons, 10, seasonal_view=False)
    np.testing.assert_allclose(both[0], (plain[0] + logged) / 2, rtol=1e-12)
    np.testing.assert_array_equal(both[1], plain[1])  # not positive: the plain forecast
    np.testing.assert_array_equal(
        forecast(net, ys, seasons, 10, log_average=False, seasonal_view=False), plain)
    assert np.all(np.diff(both[0], axis=-1) >= 0)  # the average keeps quantiles ordered


def test_only_the_points_the_network_reads_must_be_positive() -> None:
    net = cached_weights()
    y = np.concatenate([[-1.0], np.linspace(10, 20, 40)])  # the -1 is outside a 32-point read
    got = forecast(net, [y], np.array([1]), 5, context=32)
    plain = forecast_quantiles(net, [y], np.array([1]), 5, context=32)
    assert not np.allclose(got, plain)
    np.testing.assert_array_equal(forecast(net, [y], np.array([1]), 5, context=41),
                                  forecast_quantiles(net, [y], np.array([1]), 5, context=41))


def test_the_log_average_forecasts_a_multiplicative_season_better() -> None:
    t = np.arange(120)
    y = 50 * 1.015 ** t * (1 + 0.4 * np.sin(2 * np.pi * t / 12))
    train, test = y[:96], y[96:]
    frame = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2000-01", periods=96,
                                                                freq="MS"), "y": train})
    on = Pretrained(seasonal_view=False).fit(frame).predict(24)["Pretrained"].to_numpy()
    off = Pretrained(log_average=False, seasonal_view=False).fit(frame).predict(24)[
        "Pretrained"].to_numpy()
    assert mase(test, on, train, 12) < mase(test, off, train, 12)


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_log_average_must_be_a_bool(bad: object) -> None:
    with pytest.raises(ConfigError, match="log_average"):
        Pretrained(log_average=bad)
