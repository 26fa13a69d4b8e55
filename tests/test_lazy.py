"""A directory of Parquet files, read lazily partition by partition, gives the in-memory
forecasts; every bad input names its file and series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gatecast.cli.main import main
from gatecast.data.lazy import scan_parquet
from gatecast.errors import DataError
from gatecast.evaluation.forecast import forecast
from gatecast.models.baselines import Naive, SeasonalNaive
from gatecast.models.recurrent import LSTM
from gatecast.models.smoothing import ETS
from gatecast.training.config import TrainerConfig
from helpers import seasonal_frame

H = 6


@pytest.fixture
def frame() -> pd.DataFrame:
    return seasonal_frame(n_series=7, length=40)


def in_memory(models: list, df: pd.DataFrame) -> pd.DataFrame:
    out = None
    for model in models:
        fc = model.clone().fit(df).predict(H)
        out = fc if out is None else out.merge(fc, on=["unique_id", "ds"])
    return out


def write_files(df: pd.DataFrame, root: Path) -> Path:
    """Two series per file, except 's3', whose rows are split over two files."""
    root.mkdir()
    ids = sorted(df["unique_id"].unique())
    for k in range(0, len(ids), 2):
        part = df[df["unique_id"].isin(ids[k:k + 2])]
        if "s3" in ids[k:k + 2]:
            s3 = part["unique_id"] == "s3"
            half = part[s3].index[len(part[s3]) // 2]
            part[~s3 | (part.index < half)].to_parquet(root / f"f{k}a.parquet", index=False)
            part[s3 & (part.index >= half)].to_parquet(root / f"f{k}b.parquet", index=False)
        else:
            part.to_parquet(root / f"f{k}.parquet", index=False)
    (root / "_SUCCESS").write_text("")  # side files are ignored
    return root


def test_directory_equals_in_memory_and_writes_parts(frame, tmp_path) -> None:
    root = write_files(frame, tmp_path / "in")
    plan = scan_parquet(root, series_per_partition=2)
    assert plan.n_series == 7 and plan.n_rows == len(frame)
    holding_s3 = next(p for p in plan.partitions if "s3" in p.ids)
    assert len(holding_s3.files) == 2  # the two files sharing 's3' stay together
    assert max(p.ids.size for p in plan.partitions) <= 2
    models = [Naive(alias="naive"), SeasonalNaive(season_length=12, alias="snaive"),
              ETS(season_length=12, alias="ets")]
    expected = in_memory(models, frame)
    run = forecast(models, root, H, series_per_partition=2)
    assert len(run.partitions) == len(plan.partitions) and run.partitions["series"].max() <= 2
    pd.testing.assert_frame_equal(run.forecasts, expected, check_exact=True)
    out = forecast(models, root, H, output=tmp_path / "out", series_per_partition=3)
    assert out.forecasts is None and len(list((tmp_path / "out").glob("part-*.parquet"))) == 3
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out"), expected,
                                  check_exact=True)


def test_hive_layout_reads_ids_from_folders(frame, tmp_path) -> None:
    pq.write_to_dataset(pa.Table.from_pandas(frame, preserve_index=False),
                        tmp_path / "hive", partition_cols=["unique_id"])
    plan = scan_parquet(tmp_path / "hive", series_per_partition=3)
    assert [list(p.ids) for p in plan.partitions] == [["s0", "s1", "s2"], ["s3", "s4", "s5"],
                                                     ["s6"]]
    model = SeasonalNaive(season_length=12)
    pd.testing.assert_frame_equal(forecast(model, tmp_path / "hive", H).forecasts,
                                  in_memory([model], frame), check_exact=True)


def test_unfitted_global_model_trains_on_a_sample(frame, tmp_path) -> None:
    root = write_files(frame, tmp_path / "in")
    lstm = LSTM(horizon=H, season_length=12, hidden_size=8, head_hidden=8, max_steps=5,
                trainer=TrainerConfig(batch_size=32, device="cpu"))
    run = forecast(lstm, root, H, train_series=3, series_per_partition=2, seed=1)
    assert 3 <= len(lstm.series_) < 7  # trained on whole partitions until >= 3 series
    fc = run.forecasts
    assert sorted(fc["unique_id"].unique()) == [f"s{i}" for i in range(7)]
    assert np.isfinite(fc["lstm"]).all() and len(fc) == 7 * H


def test_corrupt_file_and_missing_column_name_the_file(frame, tmp_path) -> None:
    root = write_files(frame, tmp_path / "in")
    (root / "zz-bad.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match=r"cannot read Parquet file .*zz-bad\.parquet"):
        scan_parquet(root)
    (root / "zz-bad.parquet").unlink()
    frame.drop(columns="y").head(3).to_parquet(root / "zz-noy.parquet")
    with pytest.raises(DataError, match=r"zz-noy\.parquet has no column\(s\) \['y'\]"):
        scan_parquet(root)


def test_validation_error_names_series_and_file(frame, tmp_path) -> None:
    root = write_files(frame, tmp_path / "in")
    bad = pd.read_parquet(root / "f4.parquet")
    bad.loc[bad["unique_id"] == "s5", "y"] = np.nan  # s4 and s5 live in f4.parquet
    bad.to_parquet(root / "f4.parquet", index=False)
    with pytest.raises(DataError, match=r"series 's5' has .*missing.*\(in .*f4\.parquet\)"):
        forecast(Naive(), root, H, series_per_partition=2)


def test_series_missing_from_its_partition(frame, tmp_path) -> None:
    root = write_files(frame, tmp_path / "in")
    plan = scan_parquet(root, series_per_partition=2)
    f0 = pd.read_parquet(root / "f0.parquet")
    f0[f0["unique_id"] != "s1"].to_parquet(root / "f0.parquet", index=False)  # s1 vanishes
    with pytest.raises(DataError, match=r"series 's1' planned for partition 0 are missing"
                                        r" from it \(files .*f0\.parquet\)"):
        plan.read(0)


def test_cli_forecast_from_a_directory(frame, tmp_path, capsys) -> None:
    root = write_files(frame, tmp_path / "in")
    out = tmp_path / "fc"
    code = main(["--quiet", "forecast", str(root), "--model", "snaive", "--h", str(H),
                 "--season-length", "12", "--output", str(out)])
    assert code == 0, capsys.readouterr().err
    expected = in_memory([SeasonalNaive(season_length=12, alias="snaive")], frame)
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected, check_exact=True)
