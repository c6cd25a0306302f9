"""The ``storage`` section: the bucket, and whether every worker reaches it."""

from __future__ import annotations

from typing import Any

from landsat_pipeline.config.checker import Checker
from landsat_pipeline.config.executors import LOCAL_EXECUTORS, configured_executors
from landsat_pipeline.config.model import StorageSettings

__all__ = ["check_bucket_reaches_every_worker", "parse_storage"]

_STORAGE_DEFAULTS: dict[str, Any] = {"aws_conn_id": "aws_default"}


def parse_storage(check: Checker, raw: Any) -> StorageSettings:
    body = {**_STORAGE_DEFAULTS}
    body.update(check.mapping(raw, "storage", required={"root"}, allowed={"root", *body}))
    root = check.local_or_url(body["root"], "storage.root")
    if "://" in root and not root.startswith("s3://"):
        raise check.error("storage.root", f"is {root!r}", "a local folder or s3://bucket/prefix")
    if root.startswith("s3://") and not root[len("s3://") :].split("/", 1)[0]:
        raise check.error("storage.root", f"is {root!r}", "s3://bucket/prefix with a bucket")
    return StorageSettings(
        root=root.rstrip("/") if root != "/" else root,
        aws_conn_id=check.text(body["aws_conn_id"], "storage.aws_conn_id"),
    )


def check_bucket_reaches_every_worker(check: Checker, storage: StorageSettings) -> None:
    """Refuse a local-folder bucket under a distributed executor.

    The tasks of one run may each land on another worker: a local folder written by
    ``upload_bands`` on one machine is not there for ``render_local`` on the next.
    """
    if storage.is_s3:
        return
    distributed = [name for name in configured_executors() if name not in LOCAL_EXECUTORS]
    if distributed:
        raise check.error(
            "storage.root",
            f"is the local folder {storage.root!r} but Airflow's executor is {distributed[0]} "
            "(tasks of one run may run on different workers, which do not share a local folder)",
            "s3://bucket/prefix (a bucket every worker reaches) with a distributed executor",
        )
