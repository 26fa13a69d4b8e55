"""Tests of gatecast.nn: the peephole LSTM against its equations and nn.LSTM, and the networks."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

import pytest
import torch
from torch import Tensor, nn

from gatecast.errors import ConfigError
from gatecast.nn import (
    CELLS,
    KINDS,
    NetworkConfig,
    PeepholeLSTMCell,
    PeepholeLSTMLayers,
    build_network,
    empty_inputs,
    jit_status,
    make_rnn,
    patchify,
)
from gatecast.nn.cells import _env_disables_jit
from gatecast.nn.networks import CausalConv

# --------------------------------------------------------------------------------------------
# peephole LSTM
# --------------------------------------------------------------------------------------------


def _reference_sequence(
    cell: PeepholeLSTMCell, x: Tensor, h: Tensor, c: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """The gate equations written out one step at a time, one weight block per gate."""
    n = cell.hidden_size
    w, u, b, p = cell.weight_ih, cell.weight_hh, cell.bias, cell.weight_peep
    assert b is not None

    def pre(k: int, x_t: Tensor, h: Tensor) -> Tensor:  # W_k x + U_k h + b_k, gate order ifgo
        rows = slice(k * n, (k + 1) * n)
        return x_t @ w[rows].T + h @ u[rows].T + b[rows]

    outs = []
    for t in range(x.shape[1]):
        x_t = x[:, t]
        i = torch.sigmoid(pre(0, x_t, h) + p[0] * c)
        f = torch.sigmoid(pre(1, x_t, h) + p[1] * c)
        g = torch.tanh(pre(2, x_t, h))
        c = f * c + i * g
        o = torch.sigmoid(pre(3, x_t, h) + p[2] * c)
        h = o * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs, dim=1), h, c


def _tiny_cell(use_jit: bool) -> PeepholeLSTMCell:
    torch.manual_seed(0)
    cell = PeepholeLSTMCell(3, 4, use_jit=use_jit).double()
    with torch.no_grad():
        cell.weight_peep.normal_(0.0, 0.5)  # large enough that a peephole bug would show
    return cell


@pytest.mark.parametrize("use_jit", [False, True])
def test_peephole_cell_matches_hand_written_equations(use_jit: bool) -> None:
    cell = _tiny_cell(use_jit)
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    h0 = torch.randn(2, 4, dtype=torch.float64)
    c0 = torch.randn(2, 4, dtype=torch.float64)
    out, (h, c) = cell(x, (h0, c0))
    ref_out, ref_h, ref_c = _reference_sequence(cell, x, h0, c0)
    torch.testing.assert_close(out, ref_out, rtol=0, atol=1e-12)
    torch.testing.assert_close(h, ref_h, rtol=0, atol=1e-12)
    torch.testing.assert_close(c, ref_c, rtol=0, atol=1e-12)
    assert out.shape == (2, 5, 4)


@pytest.mark.parametrize("use_jit", [False, True])
def test_peephole_cell_gradcheck_inputs_and_parameters(use_jit: bool) -> None:
    cell = _tiny_cell(use_jit)
    names = [name for name, _ in cell.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in cell.parameters()]
    x = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)

    def run(x: Tensor, h0: Tensor, c0: Tensor, *flat: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        out, (h, c) = torch.func.functional_call(cell, dict(zip(names, flat, strict=True)),
                                                 (x, (h0, c0)))
        return out, h, c

    assert set(names) == {"weight_ih", "weight_hh", "bias", "weight_peep"}
    assert torch.autograd.gradcheck(run, (x, h0, c0, *params))


def _copy_lstm_into_peephole(lstm: nn.LSTM, peep: PeepholeLSTMLayers) -> None:
    with torch.no_grad():
        for k, layer in enumerate(peep.layers):
            layer.weight_ih.copy_(getattr(lstm, f"weight_ih_l{k}"))
            layer.weight_hh.copy_(getattr(lstm, f"weight_hh_l{k}"))
            layer.bias.copy_(getattr(lstm, f"bias_ih_l{k}") + getattr(lstm, f"bias_hh_l{k}"))
            layer.weight_peep.zero_()


@pytest.mark.parametrize("use_jit", [False, True])
def test_zero_peepholes_equal_nn_lstm(use_jit: bool) -> None:
    """With p = 0 the equations are nn.LSTM's: same outputs, states and weight gradients."""
    torch.manual_seed(1)
    lstm = nn.LSTM(3, 5, num_layers=2, batch_first=True).double()
    peep = PeepholeLSTMLayers(3, 5, num_layers=2).double()
    peep.use_jit = use_jit
    assert all(layer.use_jit is use_jit for layer in peep.layers)
    _copy_lstm_into_peephole(lstm, peep)
    x = torch.randn(4, 7, 3, dtype=torch.float64)
    hx = (torch.randn(2, 4, 5, dtype=torch.float64), torch.randn(2, 4, 5, dtype=torch.float64))
    for state in (None, hx):
        out_l, (h_l, c_l) = lstm(x, state)
        out_p, (h_p, c_p) = peep(x, state)
        for a, b in ((out_p, out_l), (h_p, h_l), (c_p, c_l)):
            assert a.shape == b.shape
            torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    (out_l.sum() + c_l.sum()).backward()
    (out_p.sum() + c_p.sum()).backward()
    for k, layer in enumerate(peep.layers):
        torch.testing.assert_close(layer.weight_ih.grad, getattr(lstm, f"weight_ih_l{k}").grad)
        torch.testing.assert_close(layer.weight_hh.grad, getattr(lstm, f"weight_hh_l{k}").grad)
        torch.testing.assert_close(layer.bias.grad, getattr(lstm, f"bias_ih_l{k}").grad)


