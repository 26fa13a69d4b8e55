"""Transforms: exact inversion, forecast inversion, fitting on train only, errors, state I/O."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatecast.data.grouped import GroupedArray
from gatecast.data.transforms import (
    BoxCox,
    Difference,
    Log,
    Log1p,
    MinMaxScaler,
    Pipeline,
    RobustScaler,
    StandardScaler,
    Transform,
    load_transform,
    make_pipeline,
)
from gatecast.errors import ConfigError, DataError, NotFittedError

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# (factory, needs positive data)
FACTORIES: dict[str, tuple[Callable[[], Transform], bool]] = {
    "diff": (Difference, False),
    "diff_lag3": (lambda: Difference(lag=3), False),
    "diff_order2": (lambda: Difference(order=2), False),
    "diff_2x2": (lambda: Difference(order=2, lag=2), False),
    "log": (Log, True),
    "log1p": (Log1p, True),
    "boxcox": (BoxCox, True),
    "boxcox_0": (lambda: BoxCox(lmbda=0.0), True),
    "boxcox_half": (lambda: BoxCox(lmbda=0.5), True),
    "minmax": (MinMaxScaler, False),
    "minmax_sym": (lambda: MinMaxScaler((-1.0, 1.0)), False),
    "standard": (StandardScaler, False),
    "robust": (RobustScaler, False),
}


def grouped(min_len: int, positive: bool, max_extra: int = 20) -> st.SearchStrategy[GroupedArray]:
    """1-5 series of lengths ``min_len .. min_len + max_extra``, finite values in a sane range."""
    value = (
        st.floats(0.01, 1e3, allow_subnormal=False)
        if positive
        else st.floats(-1e3, 1e3, allow_subnormal=False)
    )
    one = st.lists(value, min_size=min_len, max_size=min_len + max_extra)
    return st.lists(one, min_size=1, max_size=5).map(
        lambda xs: GroupedArray.from_arrays([np.array(x) for x in xs])
    )


@st.composite
def pipelines(draw: st.DrawFn) -> tuple[Pipeline, bool]:
    """A random pipeline: an optional power step (needs positive data), then diffs/scalers."""
    head = draw(st.sampled_from(["", "log", "log1p", "boxcox", "boxcox:0.3"]))
    rest = draw(
        st.lists(
            st.sampled_from(["diff", "diff:2", "diff:3:1", "minmax", "standard", "robust"]),
            max_size=3,
        )
    )
    return make_pipeline(",".join([head, *rest])), bool(head)


def assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=1e-8, atol=1e-9 * scale)


def roundtrip_state(t: Transform) -> Transform:
    """Save as JSON (params, scalars) + .npz arrays without pickle, then rebuild."""
    state = t.state_dict()
    arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
    scalars = {k: v for k, v in state.items() if not isinstance(v, np.ndarray)}
    meta = json.dumps({"name": t.name, "params": t.get_params(), "scalars": scalars})
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as z:
        loaded = {k: z[k] for k in z.files}
    m = json.loads(meta)
    return load_transform(m["name"], m["params"], {**m["scalars"], **loaded})


# -- exact inversion ---------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(FACTORIES))
@SETTINGS
@given(data=st.data())
def test_inverse_transform_is_exact(key: str, data: st.DataObject) -> None:
    factory, positive = FACTORIES[key]
    t = factory()
    ga = data.draw(grouped(t.min_length, positive))
    ga_t = t.fit_transform(ga)
    np.testing.assert_array_equal(ga_t.lengths, ga.lengths - t.n_dropped)
    back = t.inverse_transform(ga_t)
    np.testing.assert_array_equal(back.indptr, ga.indptr)
    assert_close(back.values, ga.values)


@SETTINGS
@given(data=st.data())
def test_random_pipeline_inverse_transform_is_exact(data: st.DataObject) -> None:
    pipe, positive = data.draw(pipelines())
    ga = data.draw(grouped(pipe.min_length, positive))
    back = pipe.inverse_transform(pipe.fit_transform(ga))
    np.testing.assert_array_equal(back.indptr, ga.indptr)
    assert_close(back.values, ga.values)


# -- forecast inversion and fitting on train only ----------------------------------------


def check_forecast_inversion(t: Transform, full: GroupedArray, h: int) -> None:
    train = GroupedArray.from_arrays([x[:-h] for x in full])
    t.fit(train)
    full_t = t.transform(full)
    # transform uses no look-ahead: on the train part it equals transforming train alone.
    train_t = t.transform(train)
    for a, b in zip(full_t, train_t, strict=True):
        np.testing.assert_array_equal(a[: b.size], b)
    f = full_t.tails(h)
    f_copy = f.copy()
    out = t.inverse_forecast(f)
    np.testing.assert_array_equal(f, f_copy)  # input untouched
    assert out.shape == f.shape
    assert_close(out, full.tails(h))
    # Samples/quantiles along a trailing axis are inverted path by path.
    f3 = np.stack([f, f + 0.0, f], axis=-1)
    out3 = t.inverse_forecast(f3)
    assert out3.shape == f3.shape
    for k in range(3):
        assert_close(out3[..., k], out)

    # Changing values after the train end changes nothing learned.
    state = t.state_dict()
    rng = np.random.default_rng(0)
    other = GroupedArray.from_arrays(
        [np.concatenate([x[:-h], x[-h:] * rng.uniform(1.1, 2.0, h)]) for x in full]
    )
    refit = roundtrip_state(t)  # a fresh object of the same kind and params
    refit.fit(GroupedArray.from_arrays([x[:-h] for x in other]))
    for k, v in refit.state_dict().items():
        np.testing.assert_array_equal(v, state[k])


@pytest.mark.parametrize("key", sorted(FACTORIES))
@SETTINGS
@given(data=st.data(), h=st.integers(1, 6))
def test_inverse_forecast_reconstructs_tail(key: str, data: st.DataObject, h: int) -> None:
    factory, positive = FACTORIES[key]
    t = factory()
    full = data.draw(grouped(t.min_length + h, positive))
    check_forecast_inversion(t, full, h)


@SETTINGS
@given(data=st.data(), h=st.integers(1, 6))
def test_random_pipeline_inverse_forecast(data: st.DataObject, h: int) -> None:
    pipe, positive = data.draw(pipelines())
    full = data.draw(grouped(pipe.min_length + h, positive))
    check_forecast_inversion(pipe, full, h)


def test_difference_forecast_by_hand() -> None:
    d = Difference().fit(GroupedArray.from_arrays([np.array([1.0, 2.0, 4.0, 7.0])]))
    np.testing.assert_allclose(d.inverse_forecast(np.array([[4.0, 5.0]])), [[11.0, 16.0]])
    # Seasonal lag 2: each step adds to the value one season back.
    s = Difference(lag=2).fit(GroupedArray.from_arrays([np.array([1.0, 10.0, 2.0, 20.0])]))
    np.testing.assert_allclose(s.inverse_forecast(np.ones((1, 3))), [[3.0, 21.0, 4.0]])


def test_log_then_difference_uses_log_tails() -> None:
    ga = GroupedArray.from_arrays([np.exp(np.array([0.0, 1.0, 2.0]))])
    pipe = Pipeline([Log(), Difference()])
    np.testing.assert_allclose(pipe.fit_transform(ga).values, [1.0, 1.0])
    np.testing.assert_allclose(pipe.inverse_forecast(np.array([[1.0, 1.0]])), [np.exp([3, 4])])


def test_sarima_style_pipeline_lengths() -> None:
    ga = GroupedArray.from_arrays([np.arange(60.0), np.arange(30.0)])
    pipe = make_pipeline("diff:24,diff")
    assert pipe.min_length == 26 and pipe.n_dropped == 25
    np.testing.assert_array_equal(pipe.fit_transform(ga).lengths, [35, 5])


# -- errors --------------------------------------------------------------------------------


def test_too_short_series_names_position() -> None:
    ga = GroupedArray.from_arrays([np.arange(10.0), np.arange(3.0)])
    with pytest.raises(DataError, match=r"position 1.*at least 4"):
        Difference(lag=3).fit(ga)
    with pytest.raises(DataError, match=r"position 1.*at least 4"):
        make_pipeline("diff:2,diff").fit(ga)
    with pytest.raises(DataError, match=r"position 1"):
        BoxCox().fit(GroupedArray.from_arrays([np.arange(1.0, 4.0), np.array([2.0])]))


@pytest.mark.parametrize(
    ("t", "bad"), [(Log(), 0.0), (Log(), -2.0), (Log1p(), -1.0), (BoxCox(), -0.5)]
)
def test_out_of_domain_values(t: Transform, bad: float) -> None:
    ga = GroupedArray.from_arrays([np.ones(4) * 2, np.ones(4) * 3, np.array([1.0, bad, 2.0])])
    with pytest.raises(DataError, match=r"position 2"):
        t.fit(ga)


def test_non_finite_values_rejected() -> None:
    ga = GroupedArray.from_arrays([np.arange(4.0), np.array([1.0, np.nan, 2.0])])
    with pytest.raises(DataError, match=r"position 1.*NaN"):
        StandardScaler().fit(ga)


def test_not_fitted_and_shape_errors() -> None:
    ga = GroupedArray.from_arrays([np.arange(5.0), np.arange(6.0)])
    with pytest.raises(NotFittedError):
        Difference().transform(ga)
    with pytest.raises(NotFittedError):
        StandardScaler().inverse_forecast(np.zeros((2, 3)))
    d = Difference().fit(ga)
    with pytest.raises(DataError, match="3 series"):
        d.inverse_forecast(np.zeros((3, 2)))
    with pytest.raises(DataError, match="shape"):
        d.inverse_forecast(np.zeros(2))
    with pytest.raises(DataError, match="1 series"):
        d.transform(ga.take([0]))


@pytest.mark.parametrize(
    "build",
    [
        lambda: Difference(order=0),
        lambda: Difference(lag=0),
        lambda: Difference(lag=1.5),
        lambda: MinMaxScaler((1.0, 0.0)),
        lambda: MinMaxScaler((0.0,)),
        lambda: BoxCox(lmbda=float("nan")),
        lambda: BoxCox(bounds=(2.0, 1.0)),
        lambda: make_pipeline("log,foo"),
        lambda: make_pipeline("diff:x"),
        lambda: make_pipeline("diff:0"),
        lambda: make_pipeline("minmax:1"),
        lambda: make_pipeline("log:3"),
    ],
)
def test_bad_config(build: Callable[[], object]) -> None:
    with pytest.raises(ConfigError):
        build()


def test_make_pipeline_parses_spec() -> None:
    assert make_pipeline("log, diff:24 ,diff,minmax:-1:1").steps == [
        Log(),
        Difference(order=1, lag=24),
        Difference(order=1, lag=1),
        MinMaxScaler((-1.0, 1.0)),
    ]
    assert make_pipeline("diff:12:2").steps == [Difference(order=2, lag=12)]
    assert make_pipeline("boxcox:0.5,zscore,robust,log1p").steps == [
        BoxCox(0.5),
        StandardScaler(),
        RobustScaler(),
        Log1p(),
    ]
    assert make_pipeline("").steps == [] and make_pipeline("none").steps == []
    with pytest.raises(ConfigError, match="unknown transform 'foo'"):
        make_pipeline("foo")


def test_constant_series_scalers_use_unit_scale() -> None:
    ga = GroupedArray.from_arrays([np.full(5, 0.1), np.full(3, 7.0)])
    for t in (MinMaxScaler(), StandardScaler(), RobustScaler()):
        out = t.fit_transform(ga)
        assert np.all(np.isfinite(out.values))
        np.testing.assert_allclose(t.state_dict()["scale_"], [1.0, 1.0])
        assert_close(t.inverse_transform(out).values, ga.values)


# -- state I/O -----------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(FACTORIES))
def test_state_round_trip(key: str) -> None:
    factory, _ = FACTORIES[key]
    rng = np.random.default_rng(1)
    ga = GroupedArray.from_arrays([rng.uniform(1, 50, n) for n in (12, 20, 9)])
    t = factory().fit(ga)
    r = roundtrip_state(t)
    assert type(r) is type(t) and r.get_params() == t.get_params()
    np.testing.assert_array_equal(r.transform(ga).values, t.transform(ga).values)
    f = rng.normal(size=(3, 4, 2))
    np.testing.assert_array_equal(r.inverse_forecast(f), t.inverse_forecast(f))


@SETTINGS
@given(data=st.data())
def test_pipeline_state_round_trip(data: st.DataObject) -> None:
    pipe, positive = data.draw(pipelines())
    ga = data.draw(grouped(pipe.min_length + 2, positive))
    pipe.fit(ga)
    r = roundtrip_state(pipe)
    assert isinstance(r, Pipeline) and r.get_params() == pipe.get_params()
    ga_t = pipe.transform(ga)
    np.testing.assert_array_equal(r.transform(ga).values, ga_t.values)
    np.testing.assert_array_equal(
        r.inverse_transform(ga_t).values, pipe.inverse_transform(ga_t).values
    )
    f = ga_t.tails(2)
    np.testing.assert_array_equal(r.inverse_forecast(f), pipe.inverse_forecast(f))


def test_protocol_is_satisfied() -> None:
    for factory, _ in FACTORIES.values():
        assert isinstance(factory(), Transform)
    assert isinstance(make_pipeline("log,diff"), Transform)
