"""A sensor that waits for a run's Landsat scene to appear in the STAC catalog.

Scenes are published by USGS hours to days after acquisition, so the scene of a run's data
interval may not be in the catalog yet. :class:`LandsatSceneSensor` searches the catalog
(:func:`landsat_pipeline.discovery.discover`) for the interval; until the scene is there it
reschedules itself (``mode="reschedule"``: no worker slot is held while waiting). When the
scene has not appeared within ``timeout`` seconds, or is too cloudy, the task is **skipped**
with one clear log line, and so is everything downstream.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowSensorTimeout, AirflowSkipException

from landsat_pipeline.config import load_config

__all__ = ["LandsatSceneSensor", "pick_scene", "scene_to_xcom"]

_CATEGORY_RANK = {"T1": 0, "T2": 1, "RT": 2}


def pick_scene(scenes: Sequence[Any]) -> Any:
    """The scene to process when a day has several: Tier 1 first, then the latest processing."""

    def rank(scene):
        parts = scene.scene_id.split("_")
        category = parts[-1] if len(parts) == 7 else ""
        processed = parts[4] if len(parts) == 7 else ""
        return (_CATEGORY_RANK.get(category, 3), _negate(processed), scene.scene_id)

    return sorted(scenes, key=rank)[0]


def _negate(digits: str) -> str:
    return "".join(str(9 - int(c)) for c in digits if c.isdigit())


def scene_to_xcom(scene: Any) -> dict[str, Any]:
    """What the discover task passes on: IDs, dates and asset URIs (never data)."""
    acquired = scene.acquired.astimezone(datetime.UTC)
    return {
        "scene_id": scene.scene_id,
        "acquired": acquired.isoformat(),
        "date": acquired.date().isoformat(),
        "path": scene.path,
        "row": scene.row,
        "cloud_cover": scene.cloud_cover,
        "platform": scene.platform,
        "assets": dict(scene.assets),
    }


class LandsatSceneSensor(BaseSensorOperator):
    """Wait for the Landsat scene of a path/row in the run's data interval; push it to XCom.

    :param config_path: the pipeline config file (catalog URL, collection, cloud limit).
    :param path: WRS-2 path.
    :param row: WRS-2 row.

    The XCom value (``return_value``) is :func:`scene_to_xcom` of the scene found. Use
    ``mode="reschedule"`` and a ``timeout``; ``soft_fail`` is not needed (a timeout skips).
    """

    template_fields: Sequence[str] = ()
    ui_color = "#d9ecf2"

    def __init__(self, *, config_path: str, path: int, row: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config_path = config_path
        self.path = path
        self.row = row

    def _interval(self, context) -> tuple[datetime.datetime, datetime.datetime]:
        start = context.get("data_interval_start")
        end = context.get("data_interval_end")
        if start is None or end is None:
            raise AirflowSkipException("this run has no data interval: nothing to discover")
        return start, end

    def poke(self, context) -> bool | PokeReturnValue:
        from landsat_pipeline.discovery import discover

        config = load_config(self.config_path)
        watch = config.watch(self.path, self.row)
        catalog = config.catalog
        start, end = self._interval(context)
        scenes = discover(
            catalog.url,
            path=self.path,
            row=self.row,
            start=start,
            end=end,
            collection=catalog.collection,
            max_cloud=None,  # filtered below: a cloudy scene is a reason to skip, not to wait
            platform=catalog.platform,
            max_retries=catalog.max_retries,
            timeout=catalog.timeout_seconds,
        )
        if not scenes:
            self.log.info(
                "No %s scene of path/row %s acquired in [%s, %s) in %s yet; searching again "
                "in %s (the run is skipped after %s of waiting)",
                catalog.platform,
                watch.path_row,
                start.isoformat(),
                end.isoformat(),
                catalog.url,
                datetime.timedelta(seconds=self.poke_interval),
                datetime.timedelta(seconds=self.timeout),
            )
            return False
        scene = pick_scene(scenes)
        if len(scenes) > 1:
            self.log.info(
                "%d scenes in the interval (%s); processing %s",
                len(scenes),
                ", ".join(s.scene_id for s in scenes),
                scene.scene_id,
            )
        cloud = scene.cloud_cover
        if cloud is not None and cloud > watch.max_cloud_cover:
            message = (
                f"Skipping: scene {scene.scene_id} has {cloud:.1f} % cloud cover, above the "
                f"limit of {watch.max_cloud_cover:g} % for area {watch.area!r}"
            )
            self.log.warning(message)
            raise AirflowSkipException(message)
        self.log.info(
            "Found %s (acquired %s, cloud cover %s %%) in %s",
            scene.scene_id,
            scene.acquired.isoformat(),
            "unknown" if cloud is None else f"{cloud:.1f}",
            catalog.url,
        )
        return PokeReturnValue(is_done=True, xcom_value=scene_to_xcom(scene))

    def execute(self, context) -> Any:
        try:
            return super().execute(context)
        except AirflowSensorTimeout:
            start, end = self._interval(context)
            message = (
                f"Skipping: no Landsat scene of path/row {self.path:03d}/{self.row:03d} "
                f"acquired in [{start.isoformat()}, {end.isoformat()}) appeared in the catalog "
                f"within {datetime.timedelta(seconds=self.timeout)}; nothing to upload, render "
                "or publish for this run"
            )
            self.log.warning(message)
            raise AirflowSkipException(message) from None