def test_scripted_loop_equals_eager_loop() -> None:
    if not hasattr(torch.jit, "script"):
        pytest.skip("this torch has no TorchScript; the eager loop is the only path")
    ok, error = jit_status()
    assert ok, f"torch.jit.script failed on the peephole loop: {error}"
    torch.manual_seed(2)
    model = PeepholeLSTMLayers(3, 8, num_layers=2)
    x = torch.randn(4, 9, 3)
    results = {}
    for use_jit in (False, True):
        model.use_jit = use_jit
        # three calls: TorchScript's profiling executor only optimises from the third run on
        for _ in range(3):
            model.zero_grad()
            out, (h, c) = model(x)
            (out.square().mean() + c.sum()).backward()
        grads = [p.grad.clone() for p in model.parameters()]
        results[use_jit] = (out.detach(), h.detach(), c.detach(), *grads)
    for eager, scripted in zip(results[False], results[True], strict=True):
        assert torch.equal(eager, scripted)


def _autograd_node_counts(t: Tensor) -> Counter[str]:
    counts: Counter[str] = Counter()
    stack, visited = [t.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in visited:
            continue
        visited.add(id(node))
        counts[type(node).__name__] += 1
        stack.extend(next_fn for next_fn, _ in node.next_functions)
    return counts


@pytest.mark.parametrize("use_jit", [False, True])
def test_time_loop_slices_with_unbind(use_jit: bool) -> None:
    """Indexing xw[t] per step makes backward allocate a full-sequence zero tensor per step
    (O(time^2), ~20x slower at 144 steps); the loop must unbind the sequence once instead."""
    cell = PeepholeLSTMCell(2, 3, use_jit=use_jit)
    out, _ = cell(torch.randn(2, 10, 2))
    counts = _autograd_node_counts(out.sum())
    assert counts["UnbindBackward0"] == 1
    assert counts["SelectBackward0"] <= 3  # the three peephole rows, not one per time step


def test_env_variable_forces_eager() -> None:
    assert _env_disables_jit({"GATECAST_NO_JIT": "1"})
    assert _env_disables_jit({"GATECAST_NO_JIT": "true"})
    assert not _env_disables_jit({})
    assert not _env_disables_jit({"GATECAST_NO_JIT": "0"})


def test_peephole_stack_conventions() -> None:
    torch.manual_seed(3)
    model = PeepholeLSTMLayers(2, 6, num_layers=3, dropout=0.5)
    x = torch.randn(5, 4, 2)
    model.eval()  # dropout off
    out, (h, c) = model(x)
    assert out.shape == (5, 4, 6) and h.shape == c.shape == (3, 5, 6)
    torch.testing.assert_close(out[:, -1], h[-1])
    time_major = PeepholeLSTMLayers(2, 6, num_layers=3, batch_first=False)
    time_major.load_state_dict(model.state_dict())
    out_t, _ = time_major(x.transpose(0, 1))
    torch.testing.assert_close(out_t.transpose(0, 1), out)
    # training-mode dropout acts between layers: the top output stays a valid LSTM output
    model.train()
    out_train, _ = model(x)
    assert not torch.equal(out_train, out)


def test_forget_gate_bias_starts_at_one() -> None:
    cell = PeepholeLSTMCell(3, 4)
    assert cell.bias is not None and torch.all(cell.bias[4:8] == 1.0)
    assert cell.weight_peep.abs().max() <= 0.1 / 2  # ±0.1/sqrt(4)
    lstm = make_rnn("lstm", 3, 4, num_layers=2, dropout=0.0)
    for k in range(2):
        total = getattr(lstm, f"bias_ih_l{k}") + getattr(lstm, f"bias_hh_l{k}")
        assert torch.all(total[4:8] == 1.0)


# --------------------------------------------------------------------------------------------
# make_rnn
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_make_rnn_cells(cell: str) -> None:
    rnn = make_rnn(cell, 3, 5, num_layers=2, dropout=0.25)
    out, state = rnn(torch.randn(2, 6, 3))
    assert out.shape == (2, 6, 5)
    h = state[0] if isinstance(state, tuple) else state
    assert h.shape == (2, 2, 5)
    assert rnn.dropout == 0.25
    assert make_rnn(cell, 3, 5, num_layers=1, dropout=0.25).dropout == 0.0  # nothing between


def test_make_rnn_kinds_are_the_fused_kernels() -> None:
    assert type(make_rnn("rnn", 1, 2)) is nn.RNN
    assert make_rnn("rnn", 1, 2).nonlinearity == "tanh"
    assert type(make_rnn("lstm", 1, 2)) is nn.LSTM
    assert type(make_rnn("gru", 1, 2)) is nn.GRU
    assert type(make_rnn("peephole", 1, 2)) is PeepholeLSTMLayers


def test_make_rnn_unknown_cell_lists_valid_names() -> None:
    with pytest.raises(ConfigError, match="rnn, lstm, gru, peephole"):
        make_rnn("transformer", 1, 2)


# --------------------------------------------------------------------------------------------
# networks
# --------------------------------------------------------------------------------------------

SMALL = {"hidden_size": 8, "head_hidden": 8, "conv_channels": 4}


def _config(kind: str, **overrides: object) -> NetworkConfig:
    args: dict[str, object] = {"kind": kind, "input_size": 2, "look_back": 12, "horizon": 3}
    args.update(SMALL)
    args.update(overrides)  # may replace kind too
    return NetworkConfig(**args)  # type: ignore[arg-type]


def _inputs(config: NetworkConfig, batch: int = 4) -> tuple[Tensor, Tensor, Tensor]:
    x = torch.randn(batch, config.look_back, config.input_size)
    future = torch.randn(batch, config.horizon, config.future_size)
    static = torch.randn(batch, config.static_size)
    return x, future, static


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"future_size": 2, "static_size": 3},
        {"future_size": 1, "patch_size": 4, "n_outputs": 3},
        {"static_size": 2, "patch_size": 3, "num_layers": 1, "head_layers": 0, "cell": "gru"},
        {"patch_size": 12, "cell": "peephole", "horizon": 1},
    ],
)
def test_output_shape(kind: str, extra: dict[str, object]) -> None:
    config = _config(kind, **extra)
    net = build_network(config)
    y = net(*_inputs(config, batch=5))
    assert y.shape == (5, config.horizon, config.n_outputs)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("kind", KINDS)
