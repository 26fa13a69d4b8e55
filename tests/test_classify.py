"""Sequence classification: IDX reader, SequenceClassifier, reduced MNIST, CLI."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from gatecast.classify import (
    SequenceClassifier,
    accuracy,
    confusion_matrix,
    load_mnist,
    read_idx,
    sequences_from_frame,
    write_idx,
)
from gatecast.classify.classifier import class_weight_vector
from gatecast.classify.data import stratified_split
from gatecast.classify.source import random_shift
from gatecast.cli.main import main
from gatecast.errors import ConfigError, DataError, NotFittedError
from gatecast.io.serialize import load as load_any
from gatecast.training.config import TrainerConfig
from helpers import SHARED_DATA

MNIST = SHARED_DATA / "mnist"
needs_mnist = pytest.mark.skipif(not (MNIST / "t10k-images-idx3-ubyte.gz").is_file(),
                                 reason="../shared/data/mnist not present")


def waves(n: int, steps: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sine (0), square (1) and sawtooth (2) waves with random period (6-10 steps), phase,
    amplitude and noise: ``X [n, steps]``, ``y [n]``."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    t = np.arange(steps)[None, :]
    period = rng.uniform(6, 10, (n, 1))
    phase = rng.uniform(0, 1, (n, 1))
    cycle = (t / period + phase) % 1.0  # [n, steps] position within the period
    sine = np.sin(2 * np.pi * cycle)
    square = np.where(cycle < 0.5, 1.0, -1.0)
    saw = 2 * cycle - 1
    x = np.choose(y[:, None], [sine, square, saw])
    x = x * rng.uniform(0.8, 1.25, (n, 1)) + rng.normal(0, 0.05, (n, steps))
    return x.astype(np.float32), y


def small(**kw: object) -> SequenceClassifier:
    """A small classifier; Adam at a constant 5e-3 for 25 epochs learns the waves with
    every cell (0.99-1.0 test accuracy over seeds 0-9, the Elman RNN once 0.93)."""
    trainer = TrainerConfig(**{"lr": 5e-3, "schedule": "none", "epochs": 25, "batch_size": 32,
                               "device": "cpu", **kw.pop("trainer", {})})  # type: ignore[dict-item]
    return SequenceClassifier(**{"hidden_size": 48, "num_layers": 1, "val_size": 0.0, **kw},
                              trainer=trainer)


# -- IDX -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip(tmp_path: Path, name: str, dtype: type) -> None:
    arr = (np.arange(2 * 3 * 5) - 7).reshape(2, 3, 5).astype(dtype)
    if dtype == np.uint8:
        arr = np.abs(arr).astype(np.uint8)
    out = read_idx(write_idx(tmp_path / name, arr))
    assert out.dtype == arr.dtype and out.shape == arr.shape
    np.testing.assert_array_equal(out, arr)


def test_idx_header_is_big_endian(tmp_path: Path) -> None:
    write_idx(tmp_path / "x.idx", np.array([1, 258], dtype=np.int16))
    raw = (tmp_path / "x.idx").read_bytes()
    assert raw == bytes([0, 0, 0x0B, 1, 0, 0, 0, 2, 0, 1, 1, 2])


def _bytes(tmp_path: Path, data: bytes, name: str = "bad.idx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("data,match", [
    (bytes([1, 0, 8, 1, 0, 0, 0, 1, 5]), "bad magic"),
    (bytes([0, 0, 0x42, 1, 0, 0, 0, 1, 5]), "unknown IDX dtype code 0x42"),
    (bytes([0, 0, 8, 3, 0, 0, 0, 2]), "header needs 16 bytes"),
    (bytes([0, 0, 8, 1, 0, 0, 0, 4, 1, 2]), "truncated: dimensions \\[4\\]"),
    (bytes([0, 0, 8, 1, 0, 0, 0, 1, 1, 2]), "longer than its header"),
    (bytes([0, 0]), "shorter than the header"),
])
def test_idx_malformed(tmp_path: Path, data: bytes, match: str) -> None:
    with pytest.raises(DataError, match=match) as err:
        read_idx(_bytes(tmp_path, data))
    assert "\n" not in str(err.value)


def test_idx_truncated_gzip_and_missing(tmp_path: Path) -> None:
    good = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 200]) + bytes(range(200)))
    with pytest.raises(DataError, match="damaged or truncated gzip"):
        read_idx(_bytes(tmp_path, good[: len(good) // 2], "cut.gz"))
    with pytest.raises(DataError, match="not found"):
        read_idx(tmp_path / "nope.idx")
    with pytest.raises(DataError, match="images but"):
        write_idx(tmp_path / "i-images-idx3-ubyte", np.zeros((3, 2, 2), np.uint8))
        write_idx(tmp_path / "i-labels-idx1-ubyte", np.zeros(4, np.uint8))
        load_mnist(tmp_path, kind="i")


@needs_mnist
def test_load_mnist_shared() -> None:
    images, labels = load_mnist(MNIST)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and set(np.unique(labels)) == set(range(10))
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]  # the well-known first test digits


# -- the classifier --------------------------------------------------------------------
@needs_mnist
def test_reduced_mnist_well_above_chance() -> None:
    torch.set_num_threads(1)
    images, labels = load_mnist(MNIST)
    perm = np.random.default_rng(0).permutation(labels.size)
    tr, te = perm[:1000], perm[1000:1500]
    clf = SequenceClassifier(hidden_size=32, num_layers=2, val_size=0.0, trainer=TrainerConfig(
        optimizer="adamw", lr=3e-3, epochs=8, batch_size=32, device="cpu"))
    clf.fit(images[tr], labels[tr])
    acc = clf.score(images[te], labels[te])
    assert acc >= 0.6, acc  # chance is 0.1; measured 0.79-0.82 over seeds 0-2


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "peephole"])
def test_waves_learned_by_every_cell(cell: str) -> None:
    x, y = waves(480, seed=1)
    xt, yt = waves(150, seed=2)
    clf = small(cell=cell).fit(x, y)
    assert clf.score(xt, yt) >= 0.95  # measured 0.993-1.0 at this seed
    proba = clf.predict_proba(xt)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)


def test_string_labels_bidirectional_and_validation() -> None:
    x, y = waves(240, seed=3)
    names = np.array(["sine", "square", "saw"])[y]
    clf = small(bidirectional=True, val_size=0.2, dropout=0.1).fit(x, names)
    assert list(clf.classes_) == ["saw", "sine", "square"]
    assert set(clf.predict(x[:20])) <= set(names)
    assert 0.0 <= clf.val_accuracy_ <= 1.0
    assert clf.history_["val_loss"].notna().all()
    xt, yt = waves(100, seed=4)
    assert clf.score(xt, np.array(["sine", "square", "saw"])[yt]) >= 0.9


def test_deterministic_under_seed() -> None:
    x, y = waves(120, seed=5)
    kw = {"dropout": 0.2, "num_layers": 2, "shift_augment": 1, "val_size": 0.2,
          "trainer": {"epochs": 3, "seed": 7}}
    a = small(**kw).fit(x, y).predict_proba(x)
    b = small(**kw).fit(x, y).predict_proba(x)
    np.testing.assert_array_equal(a, b)
    c = small(**{**kw, "trainer": {"epochs": 3, "seed": 8}}).fit(x, y).predict_proba(x)
    assert not np.array_equal(a, c)


def test_save_load_round_trip(tmp_path: Path) -> None:
    x, y = waves(120, seed=6)
    clf = small(cell="peephole", class_weights="balanced", trainer={"epochs": 2}).fit(
        x, np.array(["a", "b", "c"])[y])
    path = clf.save(tmp_path / "model")
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "weights.safetensors"]
    config = json.loads((path / "config.json").read_text())
    assert config["fitted"]["classes"] == ["a", "b", "c"]
    back = SequenceClassifier.load(path)
    np.testing.assert_array_equal(back.predict_proba(x), clf.predict_proba(x))
    assert isinstance(load_any(path), SequenceClassifier)  # the generic loader finds it
    assert back.get_params() == clf.get_params()
    np.testing.assert_array_equal(back.predict(x), clf.predict(x))


def test_checkpoints_written(tmp_path: Path) -> None:
    x, y = waves(60, seed=13)
    small(trainer={"epochs": 2, "checkpoint_dir": str(tmp_path / "ck")}).fit(x, y)
    assert (tmp_path / "ck" / "last.pt").is_file()


def test_standardisation_uses_training_part_only() -> None:
    x, y = waves(100, seed=7)
    x = x * 50 + 1000  # far from unit scale
    clf = small(val_size=0.3, trainer={"epochs": 1}).fit(x, y)
    assert abs(float(clf.mean_[0]) - 1000) < 20 and 10 < float(clf.std_[0]) < 100
    train_idx, _ = stratified_split(np.unique(y, return_inverse=True)[1], 0.3, 0)
    np.testing.assert_allclose(clf.mean_[0], x[train_idx].mean(), rtol=1e-5)


def test_class_weights() -> None:
    counts = np.array([90, 10])
    np.testing.assert_allclose(class_weight_vector("balanced", counts), [100 / 180, 100 / 20])
    np.testing.assert_allclose(class_weight_vector(None, counts), [1, 1])
    with pytest.raises(ConfigError, match="one weight per class"):
        class_weight_vector([1.0, 2.0, 3.0], counts)
    with pytest.raises(ConfigError, match="'balanced'"):
        SequenceClassifier(class_weights="inverse")
    with pytest.raises(ConfigError, match="positive"):
        SequenceClassifier(class_weights=[1.0, -1.0])


def test_stratified_split() -> None:
    codes = np.repeat([0, 1, 2], [50, 30, 20])
    tr, va = stratified_split(codes, 0.2, seed=3)
    assert np.intersect1d(tr, va).size == 0 and tr.size + va.size == 100
    assert np.bincount(codes[va]).tolist() == [10, 6, 4]
    _, va2 = stratified_split(codes, 0.2, seed=3)
    np.testing.assert_array_equal(va, va2)


def test_random_shift_moves_and_fills_with_zeros() -> None:
    img = torch.zeros(1, 5, 5)
    img[0, 2, 2] = 1.0
    rng = np.random.default_rng(0)
    for _ in range(10):
        out = random_shift(img, 2, rng)
        assert out.sum() == 1.0  # the single pixel moved (±2 keeps it inside), nothing else
        r, c = (int(v) for v in torch.nonzero(out[0])[0])
        assert abs(r - 2) <= 2 and abs(c - 2) <= 2
    edge = torch.ones(1, 3, 3)
    shifted = random_shift(edge, 1, np.random.default_rng(1))
    assert shifted.sum() <= 9 and set(shifted.unique().tolist()) <= {0.0, 1.0}


@pytest.mark.parametrize("X,y,match", [
    (np.zeros(10), np.zeros(10), "samples, time, features"),
    (np.zeros((2, 3, 4, 5)), np.zeros(2), "samples, time, features"),
    (np.zeros((4, 0, 2)), np.zeros(4), "empty axis"),
    (np.where(np.eye(4, 6) > 0, np.nan, 0.0), np.arange(4) % 2, "NaN or infinite"),
    (np.zeros((4, 6)), np.zeros(3), "4 samples in X but 3 labels"),
    (np.zeros((4, 6)), np.zeros(4), "single class"),
    (np.zeros((4, 6)), np.array([0.5, 1, 0, 1]), "non-integer"),
])
def test_fit_bad_input(X: np.ndarray, y: np.ndarray, match: str) -> None:
    with pytest.raises(DataError, match=match) as err:
        small().fit(X, y)
    assert "\n" not in str(err.value)


def test_predict_errors() -> None:
    with pytest.raises(NotFittedError):
        small().predict(np.zeros((2, 5)))
    x, y = waves(60, seed=8)
    clf = small(trainer={"epochs": 1}).fit(x, y)
    with pytest.raises(DataError, match=r"2 feature\(s\) per step but .* fitted on 1"):
        clf.predict(np.zeros((3, 16, 2)))
    with pytest.raises(DataError, match="NaN"):
        clf.predict(np.full((3, 16), np.nan))
    assert clf.predict(x[:, :10]).shape == (60,)  # other lengths are fine


def test_bad_config() -> None:
    with pytest.raises(ConfigError, match="unknown cell"):
        SequenceClassifier(cell="transformer")
    with pytest.raises(ConfigError, match="val_size"):
        SequenceClassifier(val_size=1.5)
    with pytest.raises(ConfigError, match="hidden_size"):
        SequenceClassifier(hidden_size=0)
    with pytest.raises(ConfigError, match="shift_augment"):
        SequenceClassifier(shift_augment=-1)


def _long(x: np.ndarray, ids: list[str]) -> pd.DataFrame:
    n, steps = x.shape
    return pd.DataFrame({"unique_id": np.repeat(ids, steps),
                         "ds": np.tile(np.arange(steps), n), "y": x.ravel(),
                         "z": np.tile(np.linspace(0, 1, steps), n)})


def test_fit_frame_and_predict_frame(tmp_path: Path) -> None:
    x, y = waves(120, seed=9)
    ids = [f"s{i}" for i in range(120)]
    df = _long(x, ids).sample(frac=1.0, random_state=0)  # row order must not matter
    labels = pd.DataFrame({"unique_id": ids, "shape": y})
    seqs = sequences_from_frame(df, labels)
    assert seqs.x.shape == (120, 16, 2) and seqs.ids.size == 120
    assert seqs.features == ["y", "z"]
    order = [ids.index(i) for i in seqs.ids]
    np.testing.assert_allclose(seqs.x[:, :, 0], x[order])
    np.testing.assert_array_equal(seqs.y, y[order])
    clf = small(trainer={"epochs": 2}).fit_frame(df, labels, features=["y"])
    out = clf.predict_frame(df.assign(extra=1.0))  # an extra column is not read
    assert list(out.columns) == ["unique_id", "prediction", "p_0", "p_1", "p_2"]
    assert clf.n_features_ == 1 and clf.features_ == ["y"]
    back = SequenceClassifier.load(clf.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(back.predict_frame(df), clf.predict_frame(df))


def test_frame_errors() -> None:
    x, y = waves(6, seed=10)
    ids = [f"s{i}" for i in range(6)]
    df = _long(x, ids)
    labels = pd.Series(y, index=ids)
    with pytest.raises(DataError, match="same length"):
        sequences_from_frame(df.iloc[:-1], labels)
    with pytest.raises(DataError, match=r"not in the frame.*'ghost'"):
        sequences_from_frame(df, pd.concat([labels, pd.Series({"ghost": 1})]))
    with pytest.raises(DataError, match="no label for series 's5'"):
        sequences_from_frame(df, labels.iloc[:5])
    with pytest.raises(DataError, match="duplicate timestamps"):
        sequences_from_frame(pd.concat([df, df.iloc[:1]]), labels)
    bad = df.copy()
    bad.loc[3, "y"] = np.nan
    with pytest.raises(DataError, match=r"'s0'.*missing"):
        sequences_from_frame(bad, labels)


def test_metrics() -> None:
    t, p = [0, 0, 1, 2, 2], [0, 1, 1, 2, 0]
    assert accuracy(t, p) == pytest.approx(0.6)
    m = confusion_matrix(t, p)
    assert m.to_numpy().tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
    assert int(np.trace(m.to_numpy())) == 3


# -- CLI -------------------------------------------------------------------------------
def _tiny_idx(tmp_path: Path, n: int = 80) -> tuple[Path, Path]:
    """8x8 images: class 0 bright in the top half, class 1 in the bottom half."""
    rng = np.random.default_rng(0)
    labels = (np.arange(n) % 2).astype(np.uint8)
    images = rng.integers(0, 60, (n, 8, 8)).astype(np.uint8)
    for k, lab in enumerate(labels):
        images[k, 4 * lab:4 * lab + 4] += 150
    return (write_idx(tmp_path / "img-idx3-ubyte.gz", images),
            write_idx(tmp_path / "lab-idx1-ubyte", labels))


def test_cli_idx_happy_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    images, labels = _tiny_idx(tmp_path)
    out = tmp_path / "out"
    code = main(["--json", "classify", "--idx-images", str(images), "--idx-labels",
                 str(labels), "--epochs", "8", "--hidden", "8", "--layers", "1",
                 "--lr", "1e-2", "--device", "cpu", "--output", str(out)])
    assert code == 0
    lines = [json.loads(s) for s in capsys.readouterr().out.strip().splitlines()]
    assert lines[0]["title"].startswith("held-out confusion matrix (16 samples")
    result = lines[-1]
    assert result["accuracy"] >= 0.9 and result["n_test"] == 16
    preds = pd.read_csv(out / "predictions.csv")
    assert list(preds.columns) == ["unique_id", "label", "prediction", "p_0", "p_1"]
    assert len(preds) == 16
    model = SequenceClassifier.load(out / "model")
    x = read_idx(images).astype(np.float32)
    assert (model.predict(x) == read_idx(labels)).mean() >= 0.9


def test_cli_frame_happy_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x, y = waves(60, seed=11)
    ids = [f"s{i}" for i in range(60)]
    _long(x, ids).to_csv(tmp_path / "data.csv", index=False)
    pd.DataFrame({"unique_id": ids, "kind": np.array(["a", "b", "c"])[y]}).to_csv(
        tmp_path / "labels.csv", index=False)
    code = main(["--quiet", "classify", str(tmp_path / "data.csv"), "--labels",
                 str(tmp_path / "labels.csv"), "--epochs", "2", "--hidden", "8",
                 "--features", "y", "--cell", "gru", "--output", str(tmp_path / "o")])
    assert code == 0
    preds = pd.read_csv(tmp_path / "o" / "predictions.csv")
    assert set(preds["label"]) <= {"a", "b", "c"} and preds["unique_id"].str.startswith("s").all()


def test_cli_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    images, labels = _tiny_idx(tmp_path, 20)
    cut = tmp_path / "cut-idx3-ubyte"
    cut.write_bytes(read_idx(images).tobytes()[:100])  # no header: bad magic
    trunc = tmp_path / "trunc-idx3-ubyte"
    # header of 20 images of 8x8 but only 50 bytes of pixels
    trunc.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 20, 0, 0, 0, 8, 0, 0, 0, 8]) + bytes(50))
    cases = [
        ["--idx-images", str(cut), "--idx-labels", str(labels)],
        ["--idx-images", str(trunc), "--idx-labels", str(labels)],
        ["--idx-images", str(tmp_path / "missing.gz"), "--idx-labels", str(labels)],
        ["--idx-images", str(images)],
        [str(tmp_path / "missing.csv"), "--labels", str(tmp_path / "l.csv")],
        [],
    ]
    x, _ = waves(6, seed=12)
    _long(x, [f"s{i}" for i in range(6)]).to_csv(tmp_path / "d.csv", index=False)
    pd.DataFrame({"unique_id": ["s0", "zz"], "label": [0, 1]}).to_csv(tmp_path / "l.csv",
                                                                       index=False)
    cases.append([str(tmp_path / "d.csv"), "--labels", str(tmp_path / "l.csv")])
    for args in cases:
        code = main(["classify", *args, "--epochs", "1", "--output", str(tmp_path / "o")])
        err = capsys.readouterr().err.strip()
        assert code == 2, (args, err)
        assert err.startswith("error: ") and "\n" not in err, err
