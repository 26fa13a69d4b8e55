"""``gatecast gradients``: how far back in time does each cell's gradient reach?

Runs one layer of every requested cell over a sequence (standard normal noise, or the last
``--length`` points of the first series of FILE / ``--dataset``, standardised), puts a loss
on the last output only and prints, per cell, how much of the gradient survives to the first
step; writes ``gradients.png`` (norm against steps back) and ``gradients.csv`` (every step)
into ``--output``. See :mod:`gatecast.diagnostics.gradients` for the definitions.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from gatecast.cli.common import add_data_args, csv_list, load_data, write_frame
from gatecast.diagnostics.gradients import GradientFlowConfig, gradient_flow
from gatecast.errors import ConfigError, DataError
from gatecast.plotting.gradients import plot_gradient_flow

NAME = "gradients"
EXAMPLE = "gatecast gradients --cells rnn,lstm,gru --length 200 --init small --output grads"
DEFAULT_LENGTH = 200


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        NAME, help="measure how gradients flow back through time in RNN/LSTM/GRU cells",
        description="Gradient of a loss on the last output with respect to every earlier"
        " hidden state: the vanishing gradient of a plain RNN, the LSTM's cell path.",
        epilog=f"example: {EXAMPLE}")
    add_data_args(p)
    p.set_defaults(h=1)  # load_data wants a horizon; the gradient flow has none
    p.add_argument("--cells", default="rnn,lstm,gru",
                   help="cells, comma-separated: rnn, lstm, gru, peephole")
    p.add_argument("--length", type=int, default=None,
                   help=f"sequence length T (default {DEFAULT_LENGTH}; with data at most the"
                   " series length)")
    p.add_argument("--hidden", type=int, default=32, help="hidden size H")
    p.add_argument("--input-size", type=int, default=1,
                   help="input features of the noise sequence (data gives 1)")
    p.add_argument("--init", default="default",
                   help="recurrent weights: default (PyTorch), orthogonal, small (norm 0.5)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply the recurrent weights by this after --init")
    p.add_argument("--forget-bias", type=float, default=1.0,
                   help="LSTM/peephole forget-gate bias")
    p.add_argument("--output", default="gatecast-gradients",
                   help="folder for gradients.png and gradients.csv")


def series_inputs(args: argparse.Namespace) -> tuple[np.ndarray, str]:
    """The standardised last ``--length`` points of the first series of the data: [T, 1]."""
    sf, _, _ = load_data(args)
    uid = sf.ids[0]
    y = sf.frame["y"].to_numpy(np.float64)[sf.indptr[0]:sf.indptr[1]]
    n = len(y)
    length = min(DEFAULT_LENGTH, n) if args.length is None else args.length
    if length < 2:
        raise ConfigError(f"--length must be >= 2 steps to see gradients flow, got {length}")
    if length > n:
        raise DataError(f"series {str(uid)!r} has {n} points; pass --length {n} or less")
    window = y[n - length:]  # [T]
    sd = float(window.std())
    if not sd > 0:
        raise DataError(f"series {str(uid)!r} is constant over its last {length} points;"
                        " choose a series that varies")
    z = (window - window.mean()) / sd  # [T]
    where = f"dataset {args.dataset}" if args.dataset else Path(args.file).name
    return z[:, None], f"{where}, series {str(uid)!r}, last {length} points, standardised"


def run(args: argparse.Namespace, ui: Any) -> int:
    inputs, source = None, None
    length = DEFAULT_LENGTH if args.length is None else args.length
    input_size = args.input_size
    if args.file or args.dataset:
        if input_size != 1:
            raise ConfigError("--input-size applies to the noise input only; a series gives 1")
        inputs, source = series_inputs(args)
        length = inputs.shape[0]
    config = GradientFlowConfig(
        cells=tuple(csv_list(args.cells)), length=length, hidden_size=args.hidden,
        input_size=input_size, init=args.init, scale=args.scale,
        forget_bias=args.forget_bias, seed=args.seed)
    result = gradient_flow(config, inputs, source)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = write_frame(result.to_frame(), out / "gradients.csv")
    png_path = out / "gradients.png"
    plot_gradient_flow(result, png_path)
    summary = result.summary()
    ui.table(summary.drop(columns="verdict"),
             title=f"gradient flow over T={length} steps (H={config.hidden_size},"
             f" init={config.init}, input: {result.source})")
    verdicts = result.verdicts
    ui.done("\n".join([*verdicts, f"wrote {png_path} and {csv_path}"]),
            {"verdicts": verdicts, "png": str(png_path), "csv": str(csv_path),
             "summary": summary.reset_index().replace({np.nan: None}).to_dict(orient="records")})
    return 0
