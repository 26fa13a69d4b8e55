"""ONNX export of the forecasting networks, for inference without PyTorch.

:func:`export_onnx` writes one network as a single self-contained ``.onnx`` file with the
networks' fixed signature::

    y = session.run(["y"], {"x": x, "future": future, "static": static})[0]
    # x      float32 [batch, look_back, input_size]   normalised past window
    # future float32 [batch, horizon, future_size]    zero-width when unused
    # static float32 [batch, static_size]             zero-width when unused
    # y      float32 [batch, horizon, n_outputs]      normalised scale

The batch dimension is dynamic (named ``batch``); every other size is fixed by the
:class:`~gatecast.nn.NetworkConfig`. The exporter is PyTorch's ``torch.export``-based one
(``torch.onnx.export(..., dynamo=True)``, which needs ``onnxscript``): the older TorchScript
exporter bakes the example batch size into the recurrent layers' initial states, so its
models fail on any other batch size. The peephole LSTM is exported through its eager loop
(unrolled over the window), never through its TorchScript function.

:func:`export_forecaster` (``RecurrentForecaster.export_onnx``) writes a fitted forecaster:
``member0.onnx``, ``member1.onnx``, ... (one per ensemble member) and ``onnx.json``, which
says how to turn raw series into ``x`` and ``y`` back into forecasts (the window
normalisation is done outside the network, in numpy, so it is not part of the graph).

The optional packages (``onnx``, ``onnxscript``, ``onnxruntime``) are imported only here
and only when used; a missing one raises :class:`~gatecast.errors.MissingDependencyError`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

from gatecast._version import __version__
from gatecast.errors import ConfigError, MissingDependencyError, NotFittedError
from gatecast.io.paths import atomic_write, write_text
from gatecast.nn.cells import PeepholeLSTMCell
from gatecast.nn.config import NetworkConfig

__all__ = [
    "INPUT_NAMES",
    "MANIFEST",
    "MIN_OPSET",
    "OUTPUT_NAME",
    "export_forecaster",
    "export_onnx",
    "onnx_session",
    "require",
]

INPUT_NAMES: tuple[str, str, str] = ("x", "future", "static")
OUTPUT_NAME = "y"
MANIFEST = "onnx.json"
FORMAT = 1
INSTALL_HINT = "pip install gatecast[onnx]"

#: Example batch size used while tracing. torch.export specialises a dimension whose example
#: size is 0 or 1, so the example must be >= 2 for the batch dimension to stay dynamic.
EXAMPLE_BATCH = 2

#: Above this many bytes of parameters the weights go to a ``.onnx.data`` file next to the
#: model (protobuf cannot hold 2 GiB); below it, one self-contained file.
EXTERNAL_DATA_BYTES = 1 << 30

#: Oldest ai.onnx opset accepted. The exporter's operator library targets opset 18; asking
#: for an older one goes through a down-conversion that (torch 2.13, onnx 1.23) emits
#: invalid models, e.g. opset-18 ``Split`` attributes under an opset-17 header.
MIN_OPSET = 18


def require(module: str, purpose: str = "ONNX export") -> ModuleType:
    """Import an optional dependency, or raise MissingDependencyError with the fix."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{purpose} needs the optional package {module!r}, which is not installed (or "
            f"failed to import); install it with: {INSTALL_HINT}"
        ) from exc


def onnx_session(path: str | Path) -> Any:
    """An ``onnxruntime.InferenceSession`` on the CPU for an exported ``.onnx`` file."""
    ort = require("onnxruntime", "running an ONNX model")
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


@contextlib.contextmanager
def _export_mode(net: nn.Module) -> Iterator[None]:
    """Eval mode and eager peephole loops for the duration of the export, then restore."""
    was_training = net.training
    cells = [m for m in net.modules() if isinstance(m, PeepholeLSTMCell)]
    saved_jit = [cell.use_jit for cell in cells]
    torch_onnx_log = logging.getLogger("torch.onnx")
    saved_level = torch_onnx_log.level
    net.eval()
    for cell in cells:
        cell.use_jit = False  # torch.export traces Python code, not a ScriptFunction
    torch_onnx_log.setLevel(logging.ERROR)  # e.g. "torchvision is not installed" notices
    try:
        with warnings.catch_warnings():
            # exporter-internal deprecation and tracing notices that users cannot act on
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.filterwarnings("ignore", message=r".*were assigned during export.*")
            warnings.filterwarnings("ignore", message=r".*axis name: .* will not be used.*")
            yield
    finally:
        torch_onnx_log.setLevel(saved_level)
        for cell, use_jit in zip(cells, saved_jit, strict=True):
            cell.use_jit = use_jit
        net.train(was_training)


