"""A seeded synthetic corpus for pretraining: series that look like what users forecast.

Each series is a pure function of ``(spec.seed, index)``: its own ``numpy`` generator is
seeded with both, so any series can be regenerated alone and a corpus can be built in
pieces (or on many machines) without changing it. No real data is in it, so no series that
gatecast is evaluated on (the short-series benchmark, M4 Hourly) can leak into training;
:func:`window_fingerprints` is what the leak test hashes to check that.

Generators (every draw vectorised; no per-step Python loops):

- ``ets``: exponential-smoothing state space (level, optionally damped trend, additive
  season, additive or multiplicative via a log scale) with random smoothing parameters:
  the shape of most business series.
- ``arima``: (seasonal) ARIMA with stationary AR parts drawn through partial
  autocorrelations, invertible-ish MA parts, 0-2 differences, 0-1 seasonal difference
  (random walks included).
- ``piecewise``: piecewise-linear trends, level shifts and regime changes in the noise
  level, with an optional season.
- ``intermittent``: sparse demand (Bernoulli occurrences times sizes) and low counts.
- ``kernel``: KernelSynth-style compositions (sums and products) of sample paths from a
  kernel bank -- periodic, RBF, rational quadratic (random Fourier features), linear.
- ``mixup``: TSMixup -- a convex (Dirichlet) combination of 2-3 standardised series of
  the generators above, of the same length and season.

Then, per series with some probability: outliers, heteroscedastic noise, and a random
affine map (many series made positive, as sales and counts are).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import lfilter

from gatecast.checks import keep_whole
from gatecast.errors import ConfigError

#: (season length, weight, shortest, longest): the frequencies users have -- yearly,
#: quarterly, monthly, weekly, daily, hourly, half-hourly, and a few other periods.
FREQUENCIES: tuple[tuple[int, float, int, int], ...] = (
    (1, 0.16, 12, 120), (4, 0.20, 12, 240), (12, 0.28, 18, 480), (52, 0.05, 60, 700),
    (7, 0.10, 30, 1024), (24, 0.10, 72, 1024), (48, 0.04, 144, 1024), (5, 0.02, 30, 600),
    (6, 0.02, 24, 400), (2, 0.03, 12, 200),
)
GENERATORS = ("ets", "arima", "piecewise", "intermittent", "kernel", "mixup")
MAX_SERIES = 10_000_000


@dataclasses.dataclass(frozen=True)
class CorpusSpec:
    """What :func:`build_corpus` generates.

    Attributes:
        n_series: how many series.
        seed: with the index, seeds every series.
        weights: the share of each generator (``GENERATORS`` order), renormalised.
        min_length, max_length: bounds on a series' length (each frequency draws its
            length log-uniformly within its own range, clipped to these).
        outlier_prob, hetero_prob: chance a series gets outliers / heteroscedastic noise.
    """

    n_series: int = 100_000
    seed: int = 0
    weights: tuple[float, ...] = (0.45, 0.25, 0.15, 0.05, 0.05, 0.05)
    min_length: int = 12
    max_length: int = 1024
    outlier_prob: float = 0.08
    hetero_prob: float = 0.15

    def __post_init__(self) -> None:
        keep_whole(self, "n_series", maximum=MAX_SERIES)
        keep_whole(self, "seed", minimum=0)
        keep_whole(self, "min_length", minimum=4)
        keep_whole(self, "max_length", minimum=self.min_length, maximum=100_000)
        if len(self.weights) != len(GENERATORS) or min(self.weights) < 0 or not sum(
                self.weights) > 0:
            raise ConfigError(f"weights must be {len(GENERATORS)} non-negative shares, one per"
                              f" generator ({', '.join(GENERATORS)}), got {self.weights!r}")
        for name in ("outlier_prob", "hetero_prob"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"{name} must be in [0, 1], got {getattr(self, name)!r}")


#: The corpus the shipped weights were pretrained on (benchmarks/pretrain_recipe.py).
RECIPE_CORPUS = CorpusSpec(n_series=20_000, seed=2026)


def _loguniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _season_pattern(rng: np.random.Generator, m: int) -> np.ndarray:
    """One season's shape: a few harmonics with decaying amplitude, centred: ``[m]``."""
    if m <= 1:
        return np.zeros(1)
    phase = np.arange(m) / m
    out = np.zeros(m)
    for k in range(1, min(m // 2, 4) + 1):
        out += rng.normal(0, 1.0 / k) * np.cos(2 * np.pi * k * phase + rng.uniform(0, 2 * np.pi))
    if m <= 12 and rng.random() < 0.3:  # irregular shapes (a December peak, a slow month)
        out += rng.normal(0, 0.7, m)
    out -= out.mean()
    return out / (np.abs(out).max() + 1e-9)


def _seasonal_cumsum(x: np.ndarray, m: int) -> np.ndarray:
    """``s_t = s_{t-m} + x_t`` (a seasonal random walk), vectorised by phase."""
    n = len(x)
    rows = -(-n // m)
    pad = np.zeros(rows * m)
    pad[:n] = x
    return np.cumsum(pad.reshape(rows, m), axis=0).reshape(-1)[:n]


def _ets(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    alpha = rng.beta(2, 3)
    trend = rng.random() < 0.55
    beta = alpha * rng.uniform(0, 0.3) if trend else 0.0
    phi = rng.uniform(0.8, 0.98) if trend and rng.random() < 0.5 else 1.0
    seasonal = m > 1 and rng.random() < 0.8
    gamma = (1 - alpha) * rng.uniform(0, 0.3) if seasonal else 0.0
    e = rng.standard_t(rng.uniform(3, 30), n) if rng.random() < 0.3 else rng.normal(0, 1, n)
    b0 = rng.normal(0, 0.5) if trend else 0.0
    b = lfilter([1.0], [1.0, -phi], beta * e) + b0 * phi ** np.arange(1, n + 1)
    b_prev = np.concatenate([[b0], b[:-1]])
    level = np.cumsum(phi * b_prev + alpha * e)
    y = level + e
    if seasonal:
        amp = _loguniform(rng, 0.3, 12.0)
        season = np.resize(_season_pattern(rng, m) * amp, n) + _seasonal_cumsum(gamma * e, m)
        y = y + season
    if rng.random() < 0.35:  # multiplicative: the same dynamics on a log scale
        y = np.exp((y - y.mean()) / (y.std() + 1e-9) * _loguniform(rng, 0.05, 0.6))
    return y


def _ar_from_pacf(pacf: np.ndarray) -> np.ndarray:
    """AR coefficients of a stationary process with these partial autocorrelations
    (Durbin-Levinson), so every draw is stationary."""
    phi = np.zeros(0)
    for k, r in enumerate(pacf):
        phi = np.concatenate([phi - r * phi[::-1], [r]]) if k else np.array([r])
    return phi


def _arima(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    p, q = int(rng.integers(0, 4)), int(rng.integers(0, 3))
    ar = _ar_from_pacf(rng.uniform(-0.9, 0.9, p) * 0.95)
    ma = rng.uniform(-0.8, 0.8, q)
    a = np.concatenate([[1.0], -ar])
    if m > 1 and rng.random() < 0.4:
        seasonal_ar = np.zeros(m + 1)
        seasonal_ar[0], seasonal_ar[m] = 1.0, -rng.uniform(-0.5, 0.95)
        a = np.convolve(a, seasonal_ar)
    burn = 60 + 2 * m
    x = lfilter(np.concatenate([[1.0], ma]), a, rng.normal(0, 1, n + burn))[burn:]
    x = x + rng.normal(0, 0.3) * (rng.random() < 0.3)  # a drift once integrated
    if m > 1 and rng.random() < 0.3:
        x = _seasonal_cumsum(x, m)
    d = int(rng.choice(3, p=[0.35, 0.5, 0.15]))
    for _ in range(d):
        x = np.cumsum(x)
    return x


def _piecewise(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    k = 1 + int(rng.poisson(max(n / 80, 0.5)))
    cuts = np.sort(rng.integers(1, n, size=k))
    seg = np.searchsorted(cuts, np.arange(n), side="right")  # [n] segment of each step
    slopes = rng.normal(0, 1, k + 1) * (rng.random(k + 1) < 0.7)
    shifts = rng.normal(0, 4, k + 1) * (rng.random(k + 1) < 0.4)
    noise_sd = np.exp(rng.normal(0, 0.5, k + 1))
    noise = lfilter([1.0], [1.0, -rng.uniform(-0.3, 0.9)], rng.normal(0, 1, n)) * noise_sd[seg]
    y = np.cumsum(slopes[seg]) * _loguniform(rng, 0.02, 0.5) + np.cumsum(
        np.diff(shifts[seg], prepend=shifts[0])) + noise
    if m > 1 and rng.random() < 0.6:
        y = y + np.resize(_season_pattern(rng, m), n) * _loguniform(rng, 0.5, 8.0)
    return y


def _intermittent(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    if rng.random() < 0.5:  # sparse demand: zeros, then sizes
        prob = np.full(n, rng.uniform(0.05, 0.6))
        if m > 1 and rng.random() < 0.4:
            prob = np.clip(prob * (1 + 0.8 * np.resize(_season_pattern(rng, m), n)), 0, 1)
        sizes = 1 + rng.poisson(_loguniform(rng, 0.3, 20), n)
        return (rng.random(n) < prob) * sizes.astype(float)
    # low counts around a slowly moving (and maybe seasonal) rate
    log_rate = np.cumsum(rng.normal(0, 0.05, n)) + np.log(_loguniform(rng, 0.5, 30))
    if m > 1 and rng.random() < 0.5:
        log_rate = log_rate + 0.5 * np.resize(_season_pattern(rng, m), n)
    return rng.poisson(np.exp(np.clip(log_rate, -5, 8))).astype(float)


def _kernel_path(rng: np.random.Generator, t: np.ndarray, m: int) -> np.ndarray:
    """One sample path of a kernel from the bank, by random features: ``[n]``."""
    n = len(t)
    kind = rng.choice(["periodic", "rbf", "rq", "linear", "noise"], p=[0.4, 0.25, 0.15, 0.15,
                                                                         0.05])
    if kind == "periodic":
        periods = [m, m / 2, 2 * m, 7, 12, 24, 52, 4] if m > 1 else [7, 12, 4, 24]
        period = float(rng.choice(periods)) if rng.random() < 0.75 else _loguniform(
            rng, 2, max(3, n / 2))
        k = np.arange(1, 6)[:, None]
        amp = rng.normal(0, 1, (5, 1)) * np.exp(-k / _loguniform(rng, 0.7, 4))
        return np.sum(amp * np.cos(2 * np.pi * k * t / period + rng.uniform(0, 2 * np.pi,
                                                                              (5, 1))), 0)
    if kind in ("rbf", "rq"):
        length = _loguniform(rng, 2, n) * np.ones(32)
        if kind == "rq":  # a rational-quadratic kernel is a scale mixture of RBFs
            length = length / np.sqrt(rng.gamma(_loguniform(rng, 0.3, 3), 1.0, 32) + 1e-3)
        omega = rng.normal(0, 1, 32) / length
        feats = np.cos(omega[:, None] * t[None, :] + rng.uniform(0, 2 * np.pi, (32, 1)))
        return np.sqrt(2 / 32) * rng.normal(0, 1, 32) @ feats
    if kind == "linear":
        return rng.normal(0, 1) * (t - rng.uniform(0, n)) / n * 3
    return rng.normal(0, 0.3, n)


def _kernel(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    t = np.arange(n, dtype=float)
    y = _kernel_path(rng, t, m)
    for _ in range(int(rng.integers(0, 4))):
        other = _kernel_path(rng, t, m)
        y = y + other if rng.random() < 0.7 else y * (1 + 0.5 * other / (np.abs(other).max()
                                                                         + 1e-9))
    return y + rng.normal(0, _loguniform(rng, 0.01, 0.3)) * rng.normal(0, 1, n) * (y.std()
                                                                                    + 1e-3)


BASE: dict[str, Callable[[np.random.Generator, int, int], np.ndarray]] = {
    "ets": _ets, "arima": _arima, "piecewise": _piecewise, "intermittent": _intermittent,
    "kernel": _kernel,
}


def _standard(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / (x.std() + 1e-9)


def _mixup(rng: np.random.Generator, n: int, m: int, probs: np.ndarray) -> np.ndarray:
    k = int(rng.integers(2, 4))
    names = list(BASE)
    base = probs[: len(names)] / probs[: len(names)].sum()
    parts = [_standard(BASE[names[int(rng.choice(len(names), p=base))]](rng, n, m))
             for _ in range(k)]
    weights = rng.dirichlet(np.full(k, 1.5))
    return np.sum([w * p for w, p in zip(weights, parts, strict=True)], axis=0)


def _finish(rng: np.random.Generator, y: np.ndarray, spec: CorpusSpec,
            counts: bool) -> np.ndarray:
    n = len(y)
    y = np.where(np.isfinite(y), y, 0.0)
    if not counts and rng.random() < spec.hetero_prob:  # noise that grows, shrinks or bursts
        sd = y.std() + 1e-9
        envelope = np.exp(np.cumsum(rng.normal(0, 0.1, n)))
        y = y + rng.normal(0, 1, n) * envelope * sd * _loguniform(rng, 0.05, 0.4)
    if rng.random() < spec.outlier_prob:
        where = rng.integers(0, n, size=1 + int(rng.poisson(n / 200)))
        y = y.copy()
        y[where] += rng.choice([-1, 1], where.size) * rng.uniform(3, 8, where.size) * (
            y.std() + 1e-9)
    if counts:
        return y
    scale = _loguniform(rng, 0.1, 1e4)
    z = _standard(y)
    if rng.random() < 0.6:  # positive, as sales, demand and volumes are
        return scale * (z - z.min() + _loguniform(rng, 0.2, 20))
    return scale * (z + rng.normal(0, 3))


def draw_season(rng: np.random.Generator, spec: CorpusSpec) -> tuple[int, int]:
    """A series' (season length, length)."""
    weights = np.array([f[1] for f in FREQUENCIES])
    m, _, lo, hi = FREQUENCIES[int(rng.choice(len(FREQUENCIES), p=weights / weights.sum()))]
    lo, hi = max(lo, spec.min_length), max(min(hi, spec.max_length), spec.min_length)
    n = round(_loguniform(rng, lo, hi)) if hi > lo else lo
    return m, n


def make_series(spec: CorpusSpec, index: int) -> tuple[np.ndarray, int]:
    """Series ``index`` of the corpus ``spec``: ``(values [n] float32, season length)``."""
    rng = np.random.default_rng([spec.seed, index])
    m, n = draw_season(rng, spec)
    probs = np.asarray(spec.weights, dtype=float)
    probs = probs / probs.sum()
    name = GENERATORS[int(rng.choice(len(GENERATORS), p=probs))]
    y = _mixup(rng, n, m, probs) if name == "mixup" else BASE[name](rng, n, m)
    y = _finish(rng, y, spec, counts=name == "intermittent")
    return y.astype(np.float32), m


def build_corpus(spec: CorpusSpec) -> list[tuple[np.ndarray, int]]:
    """All series of ``spec``: ``[(values, season length), ...]``."""
    return [make_series(spec, i) for i in range(spec.n_series)]


def corpus_frame(spec: CorpusSpec) -> pd.DataFrame:
    """The corpus as a long frame: ``unique_id``, ``ds`` (integer steps), ``y``,
    ``season_length``."""
    series = build_corpus(spec)
    lengths = np.array([len(v) for v, _ in series])
    ids = np.array([f"syn{i}" for i in range(len(series))], dtype=object)
    return pd.DataFrame({
        "unique_id": np.repeat(ids, lengths),
        "ds": np.concatenate([np.arange(n) for n in lengths]),
        "y": np.concatenate([v for v, _ in series]).astype(np.float64),
        "season_length": np.repeat([m for _, m in series], lengths),
    })


def window_fingerprints(values: np.ndarray, width: int = 24) -> set[bytes]:
    """Hashes of every length-``width`` window of ``values``, each z-normalised (its own mean
    and standard deviation) and rounded to 2 decimals; a series shorter than ``width`` gives
    one hash of the whole series. Equal value sequences give equal hashes whatever their
    scale or offset, so a rescaled copy of an evaluation series is found too."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return set()
    rows = sliding_window_view(x, width) if x.size >= width else x[None, :]
    sd = rows.std(axis=1, keepdims=True)
    z = (rows - rows.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0)
    codes = np.rint(z * 100).astype(np.int32)
    return {hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in codes}
