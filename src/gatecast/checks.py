"""One place for the checks every layer repeats: whole numbers and the bounds on sizes.

Every size a user, a config file or a model file can set (horizon, look-back, network width
and depth, ensemble members, season length) is checked here before anything is allocated,
so a typo such as ``--h 1000000000`` is one clear error instead of the kernel killing the
process at 20 GB.
"""

from __future__ import annotations

import numbers
import os
from typing import Any

from gatecast.errors import ConfigError, GatecastError

#: Upper bounds on sizes. Each is far above any sensible use and far below what would
#: exhaust a workstation's memory; a message that hits one names the bound.
MAX_HORIZON = 100_000
MAX_LOOK_BACK = 100_000
MAX_SEASON_LENGTH = 100_000
MAX_HIDDEN_SIZE = 4_096
MAX_LAYERS = 16
MAX_MEMBERS = 64
MAX_QUANTILES = 99
#: Backtest folds (each refits every model: far beyond any useful evaluation).
MAX_WINDOWS = 10_000
#: Parameters of one network (about 1.2 GB of float32 weights with Adam's two moments).
MAX_PARAMETERS = 100_000_000

#: Features per step (a flattened frame of a gridded model can be wide); the parameter count
#: on the meta device bounds the network itself.
MAX_FEATURES = 2**20
#: Upper bound of every size-like key, wherever it appears: parameters, network configs and
#: model files.
SIZE_LIMITS: dict[str, int] = {
    "hidden_size": MAX_HIDDEN_SIZE, "head_hidden": MAX_HIDDEN_SIZE,
    "conv_channels": MAX_HIDDEN_SIZE, "input_size": MAX_FEATURES,
    "future_size": MAX_FEATURES, "static_size": MAX_FEATURES,
    "num_layers": MAX_LAYERS, "head_layers": MAX_LAYERS, "conv_layers": MAX_LAYERS,
    "layers": MAX_LAYERS, "look_back": MAX_LOOK_BACK, "conv_kernel": MAX_LOOK_BACK,
    "patch_size": MAX_LOOK_BACK, "kernel_size": MAX_LOOK_BACK,
    "horizon": MAX_HORIZON, "h": MAX_HORIZON, "season_length": MAX_SEASON_LENGTH,
    "skip_period": MAX_SEASON_LENGTH, "ensemble": MAX_MEMBERS, "members": MAX_MEMBERS,
    "n_outputs": MAX_FEATURES,  # quantiles, or the pixels of a gridded model
}


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


def keep_whole(config: Any, field: str, label: str | None = None, **bounds: Any) -> None:
    """Check ``config.field`` with :func:`whole_number` (``label`` names it in the message)
    and keep the ``int`` it returns, on a frozen dataclass too: ``5.0`` passes the check and
    must not reach slicing or step counts as a float."""
    value = whole_number(getattr(config, field), label or field, **bounds)
    object.__setattr__(config, field, value)


#: Largest magnitude accepted in ``y`` and numeric covariates: squares (MSE, variances,
#: residual sums over thousands of points) must stay finite in float64 (max ~1.8e308).
MAX_ABS_VALUE = 1e150
#: Filling gaps may add at most this many points per point present: more means the
#: frequency is wrong (8 yearly points read at ``freq="s"``), not that data is missing.
MAX_FILL_FACTOR = 100
#: Share of the available memory one allocation may claim before it is refused.
MEMORY_FRACTION = 0.5
#: Below this many bytes no memory check is made (no system call on the common path).
SMALL_ALLOCATION = 256 * 1024**2


