"""MNIST read row by row: a 2-layer LSTM(128) classifies digits from 28 steps of 28 pixels.

    .venv/bin/python benchmarks/mnist_rows.py                  # ~3-5 minutes on 2 cores
    .venv/bin/python benchmarks/mnist_rows.py --threads 1      # when other jobs load the CPU
    .venv/bin/python benchmarks/mnist_rows.py --tune           # the validation run (below)

Data: the 10,000 MNIST test digits in ``../shared/data/mnist`` (IDX files), split 8,000 /
2,000 by a permutation seeded with ``--split-seed``. The network reads each image one row
per step (``[28 steps, 28 features]``) and classifies from the top layer's last hidden state
(:class:`gatecast.classify.SequenceClassifier`).

The settings (``SETTINGS`` below) were chosen on a validation split of the 8,000 training
digits only (1,000 of them, stratified, seeded), never on the 2,000 held-out digits; ``--tune``
reruns exactly that: it trains on 7,000, prints the validation accuracy, and does not look
at the held-out digits. The final run trains on all 8,000 for the chosen number of epochs
and reports accuracy on the 2,000 held-out digits, the seconds spent training, the
confusion matrix, and appends a row to ``benchmarks/results/mnist_rows.csv``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from rich.console import Console
from rich.table import Table

from gatecast.classify import SequenceClassifier, accuracy, confusion_matrix, load_mnist
from gatecast.training.config import TrainerConfig

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "mnist"
RESULTS = ROOT / "benchmarks" / "results" / "mnist_rows.csv"

#: chosen on the validation split (see the module docstring and the README)
SETTINGS: dict[str, Any] = {
    "cell": "lstm", "hidden_size": 128, "num_layers": 2, "dropout": 0.1, "shift_augment": 2,
}
TRAINER: dict[str, Any] = {
    "optimizer": "adamw", "lr": 2e-3, "weight_decay": 1e-2, "schedule": "cosine",
    "batch_size": 64, "epochs": 30, "clip_norm": 1.0,
}


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores"


def split(n: int, seed: int, n_train: int = 8000) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) positions: a seeded permutation cut at ``n_train``."""
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[:n_train]), np.sort(perm[n_train:])


def show_confusion(console: Console, matrix: pd.DataFrame, title: str) -> None:
    table = Table(title=title)
    table.add_column("true \\ pred", style="bold")
    for col in matrix.columns:
        table.add_column(str(col), justify="right")
    for idx, row in matrix.iterrows():
        table.add_row(str(idx), *(f"[bold]{v}[/]" if str(idx) == c else str(v)
                                  for c, v in row.items()))
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DATA), help="folder with the t10k IDX files")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--epochs", type=int, default=TRAINER["epochs"])
    parser.add_argument("--seed", type=int, default=0, help="training seed")
    parser.add_argument("--split-seed", type=int, default=0, help="seed of the 8,000/2,000 split")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--tune", action="store_true",
                        help="validation run: train on 7,000, score 1,000 of the 8,000")
    parser.add_argument("--no-write", action="store_true", help="do not append to the results")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    console = Console()

    images, labels = load_mnist(args.data)  # uint8 [10000, 28, 28], uint8 [10000]
    train_idx, test_idx = split(labels.size, args.split_seed)
    x = images.astype(np.float32)  # [n, 28 steps (rows), 28 features (pixels)]
    trainer = TrainerConfig(**{**TRAINER, "epochs": args.epochs}, seed=args.seed,
                            device=args.device, progress=args.progress)
    val_size = 0.125 if args.tune else 0.0  # 1,000 of 8,000 for tuning; all 8,000 at the end
    model = SequenceClassifier(**SETTINGS, val_size=val_size, trainer=trainer)
    settings = {**SETTINGS, **TRAINER, "epochs": args.epochs, "seed": args.seed,
                "split_seed": args.split_seed, "threads": args.threads, "device": args.device}
    console.print(f"settings: {json.dumps(settings)}")

    start = time.perf_counter()
    model.fit(x[train_idx], labels[train_idx])
    seconds = time.perf_counter() - start
    if args.tune:
        console.print(f"validation accuracy {model.val_accuracy_:.4f} (1,000 of the 8,000 "
                      f"training digits; best epoch {model.best_epoch_}), {seconds:.1f}s")
        return
    pred = model.predict(x[test_idx])
    acc = accuracy(labels[test_idx], pred)
    matrix = confusion_matrix(labels[test_idx], pred, labels=range(10))
    show_confusion(console, matrix, "held-out confusion matrix (2,000 digits)")
    console.print(f"held-out accuracy {acc:.4f} ({int((pred == labels[test_idx]).sum())}/"
                  f"{test_idx.size}); trained on {train_idx.size} digits in {seconds:.1f}s "
                  f"with {args.threads} thread(s) on {machine()}")
    if not args.no_write:
        row = pd.DataFrame([{
            "accuracy": acc, "seconds": seconds, "threads": args.threads,
            "epochs": args.epochs, "device": args.device, "date": dt.date.today().isoformat(),
            "machine": machine(), "settings": json.dumps(settings),
        }])
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        row.to_csv(RESULTS, mode="a", header=not RESULTS.exists(), index=False)
        console.print(f"appended to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
