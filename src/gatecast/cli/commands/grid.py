"""``gatecast grid``: ConvLSTM on a NumPy array of frames.

Reads ``FRAMES.npy`` (``[time, rows, cols]`` or ``[time, channels, rows, cols]``), holds out
the last ``--h`` frames, fits a :class:`gatecast.grid.ConvLSTMForecaster` on the frames
before them and scores its forecast of the held-out frames next to copy-last-frame. Then it
forecasts the ``--h`` frames after the end of the data with the same network (fed the last
``--look-back`` frames; no refit) and writes into ``--output``:

* ``forecast.npy``: those frames, in the input's layout (``[h, rows, cols]`` or
  ``[h, channels, rows, cols]``);
* ``holdout.png`` (inputs, held-out truth, both models) and ``forecast.png``;
* ``model/`` (``config.json`` + ``weights.safetensors``) and ``history.csv``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gatecast.cli.common import csv_list
from gatecast.errors import ConfigError, DataError
from gatecast.grid import ConvLSTMForecaster, CopyLastFrame, frame_bce
from gatecast.grid.data import as_sequences
from gatecast.io.paths import atomic_write, write_frame
from gatecast.plotting.frames import plot_frames
from gatecast.training.config import TrainerConfig

NAME = "grid"
EXAMPLE = "gatecast grid frames.npy --h 10 --look-back 10 --epochs 5 --output grid-out"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        NAME, help="forecast frames (gridded series) with a ConvLSTM",
        description="Fit a ConvLSTM encoder-forecaster on a .npy array of frames, score it on"
        " the last --h frames against copy-last-frame, and forecast the next --h frames.",
        epilog=f"example: {EXAMPLE}")
    p.add_argument("file", help=".npy array [time, rows, cols] or [time, channels, rows, cols]")
    p.add_argument("--h", type=int, default=10, help="frames to forecast")
    p.add_argument("--look-back", type=int, default=10, help="context frames per forecast")
    p.add_argument("--output", default="gatecast-grid", help="output folder")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--hidden", default="16,16", help="ConvLSTM channels per layer, e.g. 32,32")
    p.add_argument("--kernel", type=int, default=3, help="odd convolution kernel side")
    p.add_argument("--patch", type=int, default=None,
                   help="patch size (default: the smallest of 1, 2, 4 leaving <= 16x16 cells)")
    p.add_argument("--no-peephole", action="store_true", help="drop the peephole terms")
    p.add_argument("--loss", default="auto", choices=["auto", "bce", "mse"],
                   help="auto: bce when every value is in [0, 1], else mse")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-2,
                   help="peak learning rate (1e-2 trained ConvLSTM best on Moving MNIST)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                   help="where the network trains (auto: CUDA when available)")


def read_frames(path: str) -> tuple[np.ndarray, bool]:
    """Frames ``[time, C, H, W]`` from a ``.npy`` file and whether it had no channel axis."""
    file = Path(path)
    if file.suffix.lower() != ".npy":
        raise DataError(f"{path} is not a .npy file; save the frames with numpy.save")
    if not file.is_file():
        raise DataError(f"no such file: {path}")
    try:
        arr = np.load(file, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read {path} as a numeric .npy array ({first})") from exc
    if not isinstance(arr, np.ndarray) or not np.issubdtype(arr.dtype, np.number):
        raise DataError(f"{path} must hold a numeric array, got dtype {getattr(arr, 'dtype', '?')}")
    if arr.ndim == 3:
        return arr[:, None], True
    if arr.ndim != 4:
        raise DataError(f"{path} has shape {list(arr.shape)}; frames must be [time, rows, cols]"
                        " or [time, channels, rows, cols]")
    return arr, False


def run(args: argparse.Namespace, ui: Any) -> int:
    frames, no_channels = read_frames(args.file)
    h, lb = args.h, args.look_back
    if h < 1 or lb < 1:
        raise ConfigError(f"--h and --look-back must be >= 1, got {h} and {lb}")
    frames = as_sequences(frames, name=args.file)[0]  # [time, C, H, W]; NaN -> DataError
    if len(frames) < lb + 2 * h:
        raise DataError(f"{args.file} has {len(frames)} frames; --look-back {lb} and --h {h}"
                        f" need at least {lb + 2 * h} (training windows plus the held-out"
                        " last --h frames); lower them or give more frames")
    try:
        hidden = tuple(int(v) for v in csv_list(args.hidden))
    except ValueError as exc:
        raise ConfigError(f"--hidden takes channel counts like 16,16, got {args.hidden!r}"
                          ) from exc
    loss = args.loss
    if loss == "auto":
        loss = "bce" if frames.min() >= 0 and frames.max() <= 1 else "mse"
    progress = not (args.quiet or args.json) and sys.stderr.isatty()
    trainer = TrainerConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                            seed=args.seed, device=args.device, progress=progress)
    model = ConvLSTMForecaster(horizon=h, look_back=lb, hidden_channels=hidden,
                               kernel_size=args.kernel, peephole=not args.no_peephole,
                               patch_size=args.patch, loss=loss, trainer=trainer)
    train_part = frames[:-h]
    model.fit(train_part)
    copy = CopyLastFrame(horizon=h).fit(train_part)
    context, truth = frames[-(lb + h):-h], frames[-h:]
    held = {model.name: model.predict(context), copy.name: copy.predict(context)}
    best = model.history_.loc[model.history_["val_loss"].fillna(model.history_["train_loss"])
                              .idxmin()]
    rows = {}
    for name, pred in held.items():
        row = {"train_loss": best["train_loss"] if name == model.name else np.nan,
               "val_loss": best["val_loss"] if name == model.name else np.nan,
               "holdout_mse": float(np.mean((pred - truth) ** 2))}
        if loss == "bce":
            row["holdout_ce"] = float(frame_bce(pred, truth).mean() / truth[0].size)
        rows[name] = row
    board = pd.DataFrame.from_dict(rows, orient="index")
    board.index.name = "model"

    forecast = model.predict(frames[-lb:])  # [h, C, H, W]
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "forecast.npy",
                 lambda tmp: np.save(tmp, forecast[:, 0] if no_channels else forecast))
    plot_frames(context, truth, held, out / "holdout.png",
                title=f"last {h} frames held out: truth and forecasts")
    plot_frames(frames[-lb:], None, {model.name: forecast}, out / "forecast.png",
                title=f"forecast of the next {h} frames")
    model.save(out / "model")
    write_frame(model.history_, out / "history.csv")
    ui.table(board, title=f"ConvLSTM on {args.file}: {len(frames)} frames of"
             f" {'x'.join(str(v) for v in frames.shape[1:])}, look_back {lb}, h {h}, loss"
             f" {loss} (MSE and CE are means over pixels)")
    ui.done(f"wrote {out / 'forecast.npy'}, {out / 'holdout.png'}, {out / 'forecast.png'}"
            f" and {out / 'model'}",
            {"output": str(out), "loss": loss, "frames": len(frames),
             "holdout_mse": rows[model.name]["holdout_mse"],
             "copy_last_frame_mse": rows[copy.name]["holdout_mse"]})
    return 0
