"""Errors that speak to the user.

Every error gatecast raises on bad input is a :class:`GatecastError` whose message is one
line: what is wrong, which series it concerns, and how to fix it. The CLI prints that line
and exits with status 2 instead of showing a traceback.
"""

from __future__ import annotations


class GatecastError(Exception):
    """Base class of every error gatecast raises on purpose."""


class DataError(GatecastError, ValueError):
    """The input data breaks the data contract (missing values, gaps, duplicates, ...)."""


class ConfigError(GatecastError, ValueError):
    """A model or command was configured with an invalid parameter."""


class NotFittedError(GatecastError, RuntimeError):
    """A forecaster was asked to predict before ``fit`` was called."""


class MissingDependencyError(GatecastError, ImportError):
    """An optional dependency is needed for the requested feature but is not installed."""


def series_list(ids: list[object], limit: int = 3) -> str:
    """Format a list of series ids for an error message: ``'a', 'b', 'c' and 4 more``."""
    shown = ", ".join(repr(str(i)) for i in ids[:limit])
    rest = len(ids) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


class ModelFileError(GatecastError, ValueError):
    """A saved model (or training checkpoint) is malformed, tampered with or out of bounds;
    the message names the file and the problem."""
