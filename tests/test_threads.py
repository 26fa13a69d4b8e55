"""Torch's threads: chosen from the work and the free cores, overridable, always restored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gatecast import threads
from gatecast.cli.common import build_models
from gatecast.cli.main import build_parser, main
from gatecast.engine.local import LocalEngine
from gatecast.errors import ConfigError
from gatecast.models.recurrent import LSTM
from gatecast.threads import (
    ENV_BUDGET,
    ENV_THREADS,
    WORK_PER_THREAD,
    Budgeted,
    cgroup_quota,
    choose_threads,
    parse_cfs,
    parse_cpu_max,
    parse_stat,
    torch_threads,
    user_threads,
)
from gatecast.training.config import TrainerConfig
from gatecast.training.trainer import train
from helpers import seasonal_frame

BIG = 100 * WORK_PER_THREAD
SMALL = WORK_PER_THREAD / 2


class Source:
    def __init__(self, n: int) -> None:
        rng = np.random.default_rng(0)
        self.x = rng.normal(size=(n, 5, 1)).astype(np.float32)
        self.y = self.x.sum(axis=1)

    def __len__(self) -> int:
        return len(self.x)

    def batch(self, idx: np.ndarray):
        return (torch.from_numpy(self.x[idx]),), torch.from_numpy(self.y[idx])


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = torch.nn.LSTM(1, 8, batch_first=True)
        self.head = torch.nn.Linear(8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.lstm(x)[0][:, -1])


def fast_cfg(**kw) -> TrainerConfig:
    return TrainerConfig(batch_size=32, device="cpu", **kw)


@pytest.mark.parametrize(("work", "cores", "busy", "workers", "override", "expected"), [
    (SMALL, 2, 0.0, 1, None, 1),          # small network: one thread even when idle
    (SMALL, 64, 0.0, 1, None, 1),
    (BIG, 2, 0.0, 1, None, 2),            # large network on an idle machine: every core
    (BIG, 2, 1.0, 1, None, 1),            # one core taken (a `while True: pass`)
    (BIG, 2, 0.6, 1, None, 1),            # a core more than half used counts as taken
    (BIG, 2, 0.4, 1, None, 2),
    (BIG, 2, 2.0, 1, None, 1),            # all taken: still one thread
    (BIG, 2, 5.0, 1, None, 1),
    (BIG, 16, 0.0, 4, None, 4),           # four workers share 16 cores
    (BIG, 16, 3.4, 4, None, 3),           # 13 free // 4 workers
    (BIG, 4, 0.0, 8, None, 1),            # more workers than cores: one each
    (3.5 * WORK_PER_THREAD, 16, 0.0, 1, None, 3),  # as many as the work pays for
    (SMALL, 2, 0.0, 1, 4, 4),             # the user's number wins
    (BIG, 2, 2.0, 2, 3, 3),
])
def test_choose_threads_table(work, cores, busy, workers, override, expected):
    assert choose_threads(work, cores, busy, workers, override) == expected


def test_default_lstm_on_short_series_is_small_work():
    # The default network of a short-series fit (LSTM(64) + 2x64 head, batch 256): the
    # case measured fastest on one thread.
    model = LSTM(season_length=1, max_steps=1).fit(seasonal_frame(n_series=3, length=30))
    assert threads.network_work(model.nets_[0], 256) < 2 * WORK_PER_THREAD


@pytest.mark.parametrize(("text", "cpus"), [
    ("max 100000\n", None), ("200000 100000\n", 2.0), ("50000 100000", 0.5),
    ("150000 100000", 1.5), ("", None),
])
def test_parse_cpu_max(text, cpus):
    assert parse_cpu_max(text) == cpus


def test_parse_cfs():
    assert parse_cfs("-1\n", "100000\n") is None
    assert parse_cfs("300000\n", "100000\n") == 3.0


def test_cgroup_quota_from_files(tmp_path: Path):
    proc = tmp_path / "cgroup"
    proc.write_text("0::/job/inner\n")
    root = tmp_path / "fs"
    assert cgroup_quota(root, proc) is None  # no cgroup files: no quota
    (root / "cpu").mkdir(parents=True)  # v1
    (root / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    (root / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_quota(root, proc) == 1.0
    (root / "cpu.max").write_text("max 100000\n")  # v2 at the root wins over v1
    assert cgroup_quota(root, proc) is None
    (root / "job" / "inner").mkdir(parents=True)  # this process's own v2 group wins
    (root / "job" / "inner" / "cpu.max").write_text("250000 100000\n")
    assert cgroup_quota(root, proc) == 2.5


def test_available_cores_takes_quota_and_budget(monkeypatch):
    monkeypatch.setattr(threads, "affinity", lambda: [0, 1, 2, 3, 4, 5, 6, 7])
    monkeypatch.setattr(threads, "cgroup_quota", lambda: None)
    monkeypatch.delenv(ENV_BUDGET, raising=False)
    assert threads.available_cores() == 8
    monkeypatch.setattr(threads, "cgroup_quota", lambda: 2.5)
    assert threads.available_cores() == 2  # whole CPUs of the quota
    monkeypatch.setattr(threads, "cgroup_quota", lambda: 0.5)
    assert threads.available_cores() == 1
    monkeypatch.setattr(threads, "cgroup_quota", lambda: None)
    monkeypatch.setenv(ENV_BUDGET, "3")
    assert threads.available_cores() == 3


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
def test_affinity_is_respected():
    one = min(os.sched_getaffinity(0))
    code = (f"import os; os.sched_setaffinity(0, {{{one}}});"
            "from gatecast import threads; print(threads.available_cores(),"
            " threads.threads_for(1e12))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop(ENV_THREADS, None)
    env.pop(ENV_BUDGET, None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    assert out == ["1", "1"]


def test_parse_stat_counts_only_the_given_cpus():
    before = ("cpu  10 0 0 10 0 0 0 0 0 0\ncpu0 0 0 0 10 0 0 0 0 0 0\n"
              "cpu1 10 0 0 0 0 0 0 0 0 0\n")
    after = ("cpu  110 0 0 110 0 0 0 0 0 0\ncpu0 0 0 0 110 0 0 0 0 0 0\n"
             "cpu1 100 10 0 0 0 0 0 0 0 0\n")  # cpu1 busy (user + nice), cpu0 idle
    b0, t0 = parse_stat(before, [0, 1])
    b1, t1 = parse_stat(after, [0, 1])
    assert (b1 - b0) / (t1 - t0) * 2 == pytest.approx(1.0)
    assert parse_stat(after, [0]) == (0, 110)


def test_busy_cores_of_a_frozen_stat_file_is_zero(tmp_path: Path):
    stat = tmp_path / "stat"
    stat.write_text("cpu0 5 0 0 5 0 0 0 0 0 0\n")
    assert threads.busy_cores([0], seconds=0.0, stat=stat) == 0.0


def test_user_threads_from_setting_and_env(monkeypatch):
    monkeypatch.delenv(ENV_THREADS, raising=False)
    assert user_threads() is None
    monkeypatch.setenv(ENV_THREADS, "3")
    assert user_threads() == 3
    assert user_threads(2) == 2  # the parameter wins over the environment
    monkeypatch.setenv(ENV_THREADS, "auto")
    assert user_threads() is None
    for bad in ("0", "two", "-1", "99999"):
        monkeypatch.setenv(ENV_THREADS, bad)
        with pytest.raises(ConfigError, match=ENV_THREADS):
            user_threads()


@pytest.mark.parametrize("bad", [0, -2, True, 1.5, "2", 10**6])
def test_trainer_config_threads_checked(bad):
    with pytest.raises(ConfigError, match="threads"):
        TrainerConfig(threads=bad)


def test_threads_for_small_work_skips_sampling(monkeypatch):
    monkeypatch.delenv(ENV_THREADS, raising=False)
    monkeypatch.delenv(ENV_BUDGET, raising=False)
    monkeypatch.setattr(threads, "available_cores", lambda: 8)

    def no_sampling(*args, **kwargs):
        raise AssertionError("sampled the CPUs for small work")

    monkeypatch.setattr(threads, "busy_cores", no_sampling)
    assert threads.threads_for(SMALL) == 1
    monkeypatch.setattr(threads, "busy_cores", lambda: 5.0)
    assert threads.threads_for(BIG) == 3  # 8 cores, 5 busy
    monkeypatch.setenv(ENV_BUDGET, "2")  # inside an engine's worker: no sampling either
    monkeypatch.setattr(threads, "busy_cores", no_sampling)
    monkeypatch.setattr(threads, "available_cores", lambda: 2)
    assert threads.threads_for(BIG) == 2


def test_torch_threads_restores_the_count():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), torch_threads(1):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == before


def test_trainer_trains_with_the_chosen_threads(monkeypatch):
    before = torch.get_num_threads()
    seen: list[int] = []
    torch.manual_seed(0)
    cfg = fast_cfg(epochs=2, threads=1)
    record = lambda _: seen.append(torch.get_num_threads())  # noqa: E731
    train(Net(), torch.nn.functional.l1_loss, Source(64), cfg, on_epoch=record)
    assert seen == [1, 1]
    assert torch.get_num_threads() == before
    monkeypatch.setattr(threads, "threads_for", lambda work, setting=None: 2)
    seen.clear()
    with torch_threads(1):
        train(Net(), torch.nn.functional.l1_loss, Source(64), fast_cfg(epochs=1),
              on_epoch=record)
        assert torch.get_num_threads() == 1
    assert seen == [2]


def test_env_override_reaches_training(monkeypatch):
    monkeypatch.setenv(ENV_THREADS, "1")
    seen: list[int] = []
    with torch_threads(2):
        train(Net(), torch.nn.functional.l1_loss, Source(64), fast_cfg(epochs=1),
              on_epoch=lambda _: seen.append(torch.get_num_threads()))
    assert seen == [1]


def test_recurrent_predict_asks_for_its_work(monkeypatch):
    df = seasonal_frame(n_series=4, length=40)
    model = LSTM(season_length=12, max_steps=2, skip="none",
                 trainer=TrainerConfig(threads=1)).fit(df)
    asked: list[tuple[float, int | None]] = []

    def spy(work: float, setting: int | None = None) -> int:
        asked.append((work, setting))
        return 1

    monkeypatch.setattr(threads, "threads_for", spy)
    model.predict(3)
    params = sum(p.numel() for p in model.nets_[0].parameters())
    assert asked == [(4.0 * params, 1)]  # 4 series in one forward pass, the model's setting


def test_forecasts_equal_with_one_and_two_threads():
    df = seasonal_frame(n_series=4, length=40)
    out = [LSTM(season_length=12, max_steps=8, hidden_size=16, skip="none",
                trainer=TrainerConfig(threads=n)).fit(df).predict(6)["lstm"].to_numpy()
           for n in (1, 2)]
    np.testing.assert_allclose(out[0], out[1], rtol=1e-5)  # summation order only


def test_budgeted_sets_and_restores_the_worker_share(monkeypatch):
    monkeypatch.delenv(ENV_BUDGET, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    before = torch.get_num_threads()
    seen = Budgeted(lambda _: (os.environ[ENV_BUDGET], os.environ["OMP_NUM_THREADS"],
                               torch.get_num_threads()), 1)(None)
    assert seen == ("1", "1", 1)
    assert ENV_BUDGET not in os.environ and os.environ["OMP_NUM_THREADS"] == "7"
    assert torch.get_num_threads() == before


def test_local_engine_workers_get_their_share(monkeypatch):
    monkeypatch.setattr(threads, "available_cores", lambda: 2)
    monkeypatch.setattr(threads, "busy_cores", lambda: 0.0)
    monkeypatch.delenv(ENV_THREADS, raising=False)
    assert threads.worker_threads(2) == 1
    assert threads.worker_threads(1) == 2
    monkeypatch.setenv(ENV_THREADS, "1")  # the spawned workers read the parent's choice
    got = LocalEngine(2).map(os.getenv, [ENV_BUDGET, "OMP_NUM_THREADS"])
    assert got == ["1", "1"]
    assert ENV_BUDGET not in os.environ


def test_cli_threads_option(capsys, tmp_path: Path):
    csv = tmp_path / "data.csv"
    seasonal_frame(n_series=2, length=30).to_csv(csv, index=False)
    args = build_parser().parse_args(["forecast", str(csv), "--model", "lstm", "--threads", "2"])
    assert build_models("lstm", 1, 3, args)[0].trainer.threads == 2
    code = main(["--quiet", "forecast", str(csv), "--model", "lstm", "--h", "3",
                 "--threads", "0"])
    err = capsys.readouterr().err
    assert code == 2 and "threads" in err and "Traceback" not in err
