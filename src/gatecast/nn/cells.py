"""Peephole LSTM: an LSTM whose gates also look at the cell state.

The cell follows Gers & Schmidhuber (2000), "Recurrent nets that time and count", in the
form Shi et al. (2015) call FC-LSTM. With ``x_t`` the input, ``h`` the previous hidden state,
``c_{t-1}`` the previous cell state, ``σ`` the logistic sigmoid and ``⊙`` the element-wise
product::

    i_t = σ(W_i x_t + U_i h_{t-1} + p_i ⊙ c_{t-1} + b_i)      input gate
    f_t = σ(W_f x_t + U_f h_{t-1} + p_f ⊙ c_{t-1} + b_f)      forget gate
    g_t = tanh(W_g x_t + U_g h_{t-1} + b_g)                   candidate
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    o_t = σ(W_o x_t + U_o h_{t-1} + p_o ⊙ c_t + b_o)          output gate (sees the NEW c_t)
    h_t = o_t ⊙ tanh(c_t)

The peephole weights ``p_*`` are diagonal (one weight per unit, a vector), so with
``p = 0`` the cell is exactly ``torch.nn.LSTM`` (gate order i, f, g, o, as PyTorch stores it).

Speed. The input projection ``W x_t + b`` does not depend on the recurrence, so it is done
for the whole sequence in one matrix multiply before the time loop; only ``U h_{t-1}`` and
the element-wise gate arithmetic stay inside the loop. The loop itself is compiled with
TorchScript when possible (removing the Python interpreter from every step); the eager
Python loop is the fallback, and ``GATECAST_NO_JIT=1`` forces it.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Mapping

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ["JIT_ENABLED", "PeepholeLSTMCell", "PeepholeLSTMLayers", "jit_status"]

_FALSY_NO_JIT = {"", "0", "false", "no", "off"}


def _env_disables_jit(environ: Mapping[str, str]) -> bool:
    """True when ``GATECAST_NO_JIT`` asks for the eager loop (any value but 0/false/no/off)."""
    return environ.get("GATECAST_NO_JIT", "").strip().lower() not in _FALSY_NO_JIT


#: Module-wide switch, read at every forward pass: set it to ``False`` (or start Python with
#: ``GATECAST_NO_JIT=1``) to run the eager loop everywhere, e.g. to step through it in a
#: debugger. A cell's own ``use_jit`` attribute, when not ``None``, overrides it.
JIT_ENABLED: bool = not _env_disables_jit(os.environ)


def _peephole_recurrence(
    xw: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, w_peep: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """Run the recurrent part of the peephole LSTM over all time steps.

    ``xw`` [time, batch, 4*hidden] is the input projection ``W x_t + b`` (gates i, f, g, o),
    already computed for every step; ``h``, ``c`` [batch, hidden] the initial state;
    ``w_hh`` [4*hidden, hidden] the recurrent weights U; ``w_peep`` [3, hidden] the peephole
    vectors p_i, p_f, p_o. Returns (outputs [time, batch, hidden], h_T, c_T).

    Kept free of Python-only constructs so that ``torch.jit.script`` can compile it.
    """
    w_hh_t = w_hh.t()  # [hidden, 4*hidden]; transposed once instead of at every step
    p_i = w_peep[0]  # [hidden]
    p_f = w_peep[1]  # [hidden]
    p_o = w_peep[2]  # [hidden]
    outputs: list[Tensor] = []
    # unbind, not xw[t]: the backward of each xw[t] would allocate a zero tensor the size of
    # the whole sequence (O(time^2) memory traffic: backward ~20x slower at 144 steps); the
    # backward of unbind stacks all the step gradients once.
    for xw_t in xw.unbind(0):  # xw_t [batch, 4*hidden]
        # addmm fuses "xw_t + h @ U^T" into one BLAS call with no temporary
        gates = torch.addmm(xw_t, h, w_hh_t)  # [batch, 4*hidden]
        gi, gf, gg, go = gates.chunk(4, 1)  # 4 x [batch, hidden]
        i = torch.sigmoid(gi + p_i * c)  # [batch, hidden]; peeks at c_{t-1}
        f = torch.sigmoid(gf + p_f * c)  # [batch, hidden]; peeks at c_{t-1}
        g = torch.tanh(gg)  # [batch, hidden]
        c = f * c + i * g  # [batch, hidden]
        o = torch.sigmoid(go + p_o * c)  # [batch, hidden]; peeks at the new c_t
        h = o * torch.tanh(c)  # [batch, hidden]
        outputs.append(h)
    return torch.stack(outputs), h, c  # [time, batch, hidden], [batch, hidden], [batch, hidden]


_Recurrence = Callable[[Tensor, Tensor, Tensor, Tensor, Tensor], tuple[Tensor, Tensor, Tensor]]
_scripted: _Recurrence | None = None
_script_error: str | None = None
_script_tried = False


def _scripted_recurrence() -> _Recurrence | None:
    """The TorchScript version of the loop, compiled on first use; ``None`` if that failed."""
    global _scripted, _script_error, _script_tried
    if not _script_tried:
        _script_tried = True
        try:
            # recent torch (2.13 here) flags torch.jit as deprecated; the warning would reach every
            # user although nothing is wrong on their side, so it is silenced for this call only.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                _scripted = torch.jit.script(_peephole_recurrence)
        except Exception as exc:  # any failure must leave the (correct) eager loop usable
            _script_error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            warnings.warn(
                f"gatecast: TorchScript compilation of the peephole LSTM failed ({_script_error});"
                " using the slower eager loop",
                RuntimeWarning,
                stacklevel=3,
            )
    return _scripted


def jit_status() -> tuple[bool, str | None]:
    """(is the scripted loop available, error message if scripting failed). Compiles on demand."""
    return _scripted_recurrence() is not None, _script_error


class PeepholeLSTMCell(nn.Module):
    """One peephole-LSTM layer applied to a whole sequence.

    Gate equations (``σ`` sigmoid, ``⊙`` element-wise product)::

        i_t = σ(W_i x_t + U_i h_{t-1} + p_i ⊙ c_{t-1} + b_i)
        f_t = σ(W_f x_t + U_f h_{t-1} + p_f ⊙ c_{t-1} + b_f)
        g_t = tanh(W_g x_t + U_g h_{t-1} + b_g)
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
        o_t = σ(W_o x_t + U_o h_{t-1} + p_o ⊙ c_t + b_o)
        h_t = o_t ⊙ tanh(c_t)

    Parameters (gate blocks stacked in the order i, f, g, o, like ``nn.LSTM``):
    ``weight_ih`` [4H, input_size] = W, ``weight_hh`` [4H, H] = U, ``bias`` [4H] = b (a single
    bias: ``nn.LSTM``'s ``bias_ih + bias_hh`` collapse into it), ``weight_peep`` [3, H] =
    p_i, p_f, p_o.

    Unlike ``nn.LSTMCell`` it consumes a whole sequence, because the input projection of all
    steps is one matrix multiply done before the time loop.

    Initialisation: W, U, b uniform in ±1/sqrt(H) as in ``nn.LSTM``; the forget-gate bias is
    then set to 1 so that f_t starts near σ(1) ≈ 0.73 and the cell state (and its gradient)
    survives many steps from the first update on, instead of being halved every step, which
    makes long look-back windows trainable from the start (Gers et al. 2000; Jozefowicz et al.
    2015). The peepholes start small (±0.1/sqrt(H)) so that the untrained cell is close to
    the well-understood plain LSTM and they grow only where the data reward them.
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, use_jit: bool | None = None
    ) -> None:
        super().__init__()
        if input_size < 1 or hidden_size < 1:
            raise ValueError(
                f"input_size and hidden_size must be >= 1, got {input_size} and {hidden_size}"
            )
        self.input_size = input_size
        self.hidden_size = hidden_size
        #: ``None`` follows the module flag :data:`JIT_ENABLED`; True/False force a path.
        self.use_jit = use_jit
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size))
        self.bias: nn.Parameter | None
        if bias:
            self.bias = nn.Parameter(torch.empty(4 * hidden_size))
        else:
            self.register_parameter("bias", None)
        self.weight_peep = nn.Parameter(torch.empty(3, hidden_size))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """nn.LSTM's uniform init, forget-gate bias 1, small peepholes (see the class doc)."""
        k = 1.0 / math.sqrt(self.hidden_size)
        nn.init.uniform_(self.weight_ih, -k, k)
        nn.init.uniform_(self.weight_hh, -k, k)
        nn.init.uniform_(self.weight_peep, -0.1 * k, 0.1 * k)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -k, k)
            with torch.no_grad():
                self.bias[self.hidden_size : 2 * self.hidden_size].fill_(1.0)

    def _wants_jit(self) -> bool:
        if torch.compiler.is_compiling():
            # torch.compile cannot look inside a ScriptFunction; the eager loop it can trace.
            return False
        return JIT_ENABLED if self.use_jit is None else self.use_jit

    def forward(
        self, x: Tensor, state: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """``x`` [batch, time, input_size], ``state`` (h0, c0) each [batch, hidden] or None
        (zeros). Returns (output [batch, time, hidden], (h_T, c_T) each [batch, hidden])."""
        if x.dim() != 3 or x.size(2) != self.input_size:
            raise ValueError(
                f"expected input [batch, time, {self.input_size}], got {list(x.shape)}"
            )
        if x.size(1) == 0:
            raise ValueError("the input sequence is empty (time dimension 0)")
        batch = x.size(0)
        if state is None:
            h0 = x.new_zeros(batch, self.hidden_size)  # [batch, hidden]
            c0 = x.new_zeros(batch, self.hidden_size)  # [batch, hidden]
        else:
            h0, c0 = state  # [batch, hidden] each
        # Time-major projection: the result is contiguous per step, so xw[t] in the loop is a
        # cheap contiguous slice; one GEMM for all steps instead of one small GEMM per step.
        xw = F.linear(x.transpose(0, 1), self.weight_ih, self.bias)  # [time, batch, 4*hidden]
        scripted = _scripted_recurrence() if self._wants_jit() else None
        if scripted is None:
            out, h, c = _peephole_recurrence(xw, h0, c0, self.weight_hh, self.weight_peep)
        else:
            # Plain interpretation of the scripted graph, without TorchScript's optimising
            # pass: that pass swaps autograd for TorchScript's own symbolic derivatives, which
            # (torch 2.13) raise a shape error in backward when the loss reaches the loop only
            # through c_T, and round differently from eager. The interpreter alone already
            # takes Python out of every step, the gain that matters here (the CPU fuser is
            # off by default anyway); backward stays ordinary autograd, bit-equal to eager.
            with torch.jit.optimized_execution(False):
                out, h, c = scripted(xw, h0, c0, self.weight_hh, self.weight_peep)
        # out [time, batch, hidden]; h, c [batch, hidden]
        return out.transpose(0, 1), (h, c)  # [batch, time, hidden]; (h, c) [batch, hidden]

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias is not None}"


