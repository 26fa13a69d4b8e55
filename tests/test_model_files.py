"""A tampered model file gives one ModelFileError naming the file, never a raw exception.

One small LSTM and one naive model are saved once; each row of the table changes a copy of
the folder the way an attacker or a broken disk would and must be refused by gatecast.load.
"""

from __future__ import annotations

import json
import shutil
import struct
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import load_file, save_file

import gatecast as gc
from gatecast.errors import ModelFileError
from gatecast.io.model_file import MAX_DEPTH
from gatecast.models.registry import make_model
from gatecast.training.config import TrainerConfig
from helpers import seasonal_frame

H = 3


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    data = seasonal_frame(n_series=2, length=48, seed=3)
    root = tmp_path_factory.mktemp("models")
    lstm = make_model("lstm", horizon=H, look_back=12, hidden_size=4, num_layers=1,
                      head_hidden=4, head_layers=1, max_steps=2,
                      trainer=TrainerConfig(batch_size=16)).fit(data)
    lstm.save(root / "lstm")
    make_model("naive").fit(data).save(root / "naive")
    return {"lstm": root / "lstm", "naive": root / "naive"}


def _config(folder: Path) -> dict:
    return json.loads((folder / "config.json").read_text())


def _write_config(folder: Path, config: dict) -> None:
    (folder / "config.json").write_text(json.dumps(config))


def edit(change: Callable[[dict], object]) -> Callable[[Path], None]:
    """A variant that changes the parsed config.json in place."""
    def apply(folder: Path) -> None:
        config = _config(folder)
        change(config)
        _write_config(folder, config)
    return apply


def raw(text: bytes) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / "config.json").write_bytes(text)
    return apply


def tensors(change: Callable[[dict], object]) -> Callable[[Path], None]:
    """A variant that changes the safetensors arrays and writes them back."""
    def apply(folder: Path) -> None:
        arrays = load_file(str(folder / "weights.safetensors"))
        change(arrays)
        save_file(arrays, str(folder / "weights.safetensors"))
    return apply


def _first_weight(arrays: dict) -> str:
    return next(k for k in sorted(arrays) if k.startswith("member0.") and arrays[k].ndim == 2)


def _nan(arrays: dict) -> None:
    key = _first_weight(arrays)
    arrays[key] = arrays[key].copy()
    arrays[key][0, 0] = np.nan


def _inf(arrays: dict) -> None:
    key = _first_weight(arrays)
    arrays[key] = np.full_like(arrays[key], np.inf)


def _reshape(arrays: dict) -> None:
    key = _first_weight(arrays)
    arrays[key] = np.zeros((arrays[key].shape[0] + 1, arrays[key].shape[1]), np.float32)


def _corrupt_header(folder: Path) -> None:
    blob = bytearray((folder / "weights.safetensors").read_bytes())
    blob[8:20] = b"\xff" * 12
    (folder / "weights.safetensors").write_bytes(bytes(blob))


def _huge_header(folder: Path) -> None:
    blob = (folder / "weights.safetensors").read_bytes()
    (folder / "weights.safetensors").write_bytes(struct.pack("<Q", 2**62) + blob[8:])


