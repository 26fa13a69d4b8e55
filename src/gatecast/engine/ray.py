"""The Ray engine: the same pure per-partition functions, mapped as Ray tasks.

Each partition is one Ray task. A task whose worker process dies (killed, out of memory, node
lost) is run again up to ``max_retries`` times, so its partition is retried rather than lost;
an error raised *inside* a partition is not retried (it would fail again) and reaches the
caller as the original exception, naming its series. Results come back in partition order,
so the output equals the local run row for row.

Lifetime: with no ``address`` a local Ray runtime (``num_cpus`` workers, on 127.0.0.1 only)
starts on first use and shuts down when the outermost ``with engine:`` block ends (at
interpreter exit when used without one). With ``address="auto"``, ``"host:port"`` or
``"ray://host:10001"`` (the last needs ``pip install 'ray[client]'``) the engine joins that
running cluster and only disconnects from it afterwards.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from gatecast.engine.local import Activation, annotate
from gatecast.errors import ConfigError, GatecastError, MissingDependencyError
from gatecast.threads import Budgeted, worker_threads

T = TypeVar("T")


class PartitionLostError(GatecastError, RuntimeError):
    """A partition's worker died more often than the engine retries it."""


def import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise MissingDependencyError(
            "engine='ray' needs Ray: pip install 'gatecast[ray]' (or pip install ray)"
        ) from exc
    return ray


def _run(fn: Callable[[Any], T], item: Any) -> T:
    return fn(item)


@contextlib.contextmanager
def _loopback_only() -> Iterator[None]:
    """While a local runtime starts, make Ray use 127.0.0.1 (by default it binds and
    advertises the machine's network address even for a single-node runtime). The processes
    Ray starts read the switch from the environment; this process's Ray read it at import,
    so its copy is set too. Both are restored once the runtime runs."""
    key = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
    before = os.environ.get(key)
    constants = sys.modules.get("ray._private.ray_constants")
    flag = getattr(constants, "ENABLE_RAY_CLUSTER", None)
    os.environ[key] = before if before is not None else "0"
    if constants is not None and flag is not None and before is None:
        constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(key, None)
        if constants is not None and flag is not None:
            constants.ENABLE_RAY_CLUSTER = flag


@dataclass
class RayEngine(Activation):
    """Map partitions over Ray workers (see the module docstring for the lifetime).

    Args:
        address: ``None`` starts a local runtime; ``"auto"``, ``"host:port"`` or
            ``"ray://host:port"`` joins a running cluster.
        num_cpus: CPUs of the local runtime (default: all cores); ignored when joining.
        max_retries: times a partition is rerun after its worker dies.
        series_per_partition: at most this many series per task (bounds worker memory).
        object_store_mb: object store size of the local runtime (default: Ray's choice).
    """

    address: str | None = None
    num_cpus: int | None = None
    max_retries: int = 3
    series_per_partition: int = 20_000
    object_store_mb: int | None = None

    def __post_init__(self) -> None:
        if self.num_cpus is not None and (isinstance(self.num_cpus, bool) or self.num_cpus < 1):
            raise ConfigError(f"num_cpus must be >= 1, got {self.num_cpus!r}")
        if self.max_retries < 0:
            raise ConfigError(f"max_retries must be >= 0, got {self.max_retries!r}")
        if self.series_per_partition < 1:
            raise ConfigError("series_per_partition must be >= 1")
        self._depth = 0
        self._owned = False

    # -- lifetime -----------------------------------------------------------------------
    def start(self) -> Any:
        """Connect to (or start) Ray; returns the ``ray`` module."""
        ray = import_ray()
        if ray.is_initialized():
            return ray
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "logging_level": logging.WARNING}
        if self.address is None:
            kwargs.update(num_cpus=self.num_cpus or os.cpu_count() or 1)
            if self.object_store_mb:
                kwargs["object_store_memory"] = int(self.object_store_mb) * 2**20
        else:
            kwargs["address"] = self.address
        try:
            with _loopback_only() if self.address is None else contextlib.nullcontext():
                ray.init(**kwargs)
        except (ConnectionError, ValueError, RuntimeError, TimeoutError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            where = f"join the Ray cluster at {self.address!r}" if self.address else "start Ray"
            raise ConfigError(f"cannot {where}: {first}; check the address (ray status) or"
                              " leave --address out for a local runtime") from exc
        self._owned = True
        return ray

    def shutdown(self) -> None:
        """Stop the local runtime (or disconnect from the cluster) if this engine began it."""
        if self._owned:
            import ray

            ray.shutdown()
            self._owned = False

    def __enter__(self) -> RayEngine:
        self.start()
        self._depth += 1
        return super().__enter__()

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self._depth -= 1
        if self._depth == 0:
            self.shutdown()

    # -- mapping ------------------------------------------------------------------------
    @property
    def workers(self) -> int:
        ray = self.start()
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def n_partitions(self, n_series: int) -> int:
        # A few tasks per worker balance uneven series; the cap bounds a task's memory.
        want = max(4 * self.workers, math.ceil(n_series / self.series_per_partition))
        return max(1, min(n_series, want))

    def map(self, fn: Callable[[Any], T], items: Sequence[Any],
            labels: Sequence[str] | None = None) -> list[T]:
        if len(items) == 0:
            return []
        ray = self.start()
        task = ray.remote(_run).options(num_cpus=1, max_retries=self.max_retries,
                                        retry_exceptions=False)
        # Each task holds one of the runtime's CPUs; a local runtime's workers share this
        # machine's free cores (a cluster's nodes cannot be seen from here: one each).
        cores = worker_threads(self.workers) if self.address is None else 1
        fn_ref = ray.put(Budgeted(fn, cores))  # shipped once, not once per partition
        refs = [task.remote(fn_ref, item) for item in items]
        # No ray.cancel() of the other partitions when one fails: cancelling a task that is
        # finishing at that moment crashes the driver in Ray 2.60 ("Tried to complete task that
        # was not pending", a failed CHECK that ends the whole process). They run to the end.
        return [self._get(ray, ref, k, labels) for k, ref in enumerate(refs)]

    def _get(self, ray: Any, ref: Any, k: int, labels: Sequence[str] | None) -> Any:
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, Exception):
                annotate(cause, k, labels)
                raise cause from None
            raise
        except ray.exceptions.RayError as exc:
            which = f" ({labels[k]})" if labels is not None else ""
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise PartitionLostError(
                f"partition {k}{which} was lost after {self.max_retries} retries"
                f" ({type(exc).__name__}: {first[:160]}); give the workers more memory, use"
                " smaller partitions (series_per_partition=) or check the cluster's logs"
            ) from exc
