"""Shared look of gatecast figures: sizes, colours, fonts, saving by file suffix.

Nothing here touches matplotlib's global state (no ``pyplot``, no ``rcParams`` writes):
every setting is passed to the figure or artist it concerns, so importing gatecast never
changes a user's own plots.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text

from gatecast.errors import ConfigError
from gatecast.io.paths import atomic_write

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22"]
BASELINE_COLOUR = "#8c8c8c"
HISTORY_COLOUR = "#222222"
FIGURE_FORMATS = ("png", "svg")
DPI = 110

# Fonts that cover CJK glyphs, most common first; only installed ones are used.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans CJK KR",
             "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
             "Droid Sans Fallback", "Microsoft YaHei", "SimHei", "PingFang SC",
             "Hiragino Sans GB", "AppleGothic", "Malgun Gothic", "MS Gothic")


def new_figure(width: float, height: float) -> Figure:
    """A figure with constrained layout (the object API: not registered with pyplot)."""
    return Figure(figsize=(width, height), layout="constrained")


def style_axes(ax: Axes) -> None:
    """Readable defaults for one axes: light grid behind the data, no top/right frame."""
    ax.grid(True, color="#e5e5e5", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=8)


def needs_wide_font(text: str) -> bool:
    """True when ``text`` has glyphs DejaVu Sans lacks (CJK, Hangul, kana, fullwidth forms)."""
    return any(ord(ch) >= 0x2E80 for ch in text)


@lru_cache(maxsize=1)
def installed_cjk_fonts() -> tuple[str, ...]:
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return tuple(f for f in CJK_FONTS if f in names)


def font_family(texts: Iterable[str]) -> list[str] | None:
    """The font family list for these labels: ``None`` (leave matplotlib's default) when all
    are covered by DejaVu Sans, else DejaVu Sans followed by every installed CJK font, so
    matplotlib falls back glyph by glyph."""
    if not any(needs_wide_font(t) for t in texts):
        return None
    return ["DejaVu Sans", *installed_cjk_fonts()]


def apply_fonts(fig: Figure) -> Figure:
    """Give every text of ``fig`` a CJK-capable family list when some label needs one."""
    texts = [t for t in fig.findobj(Text) if t.get_text()]
    family = font_family(t.get_text() for t in texts)
    if family is not None:
        for t in texts:
            t.set_fontfamily(family)
    return fig


def figure_format(path: str | Path) -> str:
    """``png`` or ``svg`` from the file suffix; ConfigError for anything else."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FIGURE_FORMATS:
        raise ConfigError(
            f"figure file {str(path)!r} must end in .png or .svg (the format is taken from it)"
        )
    return suffix


def _savefig(fig: Figure, target: str | Path | io.BytesIO, fmt: str, dpi: int) -> None:
    """``fig.savefig`` with matplotlib's one-warning-per-missing-glyph replaced by one
    warning that says how to fix it (other warnings pass through unchanged)."""
    apply_fonts(fig)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(target, format=fmt, dpi=dpi)
    missing = [w for w in caught if "missing from font" in str(w.message)]
    for w in caught:
        if w not in missing:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if missing:
        n = len({str(w.message) for w in missing})
        warnings.warn(
            f"{n} character(s) in the figure's labels have no installed font, so they show"
            " as boxes; install a CJK font (Debian: apt-get install fonts-noto-cjk)",
            UserWarning, stacklevel=3,
        )


def save_figure(fig: Figure, path: str | Path, dpi: int = DPI) -> Path:
    """Write ``fig`` as PNG or SVG (by suffix), creating the folder; returns the path."""
    path = Path(path)
    fmt = figure_format(path)
    return atomic_write(path, lambda tmp: _savefig(fig, tmp, fmt, dpi))


def figure_bytes(fig: Figure, fmt: str = "png", dpi: int = DPI) -> bytes:
    """``fig`` encoded as PNG or SVG bytes (for embedding in a report)."""
    if fmt not in FIGURE_FORMATS:
        raise ConfigError(f"figure format must be png or svg, got {fmt!r}")
    buf = io.BytesIO()
    _savefig(fig, buf, fmt, dpi)
    return buf.getvalue()
