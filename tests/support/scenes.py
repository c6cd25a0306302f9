"""The discover task's XCom of a scene of 226/010, for the publishing and gallery tests."""

from __future__ import annotations


def scene(day: str = "2024-06-28", processed: str = "20240708") -> dict:
    """``{"scene_id", "date", "path", "row"}`` of the Landsat 8 scene of 226/010 on ``day``."""
    compact = day.replace("-", "")
    return {
        "scene_id": f"LC08_L1TP_226010_{compact}_{processed}_02_T1",
        "date": day,
        "path": 226,
        "row": 10,
    }
