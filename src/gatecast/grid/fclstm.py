"""FC-LSTM on frames: the baseline of Shi et al. (2015), a fully connected encoder-decoder.

Each frame is flattened to a vector of ``C*H*W`` pixels, so the LSTM sees no spatial
structure at all: every hidden unit is connected to every pixel. The network is gatecast's
:class:`gatecast.nn.Seq2SeqNet` (encoder LSTM, decoder started from its final state and driven
by a learned step embedding, linear head), with the head emitting a whole frame per step.
The cell defaults to the peephole LSTM, the form the paper calls FC-LSTM.
"""

from __future__ import annotations

from torch import Tensor, nn

from gatecast.nn import NetworkConfig, build_network, empty_inputs


class FCLSTMNet(nn.Module):
    """``net(x [B, look_back, C, H, W]) -> [B, horizon, C, H, W]`` through flattened frames."""

    def __init__(self, config: NetworkConfig, frame_shape: tuple[int, int, int]) -> None:
        super().__init__()
        self.config = config
        self.frame_shape = tuple(int(v) for v in frame_shape)
        self.seq2seq = build_network(config)

    @staticmethod
    def make_config(frame_shape: tuple[int, int, int], look_back: int, horizon: int,
                    hidden_size: int, num_layers: int, cell: str) -> NetworkConfig:
        pixels = frame_shape[0] * frame_shape[1] * frame_shape[2]
        return NetworkConfig(kind="seq2seq", cell=cell, input_size=pixels, look_back=look_back,
                             horizon=horizon, hidden_size=hidden_size, num_layers=num_layers,
                             n_outputs=pixels, head_layers=0)

    def init_output_bias(self, value: float) -> None:
        """Start every output at ``value`` (e.g. the logit of the mean pixel)."""
        last = [m for m in self.seq2seq.head.modules() if isinstance(m, nn.Linear)][-1]
        nn.init.constant_(last.bias, value)

    def forward(self, x: Tensor) -> Tensor:
        batch = x.shape[0]
        flat = x.flatten(2)  # [B, look_back, C*H*W]
        future, static = empty_inputs(self.config, batch, flat.dtype, flat.device)
        out = self.seq2seq(flat, future, static)  # [B, horizon, C*H*W]
        return out.unflatten(2, self.frame_shape)  # [B, horizon, C, H, W]
