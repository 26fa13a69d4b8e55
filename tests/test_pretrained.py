"""The pretrained forecaster: shipped weights, zero-shot and fine-tuned forecasts, saving,
the corpus, the pretraining loop and ``gatecast pretrain`` (tiny runs only)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

import gatecast as gc
from gatecast.cli.main import main
from gatecast.data.freq import parse_freq
from gatecast.data.season import season_of
from gatecast.errors import ConfigError, DataError
from gatecast.io.serialize import load
from gatecast.models.pretrained import Pretrained
from gatecast.pretrained.corpus import (
    RECIPE_CORPUS,
    CorpusSpec,
    build_corpus,
    corpus_frame,
    make_series,
    window_fingerprints,
)
from gatecast.pretrained.finetune import TailWindows, finetune, hold_out
from gatecast.pretrained.network import (
    NetConfig,
    PretrainedEnsemble,
    PretrainedNet,
    count_members,
    quantile_loss,
)
from gatecast.pretrained.store import (
    CONFIG,
    WEIGHTS,
    load_weights,
    save_weights,
    shipped_dir,
    weights_hash,
)
from gatecast.pretrained.train import PretrainConfig, frame_series, pretrain
from helpers import seasonal_frame

TINY_NET = NetConfig(hidden_size=8, head_hidden=16, horizon=8, max_context=32)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return seasonal_frame(n_series=3, length=60, m=12, seed=3)


def test_shipped_weights_load_offline_and_match_their_hash() -> None:
    folder = shipped_dir()
    assert (folder / CONFIG).is_file() and (folder / WEIGHTS).is_file()
    assert (folder / WEIGHTS).stat().st_size < 8_000_000  # "a few MB at most"
    config = json.loads((folder / CONFIG).read_text())
    net = load_weights()
    assert weights_hash(load_file(str(folder / WEIGHTS))) == config["sha256"]
    assert net.cfg.horizon >= 12 and 0.5 in net.cfg.quantiles
    assert gc.Pretrained is Pretrained


def test_zero_shot_shapes_determinism_and_ordered_intervals(data: pd.DataFrame) -> None:
    fc = Pretrained().fit(data).predict(12, level=[50, 98])
    assert len(fc) == 3 * 12 and np.isfinite(fc["Pretrained"]).all()
    again = Pretrained().fit(data).predict(12, level=[50, 98])
    pd.testing.assert_frame_equal(fc, again)
    lo98, lo50, hi50, hi98 = (fc[f"Pretrained-{s}"] for s in ("lo-98", "lo-50", "hi-50",
                                                              "hi-98"))
    assert (lo98 <= lo50).all() and (lo50 <= fc["Pretrained"]).all()
    assert (fc["Pretrained"] <= hi50).all() and (hi50 <= hi98).all() and (hi98 > lo98).all()
    # Forecasts follow the level of each series (not a constant or a scaled copy of one).
    last = data.groupby("unique_id")["y"].last().to_numpy()
    first = fc.groupby("unique_id")["Pretrained"].first().to_numpy()
    assert np.all(np.abs(first / last - 1) < 0.5)


def test_levels_beyond_the_quantiles_are_refused(data: pd.DataFrame) -> None:
    model = Pretrained().fit(data)
    with pytest.raises(ConfigError, match="up to 98"):
        model.predict(6, level=[99])


def test_season_length_comes_from_the_frequency(data: pd.DataFrame) -> None:
    assert Pretrained().fit(data).season_length_ == 12
    assert Pretrained(season_length=4).fit(data).season_length_ == 4
    # the one table of gatecast.data.season, which the runs use too
    table = {"h": 24, "30min": 48, "D": 7, "B": 5, "W": 52, "MS": 12, "QS": 4, "YS": 1,
             "2h": 12, "15min": 96, "min": 60, "SMS": 24}
    assert {f: season_of(parse_freq(f))[0] for f in table} == table
    assert season_of(1)[0] == 1
    hourly2 = seasonal_frame(n_series=1, length=60, m=12, freq="2h")
    assert Pretrained().fit(hourly2).season_length_ == 12


def test_finetune_changes_the_forecast_and_is_seeded() -> None:
    # 9 points: too short to hold a tail out, so fine-tuning is unguarded and always kept
    short = seasonal_frame(n_series=3, length=9, m=4, freq="QS").groupby("unique_id").head(9)
    zero = Pretrained().fit(short).predict(6)
    tuned = Pretrained(finetune=3, seed=0, finetune_lr=1e-2).fit(short).predict(6)
    same = Pretrained(finetune=3, seed=0, finetune_lr=1e-2).fit(short).predict(6)
    other = Pretrained(finetune=3, seed=1, finetune_lr=1e-2).fit(short).predict(6)
    pd.testing.assert_frame_equal(tuned, same)
    assert not np.allclose(zero["Pretrained"], tuned["Pretrained"])
    assert not np.allclose(tuned["Pretrained"], other["Pretrained"])
    # fine-tuning works on a copy: the shipped network is unchanged
    pd.testing.assert_frame_equal(zero, Pretrained().fit(short).predict(6))


def test_finetune_is_kept_only_where_it_forecasts_held_out_tails_better(
        data: pd.DataFrame) -> None:
    series = [(part.to_numpy(np.float32), 12) for _, part in data.groupby("unique_id")["y"]]
    base = load_weights()
    val = TailWindows(series, base.cfg.horizon, base.cfg.max_context)
    assert len(val) == 3 and hold_out(60, 12, 64) == 12 and hold_out(9, 4, 64) == 0
    loss = quantile_loss(base.cfg.quantiles)
    inputs, target = val.batch(np.arange(3))
    with torch.no_grad():
        before = float(loss(base(*inputs), target))
        for lr in (1e-4, 0.5):  # a sane rate and one that wrecks the network
            tuned = finetune(base, series, steps=4, lr=lr, seed=0)
            assert float(loss(tuned(*inputs), target)) <= before + 1e-6


def test_horizons_beyond_one_block_roll_out(data: pd.DataFrame) -> None:
    model = Pretrained().fit(data)
    block = model.net_.cfg.horizon
    long = model.predict(block + 30)
    short = model.predict(block)
    assert np.isfinite(long["Pretrained"]).all()
    head = long.groupby("unique_id").head(block).reset_index(drop=True)
    np.testing.assert_allclose(head["Pretrained"], short["Pretrained"])
    with pytest.raises(ConfigError, match="at most"):
        model.predict(block * 16 + 1)


def test_one_series_many_series_and_very_short_series() -> None:
    one = seasonal_frame(n_series=1, length=40, m=4, freq="QS")
    assert len(Pretrained().fit(one).predict(8)) == 8
    many = seasonal_frame(n_series=40, length=30, m=12)
    fc = Pretrained().fit(many).predict(5)
    assert len(fc) == 200 and np.isfinite(fc["Pretrained"]).all()
    short = seasonal_frame(n_series=2, length=10, m=12)
    fc = Pretrained().fit(short).predict(12, level=[80])
    assert len(fc) == 24 and np.isfinite(fc.iloc[:, 2:].to_numpy()).all()
    with pytest.raises(DataError, match="too short"):
        Pretrained().fit(short.groupby("unique_id").head(2))


def test_save_load_round_trip_keeps_the_fine_tuned_network(tmp_path: Path) -> None:
    short = seasonal_frame(n_series=2, length=9, m=4, freq="QS").groupby("unique_id").head(9)
    model = Pretrained(finetune=2, seed=4, finetune_lr=1e-2, alias="pt").fit(short)
    model.save(tmp_path / "m")
    loaded = load(tmp_path / "m")
    assert isinstance(loaded, Pretrained) and loaded.finetune == 2
    fc = model.predict(7, level=[90])
    pd.testing.assert_frame_equal(fc, loaded.predict(7, level=[90]))
    zero = Pretrained(alias="pt").fit(short).predict(7)
    assert not np.allclose(zero["pt"], fc["pt"])  # the saved network is the fine-tuned one


def test_a_file_naming_the_old_class_path_still_loads(tmp_path: Path) -> None:
    frame = seasonal_frame(n_series=2, length=30, m=4, freq="QS")
    model = Pretrained(alias="pt").fit(frame)
    model.save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / CONFIG).read_text())
    assert config["class"] == "gatecast.models.pretrained:Pretrained"
    config["class"] = "gatecast.pretrained.forecaster:Pretrained"  # before the move
    (tmp_path / "m" / CONFIG).write_text(json.dumps(config))
    pd.testing.assert_frame_equal(load(tmp_path / "m").predict(5), model.predict(5))


@pytest.mark.parametrize("params", [
    {"season_length": 0}, {"season_length": 10**9}, {"finetune": -1}, {"finetune": 2.5},
    {"context": 1}, {"finetune_lr": 2.0}, {"seed": -1},
])
def test_bad_sizes_are_config_errors(params: dict) -> None:
    with pytest.raises(ConfigError):
        Pretrained(**params)


def test_missing_or_bad_weights_folder_is_a_data_error(data: pd.DataFrame,
                                                       tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no pretrained weights"):
        Pretrained(weights=str(tmp_path)).fit(data)
    (tmp_path / CONFIG).write_text(json.dumps({"format": 1, "network": {"hidden_size": 10**6}}))
    (tmp_path / WEIGHTS).write_bytes(b"x")
    with pytest.raises(DataError, match="hidden_size"):
        load_weights(tmp_path)
    (tmp_path / CONFIG).write_text(json.dumps({"format": 1, "network": {"evil": 1}}))
    with pytest.raises(DataError, match="unknown network settings"):
        load_weights(tmp_path)


def test_corpus_is_reproducible_per_series_and_bounded() -> None:
    spec = CorpusSpec(n_series=60, seed=5, max_length=200)
    series = build_corpus(spec)
    assert len(series) == 60
    values, m = make_series(spec, 17)
    np.testing.assert_array_equal(values, series[17][0])
    assert m == series[17][1]
    assert all(np.isfinite(v).all() and 12 <= len(v) <= 200 for v, _ in series)
    assert len({m for _, m in series}) >= 4  # several frequencies
    frame = corpus_frame(CorpusSpec(n_series=5, seed=5))
    assert list(frame.columns) == ["unique_id", "ds", "y", "season_length"]
    assert frame["unique_id"].nunique() == 5
    assert RECIPE_CORPUS.n_series >= 10_000
    with pytest.raises(ConfigError):
        CorpusSpec(weights=(1.0, 0.0))


def test_window_fingerprints_find_a_rescaled_copy() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=100).cumsum()
    prints = window_fingerprints(x)
    assert len(prints) == 100 - 24 + 1
    assert window_fingerprints(3 * x[10:50] + 7) <= prints
    assert not window_fingerprints(rng.normal(size=40)) & prints
    assert len(window_fingerprints(x[:10])) == 1  # shorter than the width: one hash


def test_tiny_pretraining_is_reproducible_and_loads(tmp_path: Path) -> None:
    series = build_corpus(CorpusSpec(n_series=30, seed=1, max_length=120))
    cfg = PretrainConfig(steps=4, epochs=2, batch_size=16, seed=3)
    net, history = pretrain(series, cfg, TINY_NET)
    again, _ = pretrain(series, cfg, TINY_NET)
    digest = save_weights(net, tmp_path / "w")
    assert digest == save_weights(again, tmp_path / "w2")
    assert len(history) == 2 and np.isfinite(history["train_loss"]).all()
    other, _ = pretrain(series, PretrainConfig(steps=4, epochs=2, batch_size=16, seed=4),
                        TINY_NET)
    assert save_weights(other, tmp_path / "w3") != digest
    fc = Pretrained(weights=str(tmp_path / "w")).fit(seasonal_frame(2, 30)).predict(20)
    assert len(fc) == 40 and np.isfinite(fc["Pretrained"]).all()  # 20 > horizon 8: rollout


def test_an_ensemble_averages_its_members_and_round_trips(tmp_path: Path) -> None:
    torch.manual_seed(0)
    nets = [PretrainedNet(TINY_NET) for _ in range(3)]
    for net in nets:  # untrained heads start near zero: make the members differ visibly
        with torch.no_grad():
            net.head[-1].weight.normal_(0, 0.5)
    ens = PretrainedEnsemble.of(nets)
    y = torch.randn(4, 20).cumsum(1) + 10
    mask, m = torch.ones(4, 20), torch.tensor([1, 4, 12, 7])
    outs = [net(y, mask, m) for net in nets]
    pred, loc, scale = ens(y, mask, m)
    torch.testing.assert_close(pred, torch.stack([o[0] for o in outs]).mean(0))
    torch.testing.assert_close(loc, outs[0][1])
    torch.testing.assert_close(scale, outs[0][2])
    assert (pred.diff(dim=-1) >= 0).all()  # averaged quantiles stay ordered
    digest = save_weights(ens, tmp_path / "w")
    back = load_weights(tmp_path / "w")
    assert count_members(back) == 3 and weights_hash(back.state_dict()) == digest
    frame = seasonal_frame(2, 30)
    model = Pretrained(weights=str(tmp_path / "w"), alias="e").fit(frame)
    model.save(tmp_path / "m")
    pd.testing.assert_frame_equal(model.predict(10, level=[80]),
                                  load(tmp_path / "m").predict(10, level=[80]))
    single = Pretrained(weights=str(tmp_path / "w"), alias="e").fit(frame)
    single.net_ = nets[0]
    assert not np.allclose(single.predict(10)["e"], model.predict(10)["e"])


@pytest.mark.parametrize("members", [0, 17, 2.5, "3", True])
def test_a_bad_member_count_is_a_data_error(tmp_path: Path, members: object) -> None:
    save_weights(PretrainedEnsemble(TINY_NET, 2), tmp_path)
    config = json.loads((tmp_path / CONFIG).read_text())
    (tmp_path / CONFIG).write_text(json.dumps({**config, "members": members}))
    with pytest.raises(DataError, match="members"):
        load_weights(tmp_path)


def test_ensemble_members_must_share_one_shape() -> None:
    other = NetConfig(hidden_size=4, head_hidden=16, horizon=8, max_context=32)
    with pytest.raises(ConfigError, match="same network settings"):
        PretrainedEnsemble.of([PretrainedNet(TINY_NET), PretrainedNet(other)])


def test_an_interrupted_pretraining_resumes_to_the_uninterrupted_weights(tmp_path: Path
                                                                         ) -> None:
    series = build_corpus(CorpusSpec(n_series=20, seed=2, max_length=100))
    cfg = PretrainConfig(steps=6, epochs=3, batch_size=8, seed=1)
    whole, _ = pretrain(series, cfg, TINY_NET)

    class Stop(Exception):
        pass

    def stop_after_first(record: dict[str, float]) -> None:
        if record["epoch"] >= 0:  # epochs count from 0
            raise Stop

    ckpt = PretrainConfig(steps=6, epochs=3, batch_size=8, seed=1,
                          checkpoint_dir=str(tmp_path / "ckpt"))
    with pytest.raises(Stop):
        pretrain(series, ckpt, TINY_NET, on_epoch=stop_after_first)
    assert any((tmp_path / "ckpt").iterdir())
    seen: list[float] = []
    resumed, history = pretrain(series, PretrainConfig(**{**ckpt.__dict__, "resume": True}),
                                TINY_NET, on_epoch=lambda r: seen.append(r["epoch"]))
    assert len(history) == 3 and seen == [1, 2]  # epoch 0 came from the checkpoint
    assert weights_hash(resumed.state_dict()) == weights_hash(whole.state_dict())


def test_frame_series_reads_a_long_frame() -> None:
    frame = pd.DataFrame({"unique_id": ["b", "a", "a", "b"], "ds": [2, 2, 1, 1],
                          "y": [4.0, 2.0, 1.0, 3.0], "season_length": [4, 12, 12, 4]})
    out = frame_series(frame)
    assert [(v.tolist(), m) for v, m in out] == [([1.0, 2.0], 12), ([3.0, 4.0], 4)]
    with pytest.raises(ConfigError, match="--season-length"):
        frame_series(frame.drop(columns="season_length"))
    assert [m for _, m in frame_series(frame.drop(columns="season_length"), 7)] == [7, 7]


def test_cli_pretrain_then_forecast_with_the_weights(tmp_path: Path, capsys) -> None:
    corpus = seasonal_frame(n_series=4, length=48, m=12)
    path = tmp_path / "corpus.csv"
    corpus.to_csv(path, index=False)
    out = tmp_path / "weights"
    code = main(["--quiet", "pretrain", str(path), "--output", str(out), "--steps", "3",
                 "--epochs", "1", "--batch-size", "8", "--season-length", "12",
                 "--synthetic", "10", "--hidden-size", "8", "--max-context", "32"])
    assert code == 0, capsys.readouterr().err
    assert (out / CONFIG).is_file() and (out / WEIGHTS).is_file()
    fc_path = tmp_path / "fc.csv"
    code = main(["--quiet", "forecast", str(path), "--model", "pretrained", "--h", "6",
                 "--param", f"weights='{out}'", "--output", str(fc_path)])
    assert code == 0, capsys.readouterr().err
    assert len(pd.read_csv(fc_path)) == 4 * 6
    # no season_length column and no --season-length: a clear error, exit 2
    code = main(["--quiet", "pretrain", str(path), "--output", str(tmp_path / "x")])
    assert code == 2
    assert "--season-length" in capsys.readouterr().err


def test_forward_reads_new_points_with_the_fitted_network(data: pd.DataFrame) -> None:
    model = Pretrained().fit(data)
    pd.testing.assert_frame_equal(model.forward(data, 6, level=[80]),
                                  model.predict(6, level=[80]))
    shorter = data.groupby("unique_id").head(50)
    # zero-shot: the forward forecast is a fresh fit's on the shorter data
    pd.testing.assert_frame_equal(model.forward(shorter, 6), Pretrained().fit(shorter)
                                  .predict(6))
    assert model.contexts_[0].size == 60     # the fitted model is unchanged
    # fine-tuned: the tuned network reads the new points (no second fine-tuning)
    short = seasonal_frame(n_series=3, length=9, m=4, freq="QS").groupby("unique_id").head(9)
    tuned = Pretrained(finetune=3, seed=0, finetune_lr=1e-2).fit(short)
    eight = short.groupby("unique_id").head(8)
    expected = Pretrained().fit(eight)
    expected.net_ = tuned.net_
    pd.testing.assert_frame_equal(tuned.forward(eight, 6), expected.predict(6))
    assert not np.allclose(tuned.forward(eight, 6)["Pretrained"],
                           Pretrained().fit(eight).predict(6)["Pretrained"])
    with pytest.raises(DataError):
        model.forward(data[data["unique_id"] != data["unique_id"].iloc[0]], 6)


def test_backtests_no_longer_refit_it_between_folds(data: pd.DataFrame) -> None:
    once = gc.backtest(Pretrained(), data, 6, n_windows=3, refit=False)
    every = gc.backtest(Pretrained(), data, 6, n_windows=3, refit=True)
    pd.testing.assert_frame_equal(once.forecasts, every.forecasts)   # zero-shot: the same
    assert len(once.timings.query("fit_seconds > 0")) == 1
