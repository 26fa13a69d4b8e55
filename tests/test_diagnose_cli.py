"""``gatecast diagnose`` and the verdict warnings of ``compare``/``backtest``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gatecast.cli.main import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def walk_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 120
    df = pd.concat([
        pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2020-01-01", periods=n, freq="D"),
                      "y": 50 + np.cumsum(rng.normal(size=n))}) for uid in ("a", "b", "c")])
    path = tmp_path / "walk.csv"
    df.to_csv(path, index=False)
    return path


def test_data_diagnostics_on_bundled_data(capsys, tmp_path: Path) -> None:
    out = tmp_path / "diag"
    code, stdout, err = run(capsys, "diagnose", "--dataset", "airline", "--output", str(out))
    assert code == 0, err
    table = pd.read_csv(out / "stationarity.csv")
    assert table.loc[0, "transform"].startswith("log,diff:12")
    assert "advice" in stdout and "log,diff:12" in stdout
    assert (out / "series_acf.png").stat().st_size > 1000
    payload = json.loads((out / "diagnostics.json").read_text())
    assert payload["stationarity"][0]["D"] == 1 and "forecasts" not in payload


def test_models_on_a_user_csv(capsys, walk_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "diag"
    code, stdout, err = run(capsys, "diagnose", str(walk_csv), "--models", "drift,lstm", "--h",
                            "1", "--max-series", "2", "--param", "max_steps=5",
                            "--param", "hidden_size=8", "--insample-points", "12",
                            "--output", str(out))
    assert code == 0, err
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["series"]) == ["a", "b"]  # --max-series
    shift = pd.read_csv(out / "shift.csv").set_index("model")
    assert {"naive", "drift", "lstm"} <= set(shift.index)
    assert shift.loc["naive", "verdict"] == "persistence"
    assert shift.loc["naive", "ccf_peak_lag"] == 1
    residuals = pd.read_csv(out / "residuals.csv")
    assert {"in-sample", "backtest"} == set(residuals["source"])
    assert set(residuals.loc[residuals.source == "in-sample", "model"]) == {"drift", "lstm"}
    for name in ("cross_correlation.png", "skill.png", "residual_acf.png"):
        assert (out / name).stat().st_size > 1000
    payload = json.loads((out / "diagnostics.json").read_text())
    assert payload["forecasts"]["windows"] == 30 and payload["common_transform"] == "diff"
    assert "persistence detector" in stdout


def test_compare_warns_with_the_fix(capsys, monkeypatch, walk_csv: Path) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps to the terminal width
    code, stdout, err = run(capsys, "compare", str(walk_csv), "--models", "drift", "--h", "1",
                            "--windows", "20", "--step", "1")
    assert code == 0, err
    stdout = " ".join(stdout.split())
    assert "verdict" in stdout and "SHIFT" in stdout  # persistence, in one word (legend below)
    assert "SHIFT = last value shifted right" in stdout
    assert "warning: 'drift' mostly repeats the last observed value" in stdout
    assert "fix: difference the target" in stdout
    assert "warning: 'naive'" not in stdout  # the reference itself is not a finding


def test_backtest_json_has_the_verdicts(capsys, walk_csv: Path) -> None:
    code, stdout, _ = run(capsys, "--json", "backtest", str(walk_csv), "--models", "snaive",
                          "--h", "3", "--windows", "2", "--season-length", "7")
    assert code == 0
    rows = json.loads(stdout.strip().splitlines()[-1])["rows"]
    verdicts = {r["model"]: r["verdict"] for r in rows}
    assert set(verdicts) == {"naive", "snaive", "drift"}
    assert verdicts["naive"] == "persistence"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diagnose", "missing.csv"], "file not found"),
        (["diagnose", "{csv}", "--max-series", "0"], "--max-series"),
        (["diagnose", "{csv}", "--models", "prophet", "--h", "2"], "unknown model"),
        (["diagnose", "{csv}", "--models", "naive"], "--h"),
        (["diagnose", "{csv}", "--models", "naive", "--h", "200"], "too short"),
        (["diagnose", "--dataset", "nope"], "unknown dataset"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, walk_csv: Path, args: list[str],
                                      message: str) -> None:
    code, _, err = run(capsys, *[a.replace("{csv}", str(walk_csv)) for a in args])
    assert code == 2
    assert err.startswith("error: ") and message in err
    assert err.count("\n") == 1
