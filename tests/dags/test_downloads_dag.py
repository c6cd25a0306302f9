"""An EarthExplorer .tar of a real Level-2 set, through the scenes DAG (dag.test, moto S3).

The download is turned into a static catalog (python -m landsat_pipeline.downloads); the
config points the DAG of its path/row (008/059) at it; the run of its overpass day discovers,
lands, renders and publishes it.
"""

from __future__ import annotations

import datetime
import json
import tarfile

import pytest

from landsat_ops.render.destination import item_folder
from landsat_ops.storage import open_store
from landsat_pipeline.downloads import COLLECTION_ID, build_catalog
from landsat_pipeline.publishing import product_set_problem
from tests.support.dagenv import BUCKET, REPO, write_config

L2 = "LC08_L2SP_008059_20191201_20200825_02_T1"


@pytest.fixture
def ee_catalog(landsat_data, tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with tarfile.open(downloads / f"{L2}.tar", "w") as tar:
        for path in sorted((landsat_data / "rasters" / f"{L2}_512px").iterdir()):
            tar.add(path, arcname=path.name)
    out = tmp_path / "catalog"
    out.mkdir()
    ids, problems = build_catalog(downloads, out)
    assert ids == [L2] and problems == []
    return out / "catalog.json"


def test_a_download_is_published_by_the_dag(airflow_db, aws_connection, s3_bucket, ee_catalog):
    import boto3
    from airflow.dag_processing.dagbag import DagBag

    write_config(
        catalog={"url": str(ee_catalog), "collection": COLLECTION_ID},
        area={"path_rows": [[8, 59]], "start_date": "2019-01-01", "satellites": [8]},
    )
    try:
        bag = DagBag(dag_folder=str(REPO / "dags"))
        assert bag.import_errors == {}
        dag = bag.get_dag("landsat_p008_r059")
        day = datetime.datetime(2019, 12, 1, tzinfo=datetime.UTC)
        run = dag.test(logical_date=day)
        assert run.state == "success"
    finally:
        write_config()
    client = boto3.client("s3", endpoint_url=aws_connection, region_name="us-east-1")
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]}
    item_key = f"published/008/059/2019-12-01/{L2}.json"
    assert item_key in keys
    item = json.loads(client.get_object(Bucket=BUCKET, Key=item_key)["Body"].read())
    version = item_folder(item, L2)  # the render's version folder, named by the item
    assert version is not None
    assert f"published/008/059/2019-12-01/{version}/{L2}_truecolor.tif" in keys
    assert product_set_problem(open_store(f"s3://{BUCKET}"), item_key) is None
    assert f"landing/{L2}/{L2}_SR_B4.TIF" in keys
