"""Gridded series: validating frames, cutting them into windows, handing out batches.

Frames come as one long movie ``[time, channels, rows, cols]`` or as many sequences
``[samples, time, channels, rows, cols]``; internally both are ``[samples, time, C, H, W]``
(a movie is one sample). A training window is ``look_back`` input frames followed by
``horizon`` target frames, at every start inside a sequence; windows are gathered by index
at batch time, so the frames are stored once however much the windows overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gatecast.errors import DataError

SHAPES = "[time, channels, rows, cols] or [samples, time, channels, rows, cols]"


def as_sequences(frames: object, name: str = "frames") -> np.ndarray:
    """``frames`` as float32 ``[samples, time, C, H, W]``; DataError on a bad shape or NaN."""
    try:
        arr = np.asarray(frames, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be a numeric array {SHAPES}") from exc
    if arr.ndim == 4:
        arr = arr[None]
    elif arr.ndim != 5:
        hint = "; add a channel axis with frames[:, None]" if arr.ndim == 3 else ""
        raise DataError(f"{name} must be {SHAPES}, got {arr.ndim} dimensions"
                        f" {list(arr.shape)}{hint}")
    if min(arr.shape) < 1:
        raise DataError(f"{name} has an empty axis: shape {list(arr.shape)}")
    bad = ~np.isfinite(arr)
    if bad.any():
        where = np.argwhere(bad)[0]
        raise DataError(f"{name} has {int(bad.sum())} NaN/inf value(s), the first at index"
                        f" {tuple(int(i) for i in where)} of [samples, time, C, H, W];"
                        " fill or drop them first")
    return arr


def check_length(seqs: np.ndarray, need: int, what: str) -> None:
    if seqs.shape[1] < need:
        raise DataError(f"{what}: the sequences have {seqs.shape[1]} frames but {need} are"
                        " needed; give longer sequences or lower look_back/horizon")


def window_starts(n_samples: int, length: int, window: int) -> np.ndarray:
    """``[n_windows, 2]`` (sample, start) of every window of ``window`` frames."""
    per = length - window + 1
    if per < 1:
        return np.zeros((0, 2), dtype=np.int64)
    s, t = np.meshgrid(np.arange(n_samples), np.arange(per), indexing="ij")
    return np.stack([s.ravel(), t.ravel()], axis=1).astype(np.int64)


def split_validation(seqs: np.ndarray, look_back: int, horizon: int, fraction: float
                     ) -> tuple[np.ndarray, np.ndarray | None]:
    """(train, validation) sequences; validation is ``None`` when there is too little data.

    Many sequences: the last ``fraction`` of them (whole sequences, never a part of a
    training sequence). One movie: the last ``fraction`` of its frames are the validation
    targets, with the ``look_back`` frames before them as context, and training windows end
    before them, so no validation target is ever a training frame.
    """
    n, length = seqs.shape[:2]
    window = look_back + horizon
    if fraction <= 0:
        return seqs, None
    if n > 1:
        n_val = round(fraction * n)
        if n_val < 1 or n_val >= n:
            return seqs, None
        return seqs[:-n_val], seqs[-n_val:]
    n_val = round(fraction * length)
    if n_val < horizon or length - n_val < window:
        return seqs, None
    cut = length - n_val
    return seqs[:, :cut], seqs[:, cut - look_back:]


@dataclass
class FrameWindows:
    """Batches ``((x [B, look_back, C, H, W],), y [B, horizon, C, H, W])`` by window index.

    ``frames`` are already scaled for the network; ``starts`` [n, 2] hold (sample, start).
    """

    frames: np.ndarray  # [samples, time, C, H, W] float32
    look_back: int
    horizon: int

    def __post_init__(self) -> None:
        self.starts = window_starts(self.frames.shape[0], self.frames.shape[1],
                                    self.look_back + self.horizon)
        self._offsets = np.arange(self.look_back + self.horizon)

    def __len__(self) -> int:
        return len(self.starts)

    def batch(self, idx: np.ndarray) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
        s, t = self.starts[idx, 0], self.starts[idx, 1]
        w = self.frames[s[:, None], t[:, None] + self._offsets]  # [B, L+H, C, H, W]
        w = torch.from_numpy(w)
        return (w[:, :self.look_back],), w[:, self.look_back:]
