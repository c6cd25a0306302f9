"""A sensor that waits for a run's Landsat scene to appear in the STAC catalog.

Scenes are published by USGS hours to weeks after acquisition, so the scene of a run's data
interval may not be in the catalog yet. :class:`LandsatSceneSensor` searches the catalog
(:func:`landsat_pipeline.discovery.discover`) for the interval once, then:

* the scene is there: its IDs and hrefs go to XCom (a scene above the cloud limit skips the
  run instead);
* it is not, and its availability window (``available_within`` seconds counted from the end
  of the acquisition day, not from the first search) has ended: the run is **skipped at once**
  with one clear log line: a historic overpass without a scene costs seconds, not days;
* it is not, and the window is still open: with ``deferrable=True`` the wait moves to the
  triggerer (:class:`~landsat_pipeline.triggers.scene.SceneSearchTrigger`), holding no worker
  slot; otherwise it reschedules itself (``mode="reschedule"``) until the window ends.

With ``scene_id`` (the DAG's ``scene_id`` Param, e.g. a manual run without a logical date, or
a run the reconcile DAG triggers: a product ID, or the catalog's own item id such as Earth
Search's ``LC08_L2SP_008059_20191201_02_T1`` or LandsatLook's ``..._02_T1_SR``) the sensor
looks up that scene instead of the interval's,
and fails at once when the catalog does not have it: re-rendering one scene from the UI does
not need the overpass's own run (whose logical date is taken). A requested scene above the
cloud limit is processed anyway (asking for it by ID is the decision), with a warning in the
log and in the run note.

Before anything else the run's conf is checked against the DAG's Params: an unknown key (a typo
such as ``force_rendr``) fails the task at once, naming it and the accepted keys.

What the sensor concluded goes to XCom under ``run_outcome``
(:class:`~landsat_pipeline.xcom.RunOutcome`): found (with warnings), no scene, cloudy,
skipped or failed, with the scene ID and the reason. :mod:`landsat_pipeline.run_notes` makes
the run's note of it when the run ends.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk import conf as airflow_conf
from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout, AirflowSkipException

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["OUTCOME_KEY", "LandsatSceneSensor", "unknown_conf_keys"]

OUTCOME_KEY = "run_outcome"
"""The XCom key of the sensor's :class:`~landsat_pipeline.xcom.RunOutcome`."""


def unknown_conf_keys(conf: Any, accepted: Any) -> list[str]:
    """The keys of a run's ``conf`` that are not among ``accepted`` (sorted; none: ``[]``)."""
    if not conf:
        return []
    return sorted(str(key) for key in conf if key not in set(accepted))


