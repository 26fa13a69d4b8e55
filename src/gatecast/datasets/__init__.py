"""Small datasets that ship with gatecast, loadable by name, no download.

>>> from gatecast import datasets
>>> datasets.names()
['airline', 'msft', 'sales', 'sine', 'stock', 'sunspots']
>>> datasets.load("airline").head(2)  # doctest: +SKIP

Sources and licences are in ``data/README.md`` beside this file.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from gatecast.errors import DataError


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    description: str
    freq: str | int
    season_length: int
    horizon: int


INFO: dict[str, DatasetInfo] = {
    "airline": DatasetInfo(
        "airline", "Monthly international airline passengers (thousands), 1949-1960, 144 points"
        " (Box & Jenkins series G).", "MS", 12, 12),
    "sales": DatasetInfo(
        "sales", "45 monthly sales values from the LSTM-vs-ARIMA tutorial (start date"
        " arbitrary).", "MS", 12, 10),
    "sunspots": DatasetInfo(
        "sunspots", "Yearly mean sunspot numbers, 1700-2008, 309 points (NOAA, public domain).",
        "YS", 11, 11),
    "sine": DatasetInfo(
        "sine", "Noisy sine: y = sin(t) + N(0, 0.5^2), t = 0, 0.1, ..., 999.9 (10,000 points,"
        " seed 0), integer steps.", 1, 63, 63),
    "stock": DatasetInfo(
        "stock", "Synthetic daily closing prices (geometric Brownian motion, seed 7, business"
        " days 2018-2025): a random walk, so the naive forecast is the one to beat.", "B", 5, 10),
    "msft": DatasetInfo(
        "msft", "Microsoft (MSFT) daily adjusted closing prices, 2010-01-04 to 2017-11-10,"
        " 1,980 trading days (Kaggle 'Huge Stock Market Dataset', CC0); the 70 exchange"
        " holidays are filled with the previous close to give a business-day grid.",
        "B", 5, 10),
}

# Trading-day series: exchange holidays are filled with the previous close on load.
_BUSINESS_DAY_FILL = ("msft",)


def names() -> list[str]:
    return sorted(INFO)


def info(name: str) -> DatasetInfo:
    if name not in INFO:
        raise DataError(f"unknown dataset {name!r}; choose from {', '.join(names())}")
    return INFO[name]


def noisy_sine(n: int = 10_000, step: float = 0.1, noise: float = 0.5, seed: int = 0
               ) -> pd.DataFrame:
    """The tutorial's noisy sine: ``sin(t) + N(0, noise^2)``, ``t = 0, step, ...``.

    The noise is drawn as the tutorial drew it, ``np.random.seed(0)`` then
    ``np.random.normal(0, 0.5, n)`` (NumPy's legacy generator, here a local
    ``RandomState`` so the global one is not touched): the same 10,000 values.
    """
    rng = np.random.RandomState(seed)
    t = np.arange(n) * step
    return pd.DataFrame({"unique_id": "sine", "ds": np.arange(n),
                         "y": np.sin(t) + rng.normal(0.0, noise, n)})


def stock_prices(seed: int = 7, start: str = "2018-01-01", end: str = "2025-12-31",
                 s0: float = 100.0, mu: float = 0.0003, sigma: float = 0.015) -> pd.DataFrame:
    """Geometric Brownian motion on business days: log-returns ~ N(mu - sigma^2/2, sigma^2)."""
    ds = pd.bdate_range(start, end)
    rng = np.random.default_rng(seed)
    steps = rng.normal(mu - sigma**2 / 2, sigma, len(ds) - 1)
    prices = s0 * np.exp(np.concatenate([[0.0], np.cumsum(steps)]))
    return pd.DataFrame({"unique_id": "stock", "ds": ds, "y": np.round(prices, 2)})


def load(name: str) -> pd.DataFrame:
    """A bundled dataset as a long frame (``unique_id``, ``ds``, ``y``)."""
    info(name)
    if name == "sine":
        return noisy_sine()
    if name == "stock":
        return stock_prices()
    with resources.files(__package__).joinpath(f"data/{name}.csv").open() as fh:
        df = pd.read_csv(fh)
    df["ds"] = pd.to_datetime(df["ds"])
    if name in _BUSINESS_DAY_FILL:
        days = pd.bdate_range(df["ds"].min(), df["ds"].max(), name="ds")
        df = df.set_index("ds").reindex(days).ffill().reset_index()[["unique_id", "ds", "y"]]
    return df
