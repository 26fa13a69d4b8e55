"""HTML building blocks: escaping, tables, embedded figures and the page template.

The page is one self-contained file: CSS inline, figures as ``data:`` URIs, no script and
no external resource, so it renders offline and can be mailed as an attachment. Every
piece of text that comes from data or models goes through :func:`esc`.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from gatecast._version import __version__
from gatecast.plotting.style import figure_bytes
from gatecast.report.items import Section

CSS = """
:root { --fg: #1d1d1f; --muted: #6b6b70; --line: #dcdce0; --bg: #ffffff; --soft: #f5f5f7;
  --ok: #1a7f37; --info: #0969da; --warning: #9a6700; --error: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  "Noto Sans", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.3rem; margin: 40px 0 10px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 24px 0 8px; }
p.meta, p.note, figcaption { color: var(--muted); font-size: 0.88rem; }
nav ul { list-style: none; padding: 0; margin: 12px 0 0; display: flex; flex-wrap: wrap;
  gap: 6px 18px; font-size: 0.92rem; }
nav a, a { color: var(--info); text-decoration: none; }
table { border-collapse: collapse; font-size: 0.86rem; margin: 8px 0 4px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: right;
  font-variant-numeric: tabular-nums; }
th:first-child, td:first-child { text-align: left; }
thead th { background: var(--soft); font-weight: 600; }
tr.baseline td { color: var(--muted); }
td.best { font-weight: 700; }
.scroll { overflow-x: auto; max-width: 100%; }
figure { margin: 14px 0 22px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--soft); }
.item { border: 1px solid var(--line); border-left-width: 5px; border-radius: 4px;
  padding: 10px 14px; margin: 12px 0; }
.item h3 { margin: 0 0 4px; }
.item.ok { border-left-color: var(--ok); } .item.info { border-left-color: var(--info); }
.item.warning { border-left-color: var(--warning); }
.item.error { border-left-color: var(--error); }
.badge { display: inline-block; font-size: 0.72rem; font-weight: 700; letter-spacing: .04em;
  text-transform: uppercase; padding: 1px 7px; border-radius: 9px; color: #fff;
  margin-right: 6px; vertical-align: 1px; }
.badge.ok { background: var(--ok); } .badge.info { background: var(--info); }
.badge.warning { background: var(--warning); } .badge.error { background: var(--error); }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
  gap: 0 20px; }
@media print { main { max-width: none; } h2 { break-after: avoid; }
  figure { break-inside: avoid; } }
"""


def esc(value: Any) -> str:
    """``value`` as text safe inside HTML elements and attributes."""
    return html.escape(str(value), quote=True)


def fmt_number(value: Any) -> str:
    """Numbers with 4 significant digits (scientific when huge); NaN as a dash."""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return "–"
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.3e}"
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ").removesuffix(" 00:00:00").removesuffix("T00:00:00")
    return str(value)


def render_table(
    df: pd.DataFrame,
    index: bool = True,
    best: dict[str, str] | None = None,
    muted_rows: Iterable[Any] = (),
) -> str:
    """An escaped HTML table.

    Args:
        df: the table; its index becomes the first column when ``index``.
        best: ``{column: "min" | "max"}``: the best value of those columns is bold.
        muted_rows: index values of rows shown in grey (the baselines).
    """
    muted = {str(r) for r in muted_rows}
    best_rows: dict[str, Any] = {}
    for col, how in (best or {}).items():
        if col in df.columns:
            values = pd.to_numeric(df[col], errors="coerce")
            if values.notna().any():
                best_rows[col] = values.idxmin() if how == "min" else values.idxmax()
    head = [esc(df.index.name or "")] if index else []
    head += [esc(c) for c in df.columns]
    rows = []
    for idx, row in df.iterrows():
        cells = [f"<td>{esc(fmt_number(idx))}</td>"] if index else []
        for col in df.columns:
            cls = ' class="best"' if best_rows.get(col, object()) == idx else ""
            cells.append(f"<td{cls}>{esc(fmt_number(row[col]))}</td>")
        cls = ' class="baseline"' if str(idx) in muted else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    header = "".join(f"<th>{h}</th>" for h in head)
    return (f'<div class="scroll"><table><thead><tr>{header}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def figure_uri(fig: Any, fmt: str = "png") -> str:
    """A matplotlib figure as a ``data:`` URI (PNG or SVG)."""
    mime = "image/svg+xml" if fmt == "svg" else "image/png"
    data = base64.b64encode(figure_bytes(fig, fmt)).decode("ascii")
    return f"data:{mime};base64,{data}"


def render_figure(fig: Any, caption: str = "", alt: str = "", fmt: str = "png") -> str:
    """``<figure>`` with the figure embedded as an image."""
    uri = figure_uri(fig, fmt)
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{uri}" alt="{esc(alt or caption)}">{cap}</figure>'


def render_page(title: str, sections: list[Section], subtitle: str = "") -> str:
    """The whole document: title, contents, sections."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    toc = "".join(f'<li><a href="#{esc(s.anchor)}">{esc(s.title)}</a></li>' for s in sections)
    body = []
    for s in sections:
        notes = "".join(f'<p class="note">{esc(n)}</p>' for n in s.notes)
        body.append(f'<section id="{esc(s.anchor)}"><h2>{esc(s.title)}</h2>{s.body}{notes}'
                    "</section>")
    sub = f'<p class="meta">{esc(subtitle)}</p>' if subtitle else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f"<body><main><header><h1>{esc(title)}</h1>{sub}"
        f'<p class="meta">generated by gatecast {esc(__version__)} on {esc(stamp)}</p>'
        f"<nav><ul>{toc}</ul></nav></header>{''.join(body)}</main></body></html>\n"
    )
