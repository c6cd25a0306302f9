"""The DAG files load without errors, are cheap to parse, and follow the house rules."""

from __future__ import annotations

import datetime
import json

import pytest

from tests.support.dagenv import PATH, REPO, ROW, import_dag_file

DAG_ID = f"landsat_p{PATH:03d}_r{ROW:03d}"


@pytest.fixture(scope="module")
def dagbag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


@pytest.fixture(scope="module")
def dag(dagbag):
    return dagbag.get_dag(DAG_ID)


def test_no_import_errors_and_one_dag_per_path_row(dagbag):
    assert dagbag.import_errors == {}
    # One scenes DAG per watched path/row, the NDVI analytics and the reconcile (issue 11),
    # the composites (issue 19) and the time-lapses.
    assert sorted(dagbag.dag_ids) == [
        "landsat_composites",
        "landsat_ndvi_timeseries",
        DAG_ID,
        "landsat_reconcile",
        "landsat_timelapses",
    ]


def test_default_config_has_the_scoresby_sund_dag():
    from landsat_pipeline.config import load_config

    config = load_config(REPO / "dags" / "config" / "areas.yaml")
    assert [(w.area, w.dag_id) for w in config.watches] == [("scoresby_sund", "landsat_p226_r010")]
    watch = config.watches[0]
    assert watch.start_date == datetime.date(2013, 4, 11)
    assert watch.render_backend == "local"
    assert config.catalog.url == str(REPO / "demo-output" / "catalog" / "catalog.json")
    assert config.storage.root == str(REPO / "demo-output" / "bucket")


def test_schedule_is_the_overpass_timetable(dag):
    from landsat_pipeline.timetables import WRS2OverpassTimetable

    assert isinstance(dag.timetable, WRS2OverpassTimetable)
    assert (dag.timetable.path, dag.timetable.row) == (PATH, ROW)
    assert dag.start_date == datetime.datetime(2013, 4, 11, tzinfo=datetime.UTC)
    assert dag.catchup is False
    assert dag.max_active_runs == 2


def test_tags_docs_retries_and_params(dag):
    assert {"landsat", "area:scoresby_sund", "wrs2:226/010"} <= set(dag.tags)
    assert dag.doc_md and "discover" in dag.doc_md
    for task in dag.tasks:
        assert task.retries >= 2, task.task_id
        assert task.retry_exponential_backoff, task.task_id
    params = dag.params.dump()
    # scene_id (issue 11): re-render one scene from the UI without the overpass's logical date.
    assert params == {"render_backend": "local", "force_render": False, "scene_id": None}
    assert dag.params.get_param("render_backend").schema["enum"] == ["local", "ecs", "ec2"]


def test_task_graph_branch_join_pools_and_asset(dag):
    from airflow.sdk import TriggerRule

    assert set(dag.task_ids) == {
        "discover",
        "upload_bands",
        "choose_render",
        "render_local",
        "publish",
        "prepare_ecs",
        "render_ecs",
    }  # the ecs chain, and ec2's once remote.ec2 is set: tests/dags/test_remote_backends.py
    discover = dag.get_task("discover")
    assert discover.mode == "reschedule"
    assert discover.downstream_task_ids == {
        "upload_bands",
        "choose_render",
        "render_local",
        "publish",
        "prepare_ecs",
    }
    assert dag.get_task("choose_render").downstream_task_ids == {
        "render_local",
        "prepare_ecs",
        "publish",
    }
    assert dag.get_task("render_local").downstream_task_ids == {"publish"}
    assert dag.get_task("render_local").pool == "landsat_render"
    publish = dag.get_task("publish")
    assert publish.pool == "landsat_publish"
    assert publish.trigger_rule == TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS
    assert [a.uri for a in publish.outlets] == ["landsat://published/p226_r010"]


def test_pools_file_names_the_pools_the_dag_uses(dag):
    pools = json.loads((REPO / "dags" / "config" / "pools.json").read_text())
    used = {t.pool for t in dag.tasks} - {"default_pool"}
    assert used <= set(pools)
    assert all(p["slots"] >= 1 for p in pools.values())


def test_dag_serializes(dag):
    from airflow.serialization.serialized_objects import DagSerialization

    data = DagSerialization.to_dict(dag)
    restored = DagSerialization.from_dict(data)
    assert restored.timetable.serialize() == dag.timetable.serialize()


def test_parse_is_cheap_and_imports_no_heavy_module():
    """Importing the DAG file pulls in no numpy/rasterio/render/pystac_client, and is quick."""
    heavy = ["numpy", "rasterio", "landsat_ops.render", "pystac_client", "pystac", "matplotlib"]
    loaded, elapsed = import_dag_file("landsat_scenes", [*heavy, "landsat_pipeline.discovery"])
    assert loaded == []
    assert elapsed < 10, f"the DAG file took {elapsed:.1f} s to import"


def test_report_dag_parse_imports_no_papermill_nor_data_stack():
    """The report DAG file imports neither the papermill provider nor what papermill loads.

    papermill (its azure/gcsfs/pyarrow I/O handlers and numpy) is only imported when the
    report task runs (report_local, landsat_pipeline.report_jobs); the DAG processor parses the
    file without.
    """
    heavy = ["papermill", "airflow.providers.papermill.operators.papermill", "nbconvert"]
    heavy += ["numpy", "pandas", "pyarrow", "gcsfs", "matplotlib"]
    loaded, elapsed = import_dag_file("landsat_ndvi_timeseries", heavy)
    assert loaded == []
    assert elapsed < 10, f"the DAG file took {elapsed:.1f} s to import"


def test_root_airflow_cfg_holds_no_secret_and_the_essentials():
    import configparser

    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(REPO / "airflow.cfg")
    assert cfg["core"]["load_examples"] == "False"
    assert cfg["core"]["executor"] == "LocalExecutor"
    assert int(cfg["core"]["parallelism"]) <= 4
    # The repository, not a path relative to AIRFLOW_HOME (issue 11: any Airflow home works).
    assert cfg["core"]["dags_folder"] == "${LANDSAT_OPS_ROOT}/dags"
    assert cfg["database"]["sql_alchemy_conn"].startswith("sqlite:///")
    assert cfg["api"]["host"] == "127.0.0.1"
    for section, key in (("core", "fernet_key"), ("api_auth", "jwt_secret")):
        assert not cfg.has_option(section, key), f"[{section}] {key} must not be committed"
        assert cfg.has_option(section, f"{key}_cmd")


def test_the_reconcile_dag(dagbag):
    reconcile = dagbag.get_dag("landsat_reconcile")
    assert reconcile.catchup is False and reconcile.max_active_runs == 1
    assert {"landsat", "reconcile"} <= set(reconcile.tags)
    order = [t.task_id for t in reconcile.topological_sort()]
    assert sorted(order) == sorted(
        ["path_rows", "collect_garbage", "gap_report", "runs_to_request", "request_runs"]
    )
    assert order[0] == "path_rows"
    assert order.index("gap_report") < order.index("runs_to_request") < order.index("request_runs")
    # Garbage collection of each path/row runs beside the gap reports, from the same list.
    assert reconcile.get_task("collect_garbage").upstream_task_ids == {"path_rows"}
    for task in reconcile.tasks:
        assert task.retries >= 2, task.task_id
