"""EC2 instances and the exit code record of an EC2 job, through Airflow connections.

A job instance (:func:`landsat_pipeline.remote.ec2_user_data`) writes
``{"exit_code": N, "instance_id": ..., "image": ...}`` to its status key before powering
off; :func:`read_status_record` reads it, ignoring a record written by another instance (an
earlier run's).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from landsat_ops.storage import Store

__all__ = ["GONE_STATES", "instance_states", "read_status_record"]

GONE_STATES = frozenset({"shutting-down", "terminated", "stopping", "stopped", "gone"})
"""Instance states after which it will write no record any more (``gone``: unknown to EC2)."""

_log = logging.getLogger(__name__)


def instance_states(
    aws_conn_id: str | None, region_name: str | None, instance_ids: Sequence[str]
) -> dict[str, str]:
    """EC2 state name of each instance (``running``, ``terminated``...), ``gone`` if unknown."""
    from airflow.providers.amazon.aws.hooks.ec2 import EC2Hook
    from botocore.exceptions import ClientError

    client = EC2Hook(aws_conn_id=aws_conn_id, region_name=region_name, api_type="client_type").conn
    states = {instance_id: "gone" for instance_id in instance_ids}
    try:
        response = client.describe_instances(InstanceIds=list(instance_ids))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "InvalidInstanceID.NotFound":
            return states
        raise
    for reservation in response.get("Reservations", []):
        for instance in reservation.get("Instances", []):
            states[instance["InstanceId"]] = instance["State"]["Name"]
    return states


def read_status_record(
    store: Store,
    status_key: str,
    instance_ids: Sequence[str],
    log: logging.Logger | logging.LoggerAdapter | Any = _log,
) -> dict[str, Any] | None:
    """The job's exit code record, if one of ``instance_ids`` wrote it; else None.

    :param log: where to say why a record is ignored (the task's log).
    """
    if store.info(status_key) is None:
        return None
    try:
        status = json.loads(store.read_bytes(status_key))
    except ValueError:
        log.warning("%s is not JSON; ignoring it", store.uri(status_key))
        return None
    if not isinstance(status, dict) or status.get("instance_id") not in instance_ids:
        log.info("%s was written by another instance; ignoring it", store.uri(status_key))
        return None
    return status
