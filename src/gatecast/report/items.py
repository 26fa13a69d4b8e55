"""What a report is made of: sections of HTML and generic diagnostic items.

A :class:`DiagnosticItem` is deliberately generic (a title, a verdict with a severity, an
optional table and figure) so the report renders whatever diagnostics produce without
knowing what they computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gatecast.errors import ConfigError

SEVERITIES = ("ok", "info", "warning", "error")


@dataclass
class DiagnosticItem:
    """One finding to show in the report's diagnostics section.

    Attributes:
        title: what was checked, e.g. ``"right-shift (persistence) check: lstm"``.
        verdict: one line saying what it means for the user, e.g. ``"the forecast is the
            actual series shifted by one step: no better than the naive forecast"``.
        severity: ``ok`` (passed), ``info``, ``warning`` or ``error`` (the model is not
            to be trusted).
        table: optional numbers behind the verdict (rendered with its index).
        figure: optional matplotlib figure (embedded as PNG).
        details: optional longer explanation (plain text, escaped).
    """

    title: str
    verdict: str
    severity: str = "info"
    table: pd.DataFrame | None = None
    figure: Any = None
    details: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ConfigError(
                f"diagnostic severity must be one of {', '.join(SEVERITIES)},"
                f" got {self.severity!r}"
            )
        if not str(self.title).strip():
            raise ConfigError("a diagnostic item needs a title")


@dataclass
class Section:
    """A titled block of the report; ``body`` is HTML that is already escaped."""

    anchor: str
    title: str
    body: str
    notes: list[str] = field(default_factory=list)