def _read_int(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as fh:
            text = fh.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def available_memory() -> int | None:
    """Bytes of memory this process may still use (``None``: unknown).

    ``MemAvailable`` of ``/proc/meminfo`` (else ``os.sysconf``), lowered to the room left
    under a cgroup v2 / v1 memory limit when the process runs in a container.
    """
    free: int | None = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    free = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        free = None
    if free is None:
        try:
            free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            free = None
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        limit, usage = _read_int(limit_file), _read_int(usage_file)
        if limit is not None and usage is not None and limit < 2**60:
            room = max(limit - usage, 0)
            free = room if free is None else min(free, room)
            break
    return free


def format_bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TiB"  # pragma: no cover


def check_memory(bytes_needed: float, what: str, *, hint: str = "",
                 error: type[GatecastError] = ConfigError) -> None:
    """Refuse ``what`` (one line naming the estimate and the limit) when its estimated
    ``bytes_needed`` exceed :data:`MEMORY_FRACTION` of the memory available now.

    Call it before allocating, with an estimate of the largest arrays the step builds.
    """
    if bytes_needed <= SMALL_ALLOCATION:
        return
    free = available_memory()
    if free is None or bytes_needed <= MEMORY_FRACTION * free:
        return
    fix = f"; {hint}" if hint else ""
    raise error(
        f"{what} needs about {format_bytes(bytes_needed)} of memory, more than gatecast's"
        f" limit of {MEMORY_FRACTION:.0%} of the {format_bytes(free)} available{fix}"
    )


def check_forecast_memory(n_series: int, h: int, n_levels: int = 0) -> None:
    """Bound the ``[n_series, h]`` arrays and the long frame of a forecast before the
    kernels allocate them (mean, interval bounds, ``ds`` and ids, each copied about twice)."""
    columns = 3 + 2 * n_levels
    check_memory(
        2.0 * 8 * n_series * h * columns, f"forecasting {h:,} steps for {n_series:,} series",
        hint="ask for fewer steps, or forecast fewer series at a time (ids=)",
    )


#: Gates per cell (an LSTM has four weight blocks, a GRU three, a plain RNN one).
_GATES = {"rnn": 1, "gru": 3, "lstm": 4, "peephole": 4}


def _widths(config: Any, size: str, count: str) -> tuple[int, ...]:
    """A config's per-layer widths: ``size`` is one width for ``count`` layers or a tuple."""
    value = getattr(config, size)
    return tuple(value) if isinstance(value, (list, tuple)) else (value,) * getattr(config, count)


def network_parameters(config: Any) -> int:
    """Parameters of the network a ``NetworkConfig``-like ``config`` describes, counted from
    its sizes without building it: never fewer than the real count and at most a few
    biases per layer more (the cells differ in their bias terms)."""
    kind = config.kind
    widths = _widths(config, "hidden_size", "num_layers")
    head = _widths(config, "head_hidden", "head_layers")
    gates = _GATES.get(kind, _GATES.get(config.cell, 4))

    def stack(width: int) -> int:
        total = 0
        for k, hidden in enumerate(widths):
            extra = 3 * hidden if k == 0 else 2 * gates  # peepholes / spare biases
            total += gates * (width * hidden + hidden * hidden + 2 * hidden) + extra
            width = hidden
        return total

    def mlp(width: int, out: int, hidden: tuple[int, ...]) -> int:
        total = 0
        for w in hidden:
            total += width * w + w
            width = w
        return total + width * out + out

    horizon, outputs = config.horizon, config.n_outputs
    if kind == "mlp":
        width = config.look_back * config.input_size
        return mlp(width + config.static_size + horizon * config.future_size,
                   horizon * outputs, head)
    if kind == "seq2seq":
        decoder_in = config.future_size + config.static_size + 16
        return (stack(config.input_size * config.patch_size) + horizon * 16
                + stack(decoder_in) + mlp(widths[-1], outputs, ()))
    width = config.input_size
    conv = 0
    if kind == "cnn-lstm":
        channels = config.conv_channels
        conv = (width * channels * config.conv_kernel + channels
                + (config.conv_layers - 1) * (channels * channels * config.conv_kernel + channels))
        width = channels
    head_in = widths[-1] + config.static_size + horizon * config.future_size
    return conv + stack(width * config.patch_size) + mlp(head_in, horizon * outputs, head)


def check_network(config: Any, batch_size: int) -> int:
    """Bound a network before it is built: at most :data:`MAX_PARAMETERS` parameters, and
    its weights, gradients, Adam moments and one batch of activations within memory.
    Returns the parameter count."""
    n = network_parameters(config)
    size = (f"hidden_size={config.hidden_size}, num_layers={config.num_layers},"
            f" look_back={config.look_back}, horizon={config.horizon}")
    if n > MAX_PARAMETERS:
        raise ConfigError(
            f"a network with {size} has about {n:,} parameters, above gatecast's limit of"
            f" {MAX_PARAMETERS:,}; use a smaller hidden_size, num_layers or head"
        )
    steps = config.look_back // max(config.patch_size, 1)
    # Per step and layer an LSTM keeps its four gates, cell and hidden state for backprop
    # (about six floats per unit; eight leaves room for the gradients in flight).
    activations = batch_size * steps * sum(_widths(config, "hidden_size", "num_layers")) * 8
    check_memory(4.0 * (4 * n + activations), f"training a network with {size}",
                 hint="use a smaller hidden_size, num_layers, look_back or batch_size")
    return n
