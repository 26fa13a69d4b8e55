"""MNIST read row by row: a 2-layer LSTM(128) classifies digits from 28 steps of 28 pixels.

Tutorial (see ../shared/docs/mission.md, experiment 4): each 28x28 digit is a sequence of
28 rows (time steps) of 28 pixels (features); a 2-layer LSTM with 128 hidden units, a
linear head on the last step, cross-entropy, Adam lr 0.001, batch 128, 10 epochs, test
accuracy. The mission gives the set-up but no accuracy figure, so the tutorial row reads
n/a and the tutorial's set-up is rerun here in gatecast instead.

Data: the 10,000 MNIST test digits (the IDX files ``t10k-images-idx3-ubyte[.gz]`` and
``t10k-labels-idx1-ubyte[.gz]``; ``--data DIR``, by default ``../shared/data/mnist`` beside
the repository: the digits are not bundled),
split 8,000 / 2,000 with seed 0, exactly as ``benchmarks/mnist_rows.py`` does. Two
classifiers, both :class:`gatecast.classify.SequenceClassifier`:

* the tutorial's set-up (Adam 1e-3 constant, batch 128, 10 epochs);
* gatecast's settings from the benchmark, chosen on a validation split of the 8,000 training
  digits: AdamW 2e-3 with cosine annealing, batch 64, 30 epochs, dropout 0.1, and random
  ±2-pixel shifts of the training digits (``shift_augment=2``).

    python examples/mnist_rows.py --data DIR            # a few minutes on a laptop CPU
    python examples/mnist_rows.py --data DIR --small    # 1,000 / 500 digits, a few epochs
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from _common import Row, parse_args, print_table

from gatecast.classify import SequenceClassifier, accuracy, confusion_matrix, load_mnist
from gatecast.errors import DataError
from gatecast.plotting import plot_loss_curves
from gatecast.training.config import TrainerConfig

#: Where the digits are looked for without ``--data``: ``../shared/data/mnist`` from the
#: repository root.
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=DATA,
                        help="folder with the MNIST test IDX files (default: %(default)s)")


def missing(folder: Path) -> list[str]:
    """The IDX files (plain or gzipped) that ``folder`` lacks."""
    return [f for f in FILES
            if not (folder / f).is_file() and not (folder / f"{f}.gz").is_file()]


def main() -> None:
    args = parse_args("mnist_rows", "MNIST read row by row by a 2-layer LSTM(128)",
                      data_option)
    lacking = missing(args.data)
    if lacking:
        print(f"mnist_rows: no MNIST digits in {args.data} (missing {', '.join(lacking)});"
              " pass --data DIR, a folder with the MNIST test IDX files", file=sys.stderr)
        sys.exit(2)
    try:
        images, labels = load_mnist(args.data)  # uint8 [10000, 28, 28], uint8 [10000]
    except DataError as exc:
        print(f"mnist_rows: {exc}", file=sys.stderr)
        sys.exit(2)
    perm = np.random.default_rng(0).permutation(labels.size)
    n_train, n_test = (1000, 500) if args.small else (8000, 2000)
    train, test = np.sort(perm[:n_train]), np.sort(perm[8000:8000 + n_test])
    x = images.astype(np.float32)  # [n, 28 rows = steps, 28 pixels = features]

    tutorial = SequenceClassifier(
        cell="lstm", hidden_size=128, num_layers=2, val_size=0.0,
        trainer=TrainerConfig(optimizer="adam", lr=1e-3, schedule="none", batch_size=128,
                              epochs=3 if args.small else 10, clip_norm=None,
                              seed=args.seed, device="cpu"))
    ours = SequenceClassifier(
        cell="lstm", hidden_size=128, num_layers=2, dropout=0.1, shift_augment=2,
        val_size=0.0,
        trainer=TrainerConfig(optimizer="adamw", lr=2e-3, weight_decay=1e-2,
                              schedule="cosine", batch_size=64,
                              epochs=5 if args.small else 30, seed=args.seed, device="cpu"))
    results = {}
    for name, model in (("tutorial", tutorial), ("gatecast", ours)):
        start = time.perf_counter()
        model.fit(x[train], labels[train])
        seconds = time.perf_counter() - start
        results[name] = (accuracy(labels[test], model.predict(x[test])), seconds)

    majority = np.bincount(labels[train]).argmax()
    rows = [
        Row("tutorial (reported)", {"accuracy": "n/a"}, "mission.md gives the set-up only"),
        Row("gatecast, tutorial set-up", {"accuracy": results["tutorial"][0]},
            f"Adam 1e-3, batch 128, {tutorial.trainer.epochs} epochs "
            f"({results['tutorial'][1]:.0f} s)"),
        Row("gatecast LSTM, tuned", {"accuracy": results["gatecast"][0]},
            f"AdamW 2e-3 cosine, batch 64, {ours.trainer.epochs} epochs, dropout 0.1, "
            f"±2-pixel shifts ({results['gatecast'][1]:.0f} s)"),
        Row("majority class", {"accuracy": float(np.mean(labels[test] == majority))},
            "baseline"),
    ]
    print_table(f"MNIST row by row: trained on {n_train} digits, accuracy on {n_test} held out",
                rows, ["accuracy"])
    matrix = confusion_matrix(labels[test], ours.predict(x[test]), labels=range(10))
    print("\nconfusion matrix of the tuned LSTM (rows: true digit, columns: predicted)")
    print(matrix.to_string())
    plot_loss_curves({"tutorial set-up": tutorial.history_, "gatecast": ours.history_},
                     path=args.output / "mnist_loss.png", title="MNIST rows: training loss")
    print(f"figure: {args.output / 'mnist_loss.png'}")


if __name__ == "__main__":
    main()
