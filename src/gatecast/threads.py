"""How many threads torch may use: chosen from the work and from the CPUs actually free.

Torch's intra-op threads meet at a barrier after every parallel operation. When another
process holds one of the cores, the thread scheduled beside it waits (spinning) for its
turn at every barrier, and a recurrent network, which runs thousands of small operations
one time step after another, slows by an order of magnitude instead of by half. And the
number of threads changes floating-point sums, so it changes the forecast a seed gives.
So gatecast decides (why, with measurements: ``docs/decisions.md``, "Threads"):

- ``threads`` (a :class:`~gatecast.training.config.TrainerConfig` field, ``--threads`` on
  the command line) or the environment variable ``GATECAST_THREADS`` fixes the number;
- otherwise :func:`choose_threads`: one thread per ``WORK_PER_THREAD`` multiply-adds of one
  time step (batch x parameters, :func:`network_work`), at most the free cores (cores this
  process may run on, from its CPU affinity and its cgroup's CPU quota, minus the cores
  other processes keep busy, sampled from ``/proc/stat`` for 50 ms) shared among the
  engine's workers, and at least one.

Engines running several workers (processes, Ray tasks) give each worker its share of the
cores through :class:`Budgeted`, so never more threads run in total than there are free
cores. This module imports no torch: it sets torch's threads only if torch is loaded.
Inter-op threads are left alone (torch lets a process set them once only, and eager
training does not use them).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatecast.checks import whole_number

#: The user's fixed number of threads (a whole number), for every fit and forecast.
ENV_THREADS = "GATECAST_THREADS"
#: Cores an engine gives each of its workers (set by :class:`Budgeted` inside a worker).
ENV_BUDGET = "GATECAST_CPU_BUDGET"
#: Environment variables of the thread pools libraries start later in a worker.
POOL_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
MAX_THREADS = 1024
#: Multiply-adds per time step (batch x parameters) per extra thread (see
#: :func:`choose_threads`). It keeps the default networks for short series (about 6.5e6) on
#: one thread, reproducible whatever else the machine runs and unhurt when a busy process
#: appears, and gives larger networks the free cores; ``benchmarks/load.py --sweep``
#: measures what a second thread gains at each width.
WORK_PER_THREAD = 10_000_000
#: How long :func:`busy_cores` watches the CPUs.
SAMPLE_SECONDS = 0.05
CGROUP_ROOT = Path("/sys/fs/cgroup")

log = logging.getLogger(__name__)


def choose_threads(work: float, cores: int, busy: float = 0.0, workers: int = 1,
                   override: int | None = None) -> int:
    """Threads for one worker: ``override`` if given, else
    ``min(work // WORK_PER_THREAD, (cores - busy) // workers)``, at least 1.

    ``work``: multiply-adds per time step (:func:`network_work`); ``cores``: the CPUs this
    process may use; ``busy``: cores other processes keep busy (rounded: a core more than
    half used is taken); ``workers``: processes of this run sharing the cores.
    """
    if override is not None:
        return override
    free = max(1, cores - math.floor(busy + 0.5))
    per_worker = max(1, free // max(1, workers))
    by_work = max(1, int(work // WORK_PER_THREAD))
    return min(per_worker, by_work)


def network_work(net: Any, rows: int) -> float:
    """Multiply-adds of one time step of ``net`` on ``rows`` samples: rows x parameters
    (every weight of a recurrent layer is used once per sample and step). Sequence length
    does not enter: it adds steps one after another, not work that threads could share."""
    return float(rows) * sum(p.numel() for p in net.parameters())


# -- the CPUs this process may use ------------------------------------------------------------
def parse_cpu_max(text: str) -> float | None:
    """cgroup v2 ``cpu.max`` (``"150000 100000"``: 1.5 CPUs; ``"max 100000"``: no limit)."""
    parts = text.split()
    if not parts or parts[0] == "max":
        return None
    period = float(parts[1]) if len(parts) > 1 else 100_000.0
    quota = float(parts[0])
    return quota / period if quota > 0 and period > 0 else None


def parse_cfs(quota_text: str, period_text: str) -> float | None:
    """cgroup v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (quota ``-1``: no limit)."""
    quota, period = float(quota_text.strip()), float(period_text.strip())
    return quota / period if quota > 0 and period > 0 else None


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError):
        return None


def cgroup_quota(root: Path = CGROUP_ROOT, proc_cgroup: Path = Path("/proc/self/cgroup")
                 ) -> float | None:
    """CPUs this process's cgroup may use (``None``: no quota), v2 then v1."""
    own = ""  # the v2 group of this process, relative to the root
    for line in (_read(proc_cgroup) or "").splitlines():
        if line.startswith("0::"):
            own = line[3:].strip().lstrip("/")
    for folder in dict.fromkeys([root / own, root]):
        text = _read(folder / "cpu.max")
        if text is not None:
            return parse_cpu_max(text)
    for folder in (root / "cpu", root / "cpu,cpuacct"):
        quota, period = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")
        if quota is not None and period is not None:
            with contextlib.suppress(ValueError):
                return parse_cfs(quota, period)
    return None


def affinity() -> list[int]:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def available_cores() -> int:
    """Cores this process may use: its affinity, cut by the cgroup quota (whole CPUs) and by
    the share an engine gave this worker."""
    cores = len(affinity())
    quota = cgroup_quota()
    if quota is not None:
        cores = min(cores, max(1, int(quota)))
    budget = os.environ.get(ENV_BUDGET, "")
    if budget.isdigit() and int(budget) >= 1:
        cores = min(cores, int(budget))
    return max(1, cores)


def parse_stat(text: str, cpus: Iterable[int]) -> tuple[int, int]:
    """(busy, total) jiffies of ``cpus`` from ``/proc/stat`` (idle and iowait are not busy)."""
    want = {f"cpu{c}" for c in cpus}
    busy = total = 0
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] in want:
            ticks = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
            total += sum(ticks)
            busy += sum(ticks) - ticks[3] - ticks[4]
    return busy, total


