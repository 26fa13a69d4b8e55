"""ARIMA-GARCH runs on the tutorial's own 45-point sales series: GARCH is fitted on the short
residual series with a warning that its intervals rest on little data, instead of refusing."""

from __future__ import annotations

import numpy as np
import pytest

from gatecast import datasets
from gatecast.data.frame import from_array
from gatecast.errors import DataError
from gatecast.models.garch import ARIMAGARCH, MIN_GARCH_RESIDUALS


def test_garch_fits_the_45_point_sales_series_with_a_warning() -> None:
    df = datasets.load("sales")
    assert len(df) == 45
    with pytest.warns(UserWarning, match=f"fewer than {MIN_GARCH_RESIDUALS} ARIMA residuals"):
        model = ARIMAGARCH(order=(1, 1, 0)).fit(df)
    fc = model.predict(6, level=[80, 95])
    name = model.name
    assert np.isfinite(fc[name]).all()
    lo95, lo80 = fc[f"{name}-lo-95"].to_numpy(), fc[f"{name}-lo-80"].to_numpy()
    hi80, hi95 = fc[f"{name}-hi-80"].to_numpy(), fc[f"{name}-hi-95"].to_numpy()
    assert (lo95 < lo80).all() and (lo80 < fc[name]).all() and (hi80 < hi95).all()


def test_long_series_fit_without_the_warning(recwarn: pytest.WarningsRecorder) -> None:
    rng = np.random.default_rng(0)
    y = np.cumsum(rng.normal(0, 1, 200)) + 100
    ARIMAGARCH(order=(1, 1, 0)).fit(datasets_frame(y))
    assert not [w for w in recwarn if "ARIMA residuals" in str(w.message)]


def test_too_short_for_any_garch_is_still_a_clear_error() -> None:
    y = np.linspace(1, 2, 15) + np.sin(np.arange(15))
    with pytest.raises(DataError, match=r"too short|need"):
        ARIMAGARCH(order=(1, 1, 0)).fit(datasets_frame(y))


def datasets_frame(y: np.ndarray):
    return from_array(y, freq="MS")
