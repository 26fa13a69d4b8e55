"""``gatecast pretrain CORPUS --output DIR``: pretrain the ``pretrained`` model's network.

CORPUS is a long frame (CSV or Parquet file, or a folder of Parquet files) with
``unique_id``, ``ds``, ``y`` and a ``season_length`` column (or ``--season-length`` for
all); ``--synthetic N`` mixes in N series of gatecast's synthetic corpus. DIR receives
``config.json`` + ``model.safetensors`` for ``--model pretrained --param weights=DIR``.
``--members N`` trains N networks (seeds seed..seed+N-1) one after another and averages
them; ``--processes P`` trains each on P local DDP processes. Checkpoints (and finished
members) go to ``DIR/checkpoints/member-k``; ``--resume`` reads the finished members and
continues the interrupted one (:mod:`gatecast.pretrained.job`).
"""

from __future__ import annotations

import argparse
from typing import Any

import torch

from gatecast.pretrained.job import MAX_PROCESSES, PretrainJob, run_job
from gatecast.pretrained.network import MAX_MEMBERS, NetConfig
from gatecast.pretrained.train import PretrainConfig

NAME = "pretrain"
EXAMPLE = "gatecast pretrain series.parquet --season-length 12 --steps 2000 --output my-weights"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="pretrain the 'pretrained' model's network on a corpus",
                       description="Pretrain the network of --model pretrained on a long frame"
                       " of series (and/or synthetic ones); write weights for --param weights=DIR.",
                       epilog=f"example: {EXAMPLE}")
    p.add_argument("corpus", help="CSV/Parquet long frame or a folder of Parquet files")
    p.add_argument("--output", required=True, help="folder for config.json + model.safetensors")
    p.add_argument("--steps", type=int, default=4000, help="optimiser steps (of each member)")
    p.add_argument("--epochs", type=int, default=10,
                   help="checkpoints along the run")
    p.add_argument("--batch-size", type=int, default=128,
                   help="windows per step (per process with --processes)")
    p.add_argument("--seed", type=int, default=0, help="seed (member k: seed + k)")
    p.add_argument("--season-length", type=int, default=None,
                   help="season length of every series (else the corpus' season_length column)")
    p.add_argument("--synthetic", type=int, default=0, metavar="N",
                   help="mix in N series of gatecast's synthetic corpus")
    p.add_argument("--hidden-size", type=int, default=64)
    p.add_argument("--max-context", type=int, default=256)
    p.add_argument("--members", type=int, default=1, metavar="N",
                   help=f"train N networks (seeds seed..seed+N-1, at most {MAX_MEMBERS}) one"
                   " after another and average their quantiles")
    p.add_argument("--processes", type=int, default=1, metavar="P",
                   help=f"train on P local processes with torch DDP (gloo on the CPU, NCCL on P"
                   f" GPUs with --device cuda; at most {MAX_PROCESSES}); the weights differ"
                   " from those of one process, reproducibly for a given P")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"],
                   help="where the network trains")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads per process (fixed threads make a run reproducible)")
    p.add_argument("--resume", action="store_true",
                   help="read the finished members in OUTPUT/checkpoints and continue the"
                   " interrupted one from its checkpoint")


def run(args: argparse.Namespace, ui: Any) -> int:
    job = PretrainJob(
        corpus=args.corpus, output=args.output, season_length=args.season_length,
        synthetic=args.synthetic, members=args.members, processes=args.processes,
        threads=args.threads,
        net=NetConfig(hidden_size=args.hidden_size, max_context=args.max_context),
        train=PretrainConfig(steps=args.steps, epochs=min(args.epochs, args.steps),
                             batch_size=args.batch_size, seed=args.seed, resume=args.resume,
                             device=args.device))
    torch.set_num_threads(args.threads)
    done = run_job(job)
    out, digest = args.output, done["sha256"]
    ensemble = f" {job.members} members," if job.members > 1 else ""
    ranks = f" on {job.processes} processes," if job.processes > 1 else ""
    ui.done(f"pretrained on {done['series']} series (+{job.synthetic} synthetic),{ensemble}"
            f"{ranks} {args.steps} steps, final loss {done['final_loss']:.4f}; wrote {out}"
            f" (sha256 {digest[:16]}...); use it with --model pretrained"
            f" --param weights={out}",
            {"output": out, "sha256": digest, "series": done["series"],
             "synthetic": job.synthetic, "steps": args.steps,
             "final_loss": done["final_loss"], "members": job.members,
             "processes": job.processes})
    return 0