def test_zero_width_inputs_from_empty_inputs(kind: str) -> None:
    config = _config(kind)
    future, static = empty_inputs(config, 6)
    assert future.shape == (6, 3, 0) and static.shape == (6, 0)
    assert build_network(config)(torch.randn(6, 12, 2), future, static).shape == (6, 3, 1)


@pytest.mark.parametrize("kind", KINDS)
def test_gradients_reach_every_parameter(kind: str) -> None:
    config = _config(kind, future_size=2, static_size=1, patch_size=2, n_outputs=2,
                     dropout=0.1)
    torch.manual_seed(4)
    net = build_network(config)
    net.train()
    net(*_inputs(config)).square().sum().backward()
    for name, param in net.named_parameters():
        assert param.grad is not None, f"{kind}: no gradient for {name}"
        assert torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, f"{kind}: zero gradient for {name}"


@pytest.mark.parametrize("kind", KINDS)
def test_initial_output_is_near_zero(kind: str) -> None:
    config = _config(kind, future_size=1, static_size=1)
    torch.manual_seed(5)
    y = build_network(config)(*_inputs(config, batch=16))
    assert y.abs().max() < 0.1  # the head's last layer starts small: targets are normalised


@pytest.mark.parametrize("kind", KINDS)
def test_deterministic_under_seed(kind: str) -> None:
    config = _config(kind, dropout=0.3, future_size=1)
    outputs = []
    for _ in range(2):
        torch.manual_seed(6)
        net = build_network(config)
        net.train()  # dropout included: it must draw from the same seeded generator
        inputs = _inputs(config)
        outputs.append(net(*inputs))
    assert torch.equal(outputs[0], outputs[1])


