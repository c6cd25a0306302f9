"""The scene a run processes when a day has several, and what the discover task passes on."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from landsat_pipeline.discovery.items import DiscoveredScene
from landsat_pipeline.xcom import Scene

__all__ = ["pick_scene", "scene_to_xcom"]


_CATEGORY_RANK = {"T1": 0, "T2": 1, "RT": 2}


def pick_scene(scenes: Sequence[DiscoveredScene]) -> DiscoveredScene:
    """The scene to process when a day has several: Tier 1 first, then the latest processing."""

    def rank(scene):
        parts = scene.scene_id.split("_")
        category = parts[-1] if len(parts) == 7 else ""
        processed = parts[4] if len(parts) == 7 else ""
        return (_CATEGORY_RANK.get(category, 3), _negate(processed), scene.scene_id)

    return sorted(scenes, key=rank)[0]


def _negate(digits: str) -> str:
    return "".join(str(9 - int(c)) for c in digits if c.isdigit())


def scene_to_xcom(scene: DiscoveredScene) -> Scene:
    """What the discover task passes on: IDs, dates and asset URIs (never data)."""
    acquired = scene.acquired.astimezone(datetime.UTC)
    return {
        "scene_id": scene.scene_id,
        "item_id": scene.item_id or scene.scene_id,
        "acquired": acquired.isoformat(),
        "date": acquired.date().isoformat(),
        "path": scene.path,
        "row": scene.row,
        "cloud_cover": scene.cloud_cover,
        "platform": scene.platform,
        "assets": dict(scene.assets),
        "sources": {key: dict(source) for key, source in scene.sources.items()},
    }
