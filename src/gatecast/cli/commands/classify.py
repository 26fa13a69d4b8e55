"""``gatecast classify``: train a sequence classifier, score it on a held-out split.

Input is either a long frame (``unique_id``, ``ds``, ``y`` [+ feature columns]) with a
label table (``unique_id`` + a label column), or a pair of IDX files (MNIST format: images
``[n, rows, cols]`` read row by row, rows as steps and pixels as features; labels ``[n]``).
A stratified, seeded ``--test-size`` share of the samples is held out; the command prints
the held-out accuracy and confusion matrix, writes the held-out predictions to
``<output>/predictions.csv`` and saves the model to ``<output>/model``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gatecast.classify import SequenceClassifier, accuracy, confusion_matrix
from gatecast.classify.data import sequences_from_frame, stratified_split
from gatecast.classify.idx import check_images_labels, read_idx
from gatecast.cli.common import write_frame
from gatecast.data.frame import as_long, read_table
from gatecast.errors import ConfigError, DataError
from gatecast.training.config import TrainerConfig

NAME = "classify"
EXAMPLE = ("gatecast classify --idx-images t10k-images-idx3-ubyte.gz --idx-labels "
           "t10k-labels-idx1-ubyte.gz --epochs 20 --output mnist-model")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        NAME, help="train a recurrent sequence classifier (long frame + labels, or IDX files)",
        epilog=f"example: {EXAMPLE}\n     or: gatecast classify series.csv --labels labels.csv"
        " --label-col label --cell gru", formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?", help="long frame (CSV or Parquet): unique_id, ds, y"
                   " [+ feature columns], one sequence per unique_id, all of equal length")
    p.add_argument("--labels", help="CSV or Parquet with unique_id and one label per id")
    p.add_argument("--label-col", help="label column of --labels (default: its only other column)")
    p.add_argument("--features", help="value columns of FILE, comma-separated (default: y and"
                   " every other numeric column)")
    p.add_argument("--id-col", default="unique_id")
    p.add_argument("--time-col", default="ds")
    p.add_argument("--target-col", default="y")
    p.add_argument("--idx-images", help="IDX file of sequences [n, steps, features] (e.g."
                   " MNIST images, read row by row), .gz or raw")
    p.add_argument("--idx-labels", help="IDX file of labels [n]")
    p.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn", "peephole"])
    p.add_argument("--hidden", type=int, default=128, help="hidden units per layer")
    p.add_argument("--layers", type=int, default=2, help="stacked recurrent layers")
    p.add_argument("--bidirectional", action="store_true", help="add a backward-reading stack")
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (AdamW, cosine)")
    p.add_argument("--patience", type=int, default=None, help="early-stopping patience (epochs)")
    p.add_argument("--shift-augment", type=int, default=0,
                   help="random ±N-step/feature shifts of training samples (image-like data)")
    p.add_argument("--class-weights", choices=["balanced"], help="weight the loss by 1/frequency")
    p.add_argument("--test-size", type=float, default=0.2, help="held-out share, per class")
    p.add_argument("--val-size", type=float, default=0.1,
                   help="share of the training part for early stopping / best epoch")
    p.add_argument("--seed", type=int, default=0, help="seed of the split and the training")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--output", default="gatecast-classify",
                   help="folder for predictions.csv and the saved model")


def _load(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X [samples, time, features], y [samples], sample ids) from the chosen input."""
    if args.idx_images or args.idx_labels:
        if args.file:
            raise ConfigError("give either FILE with --labels or --idx-images/--idx-labels,"
                              " not both")
        if not (args.idx_images and args.idx_labels):
            raise ConfigError("--idx-images and --idx-labels go together; give both")
        images, labels = read_idx(args.idx_images), read_idx(args.idx_labels)
        if images.ndim == 2:
            images = images[:, :, None]  # [n, steps, 1]
        images, labels = check_images_labels(images, labels)
        return images.astype(np.float32), labels, np.arange(labels.shape[0])
    if not args.file:
        raise ConfigError("give FILE with --labels, or --idx-images and --idx-labels"
                          " (see gatecast classify --help)")
    if not args.labels:
        raise ConfigError("FILE needs --labels LABELS.csv (unique_id and a label column)")
    frame = as_long(read_table(args.file), id_col=args.id_col, time_col=args.time_col,
                    target_col=args.target_col)
    table = read_table(args.labels)
    if args.id_col != "unique_id" and args.id_col in table.columns:
        table = table.rename(columns={args.id_col: "unique_id"})
    features = [c.strip() for c in args.features.split(",")] if args.features else None
    seqs = sequences_from_frame(frame, table, features, args.label_col)
    return seqs.x, np.asarray(seqs.y), seqs.ids  # y is set: labels were given


def run(args: argparse.Namespace, ui: Any) -> int:
    if not 0.0 < args.test_size < 1.0:
        raise ConfigError(f"--test-size is a fraction in (0, 1), got {args.test_size}")
    x, y, ids = _load(args)
    classes, codes = np.unique(y, return_inverse=True)
    train_idx, test_idx = stratified_split(codes, args.test_size, args.seed)
    if test_idx.size == 0:
        raise DataError(f"{len(y)} samples leave none for the held-out split; give more samples"
                        " (every class needs at least two)")
    progress = not (args.quiet or args.json) and sys.stderr.isatty()
    trainer = TrainerConfig(
        optimizer="adamw", lr=args.lr, weight_decay=1e-2, schedule="cosine",
        epochs=args.epochs, batch_size=args.batch_size, patience=args.patience,
        seed=args.seed, device=args.device, progress=progress)
    model = SequenceClassifier(
        cell=args.cell, hidden_size=args.hidden, num_layers=args.layers,
        bidirectional=args.bidirectional, dropout=args.dropout,
        class_weights=args.class_weights, val_size=args.val_size,
        shift_augment=args.shift_augment, trainer=trainer)
    model.fit(x[train_idx], y[train_idx])
    proba = model.predict_proba(x[test_idx])  # [n_test, n_classes]
    pred = model.classes_[proba.argmax(axis=1)]
    acc = accuracy(y[test_idx], pred)
    out = Path(args.output)
    model.save(out / "model")
    table = {"unique_id": ids[test_idx], "label": y[test_idx], "prediction": pred}
    table.update({f"p_{c}": proba[:, k] for k, c in enumerate(model.classes_)})
    path = write_frame(pd.DataFrame(table), out / "predictions.csv")
    matrix = confusion_matrix(y[test_idx], pred, labels=classes)
    ui.table(matrix, title=f"held-out confusion matrix ({test_idx.size} samples, rows = true)")
    ui.done(
        f"held-out accuracy {acc:.4f} on {test_idx.size} samples ({train_idx.size} trained,"
        f" {model.fit_seconds_:.1f}s); wrote {path} and {out / 'model'}",
        {"accuracy": acc, "n_test": int(test_idx.size), "n_train": int(train_idx.size),
         "seconds": model.fit_seconds_, "predictions": str(path), "model": str(out / "model"),
         "confusion": matrix.to_dict(orient="split")})
    return 0