@pytest.mark.parametrize("kind", KINDS)
def test_config_json_round_trip(kind: str) -> None:
    config = _config(kind, future_size=2, static_size=1, patch_size=4, dropout=0.2, cell="gru")
    text = json.dumps(dataclasses.asdict(config))
    again = NetworkConfig(**json.loads(text))
    assert again == config
    assert NetworkConfig.from_dict(json.loads(text)) == config
    a, b = build_network(config).state_dict(), build_network(again).state_dict()
    assert list(a) == list(b)
    assert all(a[k].shape == b[k].shape for k in a)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("period", [1, 5])
def test_baseline_skip_adds_the_repeated_last_period(kind: str, period: int) -> None:
    config = _config(kind, skip_period=period, horizon=7, n_outputs=3, patch_size=2)
    torch.manual_seed(8)
    net = build_network(config)
    x, future, static = _inputs(config)
    inner = net.net(x, future, static)
    expected = torch.stack([x[:, 12 - period + (j % period), 0] for j in range(7)], dim=1)
    torch.testing.assert_close(net(x, future, static), inner + expected[:, :, None])
    # gradients still reach the inner network
    net(x, future, static).square().sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    text = json.dumps(dataclasses.asdict(config))
    assert NetworkConfig(**json.loads(text)) == config
    with pytest.raises(ConfigError, match="skip_period"):
        _config(kind, skip_period=13)


def test_numpy_ints_are_coerced_for_json() -> None:
    np = pytest.importorskip("numpy")
    config = NetworkConfig(kind="mlp", input_size=np.int64(1), look_back=np.int32(8), horizon=2)
    assert json.loads(json.dumps(dataclasses.asdict(config)))["look_back"] == 8


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"look_back": 10, "patch_size": 4}, "divisible by patch_size"),
        ({"kind": "transformer"}, "one of rnn, lstm"),
        ({"cell": "mlp"}, "cell"),
        ({"hidden_size": -1}, "hidden_size"),
        ({"future_size": -2}, "future_size"),
        ({"input_size": 0}, "input_size"),
        ({"horizon": 0}, "horizon"),
        ({"head_layers": -1}, "head_layers"),
        ({"patch_size": 0}, "patch_size"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"dropout": float("nan")}, "dropout"),
        ({"hidden_size": 8.5}, "integer"),
        ({"num_layers": True}, "integer"),
    ],
)
def test_bad_config_raises_config_error(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _config(**{"kind": "lstm", **overrides})  # type: ignore[arg-type]


def test_from_dict_rejects_unknown_fields() -> None:
    data = dataclasses.asdict(_config("gru"))
    data["hiden_size"] = 3
    with pytest.raises(ConfigError, match="hiden_size"):
        NetworkConfig.from_dict(data)


def test_wrong_input_shapes_are_reported() -> None:
    config = _config("lstm", future_size=1)
    net = build_network(config)
    x, future, static = _inputs(config)
    with pytest.raises(ValueError, match=r"x must be \[batch, 12, 2\]"):
        net(x[:, :-1], future, static)
    with pytest.raises(ValueError, match="empty_inputs"):
        net(x, future[..., :0], static)


def test_patchify_keeps_steps_in_order() -> None:
    x = torch.arange(2 * 6 * 2).reshape(2, 6, 2)
    p = patchify(x, 3)
    assert p.shape == (2, 2, 6)
    assert p[0, 1].tolist() == x[0, 3:6].reshape(-1).tolist()


def test_causal_conv_does_not_look_ahead() -> None:
    torch.manual_seed(7)
    conv = CausalConv(2, 4, layers=2, kernel=3)
    x = torch.randn(1, 10, 2)
    y = conv(x)
    x2 = x.clone()
    x2[:, 6:] += 1.0
    y2 = conv(x2)
    assert y.shape == (1, 10, 4)
    assert torch.equal(y[:, :6], y2[:, :6])


def test_scripted_backward_through_the_cell_state_only() -> None:
    """Regression: with TorchScript's optimising executor (its own symbolic derivatives) a
    loss on c_T alone raised "mat1 and mat2 shapes cannot be multiplied" in backward."""
    torch.manual_seed(8)
    cell = PeepholeLSTMCell(3, 4, use_jit=True)
    x = torch.randn(2, 5, 3)
    state = (torch.randn(2, 4), torch.randn(2, 4))
    cell(x, state)  # a first call in which only the parameters require grad
    h0, c0 = (s.clone().requires_grad_() for s in state)
    for _ in range(3):
        _, (_, c) = cell(x, (h0, c0))
        grads = torch.autograd.grad(c.sum(), [h0, c0, *cell.parameters()])
        assert all(torch.isfinite(g).all() for g in grads)
