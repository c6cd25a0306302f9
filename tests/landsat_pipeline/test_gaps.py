"""The gap report's classification (landsat_pipeline/gaps.py), without I/O."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from landsat_pipeline.gaps import build_gap_report, gap_report_html, scenes_to_reconcile

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
    assert "off schedule" in gap_report_html(result)


def test_only_recent_unpublished_scenes_are_reconciled():
    scenes = [Found("OLD", at("2024-06-12"), 1.0), Found("NEW", at("2024-08-15"), 1.0)]
    now = datetime.datetime(2024, 8, 20, tzinfo=UTC)
    result = report("2024-08-20", scenes)
    chosen = scenes_to_reconcile(result, now=now, look_back=datetime.timedelta(days=30))
    assert [e["scene_id"] for e in chosen] == ["NEW"]
    every = scenes_to_reconcile(result, now=now, look_back=datetime.timedelta(days=3650))
    assert [e["scene_id"] for e in every] == ["OLD", "NEW"]