def busy_cores(cpus: list[int] | None = None, seconds: float = SAMPLE_SECONDS,
               stat: Path = Path("/proc/stat")) -> float:
    """Cores of ``cpus`` (default: this process's) that other processes keep busy, watched
    for ``seconds``; this process's own CPU time is not counted. Without ``/proc/stat`` the
    one-minute load average stands in."""
    cpus = affinity() if cpus is None else cpus
    before = _read(stat)
    if before is None:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        return min(float(len(cpus)), load)
    own0, wall0 = time.process_time(), time.perf_counter()
    time.sleep(seconds)
    after = _read(stat) or before
    own, wall = time.process_time() - own0, time.perf_counter() - wall0
    b0, t0 = parse_stat(before, cpus)
    b1, t1 = parse_stat(after, cpus)
    if t1 <= t0:
        return 0.0
    used = (b1 - b0) / (t1 - t0) * len(cpus)
    return max(0.0, used - own / max(wall, 1e-9))


# -- the decision, and applying it ------------------------------------------------------------
def user_threads(setting: int | None = None) -> int | None:
    """The user's fixed number: ``setting`` if given, else ``GATECAST_THREADS``, else None."""
    if setting is not None:
        return whole_number(setting, "threads", maximum=MAX_THREADS)
    text = os.environ.get(ENV_THREADS, "").strip()
    if not text or text == "auto":
        return None
    if not text.isdigit():
        whole_number(text, ENV_THREADS, maximum=MAX_THREADS,
                     hint=" (or 'auto'); fix or unset the environment variable")
    return whole_number(int(text), ENV_THREADS, maximum=MAX_THREADS)


def threads_for(work: float, setting: int | None = None) -> int:
    """Threads for ``work`` multiply-adds per step here and now (see the module docstring).

    The busy cores are sampled only when the work could use more than one thread, and not
    inside an engine's worker (the engine shared the free cores out already)."""
    fixed = user_threads(setting)
    if fixed is not None:
        return fixed
    cores = available_cores()
    busy = 0.0
    if choose_threads(work, cores) > 1 and not os.environ.get(ENV_BUDGET):
        busy = busy_cores()
    n = choose_threads(work, cores, busy)
    log.debug("%d thread(s): work %.3g, %d core(s), %.1f busy", n, work, cores, busy)
    return n


def worker_threads(workers: int) -> int:
    """Cores each of ``workers`` processes of one engine gets: free cores // workers."""
    fixed = user_threads()
    if fixed is not None:
        return fixed
    enough = float(MAX_THREADS * WORK_PER_THREAD)  # the work does not limit a worker's share
    return choose_threads(enough, available_cores(), busy_cores(), workers)


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[int]:
    """Run the block with ``n`` torch intra-op threads; the previous number afterwards."""
    torch = sys.modules.get("torch")
    if torch is None:  # nothing of torch runs here
        yield n
        return
    before = torch.get_num_threads()
    if n != before:
        torch.set_num_threads(n)
    try:
        yield n
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


@contextlib.contextmanager
def limit_threads(work: float, setting: int | None = None) -> Iterator[int]:
    """``torch_threads(threads_for(work, setting))``."""
    with torch_threads(threads_for(work, setting)) as n:
        yield n


@contextlib.contextmanager
def cpu_budget(cores: int) -> Iterator[None]:
    """Inside an engine's worker: this worker may use ``cores`` cores (torch's threads and
    the pools libraries start later), restored afterwards (a worker runs other tasks)."""
    names = (ENV_BUDGET, *POOL_VARIABLES)
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(dict.fromkeys(names, str(cores)))
    try:
        with torch_threads(cores):
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass(frozen=True)
class Budgeted:
    """Picklable ``fn`` run under :func:`cpu_budget` (``cores``) in an engine's worker."""

    fn: Callable[[Any], Any]
    cores: int

    def __call__(self, item: Any) -> Any:
        with cpu_budget(self.cores):
            return self.fn(item)
