"""``gatecast pretrain CORPUS --output DIR``: pretrain the ``pretrained`` model's network.

CORPUS is a long frame (CSV or Parquet file, or a folder of Parquet files) with
``unique_id``, ``ds``, ``y`` and a ``season_length`` column (or ``--season-length`` for
all); ``--synthetic N`` mixes in N series of gatecast's synthetic corpus. DIR receives
``config.json`` + ``model.safetensors`` for ``--model pretrained --param weights=DIR``;
checkpoints go to ``DIR/checkpoints`` every epoch, and ``--resume`` continues from them.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import torch

from gatecast.checks import MAX_SEASON_LENGTH, whole_number
from gatecast.data.frame import read_table
from gatecast.errors import ConfigError
from gatecast.pretrained.corpus import MAX_SERIES, CorpusSpec, build_corpus
from gatecast.pretrained.network import NetConfig
from gatecast.pretrained.store import save_weights
from gatecast.pretrained.train import PretrainConfig, frame_series, pretrain

NAME = "pretrain"
EXAMPLE = "gatecast pretrain series.parquet --season-length 12 --steps 2000 --output my-weights"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="pretrain the 'pretrained' model's network on a corpus",
                       description="Pretrain the network of --model pretrained on a long frame"
                       " of series (and/or synthetic ones); write weights for --param weights=DIR.",
                       epilog=f"example: {EXAMPLE}")
    p.add_argument("corpus", help="CSV/Parquet long frame or a folder of Parquet files")
    p.add_argument("--output", required=True, help="folder for config.json + model.safetensors")
    p.add_argument("--steps", type=int, default=4000, help="optimiser steps")
    p.add_argument("--epochs", type=int, default=10,
                   help="checkpoints along the run")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--season-length", type=int, default=None,
                   help="season length of every series (else the corpus' season_length column)")
    p.add_argument("--synthetic", type=int, default=0, metavar="N",
                   help="mix in N series of gatecast's synthetic corpus")
    p.add_argument("--hidden-size", type=int, default=64)
    p.add_argument("--max-context", type=int, default=256)
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (fixed threads make a run reproducible)")
    p.add_argument("--resume", action="store_true",
                   help="continue from the checkpoints in OUTPUT/checkpoints")


def run(args: argparse.Namespace, ui: Any) -> int:
    out, src = Path(args.output), Path(args.corpus)
    if out.resolve() == src.resolve() or src.resolve() in out.resolve().parents:
        raise ConfigError(f"--output {out} would write into the corpus {src}; choose another"
                          " folder")
    whole_number(args.synthetic, "--synthetic", minimum=0, maximum=MAX_SERIES)
    whole_number(args.threads, "--threads", maximum=1024)
    if args.season_length is not None:
        whole_number(args.season_length, "--season-length", maximum=MAX_SEASON_LENGTH)
    net_cfg = NetConfig(hidden_size=args.hidden_size, max_context=args.max_context)
    cfg = PretrainConfig(steps=args.steps, epochs=min(args.epochs, args.steps),
                         batch_size=args.batch_size, seed=args.seed,
                         checkpoint_dir=str(out / "checkpoints"), resume=args.resume)
    torch.set_num_threads(args.threads)
    series = frame_series(read_table(src), args.season_length)
    n_user = len(series)
    if args.synthetic:
        series += build_corpus(CorpusSpec(n_series=args.synthetic, seed=args.seed))
    net, history = pretrain(series, cfg, net_cfg)
    digest = save_weights(net, out, {"corpus": str(src), "series": n_user,
                                     "synthetic": args.synthetic,
                                     "train": dataclasses.asdict(cfg)})
    loss = float(history["train_loss"].iloc[-1])
    ui.done(f"pretrained on {n_user} series (+{args.synthetic} synthetic), {args.steps} steps,"
            f" final loss {loss:.4f}; wrote {out} (sha256 {digest[:16]}...); use it with"
            f" --model pretrained --param weights={out}",
            {"output": str(out), "sha256": digest, "series": n_user,
             "synthetic": args.synthetic, "steps": args.steps, "final_loss": loss})
    return 0
