"""``gatecast pretrain``'s work: read a corpus, train the members (on one process or as a
DDP group of ``processes`` local ranks), write the weights.

One process: the members are trained here, one after another
(:func:`gatecast.pretrained.members.pretrain_members`). ``processes`` P >= 2: P local
processes join one torch.distributed group (gloo on the CPU, NCCL on P GPUs) through
:func:`gatecast.training.distributed.spawn`; every rank reads the corpus itself (so the
corpus is in memory P times), trains every member on its shard of each step's windows
(each rank draws ``batch_size`` windows per step: the effective batch is P x
``batch_size``), and rank 0 writes the checkpoints, the members and the weights. The
weights of P processes differ from those of one (other batches, other float sums) but are
the same on every run with the same P, seed and threads.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from gatecast.checks import MAX_SEASON_LENGTH, keep_whole
from gatecast.data.frame import read_table
from gatecast.errors import ConfigError
from gatecast.pretrained.corpus import MAX_SERIES, CorpusSpec, build_corpus
from gatecast.pretrained.members import (
    Log,
    member_configs,
    members_record,
    pretrain_members,
    series_hash,
)
from gatecast.pretrained.network import MAX_MEMBERS, NetConfig
from gatecast.pretrained.store import save_weights
from gatecast.pretrained.train import PretrainConfig, frame_series
from gatecast.threads import MAX_THREADS
from gatecast.training.distributed import is_main_process, spawn

#: Local DDP processes of one pretraining run (each holds the corpus and a network).
MAX_PROCESSES = 64
SUMMARY = "summary.json"


@dataclasses.dataclass(frozen=True)
class PretrainJob:
    """What ``gatecast pretrain`` does (every size bounded at construction).

    Attributes:
        corpus: a CSV/Parquet long frame or a folder of Parquet files.
        output: the folder for ``config.json`` + ``model.safetensors``; its
            ``checkpoints/member-k`` holds member k's checkpoint and, once finished, its
            weights.
        season_length: of every series (else the corpus' ``season_length`` column).
        synthetic: series of gatecast's synthetic corpus mixed in (seeded by
            ``train.seed``).
        net, train: the network and its training (member k uses seed ``train.seed + k``;
            ``train.resume`` reads finished members and resumes the interrupted one).
        members: networks trained one after another and averaged (1: one network).
        processes: local DDP processes.
        threads: torch threads per process (fixed, so a run is reproducible).
    """

    corpus: str
    output: str
    net: NetConfig
    train: PretrainConfig
    season_length: int | None = None
    synthetic: int = 0
    members: int = 1
    processes: int = 1
    threads: int = 1

    def __post_init__(self) -> None:
        out, src = Path(self.output).resolve(), Path(self.corpus).resolve()
        if out == src or src in out.parents:
            raise ConfigError(f"--output {self.output} would write into the corpus"
                              f" {self.corpus}; choose another folder")
        keep_whole(self, "synthetic", "--synthetic", minimum=0, maximum=MAX_SERIES)
        keep_whole(self, "threads", "--threads", maximum=MAX_THREADS)
        keep_whole(self, "members", "--members", maximum=MAX_MEMBERS)
        keep_whole(self, "processes", "--processes", maximum=MAX_PROCESSES)
        if self.season_length is not None:
            keep_whole(self, "season_length", "--season-length", maximum=MAX_SEASON_LENGTH)

    @property
    def checkpoints(self) -> Path:
        return Path(self.output) / "checkpoints"


def read_corpus(job: PretrainJob) -> tuple[list[tuple[np.ndarray, int]], int]:
    """The corpus' series (then the synthetic ones) and how many came from the file."""
    series = frame_series(read_table(Path(job.corpus)), job.season_length)
    n_user = len(series)
    if job.synthetic:
        series += build_corpus(CorpusSpec(n_series=job.synthetic, seed=job.train.seed))
    return series, n_user


def _train(job: PretrainJob, log: Log | None) -> dict[str, Any]:
    """This process's part of ``job`` (all of it, or one rank's); rank 0 writes."""
    series, n_user = read_corpus(job)
    corpus = {"series": n_user, "synthetic": job.synthetic, "sha256": series_hash(series)}
    base = dataclasses.replace(job.train, checkpoint_dir=str(job.checkpoints))
    configs = member_configs(base, job.members)
    model, digests, losses = pretrain_members(
        series, corpus, configs, job.net, job.checkpoints, job.checkpoints,
        job.threads, reuse=job.train.resume, processes=job.processes, log=log)
    summary = {"output": job.output, "series": n_user, "synthetic": job.synthetic,
               "members": len(digests), "processes": job.processes,
               "steps": job.train.steps, "final_loss": losses[-1]}
    if is_main_process():
        meta = {"corpus": str(Path(job.corpus)), "series": n_user, "synthetic": job.synthetic,
                "train": dataclasses.asdict(base),
                **({"members": members_record(configs, digests)} if job.members > 1 else {}),
                **({"processes": job.processes} if job.processes > 1 else {})}
        summary["sha256"] = save_weights(model, job.output, meta)
    return summary


@dataclasses.dataclass(frozen=True)
class _Rank:
    """One rank of a ``processes`` >= 2 job (picklable, for the spawned processes)."""

    job: PretrainJob

    def __call__(self, rank: int, out: Path) -> None:
        summary = _train(self.job, None)
        if rank == 0:
            (out / SUMMARY).write_text(json.dumps(summary))


def run_job(job: PretrainJob, log: Log | None = None) -> dict[str, Any]:
    """Run ``job``; returns what was written (``sha256`` of the weights, ``final_loss`` of
    the last member, ...). ``log`` sees progress lines (one process only)."""
    if job.processes == 1:
        return _train(job, log)
    with tempfile.TemporaryDirectory(prefix="gatecast-pretrain-") as out:
        spawn(_Rank(job), job.processes, job.train.device, Path(out))
        return json.loads((Path(out) / SUMMARY).read_text())

