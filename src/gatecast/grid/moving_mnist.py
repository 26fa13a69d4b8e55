"""Moving MNIST, generated offline from any array of digit images.

The dataset of Srivastava et al. (2015), used by Shi et al. (2015) for ConvLSTM: each
sequence shows ``n_digits`` digits gliding inside a square frame, each with its own random
start and direction and a constant speed, bouncing off the walls; overlapping digits are
combined with a pixel-wise max. Nothing is downloaded: pass the digit images (e.g. the
MNIST test set read with an IDX reader) and a seed.
"""

from __future__ import annotations

import numpy as np

from gatecast.errors import ConfigError, DataError

__all__ = ["moving_mnist", "resize_area"]


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """``[n_out, n_in]`` matrix averaging the input cells each output cell covers.

    Output cell ``j`` spans ``[j, j+1) * n_in / n_out`` on the input axis; each input cell
    contributes the length of its overlap with that span, divided by the span's length.
    """
    edges = np.arange(n_out + 1) * (n_in / n_out)  # output-cell edges in input units
    lo, hi = edges[:-1, None], edges[1:, None]  # [n_out, 1]
    cells = np.arange(n_in)[None, :]  # [1, n_in]
    overlap = np.clip(np.minimum(hi, cells + 1) - np.maximum(lo, cells), 0, None)
    return overlap / (n_in / n_out)


def resize_area(images: np.ndarray, size: int) -> np.ndarray:
    """Resize square images ``[n, s, s]`` to ``[n, size, size]`` by area averaging.

    Each output pixel is the mean of the input area it covers (fractional overlaps
    weighted), so halving 28 -> 14 averages 2 x 2 blocks exactly and the mean intensity is
    kept for any size. Returns float64.
    """
    images = np.asarray(images, dtype=np.float64)
    w_rows = _area_weights(images.shape[1], size)  # [size, s]
    w_cols = _area_weights(images.shape[2], size)  # [size, s]
    return w_rows @ images @ w_cols.T  # [n, size, size]


def _check(digits: np.ndarray, n_sequences: int, seq_len: int, size: int, n_digits: int,
           digit_size: int) -> np.ndarray:
    digits = np.asarray(digits)
    if digits.ndim != 3 or digits.shape[1] != digits.shape[2] or digits.shape[0] < 1:
        raise DataError(f"digits must be square images [n, side, side], got shape"
                        f" {list(digits.shape)}")
    if not np.issubdtype(digits.dtype, np.number) or not np.all(np.isfinite(digits)):
        raise DataError("digits must be finite numbers (uint8 0..255 or floats in [0, 1])")
    for name, value in (("n_sequences", n_sequences), ("seq_len", seq_len),
                        ("n_digits", n_digits), ("digit_size", digit_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(f"{name} must be a whole number >= 1, got {value!r}")
    if size < digit_size:
        raise ConfigError(f"size {size} is smaller than digit_size {digit_size}; make the"
                          " frame at least as large as a digit")
    return digits


def moving_mnist(
    digits: np.ndarray,
    n_sequences: int,
    seq_len: int = 20,
    size: int = 64,
    n_digits: int = 2,
    digit_size: int = 28,
    speed: float | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Sequences of digits bouncing inside a ``size x size`` frame.

    Args:
        digits: the digit images ``[n, side, side]``, uint8 0..255 (MNIST) or floats in
            [0, 1]; resized to ``digit_size`` by area averaging when ``side`` differs.
        n_sequences: how many sequences.
        seq_len: frames per sequence.
        size: side of the square frame in pixels.
        n_digits: digits per sequence (drawn at random from ``digits``).
        digit_size: side of each digit in the frame.
        speed: pixels moved per frame (default: 0.1 of the free range ``size -
            digit_size``, Srivastava et al.'s step length: 3.6 px for 28-pixel digits in
            64 x 64 frames).
        seed: seeds the digit choice, starting positions and directions.

    Each digit starts at a uniform position ``(x, y)`` in ``[0, size - digit_size]²`` with a
    uniform direction ``θ`` and moves by ``speed (cos θ, sin θ)`` per frame; a coordinate
    that leaves ``[0, size - digit_size]`` is reflected back and its velocity flips sign.
    Positions are rounded to whole pixels when drawn.

    Returns:
        float32 ``[n_sequences, seq_len, 1, size, size]`` in [0, 1] (a channel axis, ready
        for :meth:`gatecast.grid.ConvLSTMForecaster.fit`).
    """
    digits = _check(digits, n_sequences, seq_len, size, n_digits, digit_size)
    images = digits.astype(np.float64)
    if np.issubdtype(digits.dtype, np.integer) or images.max() > 1.0:
        images = images / 255.0
    if images.shape[1] != digit_size:
        images = resize_area(images, digit_size)
    images = np.clip(images, 0.0, 1.0).astype(np.float32)
    free = size - digit_size
    step = 0.1 * free if speed is None else float(speed)
    if step < 0:
        raise ConfigError(f"speed must be >= 0, got {speed!r}")
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(images), size=(n_sequences, n_digits))
    pos = rng.uniform(0, free, size=(n_sequences, n_digits, 2))  # (row, col)
    theta = rng.uniform(0, 2 * np.pi, size=(n_sequences, n_digits))
    vel = step * np.stack([np.sin(theta), np.cos(theta)], axis=-1)  # [n, d, 2]
    out = np.zeros((n_sequences, seq_len, 1, size, size), dtype=np.float32)
    for t in range(seq_len):
        corner = np.rint(pos).astype(np.int64)  # [n, d, 2]
        for s in range(n_sequences):
            frame = out[s, t, 0]
            for d in range(n_digits):
                r, c = corner[s, d]
                patch = frame[r:r + digit_size, c:c + digit_size]
                np.maximum(patch, images[which[s, d]], out=patch)
        pos = pos + vel
        # reflect off the walls (a step can overshoot by at most ``step``)
        low, high = pos < 0, pos > free
        pos = np.where(low, -pos, np.where(high, 2 * free - pos, pos))
        vel = np.where(low | high, -vel, vel)
        pos = np.clip(pos, 0, free)  # only matters when speed > free
    return out
