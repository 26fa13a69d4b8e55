"""Ensemble members with settings of their own (the recipe's members differ by their step
budget): each is trained with its own settings, recorded with them, cached under them, and
the shipped weights record the recipe's members (tiny networks, a few steps)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

from gatecast.pretrained.corpus import CorpusSpec, build_corpus
from gatecast.pretrained.members import member_configs, members_record, pretrain_members
from gatecast.pretrained.network import NetConfig, PretrainedEnsemble
from gatecast.pretrained.store import CONFIG, shipped_dir
from gatecast.pretrained.train import PretrainConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import pretrain_recipe

NET = NetConfig(hidden_size=8, max_context=32)
BASE = PretrainConfig(steps=4, epochs=2, batch_size=8, seed=0)


@pytest.fixture(scope="module")
def series() -> list:
    return build_corpus(CorpusSpec(n_series=10, seed=0))


def test_member_configs_differ_by_their_seed_alone() -> None:
    configs = member_configs(dataclasses.replace(BASE, seed=5), 3)
    assert [c.seed for c in configs] == [5, 6, 7]
    assert {dataclasses.replace(c, seed=0) for c in configs} == {BASE}


def test_members_of_other_budgets_are_trained_recorded_and_cached_apart(
        series: list, tmp_path: Path) -> None:
    configs = [BASE, dataclasses.replace(BASE, steps=8)]  # one seed, two budgets
    lines: list[str] = []
    model, digests, _ = pretrain_members(series, "c", configs, NET, tmp_path, None, 1,
                                         log=lines.append)
    assert isinstance(model, PretrainedEnsemble) and len(set(digests)) == 2
    assert members_record(configs, digests) == [
        {"seed": 0, "steps": 4, "sha256": digests[0]},
        {"seed": 0, "steps": 8, "sha256": digests[1]}]
    saved = json.loads((tmp_path / "member-1" / CONFIG).read_text())
    assert saved["meta"]["train"]["steps"] == 8
    # A second run reads both back; a member whose budget changed is trained again.
    lines.clear()
    _, again, _ = pretrain_members(series, "c", configs, NET, tmp_path, None, 1,
                                   log=lines.append)
    assert again == digests and sum("read from" in line for line in lines) == 2
    lines.clear()
    longer = [BASE, dataclasses.replace(BASE, steps=6)]
    _, third, _ = pretrain_members(series, "c", longer, NET, tmp_path, None, 1,
                                   log=lines.append)
    assert third[0] == digests[0] and third[1] not in digests
    assert sum("read from" in line for line in lines) == 1


def test_the_shipped_weights_record_the_recipes_members() -> None:
    """The shipped ensemble is the recipe's: one member per entry of ``RECIPE_MEMBERS``, with
    its seed and steps, and the recipe's corpus, network and other training settings."""
    config = json.loads((shipped_dir() / CONFIG).read_text())
    meta = config["meta"]
    recipe = pretrain_recipe.recipe_configs(len(pretrain_recipe.RECIPE_MEMBERS))
    assert config["members"] == len(recipe)
    assert [(m["seed"], m["steps"]) for m in meta["members"]] == [
        (c.seed, c.steps) for c in recipe]
    assert meta["corpus"] == json.loads(json.dumps(
        dataclasses.asdict(pretrain_recipe.RECIPE_CORPUS)))
    assert config["network"] == json.loads(json.dumps(
        dataclasses.asdict(pretrain_recipe.RECIPE_NET)))
    assert meta["train"] == json.loads(json.dumps(dataclasses.asdict(recipe[0])))


def test_the_recipe_refuses_more_members_than_it_has() -> None:
    with pytest.raises(SystemExit, match="--members takes 1 to"):
        pretrain_recipe.recipe_configs(len(pretrain_recipe.RECIPE_MEMBERS) + 1)
    moved = pretrain_recipe.recipe_configs(2, seed=3, steps=100)
    assert [(c.seed, c.steps, c.epochs) for c in moved] == [(3, 100, 16), (4, 100, 16)]
