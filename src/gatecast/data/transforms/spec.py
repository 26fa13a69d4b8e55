"""Transform specs: ``"log,diff:12,diff"`` -> a :class:`~gatecast.data.transforms.base.Pipeline`.

Apart from :mod:`gatecast.data.transforms.base` because it names the concrete transforms,
which import the base.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gatecast.data.transforms.base import Pipeline, Transform
from gatecast.data.transforms.difference import Difference
from gatecast.data.transforms.power import BoxCox, Log, Log1p
from gatecast.data.transforms.scale import MinMaxScaler, RobustScaler, StandardScaler
from gatecast.errors import ConfigError


def _parse_args(item: str, args: list[str], n_max: int, convert: Callable[[str], Any]) -> list[Any]:
    if len(args) > n_max:
        raise ConfigError(f"transform {item!r} takes at most {n_max} ':'-separated arguments")
    try:
        return [convert(a) for a in args]
    except ValueError:
        raise ConfigError(
            f"transform {item!r} has a bad argument; see make_pipeline for the syntax"
        ) from None


def make_pipeline(spec: str) -> Pipeline:
    """Build a pipeline from a comma-separated spec, e.g. ``"log,diff:24,diff,minmax"``.

    Steps (arguments after ``:``):

    - ``log``, ``log1p``
    - ``boxcox`` (lambda estimated per series) or ``boxcox:LAMBDA``
    - ``diff`` / ``difference`` ``[:LAG[:ORDER]]`` — ``diff:24`` is seasonal differencing
    - ``minmax[:LOW:HIGH]``, ``standard`` (alias ``zscore``), ``robust``
    - ``none`` or an empty spec: the identity pipeline.
    """
    steps: list[Transform] = []
    for raw in spec.split(","):
        item = raw.strip()
        if not item or item.lower() == "none":
            continue
        name, *args = (p.strip() for p in item.split(":"))
        name = name.lower()
        if name in ("log", "log1p", "standard", "zscore", "robust"):
            _parse_args(item, args, 0, str)
            cls = {"log": Log, "log1p": Log1p, "robust": RobustScaler}.get(name, StandardScaler)
            steps.append(cls())
        elif name == "boxcox":
            (lmbda,) = _parse_args(item, args, 1, float) or [None]
            steps.append(BoxCox(lmbda=lmbda))
        elif name in ("diff", "difference"):
            nums = _parse_args(item, args, 2, int)
            lag = nums[0] if nums else 1
            order = nums[1] if len(nums) > 1 else 1
            steps.append(Difference(order=order, lag=lag))
        elif name == "minmax":
            bounds = _parse_args(item, args, 2, float)
            if len(bounds) == 1:
                raise ConfigError(f"transform {item!r} needs both bounds: minmax:LOW:HIGH")
            steps.append(MinMaxScaler(tuple(bounds)) if bounds else MinMaxScaler())
        else:
            raise ConfigError(
                f"unknown transform {name!r} in {spec!r}; use log, log1p, boxcox[:LAMBDA], "
                "diff[:LAG[:ORDER]], minmax[:LOW:HIGH], standard, robust or none"
            )
    return Pipeline(steps)
