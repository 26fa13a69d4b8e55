"""The recipe that produced gatecast's shipped pretrained weights; a run reproduces them.

    .venv/bin/python benchmarks/pretrain_recipe.py --output src/gatecast/pretrained/weights

Generates :data:`gatecast.pretrained.corpus.RECIPE_CORPUS` (synthetic only; no evaluation
data), pretrains the network of :data:`RECIPE_NET` with :data:`RECIPE_TRAIN` on one CPU
thread (fixed threads and seeds: the same torch build gives bit-identical weights) and
writes ``config.json`` + ``model.safetensors``; prints the SHA-256 of the weights and the
CPU seconds. The shipped network is an ensemble of the members :data:`RECIPE_MEMBERS`
(a seed and a step budget each; otherwise :data:`RECIPE_TRAIN`) trained one after another;
each member is written to
``--work`` (default ``<output>.members``) as it finishes, and a member found there with the
same corpus, network and training settings is read instead of trained again, so an
interrupted run continues with the next member (the member loop is
:func:`gatecast.pretrained.members.pretrain_members`, shared with ``gatecast pretrain
--members N``). The other options exist for design
experiments (docs/pretrained.md) and make weights that are not the shipped ones.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import torch

from gatecast.pretrained.corpus import RECIPE_CORPUS, build_corpus
from gatecast.pretrained.members import members_record, pretrain_members
from gatecast.pretrained.network import NetConfig
from gatecast.pretrained.store import save_weights
from gatecast.pretrained.train import PretrainConfig

RECIPE_NET = NetConfig(hidden_size=64, num_layers=1, head_hidden=256, horizon=64,
                       max_context=256, skip="seasonal")
RECIPE_TRAIN = PretrainConfig(steps=12_000, epochs=16, batch_size=128, lr=2e-3,
                              weight_decay=0.01, min_context=8, seed=0)
#: Members of the shipped ensemble, (seed, steps) each, trained with :data:`RECIPE_TRAIN`
#: otherwise: three of 12,000 steps and two of 24,000, whose cosine schedules differ
#: (docs/pretrained.md, "Design choices": the mix beats five members of 12,000 steps).
RECIPE_MEMBERS = ((0, 12_000), (1, 12_000), (2, 12_000), (0, 24_000), (1, 24_000))


def recipe_configs(members: int, seed: int | None = None, steps: int | None = None
                   ) -> list[PretrainConfig]:
    """The first ``members`` of :data:`RECIPE_MEMBERS` (experiments: every seed moved by
    ``seed - RECIPE_TRAIN.seed``, every budget replaced by ``steps``)."""
    if not 1 <= members <= len(RECIPE_MEMBERS):
        raise SystemExit(f"--members takes 1 to {len(RECIPE_MEMBERS)}, got {members}")
    shift = 0 if seed is None else seed - RECIPE_TRAIN.seed
    chosen = [(s + shift, n if steps is None else steps) for s, n in RECIPE_MEMBERS[:members]]
    return [dataclasses.replace(RECIPE_TRAIN, seed=s, steps=n, epochs=min(n, RECIPE_TRAIN.epochs))
            for s, n in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True, help="folder for the weights")
    parser.add_argument("--work", default=None,
                        help="folder for the members (default: <output>.members)")
    parser.add_argument("--members", type=int, default=len(RECIPE_MEMBERS),
                        help="experiments: the first N members only")
    parser.add_argument("--steps", type=int, default=None,
                        help="experiments: every member's steps")
    parser.add_argument("--series", type=int, default=None, help="experiments: corpus size")
    parser.add_argument("--hidden", type=int, default=None, help="experiments: hidden size")
    parser.add_argument("--layers", type=int, default=None, help="experiments: LSTM layers")
    parser.add_argument("--skip", default=None, help="experiments: seasonal or none")
    parser.add_argument("--context", type=int, default=None,
                        help="experiments: the longest context")
    parser.add_argument("--weights", default=None, metavar="W,W,W,W,W,W",
                        help="experiments: generator shares (corpus.GENERATORS order)")
    parser.add_argument("--checkpoints", default=None,
                        help="checkpoint folder (resumable; one subfolder per member)")
    parser.add_argument("--resume", action="store_true", help="continue from --checkpoints")
    parser.add_argument("--seed", type=int, default=None,
                        help="experiments: the first member's training seed")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1 reproduces the shipped weights)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    corpus = RECIPE_CORPUS
    if args.series is not None:
        corpus = dataclasses.replace(corpus, n_series=args.series)
    if args.weights is not None:
        corpus = dataclasses.replace(corpus, weights=tuple(
            float(w) for w in args.weights.split(",")))
    net = dataclasses.replace(RECIPE_NET, **{k: v for k, v in (
        ("hidden_size", args.hidden), ("num_layers", args.layers), ("skip", args.skip),
        ("max_context", args.context))
        if v is not None})
    configs = [dataclasses.replace(cfg, resume=args.resume)
               for cfg in recipe_configs(args.members, args.seed, args.steps)]
    work = Path(args.work or f"{Path(args.output)}.members")
    start_cpu, start = time.process_time(), time.perf_counter()
    series = build_corpus(corpus)
    corpus_s = time.perf_counter() - start
    model, digests, _ = pretrain_members(
        series, dataclasses.asdict(corpus), configs, net, work,
        None if args.checkpoints is None else Path(args.checkpoints), args.threads,
        log=lambda line: print(line, flush=True))
    meta = {"corpus": dataclasses.asdict(corpus), "train": dataclasses.asdict(configs[0]),
            "members": members_record(configs, digests),
            "torch": torch.__version__, "threads": args.threads}
    digest = save_weights(model, args.output, meta)
    cpu = time.process_time() - start_cpu
    budgets = "/".join(str(cfg.steps) for cfg in configs)
    print(f"corpus {corpus.n_series} series in {corpus_s:.0f} s; {len(digests)} member(s) of"
          f" {budgets} steps; CPU {cpu:.0f} s (members read from {work} are not"
          f" counted), wall {time.perf_counter() - start:.0f} s")
    print(f"wrote {args.output}; sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
