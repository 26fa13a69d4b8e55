"""Gradient flow through time: the vanishing gradient of a tanh RNN, the LSTM's cell path,
the measurements checked against the numpy reference, and the ``gatecast gradients`` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from gatecast.cli.main import main
from gatecast.diagnostics.gradients import (
    GradientFlowConfig,
    build_layer,
    gradient_flow,
)
from gatecast.errors import ConfigError
from gatecast.reference import gru, lstm, peephole, rnn

# Measured (seed 0, H=8, T=200, init="small", forget bias 1): rnn ratio 2.1e-69 (x0.452 per
# step, reach 9 steps), lstm ratio 1.7e-17 (x0.824 per step, reach 33 steps); seeds 1 and 2
# give rnn 2e-70 / 9e-66 and lstm 2e-20 / 1e-22. The thresholds below come from theory (the
# RNN bound) or leave many orders of magnitude of margin.


@pytest.fixture(scope="module")
def small_init() -> dict:
    cfg = GradientFlowConfig(cells=("rnn", "lstm"), length=200, hidden_size=8, init="small")
    return gradient_flow(cfg).cells


def test_tanh_rnn_with_small_recurrent_weights_vanishes(small_init: dict) -> None:
    r = small_init["rnn"]
    # every recurrent Jacobian diag(1 - h_t²) U has norm <= ‖U‖ = 0.5, so 199 steps back the
    # gradient is at most 0.5^199 ≈ 1e-60 of its final size
    assert r.jacobian.max() <= 0.5 + 1e-12
    assert r.ratio <= 0.5**199 * (1 + 1e-9)
    assert r.ratio < 1e-4
    assert "vanishing" in r.verdict
    assert r.reach is not None and r.reach < 20


def test_lstm_with_forget_bias_one_decays_far_less(small_init: dict) -> None:
    r, m = small_init["rnn"], small_init["lstm"]
    # in orders of magnitude the LSTM loses less than half of what the RNN loses (17 vs 69)
    assert np.log10(m.ratio) > 0.5 * np.log10(r.ratio)
    assert m.reach is not None and r.reach is not None and m.reach >= 2 * r.reach
    # at the start of the window the gradient lives in the cell state, not in h
    assert m.grad_c[0] > 2 * m.grad_h[0]
    assert "cell path" in m.verdict


def test_a_larger_forget_bias_carries_the_gradient_further() -> None:
    def ratio(bias: float) -> float:
        cfg = GradientFlowConfig(cells=("lstm",), length=200, hidden_size=8, init="small",
                                 forget_bias=bias)
        return gradient_flow(cfg).cells["lstm"].ratio

    # measured 1.7e-17 (bias 1) vs 1.7e-4 (bias 3)
    assert ratio(3.0) > 1e6 * ratio(1.0)


def test_deterministic_and_independent_of_the_other_cells() -> None:
    cfg = GradientFlowConfig(cells=("rnn", "gru", "lstm"), length=40, hidden_size=6, seed=3)
    a, b = gradient_flow(cfg), gradient_flow(cfg)
    alone = gradient_flow(GradientFlowConfig(cells=("lstm",), length=40, hidden_size=6, seed=3))
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    np.testing.assert_array_equal(a.cells["lstm"].grad_h, alone.cells["lstm"].grad_h)
    other = gradient_flow(GradientFlowConfig(cells=("lstm",), length=40, hidden_size=6, seed=4))
    assert not np.allclose(other.cells["lstm"].grad_h, alone.cells["lstm"].grad_h)


REF = {"rnn": (rnn, False), "lstm": (lstm, True), "gru": (gru, False),
       "peephole": (peephole, True)}


@pytest.mark.parametrize("cell", list(REF))
def test_gradient_norms_match_the_numpy_reference(cell: str) -> None:
    """‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖) from the torch run equal hand-written BPTT, step by step."""
    T, H = 25, 5
    x = np.random.default_rng(1).normal(size=(T, 2))
    cfg = GradientFlowConfig(cells=(cell,), length=T, hidden_size=H, input_size=2, seed=1)
    res = gradient_flow(cfg, inputs=x)
    flow, v = res.cells[cell], res.readout
    module, has_cell = REF[cell]
    p = module.from_torch(build_layer(cell, cfg))
    fwd = getattr(module, f"{cell}_forward")
    bwd = getattr(module, f"{cell}_backward")
    _, _, cache = fwd(p, x[:, None, :])  # states h_0..h_T (and c_0..c_T)
    for t in (1, 7, T - 1, T):  # the state after step t
        if t == T:
            dh, dc = v, np.zeros(H)
        else:
            state = (cache.hs[t], cache.cs[t]) if has_cell else cache.hs[t]
            _, _, sub = fwd(p, x[t:, None, :], state)  # steps t+1..T from the state at t
            if has_cell:
                _, _, (dh, dc) = bwd(p, sub, None, (v[None], None))
            else:
                _, _, dh = bwd(p, sub, None, v[None])
        assert flow.grad_h[t - 1] == pytest.approx(np.linalg.norm(dh), rel=1e-9, abs=1e-300)
        if has_cell:
            assert flow.grad_c[t - 1] == pytest.approx(np.linalg.norm(dc), rel=1e-9, abs=1e-300)
    assert flow.grad_h[-1] == pytest.approx(1.0, rel=1e-12)


def test_rnn_jacobian_norms_equal_the_analytic_jacobian() -> None:
    T, H = 30, 6
    x = np.random.default_rng(2).normal(size=(T, 1))
    cfg = GradientFlowConfig(cells=("rnn",), length=T, hidden_size=H, init="orthogonal",
                             scale=1.3, seed=2)
    flow = gradient_flow(cfg, inputs=x).cells["rnn"]
    p = rnn.from_torch(build_layer("rnn", cfg))
    _, _, cache = rnn.rnn_forward(p, x[:, None, :])
    expected = [np.linalg.norm((1 - cache.hs[t, 0] ** 2)[:, None] * p.weight_hh, 2)
                for t in range(1, T + 1)]  # ∂h_t/∂h_{t-1} = diag(1 - h_t²) U
    np.testing.assert_allclose(flow.jacobian, expected, rtol=1e-9)


def test_lstm_jacobian_norm_equals_autograd_jacobian() -> None:
    T, H = 12, 4
    x = np.random.default_rng(4).normal(size=(T, 1))
    cfg = GradientFlowConfig(cells=("lstm",), length=T, hidden_size=H, seed=4)
    flow = gradient_flow(cfg, inputs=x).cells["lstm"]
    net = build_layer("lstm", cfg)
    xt = torch.tensor(x).view(1, T, 1)
    h = c = torch.zeros(1, 1, H, dtype=torch.float64)
    for t in range(T):
        def step(s: torch.Tensor, t: int = t) -> torch.Tensor:
            _, (h1, c1) = net(xt[:, t:t + 1], (s[:H].view(1, 1, H), s[H:].view(1, 1, H)))
            return torch.cat([h1.view(H), c1.view(H)])

        s = torch.cat([h.view(H), c.view(H)]).detach()
        jac = torch.autograd.functional.jacobian(step, s)  # [2H, 2H]
        assert flow.jacobian[t] == pytest.approx(float(torch.linalg.matrix_norm(jac, 2)),
                                                 rel=1e-9)
        with torch.no_grad():
            _, (h, c) = net(xt[:, t:t + 1], (h, c))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cells": ("rnn", "lsmt")}, "unknown cell 'lsmt'"),
        ({"cells": ()}, "at least one cell"),
        ({"cells": ("gru", "gru")}, "twice"),
        ({"length": 1}, "length must be >= 2"),
        ({"init": "xavier"}, "unknown init"),
        ({"scale": 0.0}, "scale"),
    ],
)
def test_config_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        GradientFlowConfig(**kwargs)


def test_inputs_must_match_the_config() -> None:
    with pytest.raises(ConfigError, match="inputs must be"):
        gradient_flow(GradientFlowConfig(length=10), inputs=np.zeros((9, 1)))


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def test_cli_writes_png_and_csv(tmp_path: Path, capsys) -> None:
    code = main(["--json", "gradients", "--cells", "rnn,lstm", "--length", "60", "--hidden",
                 "6", "--init", "small", "--output", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert (tmp_path / "gradients.png").stat().st_size > 5000
    frame = pd.read_csv(tmp_path / "gradients.csv")
    assert len(frame) == 2 * 60 and set(frame["cell"]) == {"rnn", "lstm"}
    assert {"steps_back", "grad_h", "grad_c", "grad_state", "jacobian"} <= set(frame.columns)
    lines = [json.loads(line) for line in out.strip().splitlines()]
    assert [r["cell"] for r in lines[0]["rows"]] == ["rnn", "lstm"]
    assert lines[-1]["verdicts"][0].startswith("rnn: gradient shrinks")


def test_cli_on_a_bundled_dataset_and_a_user_csv(tmp_path: Path, capsys,
                                                 monthly: pd.DataFrame) -> None:
    code = main(["--quiet", "gradients", "--dataset", "airline", "--cells", "gru",
                 "--hidden", "4", "--output", str(tmp_path / "air")])
    assert code == 0, capsys.readouterr().err
    air = pd.read_csv(tmp_path / "air" / "gradients.csv")
    assert len(air) == 144  # the whole airline series (shorter than the default 200)
    path = tmp_path / "data.csv"
    monthly.to_csv(path, index=False)
    code = main(["--quiet", "gradients", str(path), "--length", "30", "--cells", "lstm",
                 "--hidden", "4", "--output", str(tmp_path / "csv")])
    assert code == 0, capsys.readouterr().err
    assert len(pd.read_csv(tmp_path / "csv" / "gradients.csv")) == 30
    assert (tmp_path / "csv" / "gradients.png").exists()


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--cells", "rnn,lsmt"], "unknown cell 'lsmt'"),
        (["--length", "1"], "length must be >= 2"),
        (["--dataset", "airline", "--length", "500"], "has 144 points"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path, capsys, argv: list[str],
                                             match: str) -> None:
    code = main(["gradients", *argv, "--output", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert match in err and len(err.strip().splitlines()) == 1


def test_jacobian_in_chunks_equals_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    from gatecast.diagnostics import gradients

    cfg = GradientFlowConfig(cells=("rnn", "lstm"), length=20, hidden_size=4, seed=5)
    whole = gradient_flow(cfg)
    monkeypatch.setattr(gradients, "_JACOBIAN_BATCH", 3 * 64)  # 3 LSTM steps per pass
    chunked = gradient_flow(cfg)
    for cell in cfg.cells:
        np.testing.assert_allclose(chunked.cells[cell].jacobian, whole.cells[cell].jacobian,
                                   rtol=1e-12)
