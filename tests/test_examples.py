"""The example scripts, run in reduced size (``--small``), still show what their tutorials
claim: the differenced LSTM beats naive on the sales series, nothing beats the random walk
on prices, one period of look-back gets the noisy sine to its noise floor. The full-size
figures are in examples/README.md."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name: str, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GATECAST_EXAMPLES_SMALL": "1"}
    proc = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), *args],
                          capture_output=True, text=True, timeout=600, check=False, env=env,
                          cwd=EXAMPLES.parent)
    assert proc.returncode == expect, proc.stderr[-2000:]
    return proc


def row(stdout: str, label: str) -> list[str]:
    """The cells of the table row starting with ``label``."""
    line = next(ln for ln in stdout.splitlines() if ln.startswith(label))
    return re.split(r"\s{2,}", line[len(label):].strip())


def number(stdout: str, label: str, column: int) -> float:
    return float(row(stdout, label)[column])


def test_sales_differencing(tmp_path: Path) -> None:
    out = run_example("sales_differencing", "--output", str(tmp_path)).stdout
    assert row(out, "tutorial LSTM (reported)")[0] == "2521.30"
    assert row(out, "tutorial best ARIMA (reported)")[0] == "4401.02"
    # The baselines are deterministic: the mission's naive 3145 and drift 2285 reproduce.
    assert row(out, "naive (last value)")[:2] == ["3145.39", "1125.10"]
    assert row(out, "drift, slope of the first 35")[:2] == ["2284.85", "137.12"]
    naive = number(out, "naive (last value)", 0)
    diff = number(out, "gatecast LSTM on differences", 0)
    levels = number(out, "gatecast LSTM on levels", 0)
    # The tutorial's claim: on differences the LSTM beats naive over the 41 points; the same
    # network on levels does not.
    assert diff < naive < levels
    # The README's warning: on the 10 unseen points drift and ARIMA are far ahead of it.
    diff_test = number(out, "gatecast LSTM on differences", 1)
    assert diff_test > number(out, "gatecast AutoARIMA", 1)
    assert diff_test > number(out, "drift, slope of the first 35", 1)
    # examples/README.md quotes the deterministic rows as the script prints them today.
    readme = (EXAMPLES / "README.md").read_text()
    for label, quoted in (("naive (last value)", "| naive |"),
                          ("gatecast AutoARIMA", "| gatecast AutoARIMA"),
                          ("drift, slope of the first 35", "| drift (slope of the first 35")):
        line = next(ln for ln in readme.splitlines() if ln.startswith(quoted))
        assert " | ".join(row(out, label)[:2]) in line, (label, line)
    assert (tmp_path / "sales_forecast.png").stat().st_size > 5000
    assert (tmp_path / "sales_loss.png").stat().st_size > 5000


def test_noisy_sine(tmp_path: Path) -> None:
    out = run_example("noisy_sine", "--output", str(tmp_path)).stdout
    assert row(out, "tutorial (reported)")[1] == "0.5000"
    floor = number(out, "true sine, no noise (floor)", 1)
    naive = number(out, "naive (last value)", 1)
    tutorial = number(out, "gatecast, tutorial set-up", 1)
    ours = number(out, "gatecast LSTM, look-back 63", 1)
    assert 0.4 < floor < 0.6 and naive > 0.65  # naive's error is the noise twice over
    # A look-back of one value cannot tell rising from falling; one period gets within 3 %
    # of the noise floor and beats both naive and the tutorial's set-up.
    assert ours <= 1.03 * 0.5
    assert ours < tutorial < naive
    assert "from the floor 0.5" in out
    assert (tmp_path / "sine_forecast.png").stat().st_size > 5000


def test_stock_random_walk(tmp_path: Path) -> None:
    out = run_example("stock_random_walk", "--output", str(tmp_path)).stdout
    assert row(out, "tutorial (reported)")[:3] == ["n/a", "n/a", "n/a"]
    assert row(out, "naive = random walk")[2] == "0.0000"  # skill of naive against itself
    tutorial = number(out, "gatecast, tutorial set-up", 2)
    changes = number(out, "gatecast LSTM on changes", 2)
    # Nothing beats the random walk on prices: neither LSTM has positive skill; predicting
    # changes comes closer to it than the tutorial's min-max-scaled prices.
    assert tutorial < changes < 0
    assert number(out, "gatecast, tutorial set-up", 0) > number(out, "naive = random walk", 0)
    assert (tmp_path / "stock_forecast.png").stat().st_size > 5000
    assert (tmp_path / "stock_loss.png").stat().st_size > 5000


MNIST = EXAMPLES.parents[1] / "shared" / "data" / "mnist"  # the script's default --data


@pytest.mark.skipif(not MNIST.is_dir(), reason="MNIST digits not found beside the repository")
def test_mnist_rows(tmp_path: Path) -> None:
    out = run_example("mnist_rows", "--data", str(MNIST), "--output", str(tmp_path)).stdout
    tutorial = number(out, "gatecast, tutorial set-up", 0)
    tuned = number(out, "gatecast LSTM, tuned", 0)
    majority = number(out, "majority class", 0)
    # Read row by row, the digits are learnt far above chance, and the tuned settings beat
    # the tutorial's even at this size (1,000 digits, a few epochs).
    assert majority < 0.2 < tutorial < tuned
    assert (tmp_path / "mnist_loss.png").stat().st_size > 5000


def test_mnist_rows_without_data_says_where(tmp_path: Path) -> None:
    proc = run_example("mnist_rows", "--data", str(tmp_path / "none"), "--output",
                       str(tmp_path / "out"), expect=2)
    assert proc.stderr.count("\n") == 1 and "--data" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", ["sales_differencing", "noisy_sine", "stock_random_walk",
                                  "mnist_rows"])
def test_examples_explain_how_to_run(name: str) -> None:
    text = (EXAMPLES / f"{name}.py").read_text()
    assert re.search(rf"python examples/{name}\.py( --data DIR)? --small", text)
    assert name in (EXAMPLES / "README.md").read_text()
