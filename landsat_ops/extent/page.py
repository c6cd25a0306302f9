"""The extent page of an area's gallery: the plot, the table's latest clear values, the files."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from landsat_ops.extent.table import DEFAULT_CLEAR_THRESHOLD

__all__ = ["extent_page"]

_STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em;max-width:1100px;color:#222}
table{border-collapse:collapse;font-size:.9em}td,th{padding:.25em .6em;border-bottom:1px solid #ddd;
text-align:right}th:first-child,td:first-child{text-align:left}img{max-width:100%}
.note{color:#555;font-size:.9em}"""


def _cell(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return escape(str(value))


def extent_page(
    table: Iterable[Mapping[str, Any]],
    *,
    title: str,
    plot: str = "extent.png",
    files: Mapping[str, str] | None = None,
    clear_threshold: float = DEFAULT_CLEAR_THRESHOLD,
) -> bytes:
    """A standalone HTML page (UTF-8): the plot (relative href ``plot``), per region the
    latest scene at or above ``clear_threshold`` and the number of scenes, and links to
    ``files`` (label -> relative href)."""
    rows = sorted(table, key=lambda r: r["acquired"])
    regions = list(dict.fromkeys(r["region"] for r in rows))
    regions.sort(key=lambda r: r != "path_row")
    body = []
    for region in regions:
        every = [r for r in rows if r["region"] == region]
        series = [r for r in every if r.get("kind") != "composite"]  # the scenes'
        clear = [r for r in series if r["clear_fraction"] >= clear_threshold]
        last = clear[-1] if clear else None
        body.append(
            "<tr>"
            + "".join(
                f"<td>{c}</td>"
                for c in (
                    escape("whole path/row" if region == "path_row" else region),
                    _cell((series or every)[-1]["region_km2"], 0),
                    len(series),
                    len(clear),
                    escape(last["acquired"][:10]) if last else "none",
                    _cell(last["snow_ice_km2"]) if last else "–",
                    _cell(last["water_km2"]) if last else "–",
                    _cell(last["clear_fraction"] * 100, 0) + " %" if last else "–",
                )
            )
            + "</tr>"
        )
    links = " · ".join(
        f'<a href="{escape(href)}">{escape(label)}</a>' for label, href in (files or {}).items()
    )
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{_STYLE}</style></head><body>
<h1>{escape(title)}</h1>
<p class="note">Clear-sky snow/ice (NDSI &gt; 0.4, NIR &gt; 0.11, green &gt; 0.10) and water
(MNDWI &gt; 0, NIR &le; 0.11) per scene. Hollow points: less than {clear_threshold:.0%} of the
region seen clear (the area is a lower bound); the trend uses the clear points only.</p>
<p><img src="{escape(plot)}" alt="snow/ice and water area over time per region"></p>
<table><thead><tr><th>region</th><th>area km²</th><th>scenes</th><th>clear scenes</th>
<th>latest clear</th><th>snow/ice km²</th><th>water km²</th><th>clear</th></tr></thead>
<tbody>{"".join(body)}</tbody></table>
<p>{links}</p>
</body></html>
"""
    return html.encode()
