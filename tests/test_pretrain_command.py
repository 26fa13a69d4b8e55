"""``gatecast pretrain``: ensembles of members, resuming, refusing other runs' checkpoints,
bounds, a folder of Parquet files, and DDP (tiny networks, a few steps)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gatecast.cli.main import main
from gatecast.errors import ConfigError
from gatecast.models.pretrained import Pretrained
from gatecast.pretrained.corpus import CorpusSpec
from gatecast.pretrained.job import PretrainJob, run_job
from gatecast.pretrained.network import NetConfig
from gatecast.pretrained.store import CONFIG, load_weights, weights_hash
from gatecast.pretrained.train import PretrainConfig
from helpers import seasonal_frame

TINY = ["--steps", "6", "--epochs", "3", "--batch-size", "8", "--season-length", "12",
        "--synthetic", "10", "--hidden-size", "8", "--max-context", "32"]


class Stop(Exception):
    pass


def stop_in_member_1(line: str) -> None:
    """Interrupt after member 1's first epoch (its first checkpoint is written)."""
    if line.startswith("seed 1 epoch 0 "):
        raise Stop


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "corpus.csv"
    seasonal_frame(n_series=4, length=48, m=12).to_csv(path, index=False)
    return path


def pretrain(corpus: Path, out: Path, *extra: str) -> dict:
    code = main(["--quiet", "pretrain", str(corpus), "--output", str(out), *TINY, *extra])
    assert code == 0
    return json.loads((out / CONFIG).read_text())


def job(corpus: Path, out: Path, resume: bool = False, **net: object) -> PretrainJob:
    return PretrainJob(corpus=str(corpus), output=str(out), season_length=12, synthetic=10,
                       members=2, net=NetConfig(hidden_size=8, max_context=32, **net),
                       train=PretrainConfig(steps=6, epochs=3, batch_size=8, resume=resume))


