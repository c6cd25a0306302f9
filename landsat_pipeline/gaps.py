"""The gap report of a path/row: every overpass since the start date, and what became of it.

Like the archive-sync reports of national data cubes, it compares three lists:

* the overpasses the WRS-2 model predicts for the watched satellites
  (:func:`landsat_ops.overpass.acquisitions`, the DAGs' schedule);
* what the catalog holds for the path/row (one search over the whole range);
* what is published (the path/row's STAC collection: one object read).

Each overpass (and any catalog scene off the predicted days) gets one status:

``published``
    its product set is in ``published/``.
``cloudy``
    the catalog has the scene, above the area's cloud limit: skipped on purpose.
``missing``
    no scene in the catalog and its availability window has ended: it will not come.
``pending``
    no scene yet, but the window is still open: the scheduled run waits for it.
``unpublished``
    the catalog has the scene, under the cloud limit, but nothing is published: its run
    failed, was never run, or the scene arrived after its window. The reconcile DAG triggers
    the scenes DAG for those acquired within its look-back.

The report is written next to the path/row's collection (:func:`landsat_pipeline.keys.gaps_keys`),
each file only when its content changed: ``gaps.json`` (the whole report), ``gaps.html`` (the
index the gallery links: counts per year and status) and one page per year, ``gaps-YYYY.html``
(its overpasses, with a client-side status filter; ``gaps-2024.html#status=cloudy,missing``
preselects statuses). Plain HTML and a few lines of inline JS: no external resource.
"""

from __future__ import annotations

import datetime
import html
import json
import logging
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from landsat_pipeline.keys import collection_key, gaps_keys
from landsat_pipeline.xcom import SceneRunRequest

__all__ = [
    "STATUSES",
    "GapEntry",
    "GapReport",
    "build_gap_report",
    "gap_report_index_html",
    "gap_report_pages",
    "gap_report_year_html",
    "gap_year_page",
    "published_scene_ids",
    "reconcile_path_row",
    "scenes_to_reconcile",
    "survey",
    "write_gap_report",
]

log = logging.getLogger(__name__)

STATUSES = ("published", "cloudy", "missing", "pending", "unpublished")
_ITEM_HREF = re.compile(r"^\./(?P<date>\d{4}-\d{2}-\d{2})/(?P<id>[^/]+)\.json$")


class GapEntry(TypedDict):
    """One overpass (or off-schedule catalog scene) and its status."""

    date: str
    overpass: bool
    status: str
    scene_id: str | None
    cloud_cover: float | None
    reason: str


class GapReport(TypedDict):
    """The report of one path/row (newest entries first)."""

    path: int
    row: int
    title: str
    start: str
    as_of: str
    max_cloud_cover: float
    counts: dict[str, int]
    entries: list[GapEntry]


def published_scene_ids(store, path: int, row: int) -> dict[str, str]:
    """Date -> scene ID of every scene the path/row's collection links (one object read)."""
    key = collection_key(path, row)
    if not store.exists(key):
        return {}
    collection = json.loads(store.read_bytes(key))
    out = {}
    for link in collection.get("links", []):
        match = _ITEM_HREF.match(str(link.get("href", ""))) if link.get("rel") == "item" else None
        if match:
            out[match["date"]] = match["id"]
    return out


