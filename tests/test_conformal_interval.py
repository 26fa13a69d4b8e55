"""Conformal intervals around a model's own interval (``around="interval"``: conformalized
quantile regression): each end moves by the conformal quantile of ``max(lo - y, y - hi)``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gatecast.cli.main import main
from gatecast.data.validate import validate
from gatecast.errors import ConfigError
from gatecast.evaluation.conformal import (
    Calibration,
    ConformalConfig,
    add_bands,
    calibrate,
    conformal_bands,
    margins,
)
from gatecast.evaluation.forecast import forecast
from gatecast.models.baselines import Naive
from gatecast.models.recurrent import LSTM
from test_conformal import noise_frame

AROUND = ConformalConfig(n_windows=5, around="interval")


def split(df: pd.DataFrame, h: int) -> tuple[pd.DataFrame, np.ndarray]:
    last = df.groupby("unique_id").cumcount(ascending=False) < h
    return df[~last], df[last]["y"].to_numpy()


def covered(fc: pd.DataFrame, y: np.ndarray, name: str, lv: int) -> tuple[float, float]:
    lo, hi = fc[f"{name}-lo-{lv}"].to_numpy(), fc[f"{name}-hi-{lv}"].to_numpy()
    return float(np.mean((y >= lo) & (y <= hi))), float(np.mean(hi - lo))


def test_an_overcovering_interval_is_narrowed_to_nominal() -> None:
    # Naive's intervals assume a random walk (widths growing with sqrt(k)); on i.i.d.
    # noise they overcover at every step after the first. Calibrated, they come to nominal.
    df = noise_frame(n_series=300, length=120, seed=3)
    train, y = split(df, 12)
    own = Naive().fit(validate(train, freq=1)).predict(12, level=[80, 95])
    fc = forecast(Naive(), train, 12, level=[80, 95], intervals="conformal",
                  conformal=AROUND, freq=1).forecasts
    assert fc.attrs["intervals"] == "conformal"
    (own95, own_w), (cal95, cal_w) = covered(own, y, "Naive", 95), covered(fc, y, "Naive", 95)
    # 95% is pooled over series (5 windows); the per-series 80% interval floors it a little
    assert own95 > 0.99 and 0.93 <= cal95 <= 0.985 and cal_w < 0.8 * own_w
    assert 0.76 <= covered(fc, y, "Naive", 80)[0] <= 0.87
    np.testing.assert_allclose(fc["Naive"], own["Naive"])  # the point forecast is the model's


def test_each_end_moves_by_the_margin_and_levels_nest() -> None:
    ids = np.array(["a"])
    scores = {80.0: np.full((4, 1, 2), -1.0), 95.0: np.full((4, 1, 2), 2.0)}
    cal = Calibration("m", ids, np.ones((4, 1, 2)), np.ones(1), scores)
    bands = margins(cal, [80, 95])   # 4 windows give 80% per series (5th of 5 > 4: pooled 95)
    assert bands.around == "interval" and bands.model_levels() == [80.0, 95.0]
    frame = pd.DataFrame({"unique_id": ["a", "a"], "ds": [1, 2], "m": [10.0, 10.0],
                          "m-lo-80": [8.0, 9.5], "m-hi-80": [12.0, 10.5],
                          "m-lo-95": [7.0, 7.0], "m-hi-95": [13.0, 13.0]})
    out = add_bands(frame, bands)
    np.testing.assert_allclose(out["m-lo-80"], [9.0, 10.0])   # 8 + 1; 9.5 + 1 held at the point
    np.testing.assert_allclose(out["m-hi-80"], [11.0, 10.0])
    np.testing.assert_allclose(out["m-lo-95"], [5.0, 5.0])
    np.testing.assert_allclose(out["m-hi-95"], [15.0, 15.0])
    with pytest.raises(ConfigError, match="own 80% interval"):
        add_bands(frame[["unique_id", "ds", "m"]], bands)


def test_a_model_without_intervals_and_bad_options_are_config_errors() -> None:
    df = noise_frame(n_series=2, length=60, seed=1)
    sf = validate(df, freq=1)
    with pytest.raises(ConfigError, match=r"lstm gives none \(an LSTM needs levels"):
        calibrate(LSTM(max_steps=2), sf, 4, AROUND, [80])
    with pytest.raises(ConfigError, match="needs the levels to calibrate"):
        calibrate(Naive(), sf, 4, AROUND)
    with pytest.raises(ConfigError, match="conformal around must be one of"):
        ConformalConfig(around="both")


def test_the_recurrent_model_with_levels(tmp_path: Path) -> None:
    df = noise_frame(n_series=3, length=80, seed=2)
    model = LSTM(levels=(80,), max_steps=5, hidden_size=8, head_hidden=8, pretrained="off")
    fc = forecast(model, df, 4, level=[80], intervals="conformal", conformal=AROUND,
                  freq=1).forecasts
    # forecast() gives the network's own 80% interval moved by the calibrated margins
    sf = validate(df, freq=1)
    bands = conformal_bands(model, sf, 4, [80], AROUND)
    own = model.with_horizon(4).fit(sf).predict(4, level=[80])
    expected = add_bands(own, bands)
    pd.testing.assert_frame_equal(fc[expected.columns], expected, check_dtype=False)
    assert not np.allclose(fc["lstm-hi-80"], own["lstm-hi-80"])
    assert (fc["lstm-lo-80"] <= fc["lstm"]).all() and (fc["lstm"] <= fc["lstm-hi-80"]).all()


def test_cli_conformal_around(capsys, tmp_path: Path) -> None:
    data = tmp_path / "noise.csv"
    noise_frame(n_series=3, length=60, seed=4).to_csv(data, index=False)
    out = tmp_path / "fc.csv"
    code = main(["--quiet", "forecast", str(data), "--model", "naive", "--h", "4", "--level",
                 "80", "--intervals", "conformal", "--conformal-around", "interval",
                 "--output", str(out)])
    assert code == 0, capsys.readouterr().err
    plain = tmp_path / "plain.csv"
    assert main(["--quiet", "forecast", str(data), "--model", "naive", "--h", "4", "--level",
                 "80", "--intervals", "conformal", "--output", str(plain)]) == 0
    a, b = pd.read_csv(out), pd.read_csv(plain)
    assert not np.allclose(a["naive-hi-80"], b["naive-hi-80"])
    capsys.readouterr()
    assert main(["forecast", str(data), "--model", "naive", "--h", "4", "--level", "80",
                 "--conformal-around", "interval", "--output", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --conformal-around needs --intervals conformal")
