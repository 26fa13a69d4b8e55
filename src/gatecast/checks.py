"""One place for the checks every layer repeats: whole numbers and the bounds on sizes.

Every size a user, a config file or a model file can set (horizon, look-back, network width
and depth, ensemble members, season length) is checked here before anything is allocated,
so a typo such as ``--h 1000000000`` is one clear error instead of the kernel killing the
process at 20 GB.
"""

from __future__ import annotations

import numbers
from typing import Any

from gatecast.errors import ConfigError

#: Upper bounds on sizes. Each is far above any sensible use and far below what would
#: exhaust a workstation's memory; a message that hits one names the bound.
MAX_HORIZON = 100_000
MAX_LOOK_BACK = 100_000
MAX_SEASON_LENGTH = 100_000
MAX_HIDDEN_SIZE = 4_096
MAX_LAYERS = 16
MAX_MEMBERS = 64
MAX_QUANTILES = 99
#: Parameters of one network (about 1.2 GB of float32 weights with Adam's two moments).
MAX_PARAMETERS = 100_000_000


def whole_number(value: Any, name: str, *, minimum: int = 1, maximum: int | None = None,
                 hint: str = "") -> int:
    """``value`` as an ``int`` if it is a whole number in ``[minimum, maximum]``.

    Bools are refused (``True`` is not a size); integral floats such as ``12.0`` are
    accepted, ``12.5`` and strings are not. ``hint`` is appended to the message.
    """
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok and isinstance(value, float) and value.is_integer():
        ok = True
    if not ok or value < minimum:
        raise ConfigError(f"{name} must be a whole number >= {minimum}{hint}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ConfigError(
            f"{name} = {int(value):,} is above gatecast's limit of {maximum:,}{hint}"
        )
    return int(value)
