"""The gallery: HTML pages of the published scenes, from the STAC documents.

``index.html`` at the bucket root (one card per path/row, from ``catalog.json``), and per
path/row its ``index.html`` (the newest scenes) and one page per year (from its
``collection.json``).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from landsat_pipeline.publishing.documents import has_gaps, links_of

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; background: #111; color: #eee; }
a { color: #9cf; }
.grid { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; width: 260px; background: #222; padding: .5rem; border-radius: 4px; }
figure img { width: 100%; height: 240px; object-fit: contain; background: #000; }
figcaption { font-size: .8rem; line-height: 1.5; }
figcaption .id { font-family: monospace; font-size: .7rem; word-break: break-all; color: #aaa; }
"""
_RECENT = 24
"""Scenes on a path/row's front page; older ones are on its pages per year."""


def page(title: str, body: str) -> str:
    """A gallery page: the common head and style, ``title`` and ``body``."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n{body}\n</body>\n</html>\n"
    )


def _scenes(count: int) -> str:
    return f"{count} scene" if count == 1 else f"{count} scenes"


def gallery_html(catalog: Mapping) -> str:
    """The root gallery page: one card per path/row (its latest scene), from catalog.json."""
    cards = []
    children = links_of(catalog, "child")
    # The composites' catalog (landsat_pipeline.publishing.composites): a line, not a card.
    composites = [c for c in children if "landsat_ops:composites" in c]
    children = [c for c in children if "landsat_ops:composites" not in c]
    for child in children:
        base = child["href"].removeprefix("./").rsplit("/", 1)[0]
        count = child.get("landsat_ops:scenes", 0)
        latest = str(child.get("landsat_ops:latest") or "")[:10]
        thumb = child.get("landsat_ops:thumbnail")
        image = (
            f'<a href="{html.escape(base)}/index.html"><img src="{html.escape(thumb)}" '
            f'loading="lazy" alt="latest scene of {html.escape(child["title"])}"></a>'
            if thumb
            else ""
        )
        cards.append(
            f"<figure>{image}<figcaption><b>{html.escape(child['title'])}</b><br>"
            f"{_scenes(count)}" + (f", latest {html.escape(latest)}" if latest else "") + "<br>"
            f'<a href="{html.escape(base)}/index.html">scenes</a> '
            f'<a href="{html.escape(child["href"].removeprefix("./"))}">collection.json</a>'
            + (
                f' <a href="{html.escape(child["landsat_ops:gaps"])}">gap report</a>'
                if child.get("landsat_ops:gaps")
                else ""
            )
            + "</figcaption></figure>"
        )
    total = sum(child.get("landsat_ops:scenes", 0) for child in children)
    # Pages published beside the scenes (landsat_pipeline.publishing.root): time-lapses, extent.
    pages = "".join(
        f'<li><a href="{html.escape(link["href"].removeprefix("./"))}">'
        f"{html.escape(link.get('title') or link['href'])}</a></li>\n"
        for link in links_of(catalog, "related")
        if link.get("type") == "text/html"
    )
    body = (
        f'<p>{_scenes(total)} in {len(cards)} path/rows. STAC: <a href="catalog.json">'
        "catalog.json</a>.</p>\n"
        + (f"<ul>\n{pages}</ul>\n" if pages else "")
        + "".join(
            f'<p><a href="{html.escape(c["href"].removeprefix("./").rsplit("/", 1)[0])}/'
            f'index.html">{html.escape(c["title"])}</a> ({c["landsat_ops:composites"]})</p>\n'
            for c in composites
        )
        + ('<div class="grid">\n' + "\n".join(cards) + "\n</div>" if cards else "")
    )
    return page("Landsat scenes", body if cards else "<p>No scenes published yet.</p>")


def _card(link: Mapping, prefix: str = "") -> str:
    previews = link.get("landsat_ops:previews") or {}
    cogs = link.get("landsat_ops:cogs") or {}
    thumb = link.get("landsat_ops:thumbnail") or previews.get("truecolor")
    when = str(link.get("datetime") or "")[:10]
    cloud = link.get("eo:cloud_cover")
    details = [html.escape(str(link.get("platform") or "").replace("landsat-", "Landsat "))]
    if isinstance(cloud, int | float):
        details.append(f"cloud {cloud:.0f} %")
    full = previews.get("truecolor") or thumb

    def href(path: str) -> str:
        return html.escape(prefix + path.removeprefix("./"))

    image = (
        f'<a href="{href(full)}"><img src="{href(thumb)}" loading="lazy" '
        f'alt="{html.escape(link.get("title", ""))}"></a>'
        if thumb
        else ""
    )
    previews_html = " ".join(f'<a href="{href(p)}">{name}</a>' for name, p in previews.items())
    cogs_html = " ".join(f'<a href="{href(p)}">{name}</a>' for name, p in cogs.items())
    return (
        f"<figure>{image}<figcaption><b>{html.escape(when)}</b> "
        f"{', '.join(d for d in details if d)}<br>"
        f'<span class="id">{html.escape(link.get("title", ""))}</span><br>'
        f"previews: {previews_html}<br>COGs: {cogs_html}<br>"
        f'<a href="{href(link["href"])}">STAC item</a></figcaption></figure>'
    )


def path_row_pages(
    key: str, collection: Mapping, *, years: set[str] | None = None
) -> dict[str, str]:
    """A path/row's gallery: ``index.html`` (the newest scenes) and one page per year.

    ``years`` limits the year pages made (publishing a scene rewrites its year's page and the
    front page only); they derive from the collection already in hand.
    """
    base = key.rsplit("/", 1)[0]
    items = links_of(collection, "item")
    by_year: dict[str, list[dict]] = {}
    for link in items:
        by_year.setdefault(str(link.get("datetime") or "")[:4] or "undated", []).append(link)
    title = collection.get("title", key)
    nav = " ".join(
        f'<a href="{year}.html">{year}</a> ({len(links)})'
        for year, links in sorted(by_year.items())
    )
    front = (
        f'<p><a href="../../../index.html">all path/rows</a> · {_scenes(len(items))} · '
        '<a href="collection.json">collection.json</a>'
        + (' · <a href="gaps.html">gap report</a>' if has_gaps(collection) else "")
        + f"</p>\n<p>By year: {nav}</p>\n<h2>Newest</h2>\n"
        '<div class="grid">\n' + "\n".join(_card(link) for link in items[:_RECENT]) + "\n</div>"
    )
    pages = {f"{base}/index.html": page(title, front)}
    for year, links in by_year.items():
        if years is not None and year not in years:
            continue
        body = (
            f'<p><a href="index.html">newest</a> · {year}: {_scenes(len(links))}</p>\n'
            '<div class="grid">\n' + "\n".join(_card(link) for link in links) + "\n</div>"
        )
        pages[f"{base}/{year}.html"] = page(f"{title}, {year}", body)
    return pages
