"""Training one network on many processes with torch DDP.

Three ways to run a recurrent forecaster's training as a data-parallel group:

- ``model.fit(frame, distributed=N)`` (CLI ``--ddp N``): starts ``N`` local processes with
  ``torch.multiprocessing`` (gloo over 127.0.0.1 on CPU; NCCL when there are ``N`` GPUs and
  the device is ``auto``/``cuda``). Every rank prepares the same windows from the same data
  and trains on its shard of each epoch; rank 0 writes the checkpoints and the fitted model,
  which this process loads.
- ``torchrun --nproc-per-node N script.py`` where the script calls
  ``model.fit(frame, distributed=True)``: every process joins the group that torchrun
  describes (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``); save the model on
  rank 0 only (:func:`is_main_process`).
- Inside a group someone else set up (Ray Train's ``TorchTrainer``): ``fit`` sees the
  initialised process group and trains as its rank.

:func:`spawn` runs any picklable rank function on ``N`` local processes (``spawn_fit`` for
the forecasters, ``gatecast pretrain --processes P`` for pretraining).

The effective batch is ``N * batch_size`` (each rank draws ``batch_size`` windows per step).
A given seed and ``N`` give the same weights every time: the batch order is a function of
(seed, epoch), the initial weights of the seed, and the all-reduce of two CPU ranks is exact.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime
import json
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

import gatecast.errors as errors
from gatecast.errors import ConfigError, GatecastError
from gatecast.threads import ENV_BUDGET, worker_threads
from gatecast.training.config import TrainerConfig
from gatecast.training.ddp import in_group
from gatecast.training.trainer import BatchSource, LossFn, TrainResult, train

_PROCESSES: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "gatecast_ddp_processes", default=None)
ENV = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
TIMEOUT = datetime.timedelta(minutes=15)


@contextlib.contextmanager
def processes(n: int | None) -> Iterator[None]:
    """Within the block, ``fit(...)`` of recurrent models without ``distributed=`` trains
    on ``n`` processes (how the CLI's ``--ddp N`` reaches fits inside backtests)."""
    token = _PROCESSES.set(n)
    try:
        yield
    finally:
        _PROCESSES.reset(token)


def is_main_process() -> bool:
    """Rank 0 of the group, or the only process: the one that should write files."""
    return not in_group() or dist.get_rank() == 0


def check_distributed(distributed: Any) -> int | bool | None:
    """``None``/``False``/``1``: one process; ``True``: join torchrun's group; ``N >= 2``:
    start ``N`` processes. ``None`` takes the value of an enclosing :func:`processes`."""
    if distributed is None:
        distributed = _PROCESSES.get()
    if distributed is None or distributed is False or distributed is True:
        return distributed
    if not isinstance(distributed, int) or distributed < 1:
        raise ConfigError(f"distributed must be a number of processes >= 1 or True (join a"
                          f" torchrun launch), got {distributed!r}")
    return None if distributed == 1 else distributed


def _gpus_for(device: str, world_size: int) -> bool:
    """Whether ranks train on GPUs (one each); an explicit ``cuda`` without enough fails."""
    local = int(os.environ.get("LOCAL_WORLD_SIZE", world_size))
    enough = torch.cuda.is_available() and torch.cuda.device_count() >= local
    if device.startswith("cuda") and not enough:
        raise ConfigError(f"device={device!r} with {local} processes per machine needs"
                          f" {local} GPUs, found {torch.cuda.device_count()}; use"
                          " device='auto' (CPU ranks) or fewer processes")
    return device != "cpu" and enough


def join_env_group(device: str) -> None:
    """Initialise the process group torchrun describes (no-op when already initialised)."""
    if dist.is_initialized():
        return
    missing = [k for k in ENV if k not in os.environ]
    if missing:
        raise ConfigError(
            f"distributed=True joins a torchrun launch, but {', '.join(missing)} is not set;"
            " start the script with torchrun --nproc-per-node N, or pass distributed=N to"
            " start N local processes"
        )
    world = int(os.environ["WORLD_SIZE"])
    backend = "nccl" if _gpus_for(device, world) else "gloo"
    dist.init_process_group(backend, init_method="env://", timeout=TIMEOUT)


def rank_config(cfg: TrainerConfig) -> TrainerConfig:
    """The trainer config of this rank: its own GPU under NCCL, else the CPU."""
    if dist.get_backend() == "nccl":
        local_rank = int(os.environ.get("LOCAL_RANK", dist.get_rank()))
        torch.cuda.set_device(local_rank)
        return dataclasses.replace(cfg, device=f"cuda:{local_rank}")
    return dataclasses.replace(cfg, device="cpu")


def train_rank(net: nn.Module, loss_fn: LossFn, source: BatchSource, cfg: TrainerConfig,
               val_source: BatchSource | None = None,
               on_epoch: Callable[[dict[str, float]], None] | None = None) -> TrainResult:
    """:func:`~gatecast.training.trainer.train`, as this process's rank when in a group."""
    if not in_group():
        return train(net, loss_fn, source, cfg, val_source, on_epoch=on_epoch)
    return train(net, loss_fn, source, rank_config(cfg), val_source,
                 rank=dist.get_rank(), world_size=dist.get_world_size(), on_epoch=on_epoch)


# -- starting N local processes ---------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _loopback_interface() -> str | None:
    names = [name for _, name in socket.if_nameindex()]
    return next((n for n in ("lo", "lo0") if n in names), None)


def _rank_main(rank: int, world: int, port: int, threads: int, device: str,
               work: Callable[[int, Path], None], out: str) -> None:
    """One spawned rank: join the loopback group and run ``work(rank, out)``."""
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                      LOCAL_WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port), **{ENV_BUDGET: str(threads)})
    lo = _loopback_interface()
    if lo is not None:
        os.environ.setdefault("GLOO_SOCKET_IFNAME", lo)  # gloo's pairs stay on loopback
    torch.set_num_threads(threads)
    try:
        join_env_group(device)
        work(rank, Path(out))
        dist.barrier()
    except GatecastError as exc:
        # Rebuilt as the same one-line error in the parent (a traceback would be lost there).
        (Path(out) / f"error{rank}.json").write_text(
            json.dumps({"type": type(exc).__name__, "message": str(exc)}))
        raise
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def _raise_rank_error(out: Path, exc: BaseException) -> None:
    for path in sorted(out.glob("error*.json")):
        info = json.loads(path.read_text())
        cls = getattr(errors, info["type"], None)
        if isinstance(cls, type) and issubclass(cls, GatecastError):
            raise cls(info["message"]) from exc
        raise GatecastError(info["message"]) from exc
    first = str(exc).strip().splitlines()
    raise RuntimeError(f"a DDP training process failed: {first[-1] if first else exc}"
                       ) from exc


