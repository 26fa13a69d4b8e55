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


#: Longest quoted value an error message shows; the rest is cut with an ellipsis.
QUOTE_LIMIT = 80
#: Longest message the CLI prints (a final guard behind :func:`shorten`).
MESSAGE_LIMIT = 500


def shorten(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` cut to about ``limit`` characters for an error message.

    A value read from a file can be a whole 200 MB line; the message must still be one
    short line, so strings are cut before ``repr`` and other reprs after it.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}… ({len(value):,} characters)"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def clip(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """``message`` on one line of at most ``limit`` characters (``…`` marks a cut)."""
    text = " ".join(message[: limit + 1].splitlines())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def series_list(ids: list[object], limit: int = 3) -> str:
    """Format a list of series ids for an error message: ``'a', 'b', 'c' and 4 more``."""
    shown = ", ".join(shorten(str(i)) for i in ids[:limit])
    rest = len(ids) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


class ModelFileError(GatecastError, ValueError):
    """A saved model (or training checkpoint) is malformed, tampered with or out of bounds;
    the message names the file and the problem."""
