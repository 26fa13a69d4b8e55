"""Backtests that refit every k-th fold, once, or warm-start networks; the choices shown."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

import gatecast as gc
from gatecast.cli.main import main
from gatecast.errors import ConfigError
from gatecast.evaluation.backtest import backtest, fold_cuts
from gatecast.evaluation.compare import compare, model_choices
from gatecast.models.baselines import Drift, Naive
from gatecast.models.recurrent_ensemble import member_trainer, warm_trainer
from gatecast.report import build_report
from gatecast.training.config import TrainerConfig
from helpers import seasonal_frame


@dataclasses.dataclass
class Spy(Naive):
    """Naive, recording the length of every series it is fitted on or forecasts from."""

    calls: ClassVar[list[tuple[str, list[int]]]] = []

    def fit(self, data: Any) -> Spy:
        out = super().fit(data)
        Spy.calls.append(("fit", [int(n) for n in out.lengths_]))
        return out

    def forward(self, data: Any, h: int, level: list[float] | None = None) -> pd.DataFrame:
        sf = self._validated(data)
        Spy.calls.append(("forward", [int(n) for n in sf.lengths]))
        return super().forward(data, h, level)


class NoForward:
    """A forecaster without ``forward``: a backtest can only read new history by fitting."""

    fits: ClassVar[int] = 0
    name = "noforward"

    def with_horizon(self, h: int) -> NoForward:
        return NoForward()

    def fit(self, data: Any) -> NoForward:
        NoForward.fits += 1
        self.inner = Naive(alias=self.name).fit(data)
        return self

    def predict(self, h: int, level: list[float] | None = None) -> pd.DataFrame:
        return self.inner.predict(h)


def tiny_lstm(**kw: Any) -> Any:
    return gc.LSTM(look_back=12, hidden_size=8, head_hidden=8, max_steps=20, skip="none",
                   pretrained="off", seed=3, alias="lstm", **kw)


@pytest.mark.parametrize(("n_windows", "refit"), [(7, 1), (7, 2), (7, 3), (6, 3), (7, 0),
                                                  (5, True), (5, False), (4, 9)])
def test_refit_k_fits_ceil_windows_over_k_times(monthly, n_windows, refit) -> None:
    Spy.calls.clear()
    res = backtest([Spy(alias="spy")], monthly, h=2, n_windows=n_windows, refit=refit)
    k = int(refit)
    fits = [w for w, (kind, _) in enumerate(Spy.calls) if kind == "fit"]
    assert len(fits) == (math.ceil(n_windows / k) if k else 1)
    assert fits == [w for w in range(n_windows) if (w % k == 0 if k else w == 0)]
    assert len(Spy.calls) == n_windows and res.refit == k
    timed = res.timings.set_index("window")["fit_seconds"]
    assert (timed.iloc[fits] > 0).all() and (timed.drop(index=fits) == 0).all()


@pytest.mark.parametrize("refit", [0, 3])
def test_between_refits_nothing_past_the_cutoff_is_seen(monthly, refit) -> None:
    Spy.calls.clear()
    lengths = monthly.groupby("unique_id", sort=False).size().to_numpy()
    backtest([Spy(alias="spy")], monthly, h=3, n_windows=6, step=2, refit=refit)
    cuts = fold_cuts(lengths, 3, 6, 2)
    assert [seen for _, seen in Spy.calls] == [list(c) for c in cuts]
    assert [kind for kind, _ in Spy.calls][1:].count("forward") == (5 if refit == 0 else 4)


@pytest.mark.parametrize(("models", "options"), [
    (lambda: [gc.ETS(season_length=12, alias="ets"), gc.AutoARIMA(alias="autoarima")],
     {"refit": 0}),
    (lambda: [tiny_lstm()], {"refit": 0}),
    (lambda: [tiny_lstm()], {"refit": 2, "warm_start": True}),
])
def test_fitting_once_or_warm_starting_cannot_leak(models, options) -> None:
    frame = seasonal_frame(n_series=2, length=60, m=12, seed=4)
    base = backtest(models(), frame, h=3, n_windows=3, **options).forecasts
    names = [c for c in base.columns if c not in ("unique_id", "ds", "cutoff", "y")]
    rows = 3 * 2
    for w in range(3):  # corrupt everything after fold w's cutoff: fold w must not move
        cut = base.iloc[w * rows:(w + 1) * rows].groupby("unique_id")["cutoff"].first()
        altered = frame.copy()
        mask = altered["ds"] > altered["unique_id"].map(cut)
        altered.loc[mask, "y"] = altered.loc[mask, "y"] * 3 + 500
        again = backtest(models(), altered, h=3, n_windows=3, **options).forecasts
        fold = slice(w * rows, (w + 1) * rows)
        for name in names:
            np.testing.assert_array_equal(base[name].iloc[fold], again[name].iloc[fold])
        if w < 2:  # later folds do see the new history (the test can fail)
            later = slice((w + 1) * rows, None)
            assert not np.allclose(base[names[0]].iloc[later], again[names[0]].iloc[later])


def test_a_model_without_forward_is_refitted_every_fold(monthly) -> None:
    NoForward.fits = 0
    res = backtest([NoForward(), Drift()], monthly, h=2, n_windows=4, refit=False)
    assert NoForward.fits == 4
    np.testing.assert_array_equal(res.forecasts["noforward"],
                                  backtest([Naive(alias="noforward")], monthly, h=2,
                                           n_windows=4).forecasts["noforward"])


def test_warm_start_is_seeded_and_starts_from_the_previous_fold() -> None:
    frame = seasonal_frame(n_series=2, length=60, m=12, seed=2)
    warm = [backtest([tiny_lstm()], frame, h=3, n_windows=3, warm_start=True)
            for _ in range(2)]
    cold = backtest([tiny_lstm()], frame, h=3, n_windows=3)
    pd.testing.assert_frame_equal(warm[0].forecasts, warm[1].forecasts)
    first = slice(0, 6)  # the first fold trains cold either way
    np.testing.assert_array_equal(warm[0].forecasts["lstm"].iloc[first],
                                  cold.forecasts["lstm"].iloc[first])
    assert not np.allclose(warm[0].forecasts["lstm"].iloc[6:], cold.forecasts["lstm"].iloc[6:])
    assert warm[0].warm_start and len(warm[0].choices["lstm"]) == 3


def test_a_warm_fit_trains_a_share_of_the_budget() -> None:
    frame = seasonal_frame(n_series=2, length=60, m=12, seed=2)
    first = tiny_lstm().fit(frame)
    again = tiny_lstm().fit(frame, start_from=first)
    steps = again.history_["samples"].sum() / first.history_["samples"].sum()
    assert steps == pytest.approx(0.25, abs=0.05)
    other = gc.LSTM(look_back=6, hidden_size=8, head_hidden=8, max_steps=20, skip="none",
                    pretrained="off", seed=3)  # another network shape: starts cold
    cold = other.fit(frame, start_from=first)
    assert cold.history_["samples"].sum() == first.history_["samples"].sum()
    cfg = member_trainer(TrainerConfig(), 1000)
    assert warm_trainer(cfg).max_steps == math.ceil(cfg.max_steps / 4)
    assert warm_trainer(TrainerConfig(max_steps=0, epochs=8)).epochs == 2
    with pytest.raises(ConfigError, match="start_from must be a fitted recurrent"):
        tiny_lstm().fit(frame, start_from=gc.ETS())
    with pytest.raises(ConfigError, match="not fitted yet"):
        tiny_lstm().fit(frame, start_from=tiny_lstm())


def test_backtest_rejects_bad_refit_and_warm_start(monthly) -> None:
    with pytest.raises(ConfigError, match="refit"):
        backtest([Naive()], monthly, h=2, refit=-1)
    with pytest.raises(ConfigError, match="warm_start"):
        backtest([Naive()], monthly, h=2, warm_start="yes")


def test_compare_shows_what_autoarima_chose(capsys, tmp_path: Path) -> None:
    frame = seasonal_frame(n_series=1, length=72, m=12, seed=1)
    _, res = compare([gc.AutoARIMA(season_length=12, alias="autoarima")], frame, h=6,
                     n_windows=2, season_length=12)
    chosen = model_choices(res)
    assert list(chosen) == ["autoarima"] and chosen["autoarima"].startswith(
        "autoarima: chose ARIMA(")
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    args = ["compare", str(data), "--models", "autoarima", "--h", "6", "--windows", "2",
            "--season-length", "12"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "autoarima: chose ARIMA(" in out
    assert max(len(line) for line in out.splitlines() if "│" in line) <= 80
    assert main(["--json", *args]) == 0
    payload = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert payload["choices"]["autoarima"].startswith("autoarima: chose ARIMA(")


def test_the_report_shows_what_autoarima_chose() -> None:
    frame = seasonal_frame(n_series=1, length=72, m=12, seed=1)
    report = build_report([gc.AutoARIMA(season_length=12, alias="autoarima")], frame, h=6,
                          season_length=12, n_windows=2)
    html = report.to_html()
    assert "What each model chose" in html and "chose ARIMA(" in html
    assert "every fold refits every model" in html
    board, res = compare([Drift(alias="drift")], frame, h=6, n_windows=3, season_length=12,
                         refit=0)
    once = build_report([Drift(alias="drift")], frame, h=6, season_length=12, board=board,
                        result=res).to_html()
    assert "fitted on the first fold only" in once and "What each model chose" not in once


@pytest.mark.parametrize(("extra", "message"), [
    (["--refit", "-1"], "--refit takes a whole number"),
    (["--refit", "abc"], "--refit takes a whole number"),
    (["--refit", "1.5"], "--refit takes a whole number"),
    (["--refit", "2", "--no-refit"], "disagree"),
])
@pytest.mark.parametrize("command", ["compare", "backtest"])
def test_cli_refit_validation(capsys, tmp_path, monthly, command, extra, message) -> None:
    data = tmp_path / "data.csv"
    monthly.to_csv(data, index=False)
    code = main([command, str(data), "--models", "drift", "--h", "3", *extra])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_cli_refit_every_k_folds(capsys, tmp_path, monthly) -> None:
    data, folds = tmp_path / "data.csv", tmp_path / "folds.csv"
    monthly.to_csv(data, index=False)
    code = main(["--quiet", "backtest", str(data), "--models", "drift", "--h", "3",
                 "--windows", "4", "--refit", "2", "--warm-start", "--output", str(folds)])
    assert code == 0, capsys.readouterr().err
    assert len(pd.read_csv(folds)) == 4 * 3 * 3


class WarmSpy(NoForward):
    """A forecaster that says it can warm-start: records whether each fit was given one."""

    warm_starts: ClassVar[bool] = True
    starts: ClassVar[list[bool]] = []
    name = "warmspy"

    def with_horizon(self, h: int) -> WarmSpy:
        return WarmSpy()

    def fit(self, data: Any, start_from: Any = None) -> WarmSpy:
        WarmSpy.starts.append(start_from is not None)
        return super().fit(data)


@pytest.mark.parametrize(("n_windows", "step", "warm_start", "warm"), [
    (10, 1, None, True), (9, 1, None, False), (12, 2, None, False), (4, 1, True, True),
    (12, 1, False, False),
])
def test_warm_starts_by_default_on_long_one_step_backtests(monthly, n_windows, step,
                                                           warm_start, warm) -> None:
    WarmSpy.starts.clear()
    res = backtest([WarmSpy(), Drift()], monthly, h=1, n_windows=n_windows, step=step,
                   warm_start=warm_start)
    assert WarmSpy.starts == [False] + [warm] * (n_windows - 1)
    assert res.warm_start is warm
    # models that cannot warm-start are not told to: the result says none did
    assert backtest([Drift()], monthly, h=1, n_windows=n_windows, step=step,
                    warm_start=warm_start).warm_start is False
