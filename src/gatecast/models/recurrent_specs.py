"""The recurrent forecaster's settings, grouped into small specs, and the flat keywords.

A :class:`~gatecast.models.recurrent.RecurrentForecaster` is a window spec (how series
become network inputs), a network spec (the network's kind and size; resolved into a
:class:`gatecast.nn.NetworkConfig` in ``fit``), an ensemble spec (which members are
trained), the covariates (:class:`~gatecast.models.recurrent_covariates.CovariateSpec`) and
a :class:`~gatecast.training.config.TrainerConfig` (how each member is trained, its step
budget included). Every ``None`` is chosen from the data in ``fit``.

Users keep writing flat keywords, ``LSTM(look_back=24, hidden_size=64, max_steps=500,
seed=0)`` or ``--param hidden_size=64`` on the CLI: :data:`FLAT` names the spec each one
belongs to, and :func:`build_specs` maps them onto the specs.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import Any

from gatecast.catalog import KINDS
from gatecast.checks import MAX_LOOK_BACK, MAX_MEMBERS, whole_number
from gatecast.checks import SIZE_LIMITS as LIMITS
from gatecast.data.transforms import make_pipeline
from gatecast.errors import ConfigError
from gatecast.models.recurrent_covariates import CovariateSpec
from gatecast.models.recurrent_data import NORMALIZERS
from gatecast.models.recurrent_defaults import DEFAULT_SKIPS
from gatecast.nn.activations import check_activation
from gatecast.nn.config import check_stack, check_widths
from gatecast.training.config import TrainerConfig

AUTO = "auto"
MODES = ("direct", "recursive")
SKIPS = ("none", "naive", "seasonal")


def _sizes(spec: Any, names: tuple[str, ...], minimum: dict[str, int] | None = None) -> None:
    """Each size of ``spec`` in ``names`` (``None``: chosen) a whole number within
    :data:`gatecast.checks.SIZE_LIMITS`, before anything is allocated."""
    for name in names:
        value = getattr(spec, name)
        if value is not None:
            setattr(spec, name, whole_number(value, name, minimum=(minimum or {}).get(name, 1),
                                             maximum=LIMITS.get(name, MAX_LOOK_BACK)))


@dataclass
class WindowConfig:
    """How series become network inputs.

    Attributes:
        look_back: input window length, or a tuple of lengths to ensemble over (one member
            per length, median-combined).
        horizon: steps the network predicts per forward pass (``None``: the backtest/CLI
            ``h``, else ``season_length``). A longer forecast repeats passes, feeding
            predictions back.
        mode: ``direct`` (``horizon`` steps per pass) or ``recursive``: the network
            predicts one step and is fed back ``h`` times, as the tutorials do, so its
            horizon is 1; a ``horizon`` other than 1 is not used (a ``UserWarning`` says
            so; the CLI passes its ``--h`` to every model, so this is not an error).
        season_length: the series' season (used for defaults and the seasonal skip);
            ``None``: decided in ``fit`` from the data's frequency (monthly 12, hourly 24,
            ...; :mod:`gatecast.data.season`), kept as the forecaster's ``season_length_``.
        val_size: points held out at the end of every series for early stopping (0: none).
        normalize: per-window ``standard``, ``mean``, ``robust`` or ``none``.
        transform: per-series transform fitted on the training data, e.g. ``"diff"``,
            ``"log,diff"``, or ``"auto"`` (chosen by stationarity tests, one spec for all
            series by majority vote).
    """

    look_back: int | tuple[int, ...] | None = None
    horizon: int | None = None
    mode: str = "direct"
    season_length: int | None = None
    val_size: int | None = None
    normalize: str = "standard"
    transform: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.look_back, (list, tuple)):  # JSON gives lists back
            if not self.look_back:
                raise ConfigError("look_back=() names no length; give an int, a tuple of ints"
                                  " or None")
            self.look_back = tuple(whole_number(v, "look_back", maximum=MAX_LOOK_BACK)
                                   for v in self.look_back)
        single = () if isinstance(self.look_back, tuple) else ("look_back",)
        _sizes(self, ("horizon", *single, "season_length", "val_size"), {"val_size": 0})
        if self.mode not in MODES:
            raise ConfigError(f"unknown mode {self.mode!r}; use {', '.join(MODES)}")
        if self.normalize not in NORMALIZERS:
            raise ConfigError(f"unknown normalize {self.normalize!r}; use"
                              f" {', '.join(NORMALIZERS)}")
        if self.transform and self.transform != AUTO:
            make_pipeline(self.transform)  # fail at construction on a bad spec
        if self.mode == "recursive" and self.horizon not in (None, 1):
            warnings.warn(f"mode='recursive' predicts one step per pass, so horizon="
                          f"{self.horizon} is not used (the forecast length is predict's h)",
                          UserWarning, stacklevel=3)

    def look_backs(self) -> tuple[int | None, ...]:
        """The look-backs asked for (``None``: choose from the data)."""
        lb = self.look_back
        return lb if isinstance(lb, tuple) else (lb,)


@dataclass
class NetworkSpec:
    """The network's kind and size; each ``None`` is sized to the data in ``fit`` (see
    :func:`~gatecast.models.recurrent_defaults.capacity`).

    Attributes:
        cell: ``rnn``, ``lstm``, ``gru``, ``peephole``, ``seq2seq``, ``cnn-lstm`` or ``mlp``.
        hidden_size, num_layers: the encoder's width and depth; ``hidden_size`` may list
            one width per layer, Keras-style (``(50, 100)``: 50 units, then 100), and
            ``num_layers`` is then their number.
        dropout: between recurrent layers and after hidden head layers.
        patch_size: steps folded into one encoder input (``None``: the season when the
            window holds four of them).
        head_hidden, head_layers: the MLP head's width and hidden layers (0: linear);
            ``head_hidden`` may list one width per dense layer (``(64, 32)``).
        head_activation: between the head's layers (``relu``).
        output_activation: on the network's output (``None``: none), e.g. ``tanh`` as in
            ``Dense(1, activation="tanh")``; it acts on the network's scale (the normalised
            window, less the baseline of a skip member), and ``fit`` warns when training
            targets lie outside its range. Activations: one of
            :data:`gatecast.nn.ACTIVATIONS`.
    """

    cell: str = "lstm"
    hidden_size: int | tuple[int, ...] | None = None
    num_layers: int | None = None
    dropout: float = 0.0
    patch_size: int | None = None
    head_hidden: int | tuple[int, ...] | None = None
    head_layers: int | None = None
    head_activation: str = "relu"
    output_activation: str | None = None

    def __post_init__(self) -> None:
        if self.cell not in KINDS:
            raise ConfigError(f"unknown cell {self.cell!r}; use {', '.join(KINDS)}")
        check_stack(self.cell, self.hidden_size, self.head_hidden)
        per_layer = {size for size in ("hidden_size", "head_hidden")
                     if isinstance(getattr(self, size), (list, tuple))}
        _sizes(self, tuple(n for n in ("patch_size", "hidden_size", "num_layers", "head_hidden",
                                       "head_layers") if n not in per_layer), {"head_layers": 0})
        for size, count in (("hidden_size", "num_layers"), ("head_hidden", "head_layers")):
            if size in per_layer:  # one width per layer (JSON gives lists back)
                setattr(self, size, check_widths(getattr(self, size), size, getattr(self, count),
                                                 count))
        check_activation(self.head_activation, "head_activation")
        check_activation(self.output_activation, "output_activation", optional=True)


@dataclass
class EnsembleSpec:
    """Which members are trained: one per look-back x skip kind x seed, median-combined.

    Attributes:
        skip: ``none``; ``naive`` or ``seasonal`` make the network learn the correction to
            that baseline; a tuple trains members of each kind. ``None``: ``("none",
            "seasonal")``, sharing the automatic step budget.
        ensemble: members per look-back and skip kind, seeds ``seed, seed+1, ...``.
    """

    skip: str | tuple[str, ...] | None = None
    ensemble: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.skip, list):
            self.skip = tuple(self.skip)
        kinds = self.skip if isinstance(self.skip, tuple) else (self.skip,)
        if self.skip is not None and (self.skip == () or any(k not in SKIPS for k in kinds)):
            raise ConfigError(f"unknown skip {self.skip!r}; use {', '.join(SKIPS)} (or a tuple"
                              " of them)")
        self.ensemble = whole_number(self.ensemble, "ensemble", maximum=LIMITS["ensemble"])

    def skips(self) -> tuple[str, ...]:
        """The skip kinds to train (``None``: :data:`DEFAULT_SKIPS`)."""
        if self.skip is None:
            return DEFAULT_SKIPS
        return self.skip if isinstance(self.skip, tuple) else (self.skip,)


#: Flat keyword -> (the forecaster's spec attribute, that spec's field).
FLAT: dict[str, tuple[str, str]] = {
    **{f.name: ("window", f.name) for f in dataclasses.fields(WindowConfig)},
    **{f.name: ("network", f.name) for f in dataclasses.fields(NetworkSpec)},
    **{f.name: ("members", f.name) for f in dataclasses.fields(EnsembleSpec)},
    "past_covariates": ("covariates", "past"),
    "future_covariates": ("covariates", "future"),
    "static_features": ("covariates", "static"),
}
#: The trainer's fields, also accepted flat (``seed=0``, ``max_steps=500``, ``lr=1e-3``).
TRAINER_FLAT: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(TrainerConfig))
SPECS = {"window": WindowConfig, "network": NetworkSpec, "members": EnsembleSpec,
         "covariates": CovariateSpec, "trainer": TrainerConfig}


def build_specs(given: dict[str, Any], flat: dict[str, Any], default_cell: str
                ) -> dict[str, Any]:
    """The specs from spec objects (or dicts, as JSON gives them back) in ``given`` and the
    flat keywords ``flat``; a flat keyword overrides the field of a spec given whole.

    ``default_cell``: the network kind when neither ``cell=`` nor a network spec says.
    Unknown keywords are a ``TypeError``, as for any Python call.
    """
    fields: dict[str, dict[str, Any]] = {name: {} for name in SPECS}
    for key, value in flat.items():
        spec, field = FLAT.get(key) or (("trainer", key) if key in TRAINER_FLAT else (None, ""))
        if spec is None:
            raise TypeError(f"unexpected keyword argument {key!r}")
        fields[spec][field] = value
    if given.get("network") is None:
        fields["network"].setdefault("cell", default_cell)
    out = {}
    for name, cls in SPECS.items():
        base = given.get(name)
        if isinstance(base, dict):
            base = cls(**base)
        out[name] = cls(**fields[name]) if base is None else dataclasses.replace(
            base, **fields[name])
    return out


def check_together(window: WindowConfig, network: NetworkSpec, members: EnsembleSpec) -> None:
    """The checks that span specs."""
    if window.mode == "recursive" and network.cell == "seq2seq":
        raise ConfigError("seq2seq decodes all steps itself; use mode='direct'")
    count = len(window.look_backs()) * len(members.skips()) * members.ensemble
    if count > MAX_MEMBERS:
        raise ConfigError(
            f"{count} ensemble members (look-backs x skips x ensemble) is above"
            f" gatecast's limit of {MAX_MEMBERS}; ask for fewer"
        )
