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
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowSensorTimeout, AirflowSkipException

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["LandsatSceneSensor"]


class LandsatSceneSensor(BaseSensorOperator):
    """Wait for the Landsat scene of a path/row in the run's data interval; push it to XCom.

    :param catalog_url: STAC API root URL, or a static catalog (``catalog.url`` of the config).
    :param collection: the catalog's collection of the scenes (None or empty: any).
    :param platform: the platform (``landsat-8``).
    :param path: WRS-2 path.
    :param row: WRS-2 row.
    :param max_cloud_cover: a scene with more cloud cover (percent) skips the run.

    The numbers may be given as strings (rendered templates): they are converted when used.
    :param area: the watched area's name (for the log).
    :param max_retries: retries of a failed catalog request.
    :param timeout_seconds: timeout of one catalog request.

    The XCom value (``return_value``) is :func:`~landsat_pipeline.discovery.scene_to_xcom` of
    the scene found (:class:`~landsat_pipeline.xcom.Scene`). Use ``mode="reschedule"`` and a
    ``timeout``; ``soft_fail`` is not needed (a timeout skips).
    """

    template_fields: Sequence[str] = (
        "catalog_url",
        "collection",
        "platform",
        "max_cloud_cover",
        "max_retries",
        "timeout_seconds",
    )
    ui_color = "#d9ecf2"

    def __init__(
        self,
        *,
        catalog_url: str,
        collection: str | None,
        platform: str,
        path: int,
        row: int,
        max_cloud_cover: float,
        area: str,
        max_retries: int = 3,
        timeout_seconds: float = 30.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.catalog_url = catalog_url
        self.collection = collection
        self.platform = platform
        self.path = path
        self.row = row
        self.max_cloud_cover = max_cloud_cover
        self.area = area
        self.max_retries = max_retries
        self.timeout_seconds = timeout_seconds

    def _interval(self, context: Context) -> tuple[datetime.datetime, datetime.datetime]:
        start = context.get("data_interval_start")
        end = context.get("data_interval_end")
        if start is None or end is None:
            raise AirflowSkipException("this run has no data interval: nothing to discover")
        return start, end

    def poke(self, context: Context) -> bool | PokeReturnValue:
        from landsat_pipeline.discovery import discover, pick_scene, scene_to_xcom

        start, end = self._interval(context)
        scenes = discover(
            self.catalog_url,
            path=self.path,
            row=self.row,
            start=start,
            end=end,
            collection=self.collection or None,
            max_cloud=None,  # filtered below: a cloudy scene is a reason to skip, not to wait
            platform=self.platform,
            max_retries=int(self.max_retries),
            timeout=float(self.timeout_seconds),
        )
        if not scenes:
            self.log.info(
                "No %s scene of path/row %03d/%03d acquired in [%s, %s) in %s yet; searching "
                "again in %s (the run is skipped after %s of waiting)",
                self.platform,
                self.path,
                self.row,
                start.isoformat(),
                end.isoformat(),
                self.catalog_url,
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
        limit = float(self.max_cloud_cover)
        if cloud is not None and cloud > limit:
            message = (
                f"Skipping: scene {scene.scene_id} has {cloud:.1f} % cloud cover, above the "
                f"limit of {limit:g} % for area {self.area!r}"
            )
            self.log.warning(message)
            raise AirflowSkipException(message)
        self.log.info(
            "Found %s (acquired %s, cloud cover %s %%) in %s",
            scene.scene_id,
            scene.acquired.isoformat(),
            "unknown" if cloud is None else f"{cloud:.1f}",
            self.catalog_url,
        )
        return PokeReturnValue(is_done=True, xcom_value=scene_to_xcom(scene))

    def execute(self, context: Context) -> Any:
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
