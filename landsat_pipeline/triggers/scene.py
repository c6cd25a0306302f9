"""The trigger a scene search defers to: search until the scene appears or its window ends.

:class:`SceneSearchTrigger` runs :func:`landsat_pipeline.discovery.discover` for one path/row
and acquisition interval every ``poll_seconds`` in the triggerer (the blocking HTTP calls in a
thread), so a run whose scene is not published yet waits without holding a worker slot. It
yields one ``TriggerEvent``: ``{"status": "found", "scene_ids": [...], "scene": {...}}`` as
soon as the catalog has a scene (``scene``: the XCom of the one to process, i.e.
:func:`~landsat_pipeline.discovery.scene_to_xcom` of
:func:`~landsat_pipeline.discovery.pick_scene`, so the sensor does not search again),
``{"status": "expired"}`` once ``deadline`` (the end of the scene's availability window,
counted from the acquisition) has passed, or ``{"status": "error", "message": ...}`` when the
search itself fails. ``LandsatSceneSensor.execute_complete`` acts on it.

:func:`search_scenes` is the one search both use (the sensor's direct search, its ``scene_id``
lookup and this trigger's).
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

__all__ = ["SceneSearchTrigger", "search_scenes"]


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def search_scenes(
    catalog_url: str,
    *,
    collection: str | None,
    platform: str,
    path: int,
    row: int,
    start: datetime.datetime,
    end: datetime.datetime,
    max_retries: int | str = 3,
    timeout_seconds: float | str = 30.0,
    page_limit: int | str = 100,
) -> list[Any]:
    """The catalog's scenes of a path/row and platform acquired in ``[start, end)`` (blocking).

    Any cloud cover: a cloudy scene is a reason to skip a run, not to wait for another. The
    numbers may be strings (the sensor's rendered templates).
    """
    from landsat_pipeline.discovery import discover, path_row_point

    return discover(
        catalog_url,
        path=int(path),
        row=int(row),
        start=start,
        end=end,
        collection=collection or None,
        max_cloud=None,
        platform=platform,
        max_retries=int(max_retries),
        timeout=float(timeout_seconds),
        intersects=path_row_point(int(path), int(row)),
        limit=int(page_limit),
    )


class SceneSearchTrigger(BaseTrigger):
    """Search a STAC catalog in the triggerer until a path/row's scene of an interval appears.

    :param catalog_url: STAC API root URL or a static catalog.
    :param collection: the catalog's collection (None: any).
    :param platform: the platform (``landsat-8``).
    :param path: WRS-2 path.
    :param row: WRS-2 row.
    :param start: start of the acquisition interval (ISO 8601, UTC).
    :param end: end of the acquisition interval (ISO 8601, UTC).
    :param deadline: when the scene can no longer be expected (ISO 8601, UTC).
    :param poll_seconds: seconds between searches.
    :param max_retries: retries of a failed catalog request.
    :param timeout_seconds: timeout of one catalog request.
    :param page_limit: items asked per page of the search (the config's ``catalog.page_limit``).
    """

    def __init__(
        self,
        *,
        catalog_url: str,
        collection: str | None,
        platform: str,
        path: int,
        row: int,
        start: str,
        end: str,
        deadline: str,
        poll_seconds: float,
        max_retries: int = 3,
        timeout_seconds: float = 30.0,
        page_limit: int = 100,
    ) -> None:
        super().__init__()
        self.catalog_url = catalog_url
        self.collection = collection
        self.platform = platform
        self.path = int(path)
        self.row = int(row)
        self.start = start
        self.end = end
        self.deadline = deadline
        self.poll_seconds = float(poll_seconds)
        self.max_retries = int(max_retries)
        self.timeout_seconds = float(timeout_seconds)
        self.page_limit = int(page_limit)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "catalog_url": self.catalog_url,
                "collection": self.collection,
                "platform": self.platform,
                "path": self.path,
                "row": self.row,
                "start": self.start,
                "end": self.end,
                "deadline": self.deadline,
                "poll_seconds": self.poll_seconds,
                "max_retries": self.max_retries,
                "timeout_seconds": self.timeout_seconds,
                "page_limit": self.page_limit,
            },
        )

    def search(self) -> list[Any]:
        """One search (blocking): the interval's scenes in the catalog."""
        return search_scenes(
            self.catalog_url,
            collection=self.collection,
            platform=self.platform,
            path=self.path,
            row=self.row,
            start=datetime.datetime.fromisoformat(self.start),
            end=datetime.datetime.fromisoformat(self.end),
            max_retries=self.max_retries,
            timeout_seconds=self.timeout_seconds,
            page_limit=self.page_limit,
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from landsat_pipeline.discovery import pick_scene, scene_to_xcom
        from landsat_pipeline.errors import PipelineError

        deadline = datetime.datetime.fromisoformat(self.deadline)
        while True:
            try:
                found = await asyncio.to_thread(self.search)
            except PipelineError as exc:
                yield TriggerEvent({"status": "error", "message": str(exc)})
                return
            if found:
                yield TriggerEvent(
                    {
                        "status": "found",
                        "scene_ids": [scene.scene_id for scene in found],
                        "scene": scene_to_xcom(pick_scene(found)),
                    }
                )
                return
            left = (deadline - _utcnow()).total_seconds()
            if left <= 0:
                yield TriggerEvent({"status": "expired"})
                return
            self.log.info(
                "No scene of %03d/%03d in [%s, %s) yet; next search in %.0f s (window ends %s)",
                self.path,
                self.row,
                self.start,
                self.end,
                min(self.poll_seconds, left),
                self.deadline,
            )
            await asyncio.sleep(min(self.poll_seconds, left))
