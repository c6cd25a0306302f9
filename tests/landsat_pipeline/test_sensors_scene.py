"""The scene search's waiting rules: a window counted from the acquisition, waits deferred.

A small static catalog (landsat_demo.synthetic, 2 overpasses of 226/010, 64 px scenes) is
searched directly: no DAG run, no scheduler. The sensor is exercised as Airflow calls it
(``execute`` with a context holding the run's data interval), the trigger through its
``run()`` coroutine.
"""

from __future__ import annotations

from tests.support.airflow_home import use_private_home  # noqa: E402

use_private_home()  # before the first Airflow import

import asyncio  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402

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
    # The scene to process rides along: the sensor's own search finds the same XCom. Plain
    # JSON (the triggerer stores the event with the task's next_kwargs).
    assert event.payload["scene"] == sensor(catalog).execute(day_interval(day))
    assert json.loads(json.dumps(event.payload)) == event.payload


def test_back_from_the_trigger_the_sensor_does_not_search_again(catalog, tmp_path):
    """execute_complete takes the trigger's scene (cloud limit, run outcome) without a search."""
    day = overpass_days()[0]
    later = datetime.datetime.now(UTC) + datetime.timedelta(hours=1)
    (event,) = trigger_events(search_trigger(catalog, day, later))
    gone = str(tmp_path / "no-catalog-here.json")  # a search now would fail
    context = run_context(day)
    assert dag_sensor(gone).execute_complete(context, event.payload) == event.payload["scene"]
    assert outcome(context)["outcome"] == "found"
    context = run_context(day)
    with pytest.raises(AirflowSkipException, match="above the limit of 0 %"):
        dag_sensor(gone, max_cloud_cover=0).execute_complete(context, event.payload)
    assert outcome(context)["outcome"] == "cloudy"


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


# -- what the run note is made of: the sensor's run_outcome, conf checks, scene_id -------------
class RecordingTI:
    """The ``ti`` of a context: records what the sensor pushes to XCom."""

    def __init__(self):
        self.pushed: dict[str, object] = {}

    def xcom_push(self, key, value):
        self.pushed[key] = value


class Run:
    def __init__(self, conf):
        self.conf = conf


def run_context(day: datetime.date | None, conf: dict | None = None) -> dict:
    context = day_interval(day) if day else {"data_interval_start": None, "data_interval_end": None}
    return {**context, "ti": RecordingTI(), "dag_run": Run(conf or {})}


def dag_sensor(catalog: str, **kwargs) -> LandsatSceneSensor:
    """The sensor in a DAG with the scenes DAG's Params (the accepted conf keys)."""
    from airflow.sdk import DAG, Param

    params = {"render_backend": Param("local"), "force_render": Param(False), "scene_id": None}
    with DAG("landsat_p226_r010", schedule=None, params=params):
        return sensor(catalog, **kwargs)


def outcome(context: dict) -> dict:
    return context["ti"].pushed["run_outcome"]


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        pytest.param(
            {"force_rendr": True},
            "unknown key in the run conf: 'force_rendr'; accepted: force_render, "
            "render_backend, scene_id",
            id="typo",
        ),
        pytest.param(
            {"scene_id": "x", "backend": "ecs", "Force_Render": True},
            "unknown keys in the run conf: 'Force_Render', 'backend'; accepted: force_render, "
            "render_backend, scene_id",
            id="two",
        ),
    ],
)
def test_an_unknown_conf_key_fails_at_once_naming_it_and_the_accepted_ones(catalog, conf, message):
    from airflow.sdk.exceptions import AirflowFailException

    context = run_context(overpass_days()[0], conf)
    with pytest.raises(AirflowFailException) as caught:
        dag_sensor(catalog).execute(context)
    assert str(caught.value) == message and "\n" not in message
    assert outcome(context) == {
        "outcome": "failed",
        "scene_id": None,  # the sensor's scene_id (templated from the Param) is not set here
        "reason": message,
        "warnings": [],
    }


