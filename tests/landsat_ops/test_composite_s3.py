"""A composite of ``s3://`` scene prefixes, published to S3 (moto), twice (issue 19)."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import numpy as np

from landsat_ops.composite import compose
from tests.support.composites import (
    expected_median,
    level2_dn,
    random_stack,
    read_reflectance,
    write_scene,
)


def test_s3_scenes_to_s3_and_twice_writes_nothing(s3_bucket, tmp_path):
    client = boto3.client("s3")
    dn, qa = random_stack(2, 30, 40, seed=11)
    refs = []
    for i, day in enumerate([dt.date(2024, 7, 1), dt.date(2024, 7, 17)]):
        folder = write_scene(tmp_path / "scenes", day, dn[i], qa[i])
        for path in folder.iterdir():
            client.upload_file(str(path), s3_bucket, f"landing/{folder.name}/{path.name}")
        refs.append(f"s3://{s3_bucket}/landing/{folder.name}/")
    dest = f"s3://{s3_bucket}/published/composites/226/010/2024-07/"
    uri = compose(refs, dest, composite_id="p226r010_2024-07", period="2024-07", workdir=tmp_path)
    assert uri == f"{dest}p226r010_2024-07.json"

    def listing() -> dict:
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=s3_bucket, Prefix="published/"
        )
        return {
            o["Key"]: (o["ETag"], o["LastModified"]) for p in pages for o in p.get("Contents", [])
        }

    before = listing()
    item = json.loads(
        client.get_object(
            Bucket=s3_bucket, Key="published/composites/226/010/2024-07/p226r010_2024-07.json"
        )["Body"].read()
    )
    assert [link["href"] for link in item["links"] if link["rel"] == "derived_from"] == refs
    folder = item["assets"]["reflectance_tif"]["href"].removeprefix("./")
    local = tmp_path / "reflectance.tif"
    client.download_file(s3_bucket, f"published/composites/226/010/2024-07/{folder}", str(local))
    stored, _ = read_reflectance(local)
    np.testing.assert_array_equal(stored, level2_dn(expected_median(dn, qa)[0]))
    compose(
        list(reversed(refs)),
        dest,
        composite_id="p226r010_2024-07",
        period="2024-07",
        workdir=tmp_path,
    )
    assert listing() == before
