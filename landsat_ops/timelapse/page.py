"""The gallery page of a time-lapse folder: ``index.html`` with every time-lapse in it.

One section per time-lapse item of the folder (``<name>.json``, switched to its current
version): the MP4 in a ``<video controls>`` element (muted and looping, so browsers may start
it without a click), the animated WebP beside it (it plays in an ``<img>`` wherever video
does not), true colour and false colour, and a table of the frames: the period, what it shows,
its source. Hrefs are relative (``./<name>/<version>/<file>``), so the page works from a local
folder, any static web server or an S3 website alike.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

__all__ = ["PAGE_NAME", "timelapse_page"]

PAGE_NAME = "index.html"
_VARIANT_TITLES = {
    "truecolor": "True colour",
    "falsecolor": "False colour (SWIR2/NIR/coastal: ice cyan)",
}
_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px;
       padding: 0 1em; color: #1d1d1f; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
.pair { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; flex: 1 1 540px; }
video, img.anim { width: 100%; height: auto; background: #222; }
figcaption { color: #555; font-size: .9em; }
table { border-collapse: collapse; margin-top: 1em; font-size: .9em; }
td, th { border-bottom: 1px solid #ddd; padding: .25em .7em; text-align: left; }
td.gap { color: #a33; }
""".strip()


def _esc(value) -> str:
    return html.escape(str(value), quote=True)


def _href(item: Mapping, key: str) -> str | None:
    asset = (item.get("assets") or {}).get(key)
    return str(asset["href"]) if isinstance(asset, Mapping) and asset.get("href") else None


def _section(item: Mapping) -> str:
    props = item.get("properties") or {}
    info = props.get("landsat_ops:timelapse") or {}
    name = _esc(item.get("id"))
    frames = info.get("frames") or []
    parts = [
        f'<section id="{name}">',
        f"<h2>{_esc(props.get('title') or item.get('id'))}</h2>",
        f"<p>{len(frames)} frame{'' if len(frames) == 1 else 's'}, {_esc(info.get('period', ''))}, "
        f"{_esc(info.get('seconds_per_frame', 1))} s each; "
        f'<a href="{name}.json">STAC item</a></p>',
        '<div class="pair">',
    ]
    poster = _href(item, "thumbnail")
    for variant, title in _VARIANT_TITLES.items():
        mp4, webp = _href(item, f"{variant}_mp4"), _href(item, f"{variant}_webp")
        if not mp4:
            continue
        poster_attr = f' poster="{_esc(poster)}"' if poster and variant == "truecolor" else ""
        parts += [
            f'<figure class="{variant}">',
            f'<video controls muted loop playsinline preload="auto"{poster_attr} '
            f'data-variant="{variant}"><source src="{_esc(mp4)}" type="video/mp4">'
            f'<a href="{_esc(mp4)}">{_esc(mp4)}</a></video>',
            f"<figcaption>{_esc(title)}: "
            f'<a href="{_esc(mp4)}">MP4 (H.264)</a>'
            + (f' · <a href="{_esc(webp)}">animated WebP</a>' if webp else "")
            + "</figcaption>",
            "</figure>",
        ]
    parts.append("</div>")
    webps = [(v, _href(item, f"{v}_webp")) for v in _VARIANT_TITLES]
    if any(href for _, href in webps):
        parts.append('<div class="pair">')
        for variant, href in webps:
            if href:
                parts.append(
                    f'<figure><img class="anim" src="{_esc(href)}" '
                    f'alt="{_esc(_VARIANT_TITLES[variant])} time-lapse (animated WebP)">'
                    f"<figcaption>{_esc(_VARIANT_TITLES[variant])}, animated WebP</figcaption>"
                    "</figure>"
                )
        parts.append("</div>")
    rows = [
        "<table><tr><th>frame</th><th>period</th><th>shows</th><th>source</th></tr>",
        *(
            f"<tr><td>{i + 1}</td><td>{_esc(f.get('title'))}</td>"
            f'<td class="{"gap" if f.get("kind") == "gap" else ""}">{_esc(f.get("detail"))}</td>'
            f"<td>{_esc(', '.join(s.get('id', '') for s in f.get('sources') or []) or '-')}</td>"
            "</tr>"
            for i, f in enumerate(frames)
        ),
        "</table>",
    ]
    parts += rows
    parts.append("</section>")
    return "\n".join(parts)


def timelapse_page(title: str, items: Sequence[Mapping]) -> str:
    """The folder's page: one section per time-lapse item (its hrefs relative to the folder)."""
    sections = [_section(item) for item in sorted(items, key=lambda i: str(i.get("id")))]
    body = "\n".join(sections) if sections else "<p>No time-lapse published here yet.</p>"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>\n{_STYLE}\n</style>\n</head>\n<body>\n"
        f"<h1>{_esc(title)}</h1>\n{body}\n</body>\n</html>\n"
    )