def build_gap_report(
    *,
    path: int,
    row: int,
    title: str,
    start: datetime.date,
    now: datetime.datetime,
    overpasses: Sequence[datetime.datetime],
    catalog_scenes: Sequence[Any],
    published: Mapping[str, str],
    max_cloud_cover: float,
    available_within: datetime.timedelta,
) -> GapReport:
    """Classify every overpass in ``[start, now]`` (pure: no I/O).

    ``catalog_scenes`` are :class:`~landsat_pipeline.discovery.DiscoveredScene`\\ s (or
    objects with ``scene_id``, ``acquired`` and ``cloud_cover``); ``published`` maps dates to
    published scene IDs (:func:`published_scene_ids`).
    """
    by_day: dict[str, Any] = {}
    for scene in catalog_scenes:
        day = scene.acquired.astimezone(datetime.UTC).date().isoformat()
        by_day.setdefault(day, scene)
    days = {at.astimezone(datetime.UTC).date().isoformat(): True for at in overpasses}
    for day in by_day:
        days.setdefault(day, False)
    entries: list[GapEntry] = []
    for day in sorted(days, reverse=True):
        scene = by_day.get(day)
        cloud = None if scene is None else scene.cloud_cover
        scene_id = published.get(day) or (scene.scene_id if scene is not None else None)
        window_end = (
            datetime.datetime.fromisoformat(day).replace(tzinfo=datetime.UTC)
            + datetime.timedelta(days=1)
            + available_within
        )
        if day in published:
            status, reason = "published", "published"
        elif scene is not None and cloud is not None and cloud > max_cloud_cover:
            status, reason = "cloudy", f"{cloud:.1f} % cloud cover > {max_cloud_cover:g} %"
        elif scene is not None:
            status, reason = "unpublished", "in the catalog, not published"
        elif now >= window_end:
            status, reason = "missing", f"not in the catalog by {window_end.isoformat()}"
        else:
            status, reason = "pending", f"may appear until {window_end.isoformat()}"
        entries.append(
            {
                "date": day,
                "overpass": days[day],
                "status": status,
                "scene_id": scene_id,
                "cloud_cover": cloud,
                "reason": reason,
            }
        )
    counts = Counter(entry["status"] for entry in entries)
    return {
        "path": path,
        "row": row,
        "title": title,
        "start": start.isoformat(),
        "as_of": now.astimezone(datetime.UTC).date().isoformat(),
        "max_cloud_cover": max_cloud_cover,
        "counts": {"entries": len(entries), **{s: counts.get(s, 0) for s in STATUSES}},
        "entries": entries,
    }


def scenes_to_reconcile(
    report: GapReport, *, now: datetime.datetime, look_back: datetime.timedelta
) -> list[GapEntry]:
    """The ``unpublished`` entries acquired within ``look_back`` of ``now``, oldest first.

    Older gaps stay in the report: a backfill (or a manual run per scene) takes care of them,
    so that a reconcile never turns into an unplanned archive backfill.
    """
    oldest = (now - look_back).date().isoformat()
    chosen = [e for e in report["entries"] if e["status"] == "unpublished" and e["date"] >= oldest]
    return sorted(chosen, key=lambda e: e["date"])


_COLOURS = {
    "published": "#2ca02c",
    "cloudy": "#7f7f7f",
    "missing": "#d62728",
    "pending": "#1f77b4",
    "unpublished": "#ff7f0e",
}

_STYLE = """body{font-family:sans-serif;margin:1.5em}td,th{padding:2px 8px;text-align:left}
tr:nth-child(even){background:#f4f4f4}td.n{text-align:right}fieldset{display:inline-block}
nav a{margin-right:.6em}"""

# The year pages' status filter: plain JS, no external resource. Without JS every row shows.
# ``#status=cloudy,missing`` in the address preselects statuses (the index links use it).
_FILTER_JS = """(function () {
  var boxes = document.querySelectorAll("#filter input");
  var rows = document.querySelectorAll("#entries tbody tr");
  function apply() {
    var on = {}, shown = 0;
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    rows.forEach(function (r) { r.hidden = !on[r.dataset.status]; if (!r.hidden) shown++; });
    document.getElementById("shown").textContent = shown;
  }
  var m = /status=([a-z,]+)/.exec(location.hash);
  if (m) {
    var want = m[1].split(",");
    boxes.forEach(function (b) { b.checked = want.indexOf(b.value) >= 0; });
  }
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  apply();
})();"""


def gap_year_page(year: int | str) -> str:
    """The file name of one year's page of a gap report, beside ``gaps.html``."""
    return f"gaps-{year}.html"


def _years(report: GapReport) -> dict[str, list[GapEntry]]:
    """Year -> its entries (newest year first, entries newest first, as in the report)."""
    years: dict[str, list[GapEntry]] = {}
    for entry in report["entries"]:
        years.setdefault(entry["date"][:4], []).append(entry)
    return dict(sorted(years.items(), reverse=True))


def _summary(counts: Mapping[str, int]) -> str:
    return ", ".join(
        f'<span style="color:{_COLOURS[s]}">{counts.get(s, 0)} {s}</span>' for s in STATUSES
    )


