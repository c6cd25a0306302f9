"""The gap report's classification (landsat_pipeline/gaps.py), without I/O."""

from __future__ import annotations

import datetime
import re
import subprocess
from dataclasses import dataclass

import pytest

from landsat_pipeline.gaps import (
    build_gap_report,
    gap_report_pages,
    gap_report_year_html,
    scenes_to_reconcile,
)
from tests.support.browser import chromium_command, needs_chromium

UTC = datetime.UTC


@dataclass
class Found:
    scene_id: str
    acquired: datetime.datetime
    cloud_cover: float | None


def at(day: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=14, minute=30, tzinfo=UTC)


def report(now: str, scenes=(), published=None, window_days: float = 3):
    days = ["2024-06-12", "2024-06-28", "2024-07-14", "2024-07-30", "2024-08-15"]
    return build_gap_report(
        path=226,
        row=10,
        title="Test",
        start=datetime.date(2024, 6, 1),
        now=datetime.datetime.fromisoformat(now).replace(tzinfo=UTC),
        overpasses=[at(d) for d in days],
        catalog_scenes=list(scenes),
        published=published or {},
        max_cloud_cover=50,
        available_within=datetime.timedelta(days=window_days),
    )


def statuses(result) -> dict[str, str]:
    return {entry["date"]: entry["status"] for entry in result["entries"]}


def test_every_status():
    scenes = [
        Found("A", at("2024-06-12"), 10.0),
        Found("B", at("2024-06-28"), 80.0),
        Found("C", at("2024-07-14"), None),
    ]
    result = report("2024-08-17T12:00", scenes, published={"2024-06-12": "A"})
    assert statuses(result) == {
        "2024-08-15": "pending",  # its window (3 days after the acquisition day) is open
        "2024-07-30": "missing",
        "2024-07-14": "unpublished",  # unknown cloud cover counts as under the limit
        "2024-06-28": "cloudy",
        "2024-06-12": "published",
    }
    assert result["counts"] == {
        "entries": 5,
        "published": 1,
        "cloudy": 1,
        "missing": 1,
        "pending": 1,
        "unpublished": 1,
    }
    assert [e["date"] for e in result["entries"]] == sorted(statuses(result), reverse=True)


def test_the_window_counts_from_the_acquisition_day():
    # 2024-08-15's window ends 2024-08-16T00:00 + 3 days.
    assert statuses(report("2024-08-18T23:59"))["2024-08-15"] == "pending"
    assert statuses(report("2024-08-19T00:00"))["2024-08-15"] == "missing"


def test_a_catalog_scene_off_the_predicted_days_is_listed():
    result = report("2024-08-30", [Found("L9", at("2024-07-22"), 5.0)])
    entry = next(e for e in result["entries"] if e["date"] == "2024-07-22")
    assert entry["overpass"] is False and entry["status"] == "unpublished"
    assert "off schedule" in gap_report_year_html(result, "2024")


def test_only_recent_unpublished_scenes_are_reconciled():
    scenes = [Found("OLD", at("2024-06-12"), 1.0), Found("NEW", at("2024-08-15"), 1.0)]
    now = datetime.datetime(2024, 8, 20, tzinfo=UTC)
    result = report("2024-08-20", scenes)
    chosen = scenes_to_reconcile(result, now=now, look_back=datetime.timedelta(days=30))
    assert [e["scene_id"] for e in chosen] == ["NEW"]
    every = scenes_to_reconcile(result, now=now, look_back=datetime.timedelta(days=3650))
    assert [e["scene_id"] for e in every] == ["OLD", "NEW"]


# -- the pages: an index with counts per year and status, one page per year, a status filter --
def long_report():
    """Overpasses of 226/010 from 2021-10 to 2024-08 (three years and a bit), every status."""
    from landsat_ops.overpass import acquisitions

    overpasses = [
        a.at for a in acquisitions(226, 10, datetime.date(2021, 10, 1), datetime.date(2024, 8, 16))
    ]
    recent = datetime.datetime(2024, 8, 10, tzinfo=UTC)  # later overpasses: no scene yet
    scenes = [
        Found(f"S{i}", at, 10.0 if i % 3 else 90.0)
        for i, at in enumerate(overpasses)
        if i % 2 and at < recent
    ]
    published = {
        f.acquired.date().isoformat(): f.scene_id for f in scenes[::4] if f.cloud_cover < 50
    }
    return build_gap_report(
        path=226,
        row=10,
        title="Test <area>",
        start=datetime.date(2021, 10, 1),
        now=datetime.datetime(2024, 8, 17, 12, tzinfo=UTC),
        overpasses=overpasses,
        catalog_scenes=scenes,
        published=published,
        max_cloud_cover=50,
        available_within=datetime.timedelta(days=3),
    )


