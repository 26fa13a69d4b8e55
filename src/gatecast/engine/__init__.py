"""Execution engines: map pure per-partition functions here, in processes, or on Ray.

    from gatecast.engine import make_engine
    with make_engine("ray", num_cpus=2) as engine:   # local Ray runtime, stopped afterwards
        model.fit(frame)                              # per-series models map on Ray
    make_engine("ray", address="auto")                # join a running cluster instead
"""

from __future__ import annotations

from typing import Any

from gatecast.engine.local import (
    Engine,
    LocalEngine,
    active_engine,
    describe_series,
    split_positions,
)
from gatecast.engine.ray import RayEngine
from gatecast.errors import ConfigError

ENGINES = ("local", "ray")


def make_engine(name: str = "local", *, n_jobs: int = 1, address: str | None = None,
                **options: Any) -> Engine:
    """An engine by name: ``"local"`` (``n_jobs`` processes) or ``"ray"``.

    ``address`` (Ray only): ``None`` starts a local runtime, ``"auto"``/``"host:port"``/
    ``"ray://..."`` joins a cluster. Other ``options`` go to
    :class:`~gatecast.engine.ray.RayEngine` (``num_cpus``, ``max_retries``,
    ``series_per_partition``, ``object_store_mb``).
    """
    if name == "local":
        if address is not None or options:
            given = ["address"] * (address is not None) + sorted(options)
            raise ConfigError(f"engine 'local' takes no {', '.join(given)}; use engine='ray'")
        return LocalEngine(n_jobs=n_jobs)
    if name == "ray":
        return RayEngine(address=address, **options)
    raise ConfigError(f"unknown engine {name!r}; use {' or '.join(ENGINES)}")


def resolve_engine(engine: str | Engine | None, n_jobs: int = 1) -> Engine | None:
    """``None``/``"local"`` -> ``None`` (models keep their own ``n_jobs``); a name -> a new
    engine; an engine -> itself."""
    if engine is None or engine == "local":
        return None
    if isinstance(engine, str):
        return make_engine(engine, n_jobs=n_jobs)
    if not hasattr(engine, "map"):
        raise ConfigError(f"engine must be 'local', 'ray' or an engine object, got {engine!r}")
    return engine


__all__ = [
    "ENGINES",
    "Engine",
    "LocalEngine",
    "active_engine",
    "describe_series",
    "make_engine",
    "resolve_engine",
    "split_positions",
]
