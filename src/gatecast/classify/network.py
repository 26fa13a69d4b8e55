"""The sequence-classification network: a recurrent stack read to the end, then a linear head.

``h = RNN(x)[:, -1]`` is the top layer's hidden state after the last step (for MNIST read
row by row: after the 28th row), and ``logits = W · dropout(h) + b``; the softmax of the
logits is the class probability ``p(c | x)``. The cell's gate equations are in
:mod:`gatecast.nn.recurrent`.

Bidirectional: a second, independent stack reads the sequence backwards, and its hidden
state after the (reversed) last step, i.e. after reading the first step, is concatenated
with the forward one: ``h = [h_fwd, h_bwd]`` [batch, 2*hidden]. The two stacks do not mix
between layers (``nn.LSTM(bidirectional=True)`` feeds both directions into every upper
layer); building them from :func:`gatecast.nn.make_rnn` gives every cell, the peephole LSTM
included, the same bidirectional option.
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from gatecast.checks import whole_number
from gatecast.errors import ConfigError
from gatecast.nn import CELLS, make_rnn

__all__ = ["SequenceNet", "SequenceNetConfig"]


@dataclass
class SequenceNetConfig:
    """Everything needed to rebuild a :class:`SequenceNet` (``dataclasses.asdict`` is JSON).

    ``dropout`` acts between stacked recurrent layers and on the features fed to the head.
    """

    cell: str
    input_size: int
    n_classes: int
    hidden_size: int = 128
    num_layers: int = 2
    bidirectional: bool = False
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ConfigError(f"unknown cell {self.cell!r}; use {', '.join(CELLS)}")
        minimum = {"input_size": 1, "n_classes": 2, "hidden_size": 1, "num_layers": 1}
        for name, low in minimum.items():
            # an int: numpy ints would break json.dumps
            setattr(self, name, whole_number(getattr(self, name), name, minimum=low))
        if not isinstance(self.bidirectional, bool):
            raise ConfigError(f"bidirectional must be True or False, got {self.bidirectional!r}")
        d = self.dropout
        if isinstance(d, bool) or not isinstance(d, numbers.Real) or not 0.0 <= d < 1.0:
            raise ConfigError(f"dropout must be a number in [0, 1), got {d!r}")
        self.dropout = float(d)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class SequenceNet(nn.Module):
    """``x [batch, time, input_size]`` -> ``logits [batch, n_classes]``."""

    def __init__(self, config: SequenceNetConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.forward_rnn = make_rnn(c.cell, c.input_size, c.hidden_size, c.num_layers, c.dropout)
        self.backward_rnn = (
            make_rnn(c.cell, c.input_size, c.hidden_size, c.num_layers, c.dropout)
            if c.bidirectional else None
        )
        width = c.hidden_size * (2 if c.bidirectional else 1)
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(width, c.n_classes)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 3 or x.shape[2] != self.config.input_size:
            raise ValueError(
                f"x must be [batch, time, {self.config.input_size}], got {list(x.shape)}"
            )
        out, _ = self.forward_rnn(x)  # [batch, time, hidden]
        h = out[:, -1]  # [batch, hidden]: the top layer after the last step
        if self.backward_rnn is not None:
            back, _ = self.backward_rnn(x.flip(1))  # [batch, time, hidden], time reversed
            h = torch.cat([h, back[:, -1]], dim=1)  # [batch, 2*hidden]
        return self.head(self.drop(h))  # [batch, n_classes]
