"""Sliding windows: exact contents, stride, series boundaries, zero-copy view, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatecast.data.grouped import GroupedArray
from gatecast.data.windows import WindowSpec, make_windows
from gatecast.errors import ConfigError, DataError


@pytest.fixture
def two_series() -> GroupedArray:
    # Lengths 10 and 6; values say where they come from.
    return GroupedArray.from_arrays([np.arange(10.0), 100.0 + np.arange(6.0)])


def test_hand_checked_windows(two_series: GroupedArray) -> None:
    w = make_windows(two_series, WindowSpec(look_back=3, horizon=2))
    assert len(w) == 6 + 2
    np.testing.assert_array_equal(w.series, [0, 0, 0, 0, 0, 0, 1, 1])
    np.testing.assert_array_equal(w.origin, [3, 4, 5, 6, 7, 8, 3, 4])
    np.testing.assert_array_equal(w.starts, [0, 1, 2, 3, 4, 5, 10, 11])
    assert w.starts.dtype == np.int64 and w.series.dtype == np.int64
    x = w.inputs(np.arange(len(w)))
    y = w.targets(np.arange(len(w)))
    assert x.shape == (8, 3, 1) and y.shape == (8, 2)
    np.testing.assert_array_equal(x[0, :, 0], [0, 1, 2])
    np.testing.assert_array_equal(y[0], [3, 4])
    np.testing.assert_array_equal(x[5, :, 0], [5, 6, 7])
    np.testing.assert_array_equal(y[5], [8, 9])
    np.testing.assert_array_equal(x[6, :, 0], [100, 101, 102])
    np.testing.assert_array_equal(y[6], [103, 104])
    np.testing.assert_array_equal(x[7, :, 0], [101, 102, 103])
    np.testing.assert_array_equal(y[7], [104, 105])
    assert w.skipped.size == 0


def test_batch_gathers_only_requested(two_series: GroupedArray) -> None:
    w = make_windows(two_series, WindowSpec(3, 2))
    x = w.inputs([7, 0])
    np.testing.assert_array_equal(x[:, :, 0], [[101, 102, 103], [0, 1, 2]])
    np.testing.assert_array_equal(w.targets([7, 0]), [[104, 105], [3, 4]])
    np.testing.assert_array_equal(w.inputs(slice(6, 8))[:, 0, 0], [100, 101])


@pytest.mark.parametrize(
    ("stride", "origins_a", "origins_b"),
    [(2, [4, 6, 8], [4]), (3, [5, 8], [4]), (10, [8], [4])],
)
def test_stride_keeps_most_recent_window(
    two_series: GroupedArray, stride: int, origins_a: list[int], origins_b: list[int]
) -> None:
    w = make_windows(two_series, WindowSpec(3, 2, stride=stride))
    np.testing.assert_array_equal(w.origin[w.series == 0], origins_a)
    np.testing.assert_array_equal(w.origin[w.series == 1], origins_b)
    last_a = np.flatnonzero(w.series == 0)[-1]
    np.testing.assert_array_equal(w.targets([last_a]), [[8, 9]])


def test_view_is_read_only_and_shares_memory(two_series: GroupedArray) -> None:
    w = make_windows(two_series, WindowSpec(3, 2))
    assert np.shares_memory(w.view, two_series.values)
    assert not w.view.flags.writeable
    assert w.view.shape == (two_series.values.size - 5 + 1, 5)


def test_short_series_skipped(two_series: GroupedArray) -> None:
    ga = GroupedArray.from_arrays([two_series[0], np.arange(3.0), two_series[1]])
    w = make_windows(ga, WindowSpec(3, 2))
    np.testing.assert_array_equal(w.skipped, [1])
    assert 1 not in set(w.series.tolist())
    assert len(w) == 8


def test_all_too_short_raises() -> None:
    ga = GroupedArray.from_arrays([np.arange(4.0), np.arange(3.0)])
    with pytest.raises(DataError, match=r"positions 0, 1.*at least 5.*shorter look_back"):
        make_windows(ga, WindowSpec(3, 2))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"look_back": 0, "horizon": 1},
        {"look_back": 2, "horizon": 0},
        {"look_back": 2, "horizon": 1, "stride": 0},
        {"look_back": -1, "horizon": 1},
        {"look_back": 2.5, "horizon": 1},
        {"look_back": True, "horizon": 1},
    ],
)
def test_spec_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        WindowSpec(**kwargs)  # type: ignore[arg-type]


def test_min_look_back_pads_with_first_value() -> None:
    ga = GroupedArray.from_arrays([np.arange(1.0, 6.0), np.array([7.0, 8.0, 9.0])])
    w = make_windows(ga, WindowSpec(4, 2), min_look_back=2)
    # Series 0 (length 5) has origins 2 and 3; series 1 (length 3) is too short for 2 + 2.
    np.testing.assert_array_equal(w.origin, [2, 3])
    np.testing.assert_array_equal(w.skipped, [1])
    np.testing.assert_array_equal(w.inputs([0, 1])[:, :, 0], [[1, 1, 1, 2], [1, 1, 2, 3]])
    np.testing.assert_array_equal(w.targets([0, 1]), [[3, 4], [4, 5]])
    np.testing.assert_array_equal(w.last_inputs(ga)[:, :, 0], [[2, 3, 4, 5], [7, 7, 8, 9]])
    with pytest.raises(DataError, match="position 1"):
        w.last_inputs(GroupedArray.from_arrays([np.arange(5.0), np.array([1.0])]))
    with pytest.raises(ConfigError):
        make_windows(ga, WindowSpec(4, 2), min_look_back=5)


def test_last_inputs_shape(two_series: GroupedArray) -> None:
    w = make_windows(two_series, WindowSpec(3, 2))
    last = w.last_inputs(two_series)
    assert last.shape == (2, 3, 1)
    np.testing.assert_array_equal(last[:, :, 0], [[7, 8, 9], [103, 104, 105]])


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 25), min_size=1, max_size=6),
    look_back=st.integers(1, 6),
    horizon=st.integers(1, 4),
    stride=st.integers(1, 4),
)
def test_windows_never_cross_series(
    lengths: list[int], look_back: int, horizon: int, stride: int
) -> None:
    ga = GroupedArray.from_arrays([1000.0 * i + np.arange(n) for i, n in enumerate(lengths)])
    spec = WindowSpec(look_back, horizon, stride)
    if all(n < spec.width for n in lengths):
        with pytest.raises(DataError):
            make_windows(ga, spec)
        return
    w = make_windows(ga, spec)
    idx = np.arange(len(w))
    x, y = w.inputs(idx)[:, :, 0], w.targets(idx)
    for k in idx:
        s, o = int(w.series[k]), int(w.origin[k])
        np.testing.assert_array_equal(x[k], ga[s][o - look_back : o])
        np.testing.assert_array_equal(y[k], ga[s][o : o + horizon])
    for i, n in enumerate(lengths):
        expected = list(range(n - horizon, look_back - 1, -stride))[::-1]
        assert w.origin[w.series == i].tolist() == expected
    np.testing.assert_array_equal(w.skipped, [i for i, n in enumerate(lengths) if n < spec.width])