class PeepholeLSTMLayers(nn.Module):
    """A stack of :class:`PeepholeLSTMCell` layers called like ``torch.nn.LSTM``.

    ``forward(x, hx=None)`` with ``x`` [batch, time, input_size] (``batch_first=True``) or
    [time, batch, input_size], and ``hx = (h_0, c_0)`` each [num_layers, batch, hidden]
    returns ``output, (h_n, c_n)``: the top layer's h_t for every step and the final states
    of every layer. Each layer applies the peephole equations of :class:`PeepholeLSTMCell`;
    layer ``l > 0`` takes layer ``l-1``'s h_t as its input x_t. As in ``nn.LSTM``, dropout
    (in training mode) acts on the outputs of every layer except the last.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        batch_first: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = float(dropout)
        self.batch_first = batch_first
        self.layers = nn.ModuleList(
            PeepholeLSTMCell(input_size if k == 0 else hidden_size, hidden_size, bias=bias)
            for k in range(num_layers)
        )

    @property
    def use_jit(self) -> bool | None:
        """The layers' TorchScript setting (None = follow :data:`JIT_ENABLED`)."""
        return self.layers[0].use_jit

    @use_jit.setter
    def use_jit(self, value: bool | None) -> None:
        for layer in self.layers:
            layer.use_jit = value

    def forward(
        self, x: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        if x.dim() != 3:
            raise ValueError(f"expected a 3-d input, got shape {list(x.shape)}")
        if not self.batch_first:
            x = x.transpose(0, 1)  # [batch, time, features]
        h_n: list[Tensor] = []
        c_n: list[Tensor] = []
        out = x  # [batch, time, input_size]
        for k, layer in enumerate(self.layers):
            state = None if hx is None else (hx[0][k], hx[1][k])  # [batch, hidden] each
            out, (h, c) = layer(out, state)  # [batch, time, hidden]
            h_n.append(h)
            c_n.append(c)
            if self.dropout > 0.0 and k < self.num_layers - 1:
                # between layers only, never on the top output, matching nn.LSTM
                out = F.dropout(out, self.dropout, self.training)  # [batch, time, hidden]
        if not self.batch_first:
            out = out.transpose(0, 1)  # [time, batch, hidden]
        return out, (torch.stack(h_n), torch.stack(c_n))  # h_n, c_n [layers, batch, hidden]

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
            f"dropout={self.dropout}, batch_first={self.batch_first}"
        )
