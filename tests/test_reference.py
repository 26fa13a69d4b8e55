"""The numpy reference cells: BPTT against finite differences, forward and gradients against
PyTorch (nn.RNN / nn.LSTM / nn.GRU and gatecast's PeepholeLSTMCell), all in float64."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from gatecast.errors import ConfigError
from gatecast.nn.cells import PeepholeLSTMCell
from gatecast.reference import (
    LayerParams,
    PeepholeParams,
    gru,
    lstm,
    max_relative_error,
    numerical_gradient,
    peephole,
    rnn,
)
from gatecast.reference.params import sigmoid

TOL = 1e-6


@dataclass(frozen=True)
class Spec:
    """One cell kind as the tests see it: numpy forward/backward, torch module, state kind."""

    forward: Callable[..., Any]
    backward: Callable[..., Any]
    module: Callable[[int, int], nn.Module]  # (input_size, hidden_size) -> float64 module
    has_cell: bool


def _peephole_module(d: int, h: int) -> nn.Module:
    return PeepholeLSTMCell(d, h).double()


SPECS = {
    "rnn": Spec(rnn.rnn_forward, rnn.rnn_backward,
                lambda d, h: nn.RNN(d, h, nonlinearity="tanh").double(), False),
    "lstm": Spec(lstm.lstm_forward, lstm.lstm_backward, lambda d, h: nn.LSTM(d, h).double(),
                 True),
    "gru": Spec(gru.gru_forward, gru.gru_backward, lambda d, h: nn.GRU(d, h).double(), False),
    "peephole": Spec(peephole.peephole_forward, peephole.peephole_backward, _peephole_module,
                     True),
}
MODULES = {"rnn": rnn, "lstm": lstm, "gru": gru, "peephole": peephole}


def _params(cell: str, d: int, h: int, rng: np.random.Generator) -> LayerParams | PeepholeParams:
    """Random weights larger than PyTorch's init, so that gates saturate unevenly and every
    term of the backward pass matters."""
    if cell == "peephole":
        return PeepholeParams(rng.normal(0, 0.6, (4 * h, d)), rng.normal(0, 0.6, (4 * h, h)),
                              rng.normal(0, 0.5, 4 * h), rng.normal(0, 0.5, (3, h)))
    g = {"rnn": 1, "lstm": 4, "gru": 3}[cell] * h
    return LayerParams(rng.normal(0, 0.6, (g, d)), rng.normal(0, 0.6, (g, h)),
                       rng.normal(0, 0.5, g), rng.normal(0, 0.5, g))


@dataclass
class Problem:
    """A random problem: L = Σ out ⊙ R + Σ h_T ⊙ S (+ Σ c_T ⊙ Q), so dL/d(out) = R etc."""

    cell: str
    p: Any
    x: np.ndarray  # [T, B, D]
    h0: np.ndarray  # [B, H]
    c0: np.ndarray | None  # [B, H]
    R: np.ndarray  # [T, B, H]
    S: np.ndarray  # [B, H]
    Q: np.ndarray | None  # [B, H]

    def state(self) -> Any:
        return (self.h0, self.c0) if self.c0 is not None else self.h0

    def run(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, Any]:
        out, st, cache = SPECS[self.cell].forward(self.p, self.x, self.state())
        h, c = st if self.c0 is not None else (st, None)
        return out, h, c, cache

    def loss(self) -> float:
        out, h, c, _ = self.run()
        total = np.sum(out * self.R) + np.sum(h * self.S)
        return float(total + (np.sum(c * self.Q) if c is not None else 0.0))

    def grads(self) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray | None]:
        _, _, _, cache = self.run()
        spec = SPECS[self.cell]
        if spec.has_cell:
            g, dx, (dh0, dc0) = spec.backward(self.p, cache, self.R, (self.S, self.Q))
            return g, dx, dh0, dc0
        g, dx, dh0 = spec.backward(self.p, cache, self.R, self.S)
        return g, dx, dh0, None


def _problem(cell: str, T: int, B: int, d: int, h: int, seed: int) -> Problem:
    rng = np.random.default_rng(seed)
    has_cell = SPECS[cell].has_cell
    return Problem(
        cell, _params(cell, d, h, rng), rng.normal(0, 1, (T, B, d)), rng.normal(0, 0.5, (B, h)),
        rng.normal(0, 0.5, (B, h)) if has_cell else None, rng.normal(0, 1, (T, B, h)),
        rng.normal(0, 1, (B, h)), rng.normal(0, 1, (B, h)) if has_cell else None)


# --------------------------------------------------------------------------------------------
# analytic gradients vs central finite differences
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", list(SPECS))
def test_bptt_matches_finite_differences(cell: str) -> None:
    prob = _problem(cell, T=6, B=2, d=3, h=4, seed=1)
    grads, dx, dh0, dc0 = prob.grads()
    for name, analytic in grads.arrays().items():
        numeric = numerical_gradient(prob.loss, getattr(prob.p, name))
        assert np.abs(numeric).max() > 1e-3, f"{cell}.{name}: degenerate test, no gradient"
        err = max_relative_error(analytic, numeric)
        assert err < TOL, f"{cell}: dL/d{name} differs from finite differences by {err:.2e}"
    assert max_relative_error(dx, numerical_gradient(prob.loss, prob.x)) < TOL
    assert max_relative_error(dh0, numerical_gradient(prob.loss, prob.h0)) < TOL
    if prob.c0 is not None:
        assert max_relative_error(dc0, numerical_gradient(prob.loss, prob.c0)) < TOL


def test_finite_difference_check_catches_a_wrong_gradient() -> None:
    """The check has teeth: dropping the cell path (B9) of the LSTM is detected."""
    prob = _problem("lstm", T=6, B=2, d=3, h=4, seed=1)
    _, _, _, cache = prob.run()
    gates = cache.gates.copy()
    gates[:, 1] = 0.0  # backward now believes every forget gate was 0: no cell path
    broken = lstm.LSTMCache(x=cache.x, hs=cache.hs, cs=cache.cs, gates=gates)
    g, _, _ = lstm.lstm_backward(prob.p, broken, prob.R, (prob.S, prob.Q))
    numeric = numerical_gradient(prob.loss, prob.p.weight_hh)
    assert max_relative_error(g.weight_hh, numeric) > 1e-2


# --------------------------------------------------------------------------------------------
# forward and gradients vs PyTorch with the same weights
# --------------------------------------------------------------------------------------------


def _torch_run(prob: Problem, module: nn.Module) -> dict[str, np.ndarray]:
    """Forward + backward of the torch module on the problem; outputs and every gradient."""
    x = torch.tensor(prob.x, requires_grad=True)  # [T, B, D]
    h0 = torch.tensor(prob.h0, requires_grad=True)  # [B, H]
    c0 = None if prob.c0 is None else torch.tensor(prob.c0, requires_grad=True)
    if isinstance(module, PeepholeLSTMCell):  # batch-first, states [B, H]
        out, (h, c) = module(x.transpose(0, 1), (h0, c0))
        out = out.transpose(0, 1)  # [T, B, H]
    elif c0 is not None:  # nn.LSTM: states [layers, B, H]
        out, (h, c) = module(x, (h0.unsqueeze(0), c0.unsqueeze(0)))
        h, c = h[0], c[0]
    else:
        out, h = module(x, h0.unsqueeze(0))
        h, c = h[0], None
    loss = (out * torch.tensor(prob.R)).sum() + (h * torch.tensor(prob.S)).sum()
    if c is not None:
        loss = loss + (c * torch.tensor(prob.Q)).sum()
    loss.backward()
    res = {"out": out.detach().numpy(), "h": h.detach().numpy(), "dx": x.grad.numpy(),
           "dh0": h0.grad.numpy()}
    if c is not None:
        res |= {"c": c.detach().numpy(), "dc0": c0.grad.numpy()}
    for name, param in module.named_parameters():
        res["grad_" + name.removesuffix("_l0")] = param.grad.numpy()
    return res


@pytest.mark.parametrize("cell", list(SPECS))
@pytest.mark.parametrize(("T", "B"), [(1, 1), (9, 3), (40, 2)])
def test_matches_pytorch(cell: str, T: int, B: int) -> None:
    prob = _problem(cell, T=T, B=B, d=3, h=5, seed=T + B)
    module = SPECS[cell].module(3, 5)
    if cell == "peephole":
        module.use_jit = False  # the scripted loop is compared in its own test below
    MODULES[cell].to_torch(prob.p, module)
    ref = _torch_run(prob, module)
    out, h, c, _ = prob.run()
    grads, dx, dh0, dc0 = prob.grads()
    assert max_relative_error(out, ref["out"]) < TOL
    assert max_relative_error(h, ref["h"]) < TOL
    assert max_relative_error(dx, ref["dx"]) < TOL
    assert max_relative_error(dh0, ref["dh0"]) < TOL
    if c is not None:
        assert max_relative_error(c, ref["c"]) < TOL
        assert max_relative_error(dc0, ref["dc0"]) < TOL
    for name, g in grads.arrays().items():
        err = max_relative_error(g, ref["grad_" + name])
        assert err < TOL, f"{cell} T={T}: dL/d{name} differs from PyTorch by {err:.2e}"


def test_peephole_reference_matches_the_scripted_cell() -> None:
    prob = _problem("peephole", T=12, B=2, d=2, h=4, seed=5)
    module = PeepholeLSTMCell(2, 4, use_jit=True).double()
    peephole.to_torch(prob.p, module)
    ref = _torch_run(prob, module)
    out, _, _, _ = prob.run()
    grads, dx, _, _ = prob.grads()
    assert max_relative_error(out, ref["out"]) < TOL
    assert max_relative_error(dx, ref["dx"]) < TOL
    assert max_relative_error(grads.weight_peep, ref["grad_weight_peep"]) < TOL


def test_stacked_layers_reproduce_a_two_layer_lstm() -> None:
    torch.manual_seed(0)
    net = nn.LSTM(3, 4, num_layers=2).double()
    x = np.random.default_rng(0).normal(size=(8, 2, 3))
    expected, _ = net(torch.tensor(x))
    out0, _, _ = lstm.lstm_forward(lstm.from_torch(net, layer=0), x)
    out1, _, _ = lstm.lstm_forward(lstm.from_torch(net, layer=1), out0)
    assert max_relative_error(out1, expected.detach().numpy()) < TOL


# --------------------------------------------------------------------------------------------
# parameter exchange and errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_from_torch_to_torch_round_trip(cell: str) -> None:
    rng = np.random.default_rng(3)
    p = _params(cell, 2, 3, rng)
    module = SPECS[cell].module(2, 3).float()  # float32 module: values rounded on the way in
    MODULES[cell].to_torch(p, module)
    back = MODULES[cell].from_torch(module)
    for name, value in p.arrays().items():
        np.testing.assert_allclose(getattr(back, name), value, rtol=1e-6, atol=1e-7)


def test_from_torch_cell_modules_and_no_bias() -> None:
    cell = nn.GRUCell(2, 3, bias=False)
    p = gru.from_torch(cell)
    assert p.weight_hh.shape == (9, 3) and not p.bias_ih.any() and not p.bias_hh.any()
    x = np.random.default_rng(0).normal(size=(1, 4, 2))
    expected = cell(torch.tensor(x[0], dtype=torch.float32)).detach().numpy()
    out, _, _ = gru.gru_forward(p, x)
    np.testing.assert_allclose(out[0], expected, atol=1e-6)


@pytest.mark.parametrize(
    ("make", "load", "match"),
    [
        (lambda: nn.RNN(2, 3, nonlinearity="relu"), rnn.from_torch, "tanh"),
        (lambda: nn.LSTM(2, 3, bidirectional=True), lstm.from_torch, "bidirectional"),
        (lambda: nn.LSTM(2, 3, proj_size=2), lstm.from_torch, "proj_size"),
        (lambda: nn.GRU(2, 3), lstm.from_torch, "LSTM"),
        (lambda: nn.LSTM(2, 3), lambda m: lstm.from_torch(m, layer=1), "layer"),
        (lambda: nn.LSTM(2, 3), peephole.from_torch, "Peephole"),
    ],
)
def test_from_torch_rejects_what_the_reference_does_not_implement(make, load, match) -> None:
    with pytest.raises(ConfigError, match=match):
        load(make())


def test_bad_shapes_are_config_errors() -> None:
    p = _params("lstm", 3, 4, np.random.default_rng(0))
    with pytest.raises(ConfigError, match="expected x"):
        lstm.lstm_forward(p, np.zeros((5, 2, 2)))
    with pytest.raises(ConfigError, match="state"):
        lstm.lstm_forward(p, np.zeros((5, 2, 3)), (np.zeros((2, 4)), np.zeros((3, 4))))
    _, _, cache = lstm.lstm_forward(p, np.zeros((5, 2, 3)))
    with pytest.raises(ConfigError, match="d_out"):
        lstm.lstm_backward(p, cache, np.zeros((4, 2, 4)))
    with pytest.raises(ConfigError, match="final-state"):
        lstm.lstm_backward(p, cache, None, (None, np.zeros((4,))))
    with pytest.raises(ConfigError, match="weight_hh"):
        LayerParams(np.zeros((8, 2)), np.zeros((8, 3)), np.zeros(8), np.zeros(8))


def test_sigmoid_is_exact_and_never_overflows() -> None:
    a = np.array([-1000.0, -5.0, 0.0, 5.0, 1000.0])
    with np.errstate(all="raise"):
        s = sigmoid(a)
    np.testing.assert_allclose(s, torch.sigmoid(torch.tensor(a)).numpy(), rtol=1e-14, atol=0)
