"""The CLI: outputs in the documented format; bad input is one line and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gatecast.cli.main import main
from gatecast.models.registry import RECURRENT
from helpers import seasonal_frame


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def csv(tmp_path: Path, monthly: pd.DataFrame) -> Path:
    path = tmp_path / "data.csv"
    monthly.to_csv(path, index=False)
    return path


def test_forecast_writes_long_csv_with_intervals(capsys, csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "fc.csv"
    code, _, err = run(capsys, "--quiet", "forecast", str(csv), "--model", "snaive,drift",
                       "--h", "4", "--season-length", "12", "--level", "80,95",
                       "--output", str(out), "--plot", str(tmp_path / "p.png"))
    assert code == 0, err
    fc = pd.read_csv(out)
    assert list(fc.columns) == [
        "unique_id", "ds", "snaive", "snaive-lo-80", "snaive-hi-80", "snaive-lo-95",
        "snaive-hi-95", "drift", "drift-lo-80", "drift-hi-80", "drift-lo-95", "drift-hi-95"]
    assert len(fc) == 3 * 4
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_compare_json_has_baselines(capsys, csv: Path) -> None:
    code, out, _ = run(capsys, "--json", "compare", str(csv), "--models", "drift,naive2",
                       "--h", "6", "--windows", "2", "--season-length", "12")
    assert code == 0
    rows = json.loads(out.strip().splitlines()[-1])["rows"]
    assert {r["model"] for r in rows} == {"naive", "snaive", "drift", "naive2"}


def test_backtest_writes_folds(capsys, csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "folds.parquet"
    code, _, _ = run(capsys, "--quiet", "backtest", str(csv), "--models", "drift", "--h", "3",
                     "--windows", "2", "--output", str(out))
    assert code == 0
    folds = pd.read_parquet(out)
    assert {"cutoff", "y", "drift", "naive"} <= set(folds.columns)


@pytest.mark.parametrize(
    ("mutate", "args", "message"),
    [
        (None, ["forecast", "missing.csv", "--h", "3"], "file not found"),
        (lambda d: d.rename(columns={"y": "value"}), ["forecast", "{csv}", "--h", "3"],
         "missing column"),
        (lambda d: d.assign(y=d.y.where(d.index != 4)), ["forecast", "{csv}", "--h", "3"],
         "missing value"),
        (lambda d: d.iloc[:5], ["forecast", "{csv}", "--h", "3", "--model", "snaive",
                                "--season-length", "12"], "too short"),
        (None, ["forecast", "{csv}", "--h", "0"], "horizon"),
        (None, ["forecast", "{csv}", "--h", "3", "--model", "prophet"], "unknown model"),
        (None, ["compare", "{csv}", "--h", "3", "--metrics", "accuracy"], "unknown metric"),
        *[case for cmd in ("compare", "backtest") for case in (
            (None, [cmd, "missing.csv", "--h", "3"], "file not found"),
            (lambda d: d.rename(columns={"y": "value"}), [cmd, "{csv}", "--h", "3"],
             "missing column"),
            (lambda d: d.assign(y=d.y.where(d.index != 4)), [cmd, "{csv}", "--h", "3"],
             "missing value"),
            (lambda d: d.iloc[:5], [cmd, "{csv}", "--h", "3", "--models", "snaive",
                                    "--season-length", "12"], "too short"),
        )],
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, tmp_path, monthly, mutate, args, message):
    path = tmp_path / "bad.csv"
    (mutate(monthly) if mutate else monthly).to_csv(path, index=False)
    code, _, err = run(capsys, *[a.replace("{csv}", str(path)) for a in args])
    assert code == 2
    assert err.startswith("error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("command", ["forecast", "compare", "backtest"])
def test_recurrent_models_from_the_cli(capsys, csv: Path, tmp_path: Path, command: str) -> None:
    """Every recurrent model (all seven networks) through forecast, compare and backtest."""
    out = tmp_path / "out.csv"
    model_flag = "--model" if command == "forecast" else "--models"
    names = set(RECURRENT)
    code, _, err = run(capsys, "--quiet", command, str(csv), model_flag, ",".join(RECURRENT),
                       "--h", "4", "--season-length", "12", "--param", "max_steps=5",
                       "--param", "hidden_size=8", "--output", str(out), "--seed", "1")
    assert code == 0, err
    frame = pd.read_csv(out)
    if command == "forecast":
        assert names <= set(frame.columns) and len(frame) == 12
        assert frame[sorted(names)].notna().all().all()
    elif command == "compare":
        assert names | {"naive", "snaive"} <= set(frame["model"])
    else:
        assert names | {"cutoff"} <= set(frame.columns)
        assert frame[sorted(names)].notna().all().all()


def test_skip_and_look_back_ensemble_from_the_cli(capsys, csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    code, _, err = run(capsys, "--quiet", "forecast", str(csv), "--model", "lstm", "--h", "4",
                       "--season-length", "12", "--param", "max_steps=5", "--param",
                       "hidden_size=8", "--param", "skip=seasonal", "--param",
                       "look_back=(12, 24)", "--output", str(out), "--save", str(tmp_path / "m"))
    assert code == 0, err
    assert len(pd.read_csv(out)) == 12
    from gatecast.io.serialize import load

    saved = load(tmp_path / "m")
    assert saved.look_back == (12, 24) and saved.skip == "seasonal"
    assert [c.skip_period for c in saved.network_configs_] == [12, 12]
    assert [c.look_back for c in saved.network_configs_] == [12, 24]
    np.testing.assert_allclose(saved.predict(4)["lstm"], pd.read_csv(out)["lstm"], rtol=1e-6)
    code, _, err = run(capsys, "forecast", str(csv), "--model", "lstm", "--h", "4",
                       "--param", "skip=drift")
    assert code == 2 and "skip" in err


def test_param_errors(capsys, csv: Path) -> None:
    code, _, err = run(capsys, "forecast", str(csv), "--model", "naive", "--h", "3",
                       "--param", "hidden_size=8")
    assert code == 2 and "hidden_size" in err


def test_warnings_are_one_line_for_the_user(capsys, tmp_path: Path) -> None:
    """A warning reaches the terminal as ``warning: ...``, not Python's file:line form."""
    data = tmp_path / "short.csv"
    seasonal_frame(n_series=2, length=30, m=12, seed=2).to_csv(data, index=False)
    code, _, err = run(capsys, "--quiet", "forecast", str(data), "--model", "lstm", "--h",
                       "18", "--param", "max_steps=5", "--output", str(tmp_path / "fc.csv"))
    assert code == 0, err
    lines = [ln for ln in err.splitlines() if "too short for a look-back" in ln]
    assert len(lines) == 1 and lines[0].startswith("warning: lstm: the series are too short")
    assert "UserWarning" not in err and ".py:" not in err