def export_onnx(
    net: nn.Module, config: NetworkConfig, path: str | Path, opset: int | None = None
) -> Path:
    """Export ``net`` (built from ``config``) to the ONNX file ``path``; returns the path.

    Inputs ``x``, ``future``, ``static`` and output ``y`` keep the shapes of the network's
    forward (see :mod:`gatecast.nn.networks`), with a dynamic ``batch`` first dimension.
    ``opset`` is the ai.onnx opset to target, at least :data:`MIN_OPSET` (``None``: the
    exporter's default). The written model is checked with ``onnx.checker``.
    """
    require("onnx")
    require("onnxscript")
    if not isinstance(config, NetworkConfig):
        raise ConfigError(f"export_onnx needs a NetworkConfig, got {type(config).__name__}")
    if opset is not None and (isinstance(opset, bool) or not isinstance(opset, int)
                              or opset < MIN_OPSET):
        raise ConfigError(f"opset must be an integer >= {MIN_OPSET} (or None), got {opset!r}")
    own = getattr(net, "config", None)
    if isinstance(own, NetworkConfig) and own != config:
        raise ConfigError("export_onnx: the config given does not match the network's own")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    param = next(net.parameters(), None)
    dtype = param.dtype if param is not None else torch.float32
    device = param.device if param is not None else torch.device("cpu")
    gen = torch.Generator().manual_seed(0)  # never touches the global RNG
    x = torch.randn(EXAMPLE_BATCH, config.look_back, config.input_size, generator=gen)
    future = torch.randn(EXAMPLE_BATCH, config.horizon, config.future_size, generator=gen)
    static = torch.randn(EXAMPLE_BATCH, config.static_size, generator=gen)
    args = tuple(t.to(device=device, dtype=dtype) for t in (x, future, static))
    batch = torch.export.Dim("batch")
    n_bytes = sum(p.numel() * p.element_size() for p in net.parameters())
    external = n_bytes > EXTERNAL_DATA_BYTES
    if external:  # the weights file is named after the graph file: no temporary name
        _export(net, args, path, opset, batch, external)
    else:
        atomic_write(path, lambda tmp: _export(net, args, tmp, opset, batch, external))
    return path


def _export(net: nn.Module, args: tuple[torch.Tensor, ...], path: Path, opset: int | None,
            batch: Any, external: bool) -> None:
    onnx = require("onnx")
    with _export_mode(net):
        torch.onnx.export(
            net,
            args,
            str(path),
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            opset_version=opset,
            dynamo=True,
            dynamic_shapes=({0: batch}, {0: batch}, {0: batch}),
            external_data=external,
            verbose=False,
        )
    onnx.checker.check_model(str(path))


def _manifest(model: Any, members: list[str]) -> dict[str, Any]:
    cfg: NetworkConfig = model.network_config_
    quantiles = [float(q) for q in model.quantiles_]
    return {
        "format": FORMAT,
        "gatecast_version": __version__,
        "model": model.name,
        "members": members,
        "inputs": {
            "x": {"shape": ["batch", cfg.look_back, cfg.input_size], "dtype": "float32",
                  "source": "last look_back values of each series (after the transform), "
                            "left-padded with the series' first value, normalised"},
            "future": {"shape": ["batch", cfg.horizon, cfg.future_size], "dtype": "float32"},
            "static": {"shape": ["batch", cfg.static_size], "dtype": "float32"},
        },
        "output": {"name": OUTPUT_NAME, "shape": ["batch", cfg.horizon, cfg.n_outputs],
                   "dtype": "float32"},
        "look_back": cfg.look_back,
        # a look-back ensemble's members read different lengths (the last look_back values)
        "member_look_backs": [c.look_back for c in model._configs()],
        "horizon": cfg.horizon,
        "mode": model.mode,
        "quantiles": quantiles,
        "median_index": quantiles.index(0.5),
        "normalize": {
            "name": model.normalize,
            "eps": 1e-8,
            "before": {
                "standard": "loc = mean(w), scale = std(w) (ddof 0) over each window w; "
                            "if scale < eps*(1+|loc|): scale = max(|loc|, 1); x = (w-loc)/scale",
                "mean": "loc = 0, scale = mean(|w|) over each window w; "
                        "if scale < eps: scale = 1; x = w/scale",
                "none": "x = w",
            }[model.normalize],
            "after": "forecast = y * scale + loc (per window, every step and quantile)",
        },
        "longer_horizons": "repeat: append the median forecast to the window, keep the last "
                           "look_back values, normalise again",
        "ensemble": "median over members, then sort each step's quantiles",
        "transform": model.transform_,
        "network": dataclasses.asdict(cfg),
    }


def export_forecaster(model: Any, path: str | Path, opset: int | None = None) -> Path:
    """Write ``member{k}.onnx`` per ensemble member and ``onnx.json`` into directory ``path``.

    ``model`` is a fitted :class:`~gatecast.models.recurrent.RecurrentForecaster`. A
    ``transform`` (differencing, log) is not in the graph: ``onnx.json`` names it, and its
    inverse must be applied to the forecasts as gatecast does.
    """
    if not hasattr(model, "nets_"):
        raise NotFittedError(f"{model.name} is not fitted yet; call fit(frame) first")
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    members = []
    for k, (net, cfg) in enumerate(zip(model.nets_, model._configs(), strict=True)):
        name = f"member{k}.onnx"
        export_onnx(net, cfg, path / name, opset=opset)
        members.append(name)
    manifest = _manifest(model, members)
    write_text(path / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return path
