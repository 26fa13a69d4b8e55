"""The one registry of gatecast's model classes: names, exports, network kinds, file classes.

Every place that names a model derives from :data:`ENTRIES`: the CLI and config names
(:func:`names`), the lazy exports of ``gatecast`` (:func:`exports`), the network kinds
(:data:`KINDS`) and the classes a saved model file may name (:func:`saved_class`). Adding a
model is one line here. Third-party models join through the entry-point group
``gatecast.models`` that an installed package declares::

    [project.entry-points."gatecast.models"]
    mymodel = "mypackage.models:MyForecaster"

Nothing else resolves: a name such as ``os:system`` or ``code:interact`` is refused before
any module is imported. This module is a leaf (standard library and :mod:`gatecast.errors`
only), so every layer may import it.

An entry names a class, or a :class:`Preset`: a factory that returns a registered class
set up one way (``SARIMA`` is an ``ARIMA`` with seasonal orders), so that a preset needs
no subclass. A preset takes the place of a class everywhere a name resolves: it is called
with parameters (``parameter_names()`` lists them), and it loads the files that name it.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from gatecast.errors import ConfigError

#: Entry-point group through which an installed package adds models.
GROUP = "gatecast.models"


@dataclass(frozen=True)
class Entry:
    """One gatecast class (or preset). ``name`` is its CLI/config name (``None``: only exported and
    loadable); ``family`` is "baseline", "classical", "pretrained", "network" (a recurrent
    forecaster whose name is also a network kind of :func:`gatecast.nn.build_network`) or
    "other";
    ``export``: reachable as ``gatecast.<Class>``."""

    name: str | None
    target: str  # "module:Class" (or "module:Preset")
    family: str
    export: bool = True

    @property
    def module(self) -> str:
        return self.target.partition(":")[0]

    @property
    def attr(self) -> str:
        return self.target.partition(":")[2]


ENTRIES: tuple[Entry, ...] = (
    Entry("naive", "gatecast.models.baselines:Naive", "baseline"),
    Entry("snaive", "gatecast.models.baselines:SeasonalNaive", "baseline"),
    Entry("drift", "gatecast.models.baselines:Drift", "baseline"),
    Entry("mean", "gatecast.models.baselines:HistoricMean", "baseline"),
    Entry("naive2", "gatecast.models.baselines:Naive2", "baseline"),
    Entry("arima", "gatecast.models.arima:ARIMA", "classical"),
    Entry("sarima", "gatecast.models.arima:SARIMA", "classical"),
    Entry("autoarima", "gatecast.models.arima:AutoARIMA", "classical"),
    Entry("ets", "gatecast.models.smoothing:ETS", "classical"),
    Entry("theta", "gatecast.models.smoothing:Theta", "classical"),
    Entry("arima-garch", "gatecast.models.garch:ARIMAGARCH", "classical"),
    Entry("rnn", "gatecast.models.recurrent:RNN", "network"),
    Entry("lstm", "gatecast.models.recurrent:LSTM", "network"),
    Entry("gru", "gatecast.models.recurrent:GRU", "network"),
    Entry("peephole", "gatecast.models.recurrent:PeepholeLSTM", "network"),
    Entry("seq2seq", "gatecast.models.recurrent:Seq2Seq", "network"),
    Entry("cnn-lstm", "gatecast.models.recurrent:CNNLSTM", "network"),
    Entry("mlp", "gatecast.models.recurrent:MLP", "network"),
    Entry("pretrained", "gatecast.models.pretrained:Pretrained", "pretrained"),
    Entry(None, "gatecast.models.recurrent:RecurrentForecaster", "other"),
    Entry(None, "gatecast.grid.forecaster:ConvLSTMForecaster", "other", export=False),
    Entry(None, "gatecast.grid.forecaster:FCLSTMForecaster", "other", export=False),
    Entry(None, "gatecast.grid.forecaster:CopyLastFrame", "other", export=False),
    Entry(None, "gatecast.classify.classifier:SequenceClassifier", "other", export=False),
)

#: Where a class that saved files may name has moved to (old "module:Class" -> new).
MOVED: dict[str, str] = {
    "gatecast.pretrained.forecaster:Pretrained": "gatecast.models.pretrained:Pretrained",
}
#: CLI/config name -> "module:Class" of gatecast's own models.
MODELS: dict[str, str] = {e.name: e.target for e in ENTRIES if e.name is not None}
#: The network kinds (``NetworkConfig.kind``); each is also the name of its forecaster.
KINDS: tuple[str, ...] = tuple(e.name for e in ENTRIES if e.family == "network" and e.name)


class Preset:
    """A named configuration of the model class ``cls``: a factory, not a subclass.

    Calling it calls ``build``, which returns a ``cls``; its parameters are ``build``'s
    (:meth:`parameter_names`, which ``make_model`` and the CLI consult); ``load`` reads a
    model file that names the preset (one saved before the preset replaced a subclass of
    that name). Name, docstring and module are ``build``'s.
    """

    def __init__(self, cls: type, build: Callable[..., Any]) -> None:
        functools.update_wrapper(self, build)
        self.cls = cls
        self.build = build

    def __call__(self, *args: Any, **params: Any) -> Any:
        return self.build(*args, **params)

    def parameter_names(self) -> tuple[str, ...]:
        """Every keyword the preset takes."""
        return tuple(inspect.signature(self.build).parameters)

    def load(self, path: Any) -> Any:
        return self.cls.load(path)

    def __repr__(self) -> str:
        return f"<preset {self.__name__} of {self.cls.__name__}>"


def preset(cls: type) -> Callable[[Callable[..., Any]], Preset]:
    """Decorator: ``@preset(ARIMA) def SARIMA(...) -> ARIMA`` makes ``SARIMA`` a preset."""
    return functools.partial(Preset, cls)


def exports() -> dict[str, str]:
    """``gatecast.<Class>`` -> module, for the package's lazy attributes."""
    return {e.attr: e.module for e in ENTRIES if e.export}


