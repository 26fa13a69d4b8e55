"""The ONNX runtime forecasts like PyTorch: for every recurrent kind, a fitted forecaster
exported with ``export_onnx`` and run by :class:`OnnxForecaster` (onnxruntime only, no torch
import) gives the same forecasts as the model's own ``forward`` on the same frame."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gatecast.errors import ConfigError
from gatecast.models.recurrent import KINDS, RecurrentForecaster

pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

from gatecast.models.onnx_runtime import OnnxForecaster

TOL = 1e-5


def frame(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    parts = [pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2020-01-01", periods=n,
                                                                  freq="D"),
                           "y": base + 0.1 * t + 3 * np.sin(2 * np.pi * t / 7)
                           + rng.normal(0, 0.5, n)})
             for uid, base in (("a", 10.0), ("b", 50.0), ("c", 200.0))]
    return pd.concat(parts, ignore_index=True)


def assert_same(model: RecurrentForecaster, folder: Path, data: pd.DataFrame, h: int,
                level: list[float] | None = None) -> None:
    expected = model.forward(data, h, level=level)
    got = OnnxForecaster(folder).predict(data, h, level=level)
    assert list(got.columns) == list(expected.columns)
    pd.testing.assert_series_equal(got["ds"], expected["ds"])
    for col in expected.columns[2:]:
        scale = np.abs(expected[col].to_numpy()).max()
        np.testing.assert_allclose(got[col].to_numpy(), expected[col].to_numpy(),
                                   rtol=0, atol=TOL * scale, err_msg=col)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_matches_pytorch(kind: str, tmp_path: Path) -> None:
    df = frame()
    model = RecurrentForecaster(cell=kind, horizon=3, look_back=14, max_steps=3,
                                hidden_size=4, head_hidden=4, head_layers=1, skip="none",
                                season_length=7).fit(df)
    out = model.export_onnx(tmp_path / "export")
    # new data of the same series (a later origin): the runtime windows it itself
    later = frame(n=75, seed=1)
    assert_same(model, Path(out), later, h=7)  # 7 > horizon 3: passes fed back


def test_transform_ensemble_and_intervals_match(tmp_path: Path) -> None:
    df = frame()
    model = RecurrentForecaster(horizon=4, look_back=(7, 14), max_steps=3, hidden_size=4,
                                head_hidden=4, transform="diff", levels=(80,),
                                season_length=7).fit(df)
    out = Path(model.export_onnx(tmp_path / "export"))
    assert len(json.loads((out / "onnx.json").read_text())["members"]) == 4  # 2 x pair
    assert_same(model, out, df, h=9, level=[80])
    with pytest.raises(ConfigError, match="without interval level"):
        OnnxForecaster(out).predict(df, 3, level=[95])


def test_runtime_never_imports_torch(tmp_path: Path) -> None:
    df = frame()
    model = RecurrentForecaster(horizon=3, look_back=7, max_steps=2, hidden_size=4,
                                skip="none").fit(df)
    out = model.export_onnx(tmp_path / "export")
    df.to_csv(tmp_path / "data.csv", index=False)
    code = (
        "import sys, pandas as pd\n"
        "from gatecast.models.onnx_runtime import OnnxForecaster\n"
        f"fc = OnnxForecaster({str(out)!r}).predict(pd.read_csv({str(tmp_path / 'data.csv')!r}),"
        " 5)\n"
        "assert len(fc) == 15 and fc.iloc[:, 2].notna().all()\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]


def test_bad_exports_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no onnx\.json"):
        OnnxForecaster(tmp_path)
    (tmp_path / "onnx.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not a gatecast ONNX manifest"):
        OnnxForecaster(tmp_path)
    (tmp_path / "onnx.json").write_text(json.dumps({"format": 1, "members": ["../x.onnx"]}))
    with pytest.raises(ConfigError, match="lacks or mistypes"):
        OnnxForecaster(tmp_path)