def _page(title: str, body: str, script: str = "") -> str:
    script = f"<script>\n{script}\n</script>\n" if script else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{_STYLE}</style></head>
<body>{body}
{script}</body></html>
"""


def _title(report: GapReport) -> str:
    return html.escape(f"{report['title']}: WRS-2 {report['path']:03d}/{report['row']:03d}")


def gap_report_index_html(report: GapReport) -> str:
    """``gaps.html``: the counts, then one row per year (counts per status) linking its page."""
    title = _title(report)
    counts = report["counts"]
    rows = []
    for year, entries in _years(report).items():
        per = Counter(entry["status"] for entry in entries)
        page = gap_year_page(year)
        cells = "".join(
            f'<td class="n"><a href="{page}#status={s}" style="color:{_COLOURS[s]}">{per[s]}</a>'
            "</td>"
            if per[s]
            else '<td class="n">0</td>'
            for s in STATUSES
        )
        rows.append(
            f'<tr><td><a href="{page}">{year}</a></td><td class="n">{len(entries)}</td>{cells}</tr>'
        )
    heads = "".join(f"<th>{s}</th>" for s in STATUSES)
    body = f"""<h1>Gaps of {title}</h1>
<p>{counts["entries"]} overpasses from {report["start"]} to {report["as_of"]}: {_summary(counts)}.
Cloud limit {report["max_cloud_cover"]:g} %. <a href="gaps.json">gaps.json</a>,
<a href="collection.json">collection.json</a>, <a href="../../../index.html">gallery</a>.</p>
<p>One page per year; a count opens that year's page showing that status only.</p>
<table id="years"><thead><tr><th>year</th><th>overpasses</th>{heads}</tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table>"""
    return _page(f"Gaps of {title}", body)


def gap_report_year_html(report: GapReport, year: str) -> str:
    """``gaps-YYYY.html``: the year's entries, with a status filter (a few lines of JS)."""
    title = _title(report)
    years = list(_years(report))
    entries = _years(report)[year]
    per = Counter(entry["status"] for entry in entries)
    rows = "\n".join(
        "<tr data-status='{status}'><td>{date}</td><td>{kind}</td>"
        "<td style='color:{colour}'>{status}</td><td>{scene}</td><td>{cloud}</td>"
        "<td>{reason}</td></tr>".format(
            date=entry["date"],
            kind="overpass" if entry["overpass"] else "off schedule",
            colour=_COLOURS[entry["status"]],
            status=entry["status"],
            scene=html.escape(entry["scene_id"] or "-"),
            cloud="-" if entry["cloud_cover"] is None else f"{entry['cloud_cover']:.1f}",
            reason=html.escape(entry["reason"]),
        )
        for entry in entries
    )
    boxes = " ".join(
        f'<label style="color:{_COLOURS[s]}"><input type="checkbox" value="{s}" checked> '
        f"{s} ({per[s]})</label>"
        for s in STATUSES
    )
    at = years.index(year)
    newer = f'<a href="{gap_year_page(years[at - 1])}">{years[at - 1]} &rarr;</a>' if at else ""
    older = (
        f'<a href="{gap_year_page(years[at + 1])}">&larr; {years[at + 1]}</a>'
        if at + 1 < len(years)
        else ""
    )
    body = f"""<h1>Gaps of {title}, {year}</h1>
<nav>{older} <a href="gaps.html">all years</a> {newer}
<a href="../../../index.html">gallery</a></nav>
<p>{len(entries)} overpasses in {year}: {_summary(per)}. Cloud limit
{report["max_cloud_cover"]:g} %. As of {report["as_of"]}.</p>
<fieldset id="filter"><legend>show</legend>{boxes}</fieldset>
<p><span id="shown">{len(entries)}</span> shown.</p>
<table id="entries"><thead><tr><th>date</th><th>kind</th><th>status</th><th>scene</th>
<th>cloud %</th><th>why</th></tr></thead><tbody>
{rows}
</tbody></table>"""
    return _page(f"Gaps of {title}, {year}", body, _FILTER_JS)