def test_known_conf_keys_pass_and_the_accepted_keys_can_be_given(catalog):
    day = overpass_days()[0]
    conf = {"force_render": True, "render_backend": "local"}
    assert dag_sensor(catalog).execute(run_context(day, conf))["date"] == day.isoformat()
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match="'render_backend'; accepted: force_render$"):
        sensor(catalog, accepted_conf=["force_render"]).execute(run_context(day, conf))


def test_a_found_scene_is_reported_for_the_run_note(catalog):
    context = run_context(overpass_days()[0])
    scene = dag_sensor(catalog).execute(context)
    assert outcome(context) == {
        "outcome": "found",
        "scene_id": scene["scene_id"],
        "reason": "",
        "warnings": [],
    }


def test_a_cloudy_scene_skips_and_is_reported(catalog):
    day = overpass_days()[0]
    scene = sensor(catalog).execute(day_interval(day))
    context = run_context(day)
    with pytest.raises(AirflowSkipException, match="above the limit of 0 %"):
        dag_sensor(catalog, max_cloud_cover=0).execute(context)
    assert scene["cloud_cover"] > 0
    assert outcome(context) == {
        "outcome": "cloudy",
        "scene_id": scene["scene_id"],
        "reason": f"{scene['cloud_cover']:.1f} % cloud cover, above the limit of 0 %",
        "warnings": [],
    }


def test_a_missing_scene_skips_and_is_reported(catalog):
    day = overpass_days()[0] + datetime.timedelta(days=1)
    context = run_context(day)
    with pytest.raises(AirflowSkipException):
        dag_sensor(catalog).execute(context)
    reported = outcome(context)
    assert reported["outcome"] == "no scene" and reported["scene_id"] is None
    assert reported["reason"].startswith(
        f"no scene of 226/010 acquired on {day} within 3 days, 0:00:00 (window ended "
    )


def test_a_run_without_interval_nor_scene_id_skips_and_is_reported(catalog):
    context = run_context(None)
    with pytest.raises(AirflowSkipException, match="no data interval"):
        dag_sensor(catalog).execute(context)
    assert outcome(context)["outcome"] == "skipped"
    assert "no data interval" in outcome(context)["reason"]


def test_a_requested_scene_above_the_cloud_limit_is_processed_with_a_warning(catalog, capfd):
    day = overpass_days()[0]
    scene_id = sensor(catalog).execute(day_interval(day))["scene_id"]
    context = run_context(None, {"scene_id": scene_id})
    found = dag_sensor(catalog, max_cloud_cover=0, scene_id=scene_id).execute(context)
    assert found["scene_id"] == scene_id
    warning = (
        f"{found['cloud_cover']:.1f} % cloud cover, above the limit of 0 % for area 'test': "
        "processed because the run asked for it by scene_id"
    )
    assert outcome(context) == {
        "outcome": "found",
        "scene_id": scene_id,
        "reason": "",
        "warnings": [warning],
    }
    assert f"Scene {scene_id} has {warning}" in capfd.readouterr().out
    # Under the limit: no warning.
    context = run_context(None, {"scene_id": scene_id})
    dag_sensor(catalog, scene_id=scene_id).execute(context)
    assert outcome(context)["warnings"] == []


@pytest.mark.parametrize(
    ("scene_id", "why"),
    [
        pytest.param("LC08_L1TP_226010_20240629_20240708_02_T1", "is not in", id="absent"),
        pytest.param("LC08_L1TP_016037_20240628_20240708_02_T1", "this DAG processes", id="other"),
        pytest.param("not-a-scene", "scene_id 'not-a-scene': ", id="malformed"),
    ],
)
def test_a_bad_scene_id_fails_at_once_and_is_reported(catalog, scene_id, why):
    from airflow.sdk.exceptions import AirflowFailException

    context = run_context(None, {"scene_id": scene_id})
    with pytest.raises(AirflowFailException, match=why):
        dag_sensor(catalog, scene_id=scene_id).execute(context)
    assert outcome(context)["outcome"] == "failed" and why in outcome(context)["reason"]
    assert outcome(context)["scene_id"] == scene_id
