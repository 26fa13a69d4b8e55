"""Outputs never overwrite inputs, are checked before any work and are written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

import gatecast.cli.main as cli
from gatecast.errors import ConfigError
from gatecast.io.paths import atomic_write, check_output, write_frame


def run(capsys, *argv: str) -> tuple[int, str]:
    code = cli.main(["--quiet", *argv])
    return code, capsys.readouterr().err


@pytest.fixture
def csv(tmp_path: Path, monthly: pd.DataFrame) -> Path:
    path = tmp_path / "data.csv"
    monthly.to_csv(path, index=False)
    return path


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the data is the first step of every command's work: make it an internal error,
    so exit 2 proves the output was refused before it."""
    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the work started before the output was checked")
    monkeypatch.setattr(cli, "load_data", fail)


@pytest.mark.parametrize("link", ["same", "symlink", "hardlink", "dotted"])
def test_output_equal_to_input_exits_2_and_keeps_the_input(capsys, csv: Path, tmp_path: Path,
                                                           link: str) -> None:
    before = csv.read_bytes()
    target = {"same": csv, "symlink": tmp_path / "link.csv", "hardlink": tmp_path / "hard.csv",
              "dotted": tmp_path / "." / "sub" / ".." / "data.csv"}[link]
    (tmp_path / "sub").mkdir()
    if link == "symlink":
        target.symlink_to(csv)
    elif link == "hardlink":
        os.link(csv, target)
    code, err = run(capsys, "forecast", str(csv), "--model", "naive", "--h", "3",
                    "--output", str(target))
    assert code == 2, err
    assert "input" in err or "not a regular file" in err
    assert csv.read_bytes() == before


@pytest.mark.parametrize("option", ["--future", "--static"])
def test_output_equal_to_a_covariate_input_exits_2(capsys, csv: Path, tmp_path: Path,
                                                   option: str) -> None:
    other = tmp_path / "cov.csv"
    other.write_text("unique_id,ds,x\n")
    code, err = run(capsys, "forecast", str(csv), "--model", "naive", "--h", "3", option,
                    str(other), "--output", str(other))
    assert code == 2 and "input" in err
    assert other.read_text() == "unique_id,ds,x\n"


def test_save_onto_the_input_and_plot_onto_the_input_exit_2(capsys, csv: Path) -> None:
    before = csv.read_bytes()
    code, err = run(capsys, "forecast", str(csv), "--model", "naive", "--h", "3",
                    "--output", str(csv.with_name("fc.csv")), "--save", str(csv))
    assert code == 2 and "--save" in err
    assert csv.read_bytes() == before
    assert not csv.with_name("fc.csv").exists()


def test_unknown_suffix_is_refused_not_written_as_csv(capsys, csv: Path, no_work) -> None:
    out = csv.with_name("fc.xlsx")
    code, err = run(capsys, "forecast", str(csv), "--model", "naive", "--h", "3",
                    "--output", str(out))
    assert code == 2 and ".xlsx" in err
    assert not out.exists()


@pytest.mark.parametrize("argv", [
    ["compare", "--models", "naive", "--report", "/proc/x/report.html"],
    ["compare", "--models", "naive", "--output", "/proc/board.csv"],
    ["backtest", "--models", "naive", "--output", "/proc/folds.csv"],
    ["forecast", "--model", "naive", "--output", "/proc/fc.csv"],
    ["forecast", "--model", "naive", "--plot", "/proc/fc.png"],
    ["report", "--models", "naive", "--output", "/proc/r.html"],
    ["diagnose", "--output", "/proc/diag"],
])
def test_unwritable_outputs_fail_before_any_work(capsys, csv: Path, no_work,
                                                 argv: list[str]) -> None:
    code, err = run(capsys, argv[0], str(csv), *argv[1:], "--h", "3")
    assert code == 2, err
    assert "/proc" in err and "the work started" not in err


def test_output_folder_that_is_a_file_or_the_input_exits_2(capsys, tmp_path: Path,
                                                            csv: Path, no_work) -> None:
    code, err = run(capsys, "diagnose", str(csv), "--output", str(csv))
    assert code == 2 and "not a folder" in err
    data_dir = tmp_path / "dataset"
    data_dir.mkdir()
    code, err = run(capsys, "forecast", str(data_dir), "--model", "naive", "--h", "3",
                    "--output", str(data_dir))
    assert code == 2 and "input" in err


def test_a_failure_while_writing_leaves_no_partial_file(tmp_path: Path) -> None:
    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("unique_id,ds\ns0,20")
        raise OSError("disk full")

    new = tmp_path / "new.csv"
    with pytest.raises(OSError, match="disk full"):
        atomic_write(new, half_then_fail)
    assert not new.exists()
    old = tmp_path / "old.csv"
    old.write_text("complete\n")
    with pytest.raises(OSError, match="disk full"):
        atomic_write(old, half_then_fail)
    assert old.read_text() == "complete\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.csv"]


def test_a_frame_that_fails_to_serialise_leaves_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "fc.parquet"
    write_frame(pd.DataFrame({"a": [1, 2]}), out)
    before = out.read_bytes()
    with pytest.raises(Exception):  # noqa: B017 - pyarrow's own error type
        write_frame(pd.DataFrame({"a": [object(), 1]}), out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fc.parquet"]


def test_check_output_rules(tmp_path: Path) -> None:
    assert check_output(tmp_path / "new" / "fc.csv") == tmp_path / "new" / "fc.csv"
    assert not (tmp_path / "new").exists()  # checking creates nothing
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(ConfigError, match="not a regular file"):
        check_output(tmp_path / "folder.csv")
    with pytest.raises(ConfigError, match="must end in"):
        check_output(tmp_path / "fc.xlsx")