def gap_report_pages(report: GapReport) -> dict[str, str]:
    """File name -> HTML of every page of the report: ``gaps.html`` and ``gaps-YYYY.html``."""
    pages = {"gaps.html": gap_report_index_html(report)}
    for year in _years(report):
        pages[gap_year_page(year)] = gap_report_year_html(report, year)
    return pages


def _linked(store, report: GapReport) -> bool:
    """Whether the path/row's collection links its gap report already."""
    key = collection_key(report["path"], report["row"])
    if not store.exists(key):
        return False
    collection = json.loads(store.read_bytes(key))
    return any(link.get("href") == "./gaps.html" for link in collection.get("links", []))


def write_gap_report(store, report: GapReport) -> dict[str, str]:
    """Write ``gaps.json``, ``gaps.html`` and the year pages of the report when they changed.

    Returns the URIs of ``json`` and ``html`` (the index; the year pages are beside it).
    """
    from landsat_pipeline.publishing import write_if_changed

    keys = gaps_keys(report["path"], report["row"])
    folder = keys["html"].rsplit("/", 1)[0]
    document = (json.dumps(report, indent=2) + "\n").encode()
    wrote_json = write_if_changed(store, keys["json"], document, "application/json")
    wrote_html = False
    for name, page in gap_report_pages(report).items():
        wrote_html |= write_if_changed(
            store, f"{folder}/{name}", page.encode(), "text/html; charset=utf-8"
        )
    if wrote_json or wrote_html or not _linked(store, report):
        from landsat_pipeline.publishing import update_catalogs

        update_catalogs(
            store, report["path"], report["row"], title=report["title"], gap_report=True
        )
    log.info(
        "Gap report of %03d/%03d: %s (%s)",
        report["path"],
        report["row"],
        report["counts"],
        "written" if wrote_json or wrote_html else "unchanged",
    )
    return {name: store.uri(key) for name, key in keys.items()}


def survey(config, watch, store, *, now: datetime.datetime) -> GapReport:
    """The gap report of one watched path/row: one catalog search, one collection read."""
    from landsat_ops.overpass import acquisitions
    from landsat_pipeline.discovery import discover, path_row_point

    catalog = config.catalog
    start = datetime.datetime.combine(watch.start_date, datetime.time(), datetime.UTC)
    scenes = []
    for satellite in watch.satellites:
        scenes += discover(
            catalog.url,
            path=watch.path,
            row=watch.row,
            start=start,
            end=now,
            collection=catalog.collection,
            max_cloud=None,
            platform=f"landsat-{satellite}",
            max_retries=catalog.max_retries,
            timeout=catalog.timeout_seconds,
            intersects=path_row_point(watch.path, watch.row),
            limit=catalog.page_limit,
        )
    # The DAGs' own schedule (WRS2OverpassTimetable computes it with the same function).
    overpasses = acquisitions(
        watch.path, watch.row, watch.start_date, now.date(), satellites=watch.satellites
    )
    return build_gap_report(
        path=watch.path,
        row=watch.row,
        title=watch.title,
        start=watch.start_date,
        now=now,
        overpasses=[acquisition.at for acquisition in overpasses],
        catalog_scenes=scenes,
        published=published_scene_ids(store, watch.path, watch.row),
        max_cloud_cover=watch.max_cloud_cover,
        available_within=watch.wait_for_scene,
    )


def reconcile_path_row(config, watch, store, *, now: datetime.datetime) -> list[SceneRunRequest]:
    """Write the path/row's gap report; the scenes DAG runs that late scenes need.

    One run per ``unpublished`` scene acquired within ``reconcile_days``, with a run ID derived
    from the scene (``reconcile__<scene ID>``), so a scene is requested once however often the
    reconcile runs; a failed one is retried from the UI (clear it) like any run.
    """
    report = survey(config, watch, store, now=now)
    write_gap_report(store, report)
    late = scenes_to_reconcile(report, now=now, look_back=watch.reconcile_look_back)
    for entry in late:
        log.info(
            "%s (%s) is in the catalog but not published: requesting a run of %s",
            entry["scene_id"],
            entry["date"],
            watch.dag_id,
        )
    return [
        {
            "trigger_dag_id": watch.dag_id,
            "trigger_run_id": f"reconcile__{entry['scene_id']}",
            "conf": {"scene_id": entry["scene_id"]},
        }
        for entry in late
    ]
