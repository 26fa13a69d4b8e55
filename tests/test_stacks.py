"""Keras-style stacks: per-layer widths, dense head widths and an output activation.

The tutorials' ``LSTM(50) -> LSTM(100) -> Dense(64) -> Dense(32) -> Dense(1, tanh)`` is one
line; impossible combinations are a ConfigError; configs that existed before are built
exactly as before.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import gatecast as gc
from gatecast.checks import network_parameters
from gatecast.cli.main import main
from gatecast.errors import ConfigError, GatecastError
from gatecast.models.onnx_runtime import OnnxForecaster
from gatecast.nn import ACTIVATIONS, LayerStack, NetworkConfig, build_network, make_rnn

#: The tutorial stack, scaled as the tutorials scale it (MinMaxScaler(-1, 1)), as one line.
TUTORIAL = {"hidden_size": (50, 100), "head_hidden": (64, 32), "output_activation": "tanh",
            "normalize": "none", "transform": "minmax:-1:1", "skip": "none"}
FAST = {"max_steps": 10, "seed": 0, "season_length": 12}


def _config(**kw: object) -> NetworkConfig:
    base: dict[str, object] = {"kind": "lstm", "input_size": 1, "look_back": 12, "horizon": 3}
    return NetworkConfig(**{**base, **kw})


def _count(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


# -- one line, Python and CLI ------------------------------------------------------------------
def test_tutorial_stack_is_one_line_and_forecasts() -> None:
    sales = gc.datasets.load("sales")
    with warnings.catch_warnings():
        # in range: no warning about the output activation
        warnings.filterwarnings("error", message="output_activation")
        model = gc.LSTM(**TUTORIAL, **FAST).fit(sales)
    (net,) = model.nets_
    cfg = model.network_config_
    assert cfg.hidden_size == (50, 100) and cfg.num_layers == 2
    assert cfg.head_hidden == (64, 32) and cfg.head_layers == 2
    assert isinstance(net.encoder, LayerStack)
    assert [layer.hidden_size for layer in net.encoder.layers] == [50, 100]
    linears = [m for m in net.head.mlp if isinstance(m, nn.Linear)]
    assert [m.out_features for m in linears] == [64, 32, cfg.horizon]
    assert linears[0].in_features == 100
    assert isinstance(net.head.mlp[-1], nn.Tanh)
    fc = model.predict(10)
    assert len(fc) == 10 and np.isfinite(fc["lstm"]).all()
    assert "lstm 50-100 (head 64-32, tanh output)" in model.choices()["networks"]


def test_tutorial_stack_from_the_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path
                                     ) -> None:
    out = tmp_path / "fc.csv"
    code = main(["--quiet", "forecast", "--dataset", "sales", "--model", "lstm",
                 "--param", "hidden_size=50,100", "--param", "head_hidden=64,32",
                 "--param", "output_activation=tanh", "--param", "normalize=none",
                 "--param", "transform=minmax:-1:1", "--param", "skip=none",
                 "--param", "max_steps=10", "--output", str(out)])
    assert code == 0, capsys.readouterr().err
    fc = pd.read_csv(out)
    assert len(fc) == gc.datasets.info("sales").horizon and fc["lstm"].notna().all()


def test_cli_mismatch_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--quiet", "forecast", "--dataset", "sales", "--model", "lstm",
                 "--param", "hidden_size=50,100", "--param", "num_layers=3"])
    err = capsys.readouterr().err
    assert code == 2
    assert "hidden_size=(50, 100) names 2 layer(s) but num_layers=3" in err
    assert "Traceback" not in err


# -- shapes --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru", "peephole", "seq2seq", "cnn-lstm"])
def test_per_layer_widths_give_the_parameter_shapes(kind: str) -> None:
    torch.manual_seed(0)
    cfg = _config(kind=kind, hidden_size=[5, 7, 3], dropout=0.2, output_activation="tanh",
                  **({} if kind == "seq2seq" else {"head_hidden": (6, 4)}))
    assert cfg.num_layers == 3 and cfg.layer_widths == (5, 7, 3)
    net = build_network(cfg)
    encoders = [net.encoder] + ([net.decoder] if kind == "seq2seq" else [])
    for enc in encoders:
        assert isinstance(enc, LayerStack) and enc.widths == (5, 7, 3)
        for layer, (i, w) in zip(enc.layers, [(enc.layers[0].input_size, 5), (5, 7), (7, 3)],
                                 strict=True):
            assert (layer.input_size, layer.hidden_size) == (i, w)
            recurrent = [p for name, p in layer.named_parameters() if "hh" in name]
            assert recurrent[0].shape[1] == w  # U maps the layer's own width
    x, fut, stat = torch.randn(4, 12, 1), torch.zeros(4, 3, 0), torch.zeros(4, 0)
    y = net(x, fut, stat)
    assert y.shape == (4, 3, 1) and bool((y.abs() < 1).all())  # tanh bounds the output
    assert _count(net) <= network_parameters(cfg) <= _count(net) + 100  # the bound holds


def test_head_widths_and_activation() -> None:
    net = build_network(_config(head_hidden=(8, 4), head_activation="gelu", dropout=0.1))
    kinds = [type(m).__name__ for m in net.head.mlp]
    assert kinds == ["Linear", "GELU", "Dropout", "Linear", "GELU", "Dropout", "Linear"]
    assert [m.out_features for m in net.head.mlp if isinstance(m, nn.Linear)] == [8, 4, 3]


def test_equal_widths_are_the_fused_stack() -> None:
    """``hidden_size=(64, 64)`` is ``hidden_size=64, num_layers=2``: one fused module, the
    same parameters from the same seed."""
    a, b = _config(hidden_size=(16, 16), head_hidden=[8, 8]), _config(hidden_size=16,
                                                                        num_layers=2,
                                                                        head_hidden=8)
    assert a == b
    torch.manual_seed(3)
    net_a = build_network(a)
    torch.manual_seed(3)
    net_b = build_network(b)
    assert isinstance(net_a.encoder, nn.LSTM)
    for (ka, va), (kb, vb) in zip(net_a.state_dict().items(), net_b.state_dict().items(),
                                  strict=True):
        assert ka == kb and torch.equal(va, vb)


def test_layer_stack_dropout_acts_between_layers_only() -> None:
    stack = make_rnn("gru", 2, (3, 5), dropout=0.5)
    assert isinstance(stack, LayerStack)
    stack.eval()
    x = torch.randn(2, 4, 2)
    out, state = stack(x)
    assert out.shape == (2, 4, 5) and [s.shape for s in state] == [(1, 2, 3), (1, 2, 5)]
    assert torch.equal(out, stack(x)[0])  # eval: no dropout
    assert torch.allclose(state[1][0], out[:, -1])


# -- impossible combinations ---------------------------------------------------------------------
@pytest.mark.parametrize(("kw", "message"), [
    ({"hidden_size": (50, 100), "num_layers": 3},
     r"hidden_size=\(50, 100\) names 2 layer\(s\) but num_layers=3"),
    ({"head_hidden": (64, 32), "head_layers": 1},
     r"head_hidden=\(64, 32\) names 2 layer\(s\) but head_layers=1"),
    ({"hidden_size": ()}, "names no layer"),
    ({"head_hidden": []}, "head_layers=0 for a linear head"),
    ({"hidden_size": (50, "100")}, r"hidden_size\[1\] must be a whole number"),
    ({"hidden_size": (50, 10**6)}, r"hidden_size\[1\] = 1,000,000 is above"),
    ({"hidden_size": (8,) * 17}, "17 layers, above gatecast's limit of 16"),
    ({"cell": "mlp", "hidden_size": (8, 4)}, "the mlp has no recurrent layers"),
    ({"cell": "seq2seq", "head_hidden": (8, 4)}, "no hidden head layers"),
    ({"output_activation": "Tanh"}, "output_activation must be one of relu, tanh"),
    ({"output_activation": "torch.nn.Tanh"}, "output_activation must be one of"),
    ({"head_activation": None}, "head_activation must be one of"),
])
def test_impossible_combinations_are_config_errors(kw: dict[str, object], message: str
                                                   ) -> None:
    with pytest.raises(ConfigError, match=message):
        gc.LSTM(**kw)
    net_kw = {"kind" if k == "cell" else k: v for k, v in kw.items()}
    with pytest.raises(ConfigError):
        _config(**net_kw)


def test_every_activation_name_builds_a_parameter_free_module() -> None:
    for name in ACTIVATIONS:
        net = build_network(_config(head_activation=name, output_activation=name))
        assert _count(net) == _count(build_network(_config()))


def test_output_activation_out_of_range_warns(monthly: pd.DataFrame) -> None:
    # z-scored windows reach far beyond tanh's (-1, 1)
    with pytest.warns(UserWarning, match=r"output_activation='tanh' produces values in"
                                         r" \[-1, 1\] only, but .* of the training targets"):
        gc.LSTM(hidden_size=8, head_hidden=8, output_activation="tanh", **FAST).fit(monthly)


# -- files ---------------------------------------------------------------------------------------
def test_save_load_round_trip(tmp_path: Path) -> None:
    air = gc.datasets.load("airline")
    model = gc.GRU(hidden_size=(6, 10), head_hidden=(8, 4), head_activation="elu",
                   output_activation="tanh", normalize="none", transform="minmax:-1:1",
                   **FAST).fit(air)
    model.save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["params"]["hidden_size"] == [6, 10]
    assert config["params"]["output_activation"] == "tanh"
    assert config["fitted"]["networks"][0]["head_hidden"] == [8, 4]
    back = gc.GRU.load(tmp_path / "m")
    assert back.network == model.network and back._configs() == model._configs()
    pd.testing.assert_frame_equal(back.predict(12), model.predict(12))


def test_file_saved_before_the_new_fields_loads_unchanged(tmp_path: Path) -> None:
    """A file without head_activation / output_activation (as main wrote them) loads to the
    same model and forecast."""
    model = gc.GRU(hidden_size=8, num_layers=2, pretrained="off", levels=(80,), **FAST)
    model.fit(gc.datasets.load("airline")).save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    config = json.loads(path.read_text())
    new = ("head_activation", "output_activation")
    for tree in (config["params"], config["fitted"]["network"], *config["fitted"]["networks"]):
        for key in new:
            del tree[key]
    path.write_text(json.dumps(config))
    back = gc.GRU.load(tmp_path / "m")
    assert back.network == model.network and back._configs() == model._configs()
    pd.testing.assert_frame_equal(back.predict(12, level=[80]), model.predict(12, level=[80]))


def test_model_file_with_an_oversized_layer_is_refused(tmp_path: Path) -> None:
    model = gc.LSTM(hidden_size=(4, 6), head_hidden=4, pretrained="off", **FAST)
    model.fit(gc.datasets.load("airline")).save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    config = json.loads(path.read_text())
    config["params"]["hidden_size"] = [4, 10**9]
    path.write_text(json.dumps(config))
    with pytest.raises(GatecastError, match="hidden_size"):
        gc.LSTM.load(tmp_path / "m")


def test_onnx_export_of_a_stacked_tanh_model(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    air = gc.datasets.load("airline")
    model = gc.LSTM(**TUTORIAL, look_back=24, **FAST).fit(air)
    model.export_onnx(tmp_path / "x")
    got = OnnxForecaster(tmp_path / "x").predict(air, h=24)["lstm"].to_numpy()
    want = model.forward(air, 24)["lstm"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5)


# -- old configs unchanged -------------------------------------------------------------------------
def test_default_lstm_unchanged() -> None:
    """Parameter count and fixed-seed forecast of the default LSTM, as main computed them
    before per-layer widths existed."""
    model = gc.LSTM(season_length=12, max_steps=20, seed=0, pretrained="off")
    model.fit(gc.datasets.load("airline"))
    assert [_count(n) for n in model.nets_] == [29068, 29068]
    assert model.choices()["networks"].startswith("lstm 64x1 (head 64x2): ")
    expected = [473.6030822372975, 460.11115713964153, 473.8882134479361, 495.4461340109282,
                500.797657718856, 532.0904747667245]
    np.testing.assert_allclose(model.predict(6)["lstm"].to_numpy(), expected, rtol=1e-9)
    cfg = dataclasses.asdict(model.network_config_)
    assert cfg["head_activation"] == "relu" and cfg["output_activation"] is None
