"""The scene search's waiting rules: a window counted from the acquisition, waits deferred.

A small static catalog (landsat_demo.synthetic, 2 overpasses of 226/010, 64 px scenes) is
searched directly: no DAG run, no scheduler. The sensor is exercised as Airflow calls it
(``execute`` with a context holding the run's data interval), the trigger through its
``run()`` coroutine.
"""

from __future__ import annotations

import os
import sys
import tempfile

# Airflow reads AIRFLOW_HOME when first imported; if another module imported it already,
# that module's settings hold.
if "airflow" not in sys.modules:
    _home = tempfile.mkdtemp(prefix="airflow-home-")
    os.environ["AIRFLOW_HOME"] = _home
    os.environ["AIRFLOW_CONFIG"] = os.path.join(_home, "airflow.cfg")
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

import asyncio  # noqa: E402
import datetime  # noqa: E402

import pytest  # noqa: E402
from airflow.sdk.exceptions import AirflowSkipException, TaskDeferred  # noqa: E402

from landsat_demo.synthetic import make_catalog  # noqa: E402
from landsat_ops.overpass import overpass_datetimes  # noqa: E402
from landsat_pipeline.sensors.scene import LandsatSceneSensor  # noqa: E402
from landsat_pipeline.triggers.scene import SceneSearchTrigger  # noqa: E402

UTC = datetime.UTC
PATH, ROW = 226, 10
START, END = datetime.date(2024, 6, 1), datetime.date(2024, 6, 30)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("catalog")
    return str(make_catalog(root, path=PATH, row=ROW, start=START, end=END, width=64, height=64))


def day_interval(day: datetime.date) -> dict:
    start = datetime.datetime.combine(day, datetime.time(), UTC)
    return {"data_interval_start": start, "data_interval_end": start + datetime.timedelta(days=1)}


def sensor(catalog: str, **kwargs) -> LandsatSceneSensor:
    args = {
        "task_id": "discover",
        "catalog_url": catalog,
        "collection": None,
        "satellites": (8,),
        "path": PATH,
        "row": ROW,
        "max_cloud_cover": 100,
        "area": "test",
        "available_within": 3 * 86400,
        "poke_interval": 3600,
        "mode": "reschedule",
    }
    return LandsatSceneSensor(**{**args, **kwargs})


def overpass_days() -> list[datetime.date]:
    return [at.date() for at in overpass_datetimes(PATH, ROW, START, END)]


def test_a_scene_in_the_catalog_is_found_at_once(catalog):
    day = overpass_days()[0]
    scene = sensor(catalog).execute(day_interval(day))
    assert scene["date"] == day.isoformat() and scene["path"] == PATH and scene["row"] == ROW


@pytest.mark.parametrize("deferrable", [True, False], ids=["deferrable", "reschedule"])
def test_a_historic_day_without_a_scene_skips_at_once(catalog, deferrable):
    """Past its window a missing scene cannot appear any more: no wait, no deferral."""
    day = overpass_days()[0] + datetime.timedelta(days=1)  # no overpass: nothing in the catalog
    with pytest.raises(AirflowSkipException, match="its availability window ended") as caught:
        sensor(catalog, deferrable=deferrable).execute(day_interval(day))
    assert "appeared in the catalog within 3 days, 0:00:00 of the acquisition" in str(caught.value)


def test_a_recent_day_without_a_scene_defers_until_its_window_ends(catalog):
    today = datetime.datetime.now(UTC).date()
    context = day_interval(today)
    with pytest.raises(TaskDeferred) as deferred:
        sensor(catalog, deferrable=True).execute(context)
    trigger = deferred.value.trigger
    assert deferred.value.method_name == "execute_complete"
    deadline = context["data_interval_end"] + datetime.timedelta(days=3)
    assert trigger.serialize() == (
        "landsat_pipeline.triggers.scene.SceneSearchTrigger",
        {
            "catalog_url": catalog,
            "collection": None,
            "platform": "landsat-8",
            "path": PATH,
            "row": ROW,
            "start": context["data_interval_start"].isoformat(),
            "end": context["data_interval_end"].isoformat(),
            "deadline": deadline.isoformat(),
            "poll_seconds": 3600.0,
            "max_retries": 3,
            "timeout_seconds": 30.0,
            "page_limit": 100,
        },
    )