def _truncate_weights(folder: Path) -> None:
    blob = (folder / "weights.safetensors").read_bytes()
    (folder / "weights.safetensors").write_bytes(blob[: len(blob) // 2])


def _symlink_config(folder: Path) -> None:
    (folder / "real.json").write_text((folder / "config.json").read_text())
    (folder / "config.json").unlink()
    (folder / "config.json").symlink_to(folder / "real.json")


def _dir_config(folder: Path) -> None:
    (folder / "config.json").unlink()
    (folder / "config.json").mkdir()


def _dir_weights(folder: Path) -> None:
    (folder / "weights.safetensors").unlink()
    (folder / "weights.safetensors").mkdir()


def _pickle(folder: Path) -> None:
    (folder / "model.pkl").write_bytes(b"\x80\x04cos\nsystem\n.")


def _network(key: str, value: object) -> Callable[[dict], None]:
    def change(config: dict) -> None:
        config["fitted"]["network"][key] = value
        for net in config["fitted"]["networks"]:
            net[key] = value
    return change


def _nested(depth: int) -> bytes:
    return b'{"format": 1, "params": ' + b"[" * depth + b"]" * depth + b"}"


VARIANTS: dict[str, Callable[[Path], None]] = {
    "truncated json": lambda f: (f / "config.json").write_text(
        (f / "config.json").read_text()[:100]),
    "empty json": raw(b""),
    "json array": raw(b"[1, 2]"),
    "json string": raw(b'"lstm"'),
    "non utf-8": raw(b'{"format": 1, "class": "\xff\xfe"}'),
    "recursion bomb": raw(_nested(200_000)),
    "deep but parseable": raw(_nested(MAX_DEPTH + 5)),
    "huge int literal": raw(b'{"format": ' + b"9" * 5000 + b"}"),
    "missing class": edit(lambda c: c.pop("class")),
    "extra key": edit(lambda c: c.update(evil=1)),
    "format 2": edit(lambda c: c.update(format=2)),
    "unknown class": edit(lambda c: c.update({"class": "gatecast.models.recurrent:Nope"})),
    "os.system": edit(lambda c: c.update({"class": "os:system"})),
    "gatecast load function": edit(lambda c: c.update({"class": "gatecast.io.serialize:load"})),
    "gatecast module attr": edit(lambda c: c.update({"class": "gatecast.checks:whole_number"})),
    "class is a list": edit(lambda c: c.update({"class": ["gatecast.models.recurrent:LSTM"]})),
    "other model class": edit(lambda c: c.update({"class": "gatecast.models.baselines:Naive"})),
    "params is a list": edit(lambda c: c.update(params=[1])),
    "unknown param": edit(lambda c: c["params"].update(evil=1)),
    "hidden_size 1e9": edit(lambda c: c["params"].update(hidden_size=10**9)),
    "hidden_size string": edit(_network("hidden_size", "64")),
    "network hidden 1e9": edit(_network("hidden_size", 10**9)),
    "network layers 1e6": edit(_network("num_layers", 10**6)),
    "network bool size": edit(_network("look_back", True)),
    "too many parameters": edit(lambda c: (_network("hidden_size", 4096)(c),
                                           _network("num_layers", 16)(c))),
    "members 1e6": edit(lambda c: c["fitted"].update(members=10**6)),
    "members mismatch": edit(
        lambda c: c["fitted"].update(members=len(c["fitted"]["networks"]) + 1)),
    "members string": edit(lambda c: c["fitted"].update(members="1")),
    "fitted missing key": edit(lambda c: c["fitted"].pop("quantiles")),
    "series not a list": edit(lambda c: c["fitted"].update(series="abc")),
    "series and last_ds differ": edit(lambda c: c["fitted"]["series"].append("x")),
    "bad freq": edit(lambda c: c["fitted"].update(freq="not-a-freq")),
    "bad timestamp": edit(lambda c: c["fitted"].update(last_ds=["yesterday", "today"])),
    "history ragged": edit(lambda c: c["fitted"].update(history={"a": [1], "b": [1, 2]})),
    "quantiles out of range": edit(lambda c: c["fitted"].update(quantiles=[2.0])),
    "kind unknown": edit(_network("kind", "transformer")),
    "missing weights file": lambda f: (f / "weights.safetensors").unlink(),
    "missing config file": lambda f: (f / "config.json").unlink(),
    "missing tensor": tensors(lambda a: a.pop(_first_weight(a))),
    "extra tensor": tensors(lambda a: a.update(evil=np.zeros(3, np.float32))),
    "nan weight": tensors(_nan),
    "inf weight": tensors(_inf),
    "wrong shape": tensors(_reshape),
    "wrong dtype": tensors(lambda a: a.update(
        {_first_weight(a): a[_first_weight(a)].astype(np.float64)})),
    "tails wrong rows": tensors(lambda a: a.update(tails=a["tails"][:1])),
    "corrupt safetensors header": _corrupt_header,
    "huge safetensors header": _huge_header,
    "truncated safetensors": _truncate_weights,
    "config is a symlink": _symlink_config,
    "config is a folder": _dir_config,
    "weights is a folder": _dir_weights,
    "pickle in folder": _pickle,
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_tampered_recurrent_file_is_one_model_file_error(
        variant: str, saved: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "m"
    shutil.copytree(saved["lstm"], folder)
    VARIANTS[variant](folder)
    modules = set(sys.modules)
    with pytest.raises(ModelFileError) as info:
        gc.load(folder)
    assert str(folder) in str(info.value)
    assert "\n" not in str(info.value)
    assert {"code", "os.system"}.isdisjoint(set(sys.modules) - modules)


LOCAL_VARIANTS: dict[str, Callable[[Path], None]] = {
    "state refers to a missing tensor": edit(lambda c: c["fitted"]["states"].__setitem__(
        0, {"__array__": "nope"})),
    "unknown state tag": edit(lambda c: c["fitted"]["states"].__setitem__(0, {"__code__": 1})),
    "extra tensor": tensors(lambda a: a.update(evil=np.zeros(3))),
    "lengths a string": edit(lambda c: c["fitted"].update(lengths="12")),
    "recurrent class on local file": edit(
        lambda c: c.update({"class": "gatecast.models.recurrent:LSTM"})),
}


@pytest.mark.parametrize("variant", sorted(LOCAL_VARIANTS))
def test_tampered_local_file_is_one_model_file_error(
        variant: str, saved: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "m"
    shutil.copytree(saved["naive"], folder)
    LOCAL_VARIANTS[variant](folder)
    with pytest.raises(ModelFileError, match=str(folder).replace("\\", "\\\\")):
        gc.load(folder)


def test_untampered_files_load_and_predict_the_same(saved: dict[str, Path],
                                                    tmp_path: Path) -> None:
    for name, folder in saved.items():
        copy = tmp_path / name
        shutil.copytree(folder, copy)
        a, b = gc.load(folder), gc.load(copy)
        pd.testing.assert_frame_equal(a.predict(H), b.predict(H))


def test_a_file_does_not_choose_where_a_refit_writes_checkpoints(saved, tmp_path) -> None:
    folder = tmp_path / "m"
    shutil.copytree(saved["lstm"], folder)
    config = _config(folder)
    config["params"]["trainer"].update(checkpoint_dir=str(tmp_path / "elsewhere"), resume=True)
    _write_config(folder, config)
    model = gc.load(folder)
    assert model.trainer.checkpoint_dir is None and model.trainer.resume is False
