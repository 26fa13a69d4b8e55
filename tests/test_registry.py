"""One registry: model names resolve only to gatecast's models and declared plugins."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

import gatecast as gc
from gatecast import catalog
from gatecast.cli.main import main
from gatecast.errors import ConfigError
from gatecast.models.registry import MODELS, RECURRENT, make_model
from gatecast.nn import KINDS

SENTINEL = "gatecast_sentinel_module"


@pytest.fixture
def sentinel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An importable module that leaves a file behind when it is imported."""
    marker = tmp_path / "imported"
    (tmp_path / f"{SENTINEL}.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef run(*a, **k):\n    return None\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop(SENTINEL, None)
    return marker


@pytest.mark.parametrize("name", [f"{SENTINEL}:run", "code:interact", "tempfile:mkdtemp",
                                  "os:system", "gatecast.io.serialize:load",
                                  "gatecast.models.recurrent:LSTM", "builtins:eval"])
def test_module_attr_model_names_are_refused_and_import_nothing(
        capsys, monkeypatch, tmp_path: Path, monthly: pd.DataFrame, sentinel: Path,
        name: str) -> None:
    csv = tmp_path / "data.csv"
    monthly.to_csv(csv, index=False)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    had_code = "code" in sys.modules
    code = main(["--quiet", "forecast", str(csv), "--model", name, "--h", "3",
                 "--output", str(tmp_path / "fc.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: unknown model") and "lstm" in err and "naive" in err
    assert not sentinel.exists() and SENTINEL not in sys.modules
    assert ("code" in sys.modules) == had_code
    assert list(scratch.iterdir()) == []
    assert not (tmp_path / "fc.csv").exists()


def test_names_kinds_exports_come_from_one_table() -> None:
    assert RECURRENT == KINDS == tuple(e.name for e in catalog.ENTRIES if e.family == "network")
    assert set(MODELS) == {e.name for e in catalog.ENTRIES if e.name}
    for entry in catalog.ENTRIES:
        if entry.export:
            assert getattr(gc, entry.attr).__name__ == entry.attr
            assert entry.attr in gc.__all__
    assert not any(hasattr(getattr(gc, e.attr), "cli_name") for e in catalog.ENTRIES
                   if e.export)


def _fake_distribution(root: Path, entry: str, module_text: str) -> None:
    """An installed distribution 'fakeplug' declaring ``entry`` in gatecast.models."""
    dist = root / "fakeplug-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeplug\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[gatecast.models]\n{entry}\n")
    (root / "fakeplug_models.py").write_text(module_text)


PLUGIN = '''
import dataclasses
from gatecast.models.baselines import Naive

@dataclasses.dataclass(kw_only=True)
class MyForecaster(Naive):
    """A third-party model (here: the naive forecast under another name)."""

def not_a_model():
    return 1
'''


def test_entry_point_plugin_is_a_model_name(tmp_path: Path, monkeypatch, monthly) -> None:
    _fake_distribution(tmp_path, "myfc = fakeplug_models:MyForecaster", PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "myfc" in catalog.names()
    model = make_model("myfc").fit(monthly)
    assert model.name == "myfc"
    fc = model.predict(3)
    assert list(fc.columns) == ["unique_id", "ds", "myfc"]
    model.save(tmp_path / "saved")
    assert type(gc.load(tmp_path / "saved")).__name__ == "MyForecaster"


def test_entry_point_that_is_not_a_forecaster_is_a_clear_error(tmp_path: Path,
                                                                monkeypatch) -> None:
    _fake_distribution(tmp_path, "broken = fakeplug_models:not_a_model", PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match="not a forecaster class"):
        make_model("broken")


def test_builtin_names_cannot_be_shadowed_by_a_plugin(tmp_path: Path, monkeypatch) -> None:
    _fake_distribution(tmp_path, "lstm = fakeplug_models:MyForecaster", PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert catalog.model_class("lstm").__module__ == "gatecast.models.recurrent"