def rows(page: str) -> list[tuple[str, str]]:
    """(status, date) of every entry row of a year page."""
    return re.findall(r"<tr data-status='(\w+)'><td>(\d{4}-\d\d-\d\d)</td>", page)


def test_one_page_per_year_and_an_index_with_counts_per_year_and_status():
    report = long_report()
    pages = gap_report_pages(report)
    assert list(pages) == [
        "gaps.html",
        "gaps-2024.html",
        "gaps-2023.html",
        "gaps-2022.html",
        "gaps-2021.html",
    ]
    statuses = {e["status"] for e in report["entries"]}
    assert statuses == {"published", "cloudy", "missing", "pending", "unpublished"}
    listed = []
    for year in ("2024", "2023", "2022", "2021"):
        page = pages[f"gaps-{year}.html"]
        expected = [(e["status"], e["date"]) for e in report["entries"] if e["date"][:4] == year]
        assert rows(page) == expected  # the year's entries only, newest first
        listed += expected
        for status in statuses:  # the index: that year's count of each status, linked
            count = sum(1 for s, _ in expected if s == status)
            cell = f'<a href="gaps-{year}.html#status={status}" style="color:' if count else None
            if cell:
                assert re.search(
                    re.escape(cell) + r"[^\"]+\">" + str(count) + "</a>", pages["gaps.html"]
                )
        assert (
            f'<tr><td><a href="gaps-{year}.html">{year}</a></td><td class="n">{len(expected)}</td>'
            in pages["gaps.html"]
        )
    assert len(listed) == report["counts"]["entries"]  # every entry on exactly one page
    index = pages["gaps.html"]
    for link in ("gaps.json", "collection.json", "../../../index.html"):
        assert f'href="{link}"' in index  # the gallery's links and the report's own
    assert "Test &lt;area&gt;" in index and "<area>" not in index


def test_the_pages_need_no_external_resource():
    for page in gap_report_pages(long_report()).values():
        assert not re.search(r"(src|href)=\"(https?:)?//", page)
        assert "<link" not in page and "<script src" not in page
        assert len(page) < 40_000  # a year, not 423 rows


def test_year_pages_link_their_neighbours_and_the_index():
    pages = gap_report_pages(long_report())
    page = pages["gaps-2022.html"]
    assert 'href="gaps-2021.html"' in page and 'href="gaps-2023.html"' in page
    assert 'href="gaps.html"' in page
    assert 'href="gaps-2025.html"' not in pages["gaps-2024.html"]


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("wanted", [None, ("cloudy",), ("missing", "unpublished")])
def test_the_status_filter_in_a_browser(tmp_path, wanted):
    """The page's script hides the rows of unticked statuses; ``#status=`` preselects them."""
    report = long_report()
    page = tmp_path / "gaps-2023.html"
    page.write_text(gap_report_pages(report)["gaps-2023.html"])
    url = page.as_uri() + (f"#status={','.join(wanted)}" if wanted else "")
    dom = subprocess.run(
        chromium_command(tmp_path / "profile", "--virtual-time-budget=2000", "--dump-dom", url),
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    shown = re.findall(r'<tr data-status="(\w+)">', dom)
    hidden = re.findall(r'<tr data-status="(\w+)" hidden="">', dom)
    entries = [e["status"] for e in report["entries"] if e["date"][:4] == "2023"]
    assert sorted(shown + hidden) == sorted(entries), dom[-2000:]
    keep = set(wanted or entries)
    assert shown == [s for s in entries if s in keep] and shown
    assert hidden == [s for s in entries if s not in keep]
    assert f'<span id="shown">{len(shown)}</span>' in dom
