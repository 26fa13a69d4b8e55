"""ConvLSTM vs FC-LSTM vs copy-last-frame on Moving MNIST generated offline.

    .venv/bin/python benchmarks/moving_mnist.py                 # default: ~10 min on 2 cores
    .venv/bin/python benchmarks/moving_mnist.py --threads 1 --train 1000 --epochs 2   # smoke

Shi et al. (2015), section 4.1, at a CPU-friendly size: predict 10 frames from 10, frames of
32 x 32 pixels with one 14-pixel digit (MNIST digits halved by 2 x 2 area averaging),
bouncing at Srivastava et al.'s speed (0.1 of the free range per frame). Digits come from
``../shared/data/mnist`` (the 10,000-image MNIST test set): the first 8,000 images make the
training sequences, the last 2,000 the test sequences, so every test digit is unseen.

Scores, per predicted frame and averaged over the 10 lead times and the test sequences:

* **MSE/frame**: squared error **summed over the frame's pixels** (the paper's convention);
* **CE/frame**: binary cross-entropy summed over the frame's pixels, probabilities clipped
  to [1e-3, 1 - 1e-3] (copy-last-frame predicts exact 0s and 1s; see
  :data:`gatecast.grid.metrics.EPS`);
* **MSE/pixel** = MSE/frame / pixels, for readers who expect a mean.

Both networks train with binary cross-entropy on logits (as in the paper) on the same
sequences with the same trainer (Adam, cosine schedule, batch 16, the same epochs and seed)
and keep the weights of their best validation epoch (10% of the training sequences held
out). Each has the better peak learning rate of {3e-3, 1e-2} in 3-epoch trials on 2,000
sequences: 1e-2 for ConvLSTM, 3e-3 for FC-LSTM. ConvLSTM: two layers of 32 channels, 3 x 3
kernels, peepholes, on 4 x 4 patches (an 8 x 8 grid of 16-channel cells), the cheapest of
the settings tried that did well (also tried: one layer of 16/32/64 channels, 2 x 2 patches
with 3 x 3 and 5 x 5 kernels). FC-LSTM: one peephole-LSTM layer of 512 units in encoder and
decoder (4.8 M weights against ConvLSTM's 0.27 M).
Writes ``moving_mnist.csv`` (one row per model and lead time) and ``moving_mnist.png``
(inputs, truth and predictions of three test sequences) into ``--output``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from rich.console import Console
from rich.table import Table

from gatecast.grid import (
    ConvLSTMForecaster,
    CopyLastFrame,
    FCLSTMForecaster,
    frame_bce,
    frame_mse,
    moving_mnist,
)
from gatecast.plotting.frames import plot_frames
from gatecast.training.config import TrainerConfig

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT.parent / "shared" / "data" / "mnist" / "t10k-images-idx3-ubyte.gz"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--train", type=int, default=3000, help="training sequences")
    p.add_argument("--test", type=int, default=500, help="test sequences")
    p.add_argument("--size", type=int, default=32, help="frame side in pixels")
    p.add_argument("--digit-size", type=int, default=14)
    p.add_argument("--digits", type=int, default=1, help="digits per sequence")
    p.add_argument("--look-back", type=int, default=10)
    p.add_argument("--horizon", type=int, default=10)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-2, help="ConvLSTM peak learning rate")
    p.add_argument("--hidden", default="32,32", help="ConvLSTM channels per layer")
    p.add_argument("--kernel", type=int, default=3, help="ConvLSTM kernel side")
    p.add_argument("--patch", type=int, default=4, help="ConvLSTM patch size")
    p.add_argument("--fc-lr", type=float, default=3e-3, help="FC-LSTM peak learning rate")
    p.add_argument("--fc-hidden", type=int, default=512, help="FC-LSTM units per layer")
    p.add_argument("--fc-layers", type=int, default=1)
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mnist", default=str(MNIST), help="MNIST IDX images (gzip or raw)")
    p.add_argument("--output", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument("--models", default="convlstm,fc-lstm,copy-last-frame",
                   help="which models to run (comma-separated)")
    p.add_argument("--progress", action="store_true", help="show training progress bars")
    p.add_argument("--history", action="store_true", help="print each network's loss curve")
    return p.parse_args(argv)


def load_digits(path: str) -> np.ndarray:
    from gatecast.classify.idx import read_idx

    images = read_idx(path)
    if images.ndim != 3:
        sys.exit(f"{path} holds an array of shape {images.shape}, not images [n, rows, cols]")
    return images


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if not Path(args.mnist).is_file():
        print(f"MNIST images not found at {args.mnist}; pass --mnist PATH", file=sys.stderr)
        return 2
    digits = load_digits(args.mnist)
    split = int(0.8 * len(digits))
    window = args.look_back + args.horizon
    common = {"seq_len": window, "size": args.size, "n_digits": args.digits,
              "digit_size": args.digit_size}
    t0 = time.perf_counter()
    train = moving_mnist(digits[:split], args.train, seed=args.seed, **common)
    test = moving_mnist(digits[split:], args.test, seed=args.seed + 1, **common)
    gen_s = time.perf_counter() - t0
    context, truth = test[:, :args.look_back], test[:, args.look_back:]

    trainer = TrainerConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                            seed=args.seed, device=args.device, progress=args.progress)
    fc_trainer = dataclasses.replace(trainer, lr=args.fc_lr)
    hidden = tuple(int(v) for v in args.hidden.split(","))
    models = [
        ConvLSTMForecaster(horizon=args.horizon, look_back=args.look_back,
                           hidden_channels=hidden, kernel_size=args.kernel, peephole=True,
                           patch_size=args.patch, trainer=trainer),
        FCLSTMForecaster(horizon=args.horizon, look_back=args.look_back,
                         hidden_size=args.fc_hidden, num_layers=args.fc_layers,
                         trainer=fc_trainer),
        CopyLastFrame(horizon=args.horizon),
    ]
    wanted = {m.strip() for m in args.models.split(",")}
    models = [m for m in models if m.name in wanted]
    rows, per_lead, preds, per_seq = [], [], {}, {}
    pixels = int(np.prod(test.shape[2:]))
    for model in models:
        t0, c0 = time.perf_counter(), time.process_time()
        model.fit(train)
        fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
        if args.history and hasattr(model, "history_"):
            print(model.name, model.history_.round(5).to_string(index=False), flush=True)
        t0 = time.perf_counter()
        pred = model.predict(context)
        pred_s = time.perf_counter() - t0
        preds[model.name] = pred
        seq_mse, seq_ce = frame_mse(pred, truth, True), frame_bce(pred, truth, per_sequence=True)
        per_seq[model.name] = (seq_mse.mean(axis=1), seq_ce.mean(axis=1))  # [n] each
        mse, ce = seq_mse.mean(axis=0), seq_ce.mean(axis=0)  # [horizon] each
        params = (sum(p.numel() for p in model.net_.parameters())
                  if hasattr(model, "net_") else 0)
        epochs = len(model.history_) if hasattr(model, "history_") else 0
        rows.append({"model": model.name, "MSE/frame": mse.mean(), "CE/frame": ce.mean(),
                     "MSE/pixel": mse.mean() / pixels, "MSE t+1": mse[0], "MSE t+10": mse[-1],
                     "fit s": fit_s, "fit CPU s": fit_cpu, "predict s": pred_s, "params": params,
                     "epochs": epochs})
        per_lead += [{"model": model.name, "lead": k + 1, "mse_frame": m, "ce_frame": c}
                     for k, (m, c) in enumerate(zip(mse, ce, strict=True))]
    board = pd.DataFrame(rows).set_index("model")

    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    title = (f"Moving MNIST {args.size}x{args.size}, {args.digits} digit(s) of"
             f" {args.digit_size} px, {args.look_back} -> {args.horizon} frames;"
             f" {args.train} train / {args.test} test sequences; {args.epochs} epochs")
    console = Console(width=150)
    table = Table(title=title)
    for col in ["model", *board.columns]:
        table.add_column(col, justify="left" if col == "model" else "right")
    for name, r in board.iterrows():
        table.add_row(name, *(f"{v:.4g}" if isinstance(v, float) else str(v) for v in r))
    console.print(table)
    console.print(f"{when}, {platform.node()} ({platform.processor() or platform.machine()},"
                  f" {os.cpu_count()} cores), torch {torch.__version__}, {args.threads}"
                  f" thread(s), device {args.device}; data generated in {gen_s:.1f} s."
                  " MSE/frame and CE/frame are sums over a frame's pixels.")
    wins = True
    if "convlstm" in board.index and len(board) > 1:
        conv, others = board.loc["convlstm"], board.drop(index="convlstm")
        wins = bool((conv["MSE/frame"] < others["MSE/frame"]).all()
                    and (conv["CE/frame"] < others["CE/frame"]).all())
        console.print(f"ConvLSTM beats every other model on MSE and CE: {wins}")
        for name in others.index:  # paired over the same test sequences
            diffs = [conv_s - other_s for conv_s, other_s in
                     zip(per_seq["convlstm"], per_seq[name], strict=True)]
            text = ", ".join(f"{label} {d.mean():+.3g} ± {2 * d.std(ddof=1) / len(d) ** 0.5:.2g}"
                             for label, d in zip(("MSE/frame", "CE/frame"), diffs, strict=True))
            console.print(f"convlstm - {name} per test sequence (mean ± 2 standard errors):"
                          f" {text}")

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(per_lead).to_csv(out / "moving_mnist.csv", index=False)
    plot_frames(context, truth, preds, out / "moving_mnist.png", max_sequences=3,
                title=title)
    console.print(f"wrote {out / 'moving_mnist.csv'} and {out / 'moving_mnist.png'}")
    return 0 if wins else 1


if __name__ == "__main__":
    sys.exit(main())
