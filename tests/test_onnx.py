"""ONNX export: every network kind runs in onnxruntime with a dynamic batch, and a fitted
forecaster's predictions are reproduced from the exported files and onnx.json alone."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from gatecast.errors import ConfigError, MissingDependencyError
from gatecast.io.onnx import EXAMPLE_BATCH, export_onnx, onnx_session
from gatecast.nn import KINDS, NetworkConfig, build_network
from gatecast.nn.cells import PeepholeLSTMCell

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

RUN_BATCHES = (5, 1)  # both differ from the batch the network was exported with


def _config(kind: str) -> NetworkConfig:
    # small, but with covariates, two stacked layers, patching and several quantiles, so
    # every input and every reshape of the graph is exercised
    return NetworkConfig(
        kind=kind, input_size=2, look_back=6, horizon=3, hidden_size=4, num_layers=2,
        n_outputs=3, future_size=2, static_size=1, patch_size=1 if kind == "mlp" else 2,
        head_hidden=5, head_layers=1, conv_channels=3,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_network_matches_torch_on_other_batch_sizes(kind: str, tmp_path: Path) -> None:
    assert EXAMPLE_BATCH not in RUN_BATCHES
    torch.manual_seed(0)
    config = _config(kind)
    net = build_network(config)
    net.train()  # export must switch to eval itself and restore the mode afterwards
    path = export_onnx(net, config, tmp_path / f"{kind}.onnx")
    assert path.is_file()
    assert net.training
    assert all(m.use_jit is None for m in net.modules() if isinstance(m, PeepholeLSTMCell))
    net.eval()

    session = onnx_session(path)
    assert [i.name for i in session.get_inputs()] == ["x", "future", "static"]
    assert [o.name for o in session.get_outputs()] == ["y"]
    gen = torch.Generator().manual_seed(1)
    for batch in RUN_BATCHES:
        x = torch.randn(batch, config.look_back, config.input_size, generator=gen)
        future = torch.randn(batch, config.horizon, config.future_size, generator=gen)
        static = torch.randn(batch, config.static_size, generator=gen)
        with torch.no_grad():
            expected = net(x, future, static).numpy()
        feed = {"x": x.numpy(), "future": future.numpy(), "static": static.numpy()}
        (got,) = session.run(["y"], feed)
        assert got.shape == (batch, config.horizon, config.n_outputs)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


def _normalise(windows: np.ndarray, spec: dict) -> tuple[np.ndarray, np.ndarray]:
    """(loc, scale) per window [n, 1], following the rule onnx.json describes."""
    eps = spec["eps"]
    if spec["name"] == "standard":
        loc = windows.mean(axis=1, keepdims=True)
        scale = windows.std(axis=1, keepdims=True)
        scale = np.where(scale < eps * (1 + np.abs(loc)), np.maximum(np.abs(loc), 1.0), scale)
        return loc, scale
    if spec["name"] == "mean":
        scale = np.abs(windows).mean(axis=1, keepdims=True)
        return np.zeros_like(scale), np.where(scale < eps, 1.0, scale)
    return np.zeros((len(windows), 1)), np.ones((len(windows), 1))


@pytest.mark.parametrize("extra", [{}, {"look_back": (7, 14)},
                                   {"skip": "seasonal", "season_length": 7}])
def test_fitted_forecaster_reproduced_from_onnx(tmp_path: Path, extra: dict) -> None:
    from gatecast.models.recurrent import LSTM

    rng = np.random.default_rng(0)
    t = np.arange(40)
    frame = pd.concat(
        [
            pd.DataFrame({
                "unique_id": uid,
                "ds": pd.date_range("2020-01-01", periods=40, freq="D"),
                "y": base + 3 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.5, 40),
            })
            for uid, base in (("a", 10.0), ("b", 50.0))
        ],
        ignore_index=True,
    )
    model = LSTM(horizon=3, max_steps=5, hidden_size=8, num_layers=1, head_hidden=8,
                 head_layers=1, **extra).fit(frame)
    expected = model.predict(3)

    out = model.export_onnx(tmp_path / "export")
    manifest = json.loads((Path(out) / "onnx.json").read_text())
    look_back = extra.get("look_back")
    # by default each look-back trains a plain and a skip network (the default pair)
    kinds = 1 if "skip" in extra else 2
    n_members = kinds * (1 if look_back is None else len(look_back))
    assert manifest["members"] == [f"member{k}.onnx" for k in range(n_members)]
    assert manifest["horizon"] == 3
    assert manifest["transform"] is None
    if look_back is not None:
        assert manifest["member_look_backs"] == [lb for lb in look_back for _ in range(kinds)]
    # the seasonal baseline is inside the graph: the manifest only records it
    assert manifest["network"]["skip_period"] == (7 if "skip" in extra else 0)

    medians = []
    for k, member in enumerate(manifest["members"]):
        lb = manifest["member_look_backs"][k]
        windows = np.stack([g["y"].to_numpy()[-lb:] for _, g in frame.groupby("unique_id")])
        loc, scale = _normalise(windows, manifest["normalize"])
        x = ((windows - loc) / scale).astype(np.float32)[:, :, None]
        n = len(windows)
        feed = {
            "x": x,
            "future": np.zeros((n, manifest["horizon"], 0), np.float32),
            "static": np.zeros((n, 0), np.float32),
        }
        (y,) = onnx_session(Path(out) / member).run(["y"], feed)
        forecast = y * scale[:, :, None] + loc[:, :, None]  # [n, horizon, quantiles]
        medians.append(forecast[:, :, manifest["median_index"]])
    median = np.median(np.stack(medians), axis=0)  # "median over members"
    np.testing.assert_allclose(
        median.reshape(-1), expected[model.name].to_numpy(), rtol=0, atol=1e-5
    )


def test_missing_dependency_names_the_fix(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    config = _config("mlp")
    net = build_network(config)
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # makes `import onnxscript` fail
    with pytest.raises(MissingDependencyError, match=r"pip install gatecast\[onnx\]"):
        export_onnx(net, config, tmp_path / "m.onnx")


def test_opset_below_the_exporters_floor_is_refused(tmp_path: Path) -> None:
    config = _config("mlp")
    with pytest.raises(ConfigError, match="opset"):
        export_onnx(build_network(config), config, tmp_path / "m.onnx", opset=17)
