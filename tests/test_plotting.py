"""Figures: what they draw, PNG/SVG by suffix, CJK-safe fonts, no global matplotlib state."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

from gatecast.data.validate import validate
from gatecast.errors import ConfigError
from gatecast.models.baselines import Naive, SeasonalNaive
from gatecast.plotting import (
    errors_by_step,
    plot_errors_by_step,
    plot_forecast,
    plot_forecast_grid,
    plot_leaderboard,
    plot_loss_curves,
)
from gatecast.plotting.style import apply_fonts, font_family, installed_cjk_fonts, new_figure
from gatecast.report import one_step_fitted
from helpers import seasonal_frame


def _labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_forecast_figure_has_history_fit_forecast_interval_and_boundary(tmp_path: Path) -> None:
    sf = validate(seasonal_frame(n_series=1, length=60))
    model = SeasonalNaive(season_length=12, alias="snaive").fit(sf)
    fc = model.predict(6, level=[80, 95])
    fitted = one_step_fitted(model, sf, 12)
    fig = plot_forecast(sf, fc, tmp_path / "f.png", last=24, fitted=fitted)
    ax = fig.axes[0]
    assert _labels(ax) == ["history", "snaive in-sample", "snaive", "snaive 95%"]
    history = ax.get_lines()[0]
    assert len(history.get_xdata()) == 24  # only the last 24 points
    boundary = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(boundary) == 1 and boundary[0].get_xdata()[0] == sf.frame["ds"].iloc[-1]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1  # the widest (95%) interval only
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_small_multiples_grid_for_many_series(tmp_path: Path) -> None:
    sf = validate(seasonal_frame(n_series=7, length=40))
    fc = Naive(alias="naive").fit(sf).predict(4)
    fig = plot_forecast_grid(sf, fc, tmp_path / "grid.svg", max_series=6, cols=3)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 6
    assert [ax.get_title() for ax in visible] == [f"s{i}" for i in range(6)]
    assert "first 6 of 7 series" in fig._suptitle.get_text()
    text = (tmp_path / "grid.svg").read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text


def test_figure_suffix_must_be_png_or_svg(tmp_path: Path) -> None:
    sf = validate(seasonal_frame(n_series=1, length=30))
    fc = Naive(alias="naive").fit(sf).predict(3)
    with pytest.raises(ConfigError, match=r"\.png or \.svg"):
        plot_forecast(sf, fc, tmp_path / "f.jpg")


def test_loss_curves_train_and_validation() -> None:
    history = pd.DataFrame({"epoch": range(5), "train_loss": [100.0, 10, 3, 2, 1.5],
                            "val_loss": [90.0, 12, 4, 3, 2.5]})
    fig = plot_loss_curves({"lstm": history})
    ax = fig.axes[0]
    assert _labels(ax) == ["lstm train", "lstm validation"]
    assert ax.get_yscale() == "log"  # the loss spans more than a factor of 30
    flat = history.assign(train_loss=[2.0, 1.9, 1.8, 1.7, 1.6], val_loss=np.nan)
    ax = plot_loss_curves({"gru": flat}).axes[0]
    assert _labels(ax) == ["gru train"] and ax.get_yscale() == "linear"
    with pytest.raises(ConfigError, match="only neural models"):
        plot_loss_curves([Naive()])


def test_leaderboard_bars_best_on_top_baselines_grey() -> None:
    board = pd.DataFrame({"mase": [0.8, 1.0, 1.3]}, index=pd.Index(["ets", "naive", "snaive"],
                                                                  name="model"))
    ax = plot_leaderboard(board).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["snaive", "naive", "ets"]
    colours = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches]
    assert colours[0] == colours[1] != colours[2]  # baselines share the grey
    with pytest.raises(ConfigError, match="not in the leaderboard"):
        plot_leaderboard(board, metric="smape")


def test_errors_by_step_scores_each_lead_time() -> None:
    # Two folds of h=3; the model is off by exactly the step number.
    y = np.zeros(6)
    result = SimpleNamespace(h=3, models=["m"], forecasts=pd.DataFrame(
        {"y": y, "m": np.tile([1.0, 2.0, 3.0], 2)}))
    table = errors_by_step(result, "mae")
    assert list(table.index) == [1, 2, 3]
    np.testing.assert_allclose(table["m"], [1.0, 2.0, 3.0])
    ax = plot_errors_by_step(table).axes[0]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [1.0, 2.0, 3.0])


def test_cjk_labels_get_a_fallback_font_family() -> None:
    assert font_family(["sales", "Umsatz über"]) is None  # DejaVu Sans covers these
    family = font_family(["销售"])
    assert family == ["DejaVu Sans", *installed_cjk_fonts()]
    fig = new_figure(3, 2)
    ax = fig.subplots()
    ax.set_title("plain")
    default = ax.title.get_fontfamily()
    apply_fonts(fig)
    assert ax.title.get_fontfamily() == default
    ax.set_xlabel("销售额")
    apply_fonts(fig)
    assert ax.title.get_fontfamily() == family and ax.xaxis.label.get_fontfamily() == family


def test_missing_cjk_font_is_one_warning_with_the_fix(tmp_path: Path) -> None:
    sf = validate(seasonal_frame(n_series=1, length=30).assign(unique_id="销售数据"))
    fc = Naive(alias="naive").fit(sf).predict(3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plot_forecast(sf, fc, tmp_path / "cjk.png")
    glyphs = [w for w in caught if "font" in str(w.message)]
    if installed_cjk_fonts():
        assert glyphs == []
    else:
        assert len(glyphs) == 1 and "fonts-noto-cjk" in str(glyphs[0].message)


def test_plotting_leaves_global_state_alone() -> None:
    code = (
        "import matplotlib, sys\n"
        "snapshot = lambda: dict(dict.items(matplotlib.rcParams))  # no backend resolution\n"
        "before = snapshot()\n"
        "sys.path.insert(0, 'tests')\n"
        "from helpers import seasonal_frame\n"
        "from gatecast.data.validate import validate\n"
        "from gatecast.models.baselines import Naive\n"
        "from gatecast.plotting import plot_forecast\n"
        "sf = validate(seasonal_frame(n_series=1, length=30))\n"
        "plot_forecast(sf, Naive(alias='n').fit(sf).predict(3), title='销售')\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
        "after = snapshot()\n"
        "assert before == after, [k for k in before if before[k] != after[k]]\n"
    )
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-W", "ignore", "-c", code], cwd=root,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