class LandsatSceneSensor(BaseSensorOperator):
    """Wait for the Landsat scene of a path/row in the run's data interval; push it to XCom.

    :param catalog_url: STAC API root URL, or a static catalog (``catalog.url`` of the config).
    :param collection: the catalog's collection of the scenes (None or empty: any).
    :param satellites: the satellites the path/row is watched for (8, 9): a run's interval is
        searched for the platform (``landsat-8``/``landsat-9``) that flies over that day.
    :param path: WRS-2 path.
    :param row: WRS-2 row.
    :param max_cloud_cover: a scene with more cloud cover (percent) skips the run.

    The numbers may be given as strings (rendered templates): they are converted when used.
    :param area: the watched area's name (for the log).
    :param max_retries: retries of a failed catalog request.
    :param timeout_seconds: timeout of one catalog request.
    :param page_limit: items asked per page of a search (the config's ``catalog.page_limit``).
    :param available_within: seconds after the end of the acquisition interval within which the
        scene is expected in the catalog; past that a missing scene skips the run at once.
    :param deferrable: wait in the triggerer instead of rescheduling in a worker.
    :param scene_id: process this scene (a product ID of this path/row, or the catalog's item
        id of it) instead of the interval's; empty: the interval's. Processed even above the
        cloud limit, with a warning.
    :param accepted_conf: the keys a run's conf may have; None (default): the Params of the
        task's DAG. Any other key fails the task at once (no retry).

    The XCom value (``return_value``) is :func:`~landsat_pipeline.discovery.scene_to_xcom` of
    the scene found (:class:`~landsat_pipeline.xcom.Scene`). ``poke_interval`` is the time
    between searches; ``timeout`` is not used (the window ends the wait).
    """

    template_fields: Sequence[str] = (
        "catalog_url",
        "collection",
        "max_cloud_cover",
        "max_retries",
        "timeout_seconds",
        "page_limit",
        "available_within",
        "scene_id",
    )
    ui_color = "#d9ecf2"

    def __init__(
        self,
        *,
        catalog_url: str,
        collection: str | None,
        satellites: tuple[int, ...] = (8,),
        path: int,
        row: int,
        max_cloud_cover: float,
        area: str,
        max_retries: int = 3,
        timeout_seconds: float = 30.0,
        page_limit: int = 100,
        available_within: float = 72 * 3600,
        deferrable: bool = airflow_conf.getboolean(
            "operators", "default_deferrable", fallback=False
        ),
        scene_id: str | None = None,
        accepted_conf: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.scene_id = scene_id
        self.accepted_conf = None if accepted_conf is None else tuple(accepted_conf)
        self.available_within = available_within
        self.deferrable = deferrable
        self.catalog_url = catalog_url
        self.collection = collection
        self.satellites = tuple(satellites)
        self.path = path
        self.row = row
        self.max_cloud_cover = max_cloud_cover
        self.area = area
        self.max_retries = max_retries
        self.timeout_seconds = timeout_seconds
        self.page_limit = page_limit

    def _interval(self, context: Context) -> tuple[datetime.datetime, datetime.datetime]:
        start = context.get("data_interval_start")
        end = context.get("data_interval_end")
        if start is None or end is None:
            message = "this run has no data interval (and no scene_id): nothing to discover"
            self._report(context, "skipped", reason=message)
            raise AirflowSkipException(message)
        return start, end

    def _report(
        self,
        context: Context,
        outcome: str,
        *,
        scene_id: str | None = None,
        reason: str = "",
        warnings: Sequence[str] = (),
    ) -> None:
        """Push the :class:`~landsat_pipeline.xcom.RunOutcome` (the run note is made of it)."""
        ti = context.get("ti")
        if ti is None:  # called outside a task run (a test's bare context)
            return
        ti.xcom_push(
            key=OUTCOME_KEY,
            value={
                "outcome": outcome,
                "scene_id": scene_id,
                "reason": reason,
                "warnings": list(warnings),
            },
        )

    def _fail(self, context: Context, message: str) -> AirflowFailException:
        """Fail at once (no retry can help), with the reason in the run note."""
        self._report(context, "failed", scene_id=self._requested(), reason=message)
        return AirflowFailException(message)

    def _check_conf(self, context: Context) -> None:
        """Fail at once when the run's conf has a key the DAG does not accept (a typo)."""
        dag_run = context.get("dag_run")
        conf = getattr(dag_run, "conf", None)
        accepted = self.accepted_conf
        if accepted is None:
            if not self.has_dag():
                return
            accepted = (*self.dag.params, *(self.params or {}))
        unknown = unknown_conf_keys(conf, accepted)
        if unknown:
            message = (
                f"unknown key{'s' if len(unknown) > 1 else ''} in the run conf: "
                f"{', '.join(map(repr, unknown))}; accepted: {', '.join(sorted(set(accepted)))}"
            )
            self.log.error("%s", message)
            raise self._fail(context, message)

    def _search(self, start: datetime.datetime, end: datetime.datetime, platform: str) -> list[Any]:
        """The catalog's scenes of this path/row in ``[start, end)``, any cloud cover."""
        from landsat_pipeline.triggers.scene import search_scenes

        return search_scenes(
            self.catalog_url,
            collection=self.collection,
            platform=platform,
            path=self.path,
            row=self.row,
            start=start,
            end=end,
            max_retries=self.max_retries,
            timeout_seconds=self.timeout_seconds,
            page_limit=self.page_limit,
        )

    def poke(self, context: Context) -> bool | PokeReturnValue:
        from landsat_pipeline.discovery import pick_scene, scene_to_xcom

        start, end = self._interval(context)
        platform = self._platform_of(start.date())
        scenes = self._search(start, end, platform)  # a cloudy scene skips below, not waits
        if not scenes:
            self.log.info(
                "No %s scene of path/row %03d/%03d acquired in [%s, %s) in %s yet (its "
                "availability window ends %s)",
                platform,
                self.path,
                self.row,
                start.isoformat(),
                end.isoformat(),
                self.catalog_url,
                self._deadline(context).isoformat(),
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
        return PokeReturnValue(is_done=True, xcom_value=self._accept(context, scene_to_xcom(scene)))

    def _accept(self, context: Context, scene: Any) -> Any:
        """The interval's scene (its XCom) goes on, unless above the cloud limit: skip."""
        cloud = scene["cloud_cover"]
        limit = float(self.max_cloud_cover)
        if cloud is not None and cloud > limit:
            message = (
                f"Skipping: scene {scene['scene_id']} has {cloud:.1f} % cloud cover, above the "
                f"limit of {limit:g} % for area {self.area!r}"
            )
            self.log.warning(message)
            self._report(
                context,
                "cloudy",
                scene_id=scene["scene_id"],
                reason=f"{cloud:.1f} % cloud cover, above the limit of {limit:g} %",
            )
            raise AirflowSkipException(message)
        self._report(context, "found", scene_id=scene["scene_id"])
        self.log.info(
            "Found %s (acquired %s, cloud cover %s %%) in %s",
            scene["scene_id"],
            scene["acquired"],
            "unknown" if cloud is None else f"{cloud:.1f}",
            self.catalog_url,
        )
        return scene

    def _platform_of(self, day: datetime.date) -> str:
        """The platform that images the path/row on ``day`` (``landsat-8`` or ``landsat-9``)."""
        from landsat_ops.overpass import acquisitions

        found = acquisitions(self.path, self.row, day, day, satellites=self.satellites)
        return found[0].platform if found else f"landsat-{self.satellites[0]}"

    def _deadline(self, context: Context) -> datetime.datetime:
        """When the interval's scene can no longer be expected in the catalog."""
        _, end = self._interval(context)
        return end + datetime.timedelta(seconds=float(self.available_within))

    def _missing(self, context: Context) -> AirflowSkipException:
        start, end = self._interval(context)
        window = datetime.timedelta(seconds=float(self.available_within))
        message = (
            f"Skipping: no Landsat scene of path/row {self.path:03d}/{self.row:03d} "
            f"acquired in [{start.isoformat()}, {end.isoformat()}) appeared in the catalog "
            f"within {window} of the acquisition (its availability window ended "
            f"{self._deadline(context).isoformat()}); nothing to upload, render or publish "
            "for this run"
        )
        self.log.warning(message)
        self._report(
            context,
            "no scene",
            reason=(
                f"no scene of {self.path:03d}/{self.row:03d} acquired on {start.date()} "
                f"within {window} (window ended {self._deadline(context).isoformat()})"
            ),
        )
        return AirflowSkipException(message)

    def _requested(self) -> str | None:
        text = (self.scene_id or "").strip()
        return None if text in ("", "None") else text

    def _find_requested(self, context: Context, scene_id: str) -> Any:
        """The XCom of the requested scene; fails at once when it is not this DAG's or absent.

        Its cloud cover is not a reason to skip: asking for a scene by ID is the decision. A
        scene above the limit is processed with a warning (log and run note).
        """
        from landsat_ops.errors import SceneError
        from landsat_ops.scene import parse_scene_id
        from landsat_pipeline.discovery import scene_to_xcom

        try:
            wanted = parse_scene_id(scene_id)
        except SceneError as exc:
            wanted = _catalog_item_id(scene_id)
            if wanted is None:
                raise self._fail(context, f"scene_id {scene_id!r}: {exc}") from None
        if (wanted.path, wanted.row) != (self.path, self.row):
            raise self._fail(
                context,
                f"scene_id {scene_id!r} is of path/row {wanted.path:03d}/{wanted.row:03d}; "
                f"this DAG processes {self.path:03d}/{self.row:03d}",
            )
        day = datetime.datetime.combine(wanted.acquired, datetime.time(), datetime.UTC)
        scenes = self._search(day, day + datetime.timedelta(days=1), f"landsat-{wanted.satellite}")
        match = [s for s in scenes if scene_id in (s.scene_id, s.item_id)]
        if not match:
            listed = ", ".join(s.scene_id for s in scenes) or "no scene"
            raise self._fail(
                context,
                f"scene_id {scene_id!r} is not in {self.catalog_url} (it has {listed} on "
                f"{wanted.acquired})",
            )
        scene = match[0]
        warnings = []
        cloud, limit = scene.cloud_cover, float(self.max_cloud_cover)
        if cloud is not None and cloud > limit:
            warnings.append(
                f"{cloud:.1f} % cloud cover, above the limit of {limit:g} % for area "
                f"{self.area!r}: processed because the run asked for it by scene_id"
            )
            self.log.warning("Scene %s has %s", scene.scene_id, warnings[-1])
        self.log.info("Processing the requested scene %s (scene_id)", scene_id)
        self._report(context, "found", scene_id=scene.scene_id, warnings=warnings)
        return scene_to_xcom(scene)

    def execute(self, context: Context) -> Any:
        self._check_conf(context)
        requested = self._requested()
        if requested:
            return self._find_requested(context, requested)
        found = self.poke(context)
        if found:
            return found.xcom_value
        now = _utcnow()
        deadline = self._deadline(context)
        if now >= deadline:
            raise self._missing(context)
        if self.deferrable:
            from landsat_pipeline.triggers.scene import SceneSearchTrigger

            start, end = self._interval(context)
            self.log.info(
                "Waiting in the triggerer until %s at the latest (searching every %s)",
                deadline.isoformat(),
                datetime.timedelta(seconds=self.poke_interval),
            )
            self.defer(
                trigger=SceneSearchTrigger(
                    catalog_url=self.catalog_url,
                    collection=self.collection or None,
                    platform=self._platform_of(start.date()),
                    path=self.path,
                    row=self.row,
                    start=start.isoformat(),
                    end=end.isoformat(),
                    deadline=deadline.isoformat(),
                    poll_seconds=self.poke_interval,
                    max_retries=int(self.max_retries),
                    timeout_seconds=float(self.timeout_seconds),
                    page_limit=int(self.page_limit),
                ),
                method_name="execute_complete",
                # A plain timedelta: the worker sends it to the supervisor with msgpack,
                # which refuses pendulum's Duration (what pendulum datetimes subtract to).
                timeout=datetime.timedelta(seconds=(deadline - now).total_seconds() + 600),
            )
        # Reschedule in a worker slot-free way until the window ends.
        self.timeout = max(1.0, (deadline - now).total_seconds())
        try:
            return super().execute(context)
        except AirflowSensorTimeout:
            raise self._missing(context) from None

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Back from :class:`~landsat_pipeline.triggers.scene.SceneSearchTrigger`."""
        status = (event or {}).get("status")
        if status == "found" and event.get("scene"):  # the trigger's search: not again
            return self._accept(context, event["scene"])
        if status == "found":  # a trigger of an older version: search once more
            found = self.poke(context)
            if found:
                return found.xcom_value
            raise self._fail(
                context,
                f"the catalog listed {event.get('scene_ids')} for path/row "
                f"{self.path:03d}/{self.row:03d}, then not any more",
            )
        if status == "expired":
            raise self._missing(context)
        raise self._fail(context, f"searching {self.catalog_url} failed: {event}")


def _catalog_item_id(text: str) -> Any:
    """The parsed scene of a catalog's own item id, or None when ``text`` is not one.

    Earth Search and Planetary Computer drop the processing date
    (``LC08_L2SP_008059_20191201_02_T1``); LandsatLook adds ``_SR``/``_ST``: the acquisition
    date stands in for the processing date, which identifies nothing needed here (the search
    matches the item id itself).
    """
    from landsat_ops.errors import SceneError
    from landsat_ops.scene import parse_scene_id

    parts = re.sub(r"_(SR|ST)$", "", text.strip()).split("_")
    if len(parts) == 6:
        parts.insert(4, parts[3])
    if len(parts) != 7:
        return None
    try:
        return parse_scene_id("_".join(parts))
    except SceneError:
        return None


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
