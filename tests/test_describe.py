"""describe(): what a classical fit chose (AutoARIMA's orders, AutoETS's form) in one line."""

from __future__ import annotations

import pandas as pd

import gatecast as gc
from gatecast.cli.main import main
from gatecast.models.statsforecast import most_common
from helpers import seasonal_frame


def test_autoarima_and_ets_name_what_they_chose() -> None:
    frame = seasonal_frame(n_series=2, length=72, m=12, seed=1)
    arima = gc.AutoARIMA(season_length=12).fit(frame)
    orders = [arima._chosen(model) for part in arima.states_ for model in part]
    assert all(o.startswith("ARIMA(") and o.endswith("[12]") for o in orders)
    assert arima.describe().startswith("AutoARIMA: chose ARIMA(")
    ets = gc.ETS(season_length=12).fit(frame)
    assert ets.describe().startswith("ETS: chose ETS(")
    fixed = gc.ETS(season_length=12, model="ANA").fit(frame)
    assert "ETS(A,N,A)" in fixed.describe()
    assert gc.Theta(season_length=12).fit(frame).describe() == "Theta: fitted"
    assert gc.AutoARIMA().describe() == "AutoARIMA: not fitted"


def test_most_common_summarises_many_series() -> None:
    assert most_common(["a", "a"]) == "a"
    text = most_common(["a", "a", "b", "c", "d", "e"], top=2)
    assert text == "a for 2 of 6, b for 1 of 6 (and 3 others)"


def test_the_cli_prints_the_choice(tmp_path, capsys) -> None:
    code = main(["--json", "forecast", "--dataset", "airline", "--model", "autoarima",
                 "--h", "3", "--output", str(tmp_path / "f.csv")])
    assert code == 0
    out = capsys.readouterr().out
    assert "autoarima: chose ARIMA(" in out and pd.read_csv(tmp_path / "f.csv").shape[0] == 3
