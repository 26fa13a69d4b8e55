"""The recipe that produced gatecast's shipped pretrained weights; a run reproduces them.

    .venv/bin/python benchmarks/pretrain_recipe.py --output src/gatecast/pretrained/weights

Generates :data:`gatecast.pretrained.corpus.RECIPE_CORPUS` (synthetic only; no evaluation
data), pretrains the network of :data:`RECIPE_NET` with :data:`RECIPE_TRAIN` on one CPU
thread (fixed threads and seeds: the same torch build gives bit-identical weights) and
writes ``config.json`` + ``model.safetensors``; prints the SHA-256 of the weights and the
CPU seconds. The shipped network is an ensemble of :data:`RECIPE_MEMBERS` members trained
one after another (member k with seed ``RECIPE_TRAIN.seed + k``); each member is written to
``--work`` (default ``<output>.members``) as it finishes, and a member found there with the
same corpus, network and training settings is read instead of trained again, so an
interrupted run continues with the next member. The other options exist for design
experiments (docs/pretrained.md) and make weights that are not the shipped ones.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch

from gatecast.pretrained.corpus import RECIPE_CORPUS, build_corpus
from gatecast.pretrained.network import NetConfig, PretrainedEnsemble, PretrainedNet
from gatecast.pretrained.store import load_weights, save_weights, weights_hash
from gatecast.pretrained.train import PretrainConfig, pretrain

RECIPE_NET = NetConfig(hidden_size=64, num_layers=1, head_hidden=256, horizon=64,
                       max_context=256, skip="seasonal")
#: Members of the shipped ensemble: member k is trained with seed ``RECIPE_TRAIN.seed + k``.
RECIPE_MEMBERS = 3
RECIPE_TRAIN = PretrainConfig(steps=12_000, epochs=16, batch_size=128, lr=2e-3,
                              weight_decay=0.01, min_context=8, seed=0)


def member_settings(meta: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two members the same run (checkpoint folders and resuming do not)."""
    meta = json.loads(json.dumps(meta))  # tuples and lists compare alike
    train = {k: v for k, v in meta.get("train", {}).items()
             if k not in ("checkpoint_dir", "resume")}
    return (meta.get("corpus"), train, meta.get("network"), meta.get("torch"),
            meta.get("threads"))


def train_member(series: list, corpus: Any, cfg: PretrainConfig, net: NetConfig,
                 folder: Path, threads: int) -> tuple[PretrainedNet, str]:
    """Member ``cfg.seed``: read from ``folder`` when it holds the same run, else trained
    and written there."""
    meta = {"corpus": dataclasses.asdict(corpus), "train": dataclasses.asdict(cfg),
            "network": dataclasses.asdict(net), "torch": torch.__version__,
            "threads": threads}
    config = folder / "config.json"
    if config.is_file():
        saved = json.loads(config.read_text())
        old = {**saved.get("meta", {}), "network": saved.get("network")}
        if member_settings(old) == member_settings(meta):
            member = load_weights(folder)
            print(f"member seed {cfg.seed}: read from {folder}", flush=True)
            return member, weights_hash(member.state_dict())
    model, history = pretrain(series, cfg, net, on_epoch=lambda r: print(
        f"seed {cfg.seed} epoch {r['epoch']:.0f} loss {r['train_loss']:.4f}"
        f" {r['seconds']:.0f} s", flush=True))
    meta["final_loss"] = float(history["train_loss"].iloc[-1])
    meta.pop("network")
    digest = save_weights(model, folder, meta)
    print(history.to_string(index=False))
    return model, digest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True, help="folder for the weights")
    parser.add_argument("--work", default=None,
                        help="folder for the members (default: <output>.members)")
    parser.add_argument("--members", type=int, default=RECIPE_MEMBERS,
                        help="experiments: ensemble members")
    parser.add_argument("--steps", type=int, default=None, help="experiments: fewer steps")
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
    base = dataclasses.replace(RECIPE_TRAIN, resume=args.resume,
                               seed=RECIPE_TRAIN.seed if args.seed is None else args.seed,
                               **({"steps": args.steps, "epochs": min(args.steps, 16)}
                                  if args.steps else {}))
    work = Path(args.work or f"{Path(args.output)}.members")
    start_cpu, start = time.process_time(), time.perf_counter()
    series = build_corpus(corpus)
    corpus_s = time.perf_counter() - start
    members, digests = [], []
    for k in range(args.members):
        ckpt = None if args.checkpoints is None else str(Path(args.checkpoints) / f"member-{k}")
        cfg = dataclasses.replace(base, seed=base.seed + k, checkpoint_dir=ckpt)
        member, digest = train_member(series, corpus, cfg, net, work / f"member-{k}",
                                      args.threads)
        members.append(member)
        digests.append(digest)
        print(f"member {k} (seed {cfg.seed}): sha256 {digest}", flush=True)
    model = members[0] if len(members) == 1 else PretrainedEnsemble.of(members)
    meta = {"corpus": dataclasses.asdict(corpus), "train": dataclasses.asdict(base),
            "members": [{"seed": base.seed + k, "sha256": d} for k, d in enumerate(digests)],
            "torch": torch.__version__, "threads": args.threads}
    digest = save_weights(model, args.output, meta)
    cpu = time.process_time() - start_cpu
    print(f"corpus {corpus.n_series} series in {corpus_s:.0f} s; {len(members)} member(s) of"
          f" {base.steps} steps; CPU {cpu:.0f} s (members read from {work} are not"
          f" counted), wall {time.perf_counter() - start:.0f} s")
    print(f"wrote {args.output}; sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
