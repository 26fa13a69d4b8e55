"""Forecast from an exported recurrent forecaster with onnxruntime alone — no PyTorch.

:meth:`RecurrentForecaster.export_onnx` writes ``member{k}.onnx`` files and ``onnx.json``;
:class:`OnnxForecaster` reads them back and does everything around the networks that
gatecast does in PyTorch: the transform (differencing, log, ...) fitted on the given history,
the last ``look_back`` values of each series (left-padded with the first value), the
per-window normalisation, passes of ``horizon`` steps fed back for longer horizons, the
median over ensemble members, sorted quantiles, the inverse transform and the future
timestamps::

    from gatecast.models.onnx_runtime import OnnxForecaster
    fc = OnnxForecaster("export-dir").predict(frame, h=24, level=[80])

Its forecasts equal the PyTorch model's ``forward(frame, h)`` to float32 precision. Models
with covariates are not supported here (their scalers are not exported); this module and
what it imports never import ``torch``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gatecast.checks import MAX_HORIZON, MAX_LOOK_BACK, MAX_MEMBERS, whole_number
from gatecast.data.transforms import make_pipeline
from gatecast.data.validate import validate
from gatecast.errors import ConfigError, MissingDependencyError
from gatecast.models.base import check_horizon, check_levels, forecast_frame
from gatecast.models.kernels.windows import NORMALIZERS, tail_windows, window_stats

MANIFEST = "onnx.json"
FORMAT = 1


def _session(path: Path) -> Any:
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise MissingDependencyError(
            "OnnxForecaster needs the optional package 'onnxruntime'; install it with: "
            "pip install gatecast[onnx]") from exc
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise ConfigError(f"{folder} has no {MANIFEST}; export one with model.export_onnx(dir)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ConfigError(f"{path} is not a gatecast ONNX manifest: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ConfigError(f"{path}: unknown manifest format (this gatecast reads {FORMAT})")
    return manifest


class OnnxForecaster:
    """An exported recurrent forecaster, run with onnxruntime on the CPU."""

    def __init__(self, path: str | Path) -> None:
        folder = Path(path)
        m = _read_manifest(folder)
        try:
            net = m["network"]
            members, look_backs = list(m["members"]), list(m["member_look_backs"])
            self.name: str = str(m["model"])
            self.horizon = whole_number(m["horizon"], "horizon", maximum=MAX_HORIZON)
            self.quantiles: list[float] = [float(q) for q in m["quantiles"]]
            self.median_index = whole_number(m["median_index"], "median_index", minimum=0)
            self.normalize: str = m["normalize"]["name"]
            self.transform: str | None = m["transform"]
            covariates = (net["input_size"], net["future_size"], net["static_size"])
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"{folder / MANIFEST} lacks or mistypes {exc}") from None
        whole_number(len(members), "members", maximum=MAX_MEMBERS)
        if len(look_backs) != len(members) or self.normalize not in NORMALIZERS:
            raise ConfigError(f"{folder / MANIFEST}: members, look-backs or normalize disagree")
        if covariates != (1, 0, 0):
            raise ConfigError(f"{self.name} was trained with covariates, which the ONNX runtime"
                              " does not support; forecast it with gatecast.load(...) instead")
        if self.quantiles[self.median_index] != 0.5:
            raise ConfigError(f"{folder / MANIFEST}: median_index does not point at 0.5")
        self.look_backs = [whole_number(lb, "look_back", maximum=MAX_LOOK_BACK)
                           for lb in look_backs]
        files = [folder / str(name) for name in members]
        outside = [f for f in files if f.resolve().parent != folder.resolve()]
        if outside:
            raise ConfigError(f"{folder / MANIFEST} names files outside its folder: {outside}")
        self.sessions = [_session(f) for f in files]

    def predict(self, data: Any, h: int, level: list[float] | None = None) -> pd.DataFrame:
        """Forecast ``h`` steps after the end of every series in ``data`` (a long frame)."""
        h = check_horizon(h)
        levels = check_levels(level)
        wanted = {lv: (0.5 - lv / 200, 0.5 + lv / 200) for lv in levels}
        missing = [lv for lv, qs in wanted.items() if not set(qs) <= set(self.quantiles)]
        if missing:
            raise ConfigError(f"{self.name} was exported without interval level(s) {missing}")
        sf = validate(data)
        series = sf.grouped()
        pipeline = make_pipeline(self.transform) if self.transform else None
        if pipeline is not None:
            series = pipeline.fit_transform(series)
        tails = tail_windows(series, max(self.look_backs))  # [n, longest look_back]
        members = [self._member(session, tails[:, -lb:], h)
                   for session, lb in zip(self.sessions, self.look_backs, strict=True)]
        pred = np.median(np.stack(members), axis=0) if len(members) > 1 else members[0]
        pred = np.sort(pred, axis=-1)  # quantiles must not cross
        if pipeline is not None:
            pred = pipeline.inverse_forecast(pred)
        q = self.quantiles
        intervals = {lv: (pred[:, :, q.index(lo)], pred[:, :, q.index(hi)])
                     for lv, (lo, hi) in wanted.items()}
        return forecast_frame(sf.ids, sf.last_ds(), sf.freq, self.name,
                              pred[:, :, self.median_index], intervals)

    def _member(self, session: Any, window: np.ndarray, h: int) -> np.ndarray:
        """One member's forecasts ``[n, h, n_quantiles]`` on the transformed scale."""
        window = window.copy()
        n, look_back = window.shape
        feed_future = np.zeros((n, self.horizon, 0), np.float32)
        feed_static = np.zeros((n, 0), np.float32)
        parts, done = [], 0
        while done < h:
            loc, scale = window_stats(window, self.normalize)
            x = ((window - loc) / scale).astype(np.float32)[:, :, None]  # [n, look_back, 1]
            (y,) = session.run(["y"], {"x": x, "future": feed_future, "static": feed_static})
            out = y * scale[:, :, None] + loc[:, :, None]  # [n, horizon, q]
            parts.append(out)
            done += self.horizon
            median = out[:, :, self.median_index]
            window = np.concatenate([window, median], axis=1)[:, -look_back:]
        return np.concatenate(parts, axis=1)[:, :h]