def spawn(work: Callable[[int, Path], None], world: int, device: str, out: Path) -> None:
    """Run the picklable ``work(rank, out)`` on ``world`` local processes joined in one group
    (gloo over loopback, NCCL on ``world`` GPUs for a ``cuda``/``auto`` device); a
    :class:`~gatecast.errors.GatecastError` in a rank is raised here as the same error."""
    import torch.multiprocessing as tmp

    _gpus_for(device, world)  # fail here, before starting processes, on a bad device
    threads = worker_threads(world)  # each rank's share of the free cores
    try:
        tmp.spawn(_rank_main, args=(world, free_port(), threads, device, work, str(out)),
                  nprocs=world, join=True)
    except Exception as exc:  # ProcessRaisedException / ProcessExitedException
        _raise_rank_error(out, exc)


@dataclasses.dataclass(frozen=True)
class _FitRank:
    """A rank of :func:`spawn_fit`: fit; rank 0 saves the fitted model into ``out``."""

    model: Any
    data: Any
    static: Any

    def __call__(self, rank: int, out: Path) -> None:
        self.model.fit(self.data, static=self.static, distributed=True)
        if rank == 0:
            self.model.save(out / "model")


def spawn_fit(model: Any, data: Any, static: Any, world: int) -> Any:
    """Fit ``model`` on ``world`` local processes; load rank 0's result into ``model``."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gatecast-ddp-") as out:
        spawn(_FitRank(model, data, static), world, model.trainer.device, Path(out))
        fitted = type(model).load(Path(out) / "model")
    model.__dict__.update({k: v for k, v in vars(fitted).items() if k.endswith("_")})
    model.fit_seconds_ = time.perf_counter() - start
    return model