@pytest.fixture(scope="module")
def ensemble(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("ensemble") / "w"
    return out, pretrain(corpus, out, "--members", "2")


def test_members_write_an_ensemble_that_forecasts(corpus: Path, ensemble: tuple[Path, dict],
                                                  tmp_path: Path) -> None:
    out, config = ensemble
    assert config["members"] == 2
    assert [m["seed"] for m in config["meta"]["members"]] == [0, 1]
    # member 0 is the single network of the same seed (the synthetic series follow --seed)
    single = pretrain(corpus, tmp_path / "one")
    assert single["members"] == 1 and single["sha256"] == config["meta"]["members"][0]["sha256"]
    assert config["meta"]["members"][1]["sha256"] != single["sha256"]
    fc = Pretrained(weights=str(out)).fit(seasonal_frame(2, 30)).predict(6)
    assert len(fc) == 12 and np.isfinite(fc["Pretrained"]).all()


def test_an_interrupted_run_resumes_to_the_uninterrupted_weights(
        corpus: Path, ensemble: tuple[Path, dict], tmp_path: Path) -> None:
    out = tmp_path / "w"
    with pytest.raises(Stop):
        run_job(job(corpus, out), log=stop_in_member_1)
    assert not (out / CONFIG).exists() and (out / "checkpoints/member-1/last.pt").is_file()
    lines: list[str] = []
    done = run_job(job(corpus, out, resume=True), log=lines.append)
    assert done["sha256"] == ensemble[1]["sha256"]
    assert any(line.startswith("member seed 0: read from") for line in lines)
    assert [line.split()[3] for line in lines if line.startswith("seed 1 epoch")] == ["1", "2"]
    # the command's --resume on a finished run reads both members
    assert pretrain(corpus, out, "--members", "2", "--resume")["sha256"] == done["sha256"]


def test_a_checkpoint_of_another_member_or_run_is_refused(corpus: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture
                                                          ) -> None:
    out = tmp_path / "w"
    with pytest.raises(Stop):
        run_job(job(corpus, out), log=stop_in_member_1)
    ckpt = out / "checkpoints"
    # a network setting that keeps every shape (the trainer's fingerprint cannot see it)
    with pytest.raises(ConfigError, match="belongs to another run"):
        run_job(job(corpus, out, resume=True, skip="none"))
    # another corpus: the finished member 0 is not read, and its checkpoint is refused
    code = main(["--quiet", "pretrain", str(corpus), "--output", str(out), *TINY,
                 "--synthetic", "11", "--members", "2", "--resume"])
    err = capsys.readouterr().err
    assert code == 2 and "belongs to another run" in err and err.strip().count("\n") == 0
    # member 1's checkpoint put in member 0's place
    shutil.rmtree(ckpt / "member-0")
    shutil.copytree(ckpt / "member-1", ckpt / "member-0")
    with pytest.raises(ConfigError, match="member-0"):
        run_job(job(corpus, out, resume=True))
    # without --resume the checkpoints are not read: a fresh run
    assert run_job(job(corpus, out))["sha256"]


@pytest.mark.parametrize("option, value", [
    ("--members", "0"), ("--members", "17"), ("--processes", "0"), ("--processes", "65"),
    ("--steps", "0"), ("--batch-size", "0"), ("--batch-size", "100000"), ("--threads", "0")])
def test_bad_sizes_are_one_line_exit_2(corpus: Path, tmp_path: Path, option: str, value: str,
                                       capsys: pytest.CaptureFixture) -> None:
    code = main(["--quiet", "pretrain", str(corpus), "--output", str(tmp_path / "w"),
                 *TINY, option, value])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error:") and err.strip().count("\n") == 0
    assert option.lstrip("-").replace("-", "_") in err.replace("-", "_")
    assert not (tmp_path / "w").exists()


def test_a_folder_of_parquet_files_is_the_same_corpus(corpus: Path, ensemble: tuple[Path, dict],
                                                      tmp_path: Path) -> None:
    frame = pd.read_csv(corpus, parse_dates=["ds"])
    folder = tmp_path / "parts"
    folder.mkdir()
    for k, ids in enumerate((["s0", "s1"], ["s2", "s3"])):
        frame[frame["unique_id"].isin(ids)].to_parquet(folder / f"part-{k}.parquet")
    config = pretrain(folder, tmp_path / "w", "--members", "2")
    assert config["sha256"] == ensemble[1]["sha256"]


@pytest.mark.slow  # two runs of two spawned processes, each importing gatecast
def test_ddp_two_processes_are_reproducible_and_forecast(corpus: Path, tmp_path: Path) -> None:
    runs = [pretrain(corpus, tmp_path / f"w{k}", "--processes", "2", "--steps", "4",
                     "--epochs", "2") for k in range(2)]
    assert runs[0]["sha256"] == runs[1]["sha256"] and runs[0]["meta"]["processes"] == 2
    one = pretrain(corpus, tmp_path / "p1", "--steps", "4", "--epochs", "2")
    assert one["sha256"] != runs[0]["sha256"]  # other batches: other weights
    net = load_weights(tmp_path / "w0")
    assert weights_hash(net.state_dict()) == runs[0]["sha256"]
    fc = Pretrained(weights=str(tmp_path / "w0")).fit(seasonal_frame(2, 30)).predict(6)
    assert len(fc) == 12 and np.isfinite(fc["Pretrained"]).all()


def test_whole_floats_in_the_configs_are_kept_as_ints(corpus: Path, ensemble: tuple[Path, dict],
                                                      tmp_path: Path) -> None:
    """``steps=6.0`` passes the whole-number check; each config keeps the int, so a job
    built from floats trains exactly as one built from ints (the same weights)."""
    net = NetConfig(hidden_size=8.0, num_layers=1.0, head_hidden=256.0, horizon=64.0,
                    max_context=32.0)
    train = PretrainConfig(steps=6.0, epochs=3.0, batch_size=8.0, min_context=8.0, seed=0.0)
    spec = CorpusSpec(n_series=10.0, seed=0.0, min_length=12.0, max_length=1024.0)
    floats = PretrainJob(corpus=str(corpus), output=str(tmp_path / "w"), season_length=12.0,
                         synthetic=10.0, members=2.0, processes=1.0, threads=1.0, net=net,
                         train=train)
    kept = {net: ("hidden_size", "num_layers", "head_hidden", "horizon", "max_context"),
            train: ("steps", "epochs", "batch_size", "min_context", "seed"),
            spec: ("n_series", "seed", "min_length", "max_length"),
            floats: ("season_length", "synthetic", "members", "processes", "threads")}
    for config, names in kept.items():
        assert [type(getattr(config, k)) for k in names] == [int] * len(names), config
    assert run_job(floats)["sha256"] == ensemble[1]["sha256"]
