"""Unit tests of gatecast.metrics (hand-computed values) and the decomposition kernels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gatecast.errors import ConfigError, DataError
from gatecast.metrics import (
    METRICS,
    coverage,
    m4_scores,
    m4_series_scores,
    mae,
    mape,
    mase,
    mase_scale,
    mse,
    msis,
    owa,
    pinball,
    r2,
    rmse,
    smape,
)
from gatecast.models.kernels.decompose import (
    acf,
    naive2,
    seasonal_indices,
    seasonal_naive,
    seasonality_test,
)

# y = [1, 2, 3, 4], y_hat = [2, 2, 1, 5]: errors y - y_hat = [-1, 0, 2, -1]
Y = np.array([1.0, 2.0, 3.0, 4.0])
F = np.array([2.0, 2.0, 1.0, 5.0])


# ---------------------------------------------------------------- point metrics, scalars


def test_mse_rmse_mae_hand_computed() -> None:
    assert mse(Y, F) == pytest.approx((1 + 0 + 4 + 1) / 4)
    assert rmse(Y, F) == pytest.approx(math.sqrt(1.5))
    assert mae(Y, F) == pytest.approx((1 + 0 + 2 + 1) / 4)


def test_mape_hand_computed_on_0_100_scale() -> None:
    expected = 100 * (1 / 1 + 0 / 2 + 2 / 3 + 1 / 4) / 4
    assert mape(Y, F) == pytest.approx(expected)
    assert mape([2.0], [1.0]) == pytest.approx(50.0)


def test_smape_hand_computed_on_0_200_scale() -> None:
    # 200 * |y - f| / (|y| + |f|): 2/3, 0, 4/4, 2/9 -> times 100
    expected = 200 * (1 / 3 + 0 / 4 + 2 / 4 + 1 / 9) / 4
    assert smape(Y, F) == pytest.approx(expected)
    # the maximum, 200, for forecasts of opposite sign or a zero against a non-zero
    assert smape([1.0], [-1.0]) == pytest.approx(200.0)
    assert smape([5.0], [0.0]) == pytest.approx(200.0)


def test_r2_hand_computed() -> None:
    # SS_res = 1 + 0 + 4 + 1 = 6, SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5
    assert r2(Y, F) == pytest.approx(1 - 6 / 5)
    assert r2(Y, Y) == pytest.approx(1.0)
    assert r2(Y, np.full(4, Y.mean())) == pytest.approx(0.0)


def test_scalar_results_are_python_floats() -> None:
    for fn in METRICS.values():
        assert type(fn(Y, F)) is float


def test_metrics_registry() -> None:
    assert set(METRICS) == {"mse", "rmse", "mae", "mape", "smape", "r2"}
    assert METRICS["smape"] is smape
    assert METRICS["r2"](Y, F) == pytest.approx(-0.2)


# ---------------------------------------------------------------- edge cases


def test_smape_zero_over_zero_is_zero() -> None:
    # terms: 0/0 -> 0, 200 * 1 / 1 = 200, 0 -> mean 200/3
    assert smape([0.0, 0.0, 1.0], [0.0, 1.0, 1.0]) == pytest.approx(200 / 3)
    assert smape([0.0, 0.0], [0.0, 0.0]) == 0.0
    assert np.isfinite(smape(np.zeros(5), np.zeros(5)))


def test_mape_with_zero_actuals() -> None:
    assert mape([0.0, 1.0], [0.0, 1.5]) == pytest.approx(25.0)  # 0/0 -> 0
    assert math.isinf(mape([0.0, 1.0], [0.1, 1.0]))


def test_r2_constant_actuals() -> None:
    assert r2([3.0, 3.0], [3.0, 3.0]) == 1.0
    assert math.isnan(r2([3.0, 3.0], [3.0, 4.0]))


def test_shape_mismatch_and_empty_raise() -> None:
    with pytest.raises(DataError):
        mae([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):  # DataError is a ValueError
        smape([], [])


# ---------------------------------------------------------------- per-row axis


def test_axis_minus_one_scores_each_row() -> None:
    y = np.array([[1.0, 2.0, 3.0, 4.0], [10.0, 10.0, 10.0, 10.0]])
    f = np.array([[2.0, 2.0, 1.0, 5.0], [10.0, 12.0, 8.0, 10.0]])
    for name, fn in METRICS.items():
        rows = fn(y, f, axis=-1)
        assert isinstance(rows, np.ndarray), name
        assert rows.shape == (2,), name
        if name == "r2":
            assert rows[0] == pytest.approx(-0.2)
            assert math.isnan(rows[1])  # constant row
            continue
        for i in range(2):
            assert rows[i] == pytest.approx(fn(y[i], f[i])), name
    # second row by hand: errors [0, -2, 2, 0]
    assert mae(y, f, axis=-1)[1] == pytest.approx(1.0)
    assert smape(y, f, axis=-1)[1] == pytest.approx(200 * (2 / 22 + 2 / 18) / 4)
    assert mape(y, f, axis=-1)[1] == pytest.approx(100 * (0.2 + 0.2) / 4)
    assert rmse(y, f, axis=-1)[1] == pytest.approx(math.sqrt(2.0))


def test_axis_none_pools_everything() -> None:
    y = np.array([[1.0, 2.0], [3.0, 5.0]])
    f = np.array([[1.0, 3.0], [3.0, 2.0]])
    assert mse(y, f) == pytest.approx((0 + 1 + 0 + 9) / 4)
    assert rmse(y, f) == pytest.approx(math.sqrt(10 / 4))  # not the mean of row RMSEs
    assert smape(y, f) == pytest.approx(float(np.mean(smape(y, f, axis=-1))))
    assert mae(y, f, axis=0).tolist() == pytest.approx([0.0, 2.0])


# ---------------------------------------------------------------- MASE


def test_mase_scale_seasonal_difference() -> None:
    # lag-2 differences of [1, 3, 2, 4, 3, 5] are all 1
    assert mase_scale([1.0, 3.0, 2.0, 4.0, 3.0, 5.0], 2) == pytest.approx(1.0)
    # lag 1: |2| |1| |3| -> 2
    assert mase_scale([1.0, 3.0, 2.0, 5.0], 1) == pytest.approx(2.0)


def test_mase_scale_falls_back_to_lag_one_for_short_series() -> None:
    # n = 3 < m + 1 = 5: lag 1, |4 - 1| and |2 - 4| -> 2.5
    assert mase_scale([1.0, 4.0, 2.0], 4) == pytest.approx(2.5)
    # n = m + 1 is long enough for the seasonal lag: |6 - 1| = 5
    assert mase_scale([1.0, 2.0, 3.0, 4.0, 6.0], 4) == pytest.approx(5.0)
    with pytest.raises(DataError):
        mase_scale([1.0], 1)
    with pytest.raises(ConfigError):
        mase_scale([1.0, 2.0, 3.0], 0)
    with pytest.raises(DataError):
        mase_scale([[1.0, 2.0]], 1)


def test_mase_hand_computed() -> None:
    insample = [1.0, 3.0, 2.0, 4.0, 3.0, 5.0]  # scale 1 at m = 2
    assert mase([6.0, 7.0], [5.0, 9.0], insample, 2) == pytest.approx(1.5)
    # scale 2 at m = 1 (lag-1 differences 2, -1, 2, -1, 2 -> mean |.| = 8/5)
    assert mase([6.0, 7.0], [5.0, 9.0], insample, 1) == pytest.approx(1.5 / 1.6)
    rows = mase([[6.0, 7.0], [6.0, 6.0]], [[5.0, 9.0], [6.0, 7.0]], insample, 2, axis=-1)
    assert rows.tolist() == pytest.approx([1.5, 0.5])


def test_mase_zero_scale() -> None:
    flat = [2.0, 2.0, 2.0, 2.0]
    assert mase_scale(flat, 1) == 0.0
    assert math.isinf(mase([3.0], [2.0], flat, 1))
    assert math.isnan(mase([2.0], [2.0], flat, 1))


# ---------------------------------------------------------------- interval metrics


def test_pinball_hand_computed() -> None:
    y, p = [1.0, 2.0, 3.0], [2.0, 2.0, 2.0]
    # q = 0.9: under-forecast by 1 costs 0.9, over-forecast by 1 costs 0.1
    assert pinball(y, p, 0.9) == pytest.approx((0.1 + 0.0 + 0.9) / 3)
    assert pinball(y, p, 0.1) == pytest.approx((0.9 + 0.0 + 0.1) / 3)
    assert pinball(Y, F, 0.5) == pytest.approx(mae(Y, F) / 2)
    with pytest.raises(ConfigError):
        pinball(y, p, 1.0)


def test_coverage_hand_computed() -> None:
    y = [1.0, 2.0, 3.0, 4.0]
    lo = [0.0, 2.0, 4.0, 0.0]
    hi = [1.0, 3.0, 5.0, 3.0]
    # inside (bounds included), inside, below, above
    assert coverage(y, lo, hi) == pytest.approx(0.5)
    assert coverage([[1.0, 9.0]], [[0.0, 0.0]], [[2.0, 2.0]], axis=-1).tolist() == [0.5]


def test_msis_hand_computed() -> None:
    y = [1.0, 5.0, 10.0]
    lo = [2.0, 4.0, 0.0]
    hi = [3.0, 6.0, 8.0]
    # alpha = 0.2 -> penalty 2 / 0.2 = 10; widths 1 + 2 + 8 = 11;
    # misses: 1 below 2 -> 10 * 1, 10 above 8 -> 10 * 2; scale of [0, 2] at lag 1 = 2
    expected = (11 + 10 + 20) / 3 / 2
    assert msis(y, lo, hi, [0.0, 2.0], 1, alpha=0.2) == pytest.approx(expected)
    # a perfect-coverage interval scores its mean width over the scale
    assert msis([1.0], [0.0], [4.0], [0.0, 2.0], 1) == pytest.approx(2.0)
    with pytest.raises(ConfigError):
        msis(y, lo, hi, [0.0, 2.0], 1, alpha=0.0)


# ---------------------------------------------------------------- M4 scoring


def test_owa() -> None:
    assert owa(10.0, 1.0, 20.0, 2.0) == pytest.approx(0.5)
    assert owa(18.383, 2.395, 18.383, 2.395) == pytest.approx(1.0)


def test_m4_scores_average_per_series_scores() -> None:
    insamples = [np.array([1.0, 3.0, 2.0, 4.0, 3.0, 5.0]), np.array([1.0, 2.0, 4.0, 8.0])]
    y_test = [np.array([6.0, 7.0]), np.array([10.0, 10.0])]
    y_hat = [np.array([5.0, 9.0]), np.array([10.0, 12.0])]
    # series 1: MASE 1.5 (scale 1); series 2: scale mean(|4-1|, |8-2|) = 4.5, MAE 1
    s_rows, m_rows = m4_series_scores(y_test, y_hat, insamples, 2)
    assert m_rows.tolist() == pytest.approx([1.5, 1 / 4.5])
    assert s_rows.tolist() == pytest.approx([200 * (1 / 11 + 2 / 16) / 2, 200 * (0 + 2 / 22) / 2])
    s, m = m4_scores(np.array(y_test), np.array(y_hat), insamples, 2)
    assert s == pytest.approx(float(s_rows.mean()))
    assert m == pytest.approx((1.5 + 1 / 4.5) / 2)
    # ragged horizons are allowed in list form
    s2, _ = m4_scores([[1.0], [1.0, 2.0]], [[1.0], [1.0, 2.0]], insamples, 2)
    assert s2 == 0.0
    with pytest.raises(DataError):
        m4_scores(y_test, y_hat, insamples[:1], 2)


# ---------------------------------------------------------------- decomposition kernels


def _periodic(indices: list[float], cycles: int, level: float = 10.0) -> np.ndarray:
    return level * np.tile(np.asarray(indices), cycles)


def test_acf_matches_statsmodels() -> None:
    stattools = pytest.importorskip("statsmodels.tsa.stattools")
    x = np.random.default_rng(0).normal(size=50).cumsum()
    expected = stattools.acf(x, nlags=7, fft=False)[1:]
    assert acf(x, 7) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("indices", [[0.5, 1.5, 1.2, 0.8], [0.7, 1.0, 1.3]])
def test_pure_seasonal_series_recovers_indices(indices: list[float]) -> None:
    m = len(indices)
    y = _periodic(indices, 10)
    assert seasonality_test(y, m)
    assert seasonality_test(y, m, variant="python")
    assert seasonal_indices(y, m) == pytest.approx(indices)
    # the forecast continues the cycle from the end of y: len(y) % m == 0 -> starts at 0
    expected = 10.0 * np.asarray(indices)[np.arange(m + 2) % m]
    assert naive2(y, m + 2, m) == pytest.approx(expected)
    # position i applies to y[i % m] also when the series does not start a cycle
    shifted = y[1:]
    assert seasonal_indices(shifted, m) == pytest.approx(np.roll(indices, -1))
    assert naive2(shifted, 3, m) == pytest.approx(10.0 * np.asarray(indices)[np.arange(3) % m])


@pytest.mark.parametrize("m", [4, 5])
def test_seasonal_indices_match_statsmodels_decomposition(m: int) -> None:
    tsa = pytest.importorskip("statsmodels.tsa.seasonal")
    rng = np.random.default_rng(m)
    t = np.arange(12 * m)
    y = (50 + 0.3 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / m)) + rng.normal(0, 0.5, t.size)
    assert seasonality_test(y, m)
    expected = tsa.seasonal_decompose(y, model="multiplicative", period=m).seasonal[:m]
    got = seasonal_indices(y, m)
    assert got == pytest.approx(expected, rel=1e-10)
    assert got.mean() == pytest.approx(1.0)


def test_non_seasonal_cases_give_unit_indices() -> None:
    y = _periodic([0.5, 1.5, 1.2, 0.8], 2)  # 8 < 3 * 4: too short
    assert not seasonality_test(y, 4)
    assert seasonal_indices(y, 4).tolist() == [1.0] * 4
    assert not seasonality_test(np.full(40, 3.0), 4)  # constant
    assert seasonal_indices(_periodic([0.5, 1.5], 20), 1).tolist() == [1.0]
    # naive2 without seasonality is the naive forecast
    assert naive2(y, 5, 4).tolist() == pytest.approx([y[-1]] * 5)
    with pytest.raises(ConfigError):
        seasonality_test(y, 4, variant="julia")  # type: ignore[arg-type]


def test_seasonal_naive_repeats_last_season() -> None:
    y = np.arange(10.0)
    assert seasonal_naive(y, 6, 4).tolist() == [6.0, 7.0, 8.0, 9.0, 6.0, 7.0]
    assert seasonal_naive(y, 2, 1).tolist() == [9.0, 9.0]
    assert seasonal_naive(y[:3], 2, 4).tolist() == [2.0, 2.0]  # shorter than a season
    with pytest.raises(ConfigError):
        seasonal_naive(y, 0, 4)
    with pytest.raises(DataError):
        naive2([1.0, np.nan, 2.0], 2, 1)