def test_a_deferral_can_be_sent_to_the_supervisor(catalog):
    """The worker sends the deferral to its supervisor as msgpack (Airflow's Task SDK framing).

    The real scheduler's interval dates are pendulum DateTimes: their difference is a pendulum
    Duration, which that encoder refuses ("Objects of type ... Duration are not supported"),
    so on a real worker the wait failed instead of deferring (found on `make cluster`; the
    in-process ``dag.test`` never encodes the message).
    """
    import pendulum
    from airflow.sdk.execution_time.comms import DeferTask, _RequestFrame
    from airflow.sdk.serde import serialize

    today = pendulum.now("UTC").start_of("day")
    context = {"data_interval_start": today, "data_interval_end": today.add(days=1)}
    with pytest.raises(TaskDeferred) as deferred:
        sensor(catalog, deferrable=True).execute(context)
    classpath, kwargs = deferred.value.trigger.serialize()
    message = DeferTask(
        classpath=classpath,
        trigger_kwargs=serialize(kwargs),
        trigger_timeout=deferred.value.timeout,
        next_method=deferred.value.method_name,
        next_kwargs=serialize(deferred.value.kwargs or {}),
    )
    assert len(_RequestFrame(id=1, body=message.model_dump()).as_bytes()) > 4
    assert type(deferred.value.timeout) is datetime.timedelta


def test_the_search_asks_for_the_configured_page_limit(landsat_data):
    """catalog.page_limit reaches the STAC API (the DAG templates it into the sensor)."""
    from tests.support.stac_replay import StacReplayServer, load_json

    page = load_json(
        landsat_data
        / "stac"
        / "earth-search-v1_search_landsat-c2-l2+sentinel-2-l2a_point_2023-10-08_page2-empty.json"
    )
    with StacReplayServer({"/search": [page, page]}) as server:
        assert not sensor(server.url, page_limit="7").poke(day_interval(overpass_days()[0]))
        bodies = [request.body for request in server.requests if request.body]
    assert bodies and {body["limit"] for body in bodies} == {7}


def test_execute_complete(catalog):
    day = overpass_days()[1]
    found = sensor(catalog).execute_complete(day_interval(day), {"status": "found"})
    assert found["date"] == day.isoformat()
    with pytest.raises(AirflowSkipException, match="no Landsat scene of path/row 226/010"):
        sensor(catalog).execute_complete(day_interval(day), {"status": "expired"})


def trigger_events(trigger: SceneSearchTrigger) -> list:
    async def collect():
        return [event async for event in trigger.run()]

    return asyncio.run(collect())


def search_trigger(catalog: str, day: datetime.date, deadline: datetime.datetime, **kwargs):
    interval = day_interval(day)
    return SceneSearchTrigger(
        catalog_url=catalog,
        collection=None,
        platform="landsat-8",
        path=PATH,
        row=ROW,
        start=interval["data_interval_start"].isoformat(),
        end=interval["data_interval_end"].isoformat(),
        deadline=deadline.isoformat(),
        poll_seconds=kwargs.get("poll_seconds", 0.2),
    )


def test_the_trigger_reports_a_scene_that_is_there(catalog):
    day = overpass_days()[0]
    later = datetime.datetime.now(UTC) + datetime.timedelta(hours=1)
    (event,) = trigger_events(search_trigger(catalog, day, later))
    assert event.payload["status"] == "found"
    assert (
        len(event.payload["scene_ids"]) == 1
        and day.strftime("%Y%m%d") in event.payload["scene_ids"][0]
    )


def test_the_trigger_gives_up_when_the_window_ends(catalog):
    day = overpass_days()[0] + datetime.timedelta(days=1)
    soon = datetime.datetime.now(UTC) + datetime.timedelta(seconds=0.5)
    (event,) = trigger_events(search_trigger(catalog, day, soon))
    assert event.payload == {"status": "expired"}


def test_the_trigger_reports_an_unreadable_catalog(tmp_path):
    day = overpass_days()[0]
    later = datetime.datetime.now(UTC) + datetime.timedelta(hours=1)
    (event,) = trigger_events(search_trigger(str(tmp_path / "nowhere.json"), day, later))
    assert event.payload["status"] == "error" and "nowhere.json" in event.payload["message"]
