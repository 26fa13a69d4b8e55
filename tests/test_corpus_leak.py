"""No series gatecast is evaluated on is in the pretraining corpus.

Every evaluation series (the short-series benchmark's datasets, the bundled datasets, M4
Hourly when ``../shared/data/m4`` is there) is hashed window by window with
``corpus.window_fingerprints`` (z-normalised, so a rescaled or shifted copy is found too)
and compared with the hashes of the recipe corpus. The recipe corpus is synthetic and each
series is a pure function of (seed, index), so its first ``N_CORPUS`` series stand for it
here (hashing all of it takes minutes); a source of real data added to the corpus must be
hashed here in full, which ``test_recipe_corpus_is_synthetic_only`` enforces.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest

if importlib.util.find_spec("gatecast.pretrained") is None:
    pytest.skip("gatecast.pretrained is not in this checkout: no pretraining corpus to check",
                allow_module_level=True)
# Imported only once the package is known to be there: a broken corpus module fails here.
from gatecast.pretrained import corpus

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import _short

WIDTH = 24
N_CORPUS = 500
#: CorpusSpec's fields when this test was written: all of them shape synthetic series.
SYNTHETIC_FIELDS = {"n_series", "seed", "weights", "min_length", "max_length",
                    "outlier_prob", "hetero_prob"}

Fingerprints = dict[str, tuple[int, set[bytes]]]


def _width(values: np.ndarray) -> int:
    return min(WIDTH, int(np.isfinite(values).sum()))


def _flat(width: int) -> bytes:
    """The hash of a constant window: shared by any two flat stretches, so it says nothing
    about a leak (intermittent corpus series have many)."""
    return next(iter(corpus.window_fingerprints(np.zeros(width), width)))


def fingerprints(series: Iterable[tuple[str, np.ndarray]]) -> Fingerprints:
    """label -> (window width, hashes): windows of ``WIDTH``, or the whole series if
    shorter."""
    out = {}
    for label, y in series:
        w = _width(y)
        out[label] = (w, corpus.window_fingerprints(y, w) - {_flat(w)})
    return out


def leaks(evaluation: Fingerprints, pool: Iterable[np.ndarray]) -> list[str]:
    """Labels of the evaluation series that share a window with a series of ``pool``."""
    widths = {w for w, _ in evaluation.values()}
    seen: dict[int, set[bytes]] = {w: set() for w in widths}
    for values in pool:
        for w in widths:
            seen[w] |= corpus.window_fingerprints(values, w)
    return [label for label, (w, fp) in evaluation.items() if fp & seen[w]]


@pytest.fixture(scope="module")
def series() -> dict[str, np.ndarray]:
    return dict(_short.evaluation_series())


@pytest.fixture(scope="module")
def evaluation(series: dict[str, np.ndarray]) -> Fingerprints:
    return fingerprints(series.items())


@pytest.fixture(scope="module")
def recipe_sample() -> list[tuple[np.ndarray, int]]:
    spec = dataclasses.replace(corpus.RECIPE_CORPUS,
                               n_series=min(N_CORPUS, corpus.RECIPE_CORPUS.n_series))
    return corpus.build_corpus(spec)


def test_every_benchmark_dataset_is_checked(evaluation: Fingerprints) -> None:
    """The 23, sales, the collections, the bundled datasets and M4 Hourly (when present)."""
    names = {label.split(":")[0] for label in evaluation}
    expected = set(_short.names_for("all")) | {"msft", "sine", "stock"}
    if _short.m4_hourly_dir() is not None:
        expected.add("m4-hourly")
    assert expected <= names
    assert len(_short.THE_23) == 23
    collections = [label for label in evaluation if label.split(":")[0] in _short.COLLECTIONS]
    assert len(collections) >= 300  # many short series, not a handful


def test_recipe_corpus_is_synthetic_only() -> None:
    fields = {f.name for f in dataclasses.fields(corpus.RECIPE_CORPUS)}
    assert fields <= SYNTHETIC_FIELDS, (
        f"CorpusSpec has new field(s) {sorted(fields - SYNTHETIC_FIELDS)}: if they add real"
        " data to the corpus, hash that data in full in this test")


def test_recipe_sample_is_the_recipe_corpus_prefix(
        recipe_sample: list[tuple[np.ndarray, int]]) -> None:
    # The sample stands for the recipe corpus only if series i does not depend on its size.
    for i in (0, len(recipe_sample) - 1):
        values, m = corpus.make_series(corpus.RECIPE_CORPUS, i)
        assert m == recipe_sample[i][1]
        np.testing.assert_array_equal(values, recipe_sample[i][0])


def test_no_evaluation_series_in_the_corpus(
        evaluation: Fingerprints, recipe_sample: list[tuple[np.ndarray, int]]) -> None:
    found = leaks(evaluation, (values for values, _ in recipe_sample))
    assert not found, f"evaluation series in the pretraining corpus: {found[:10]}"


@pytest.mark.parametrize("label", ["prison:ACT/Female/Remanded", "gapminder:Chile",
                                   "airline:airline"])
def test_the_check_finds_an_injected_series(
        series: dict[str, np.ndarray], evaluation: Fingerprints,
        recipe_sample: list[tuple[np.ndarray, int]], label: str) -> None:
    """Negative control: a corpus holding one evaluation series, rescaled, shifted and
    embedded between synthetic values, is caught, and only that series is reported."""
    values = series[label]
    rng = np.random.default_rng(0)
    planted = np.concatenate([rng.normal(0, 1, 30), 3.5 * values - 7.0, rng.normal(0, 1, 5)])
    pool = [v for v, _ in recipe_sample[:50]] + [planted]
    assert leaks(evaluation, pool) == [label]