def _plugins() -> dict[str, metadata.EntryPoint]:
    # Only the declared names are read here; a plugin's module is imported when it is asked for.
    return {ep.name.lower(): ep for ep in metadata.entry_points(group=GROUP)
            if ep.name.lower() not in MODELS}


def names() -> list[str]:
    """Every model name: gatecast's own and those installed packages declare."""
    return sorted({*MODELS, *_plugins()})


def _import(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def check_forecaster(cls: object, origin: str) -> type:
    """``cls`` if it is a class with ``fit``, ``predict`` and ``name`` (the protocol)."""
    if not isinstance(cls, type):
        raise ConfigError(f"{origin} is not a forecaster class: a model needs fit(frame),"
                          " predict(h) and name")
    missing = [m for m in ("fit", "predict", "name") if not hasattr(cls, m)]
    missing += [m for m in ("fit", "predict") if m not in missing
                and not callable(getattr(cls, m))]
    if missing:
        raise ConfigError(f"{origin} lacks {', '.join(missing)}: a model needs fit(frame),"
                          " predict(h) and name")
    return cls


def model_class(name: object) -> Any:
    """The class (or :class:`Preset`) behind a model name (``"autoarima"``, or a name an
    installed package declares in the ``gatecast.models`` entry-point group)."""
    key = str(name).strip().lower() if isinstance(name, str) else None
    if key in MODELS:
        return _import(MODELS[key])
    plugins = _plugins()
    if key in plugins:
        ep = plugins[key]
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plugin is the user's environment, not our bug
            raise ConfigError(f"model {name!r} from entry point {ep.value!r} cannot be"
                              f" loaded: {type(exc).__name__}: {exc}") from exc
        return check_forecaster(cls, f"model {name!r} (entry point {ep.value!r})")
    shown = str(name)[:80]
    raise ConfigError(f"unknown model {shown!r}; choose from {', '.join(names())}")


def saved_class(target: object, source: str) -> Any:
    """The class a saved model file names (``"gatecast.models.recurrent:LSTM"``), if that is
    one of the registered classes (or presets) or an installed plugin's; ``source`` names
    the file."""
    allowed = {e.target for e in ENTRIES}
    target = MOVED.get(target, target) if isinstance(target, str) else target
    plugins = {ep.value: ep for ep in metadata.entry_points(group=GROUP)}
    if not isinstance(target, str) or (target not in allowed and target not in plugins):
        shown = repr(target)[:80]
        raise ConfigError(f"{source} names class {shown}, which is not a gatecast model class"
                          " or an installed gatecast.models plugin")
    if target in allowed:
        return _import(target)
    try:
        cls = plugins[target].load()
    except Exception as exc:  # a broken plugin is the user's environment, not our bug
        raise ConfigError(f"{source}: plugin class {target!r} cannot be loaded:"
                          f" {type(exc).__name__}: {exc}") from exc
    return check_forecaster(cls, f"{source}: class {target!r}")
