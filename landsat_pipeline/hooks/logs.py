"""The last lines of CloudWatch Logs streams, for a failure message (a remote job's output)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["instances_log_lines", "last_log_lines"]


def last_log_lines(
    *, aws_conn_id: str | None, region_name: str | None, log_group: str, log_stream: str, limit: int
) -> str:
    """The last ``limit`` lines of a CloudWatch Logs stream, with a heading, for a failure message.

    Never raises: a missing stream or an API error becomes a line saying so, so the failure
    being reported is not replaced by a logging problem.
    """
    from airflow.providers.amazon.aws.hooks.logs import AwsLogsHook
    from botocore.exceptions import BotoCoreError, ClientError

    where = f"CloudWatch Logs {log_group} {log_stream}"
    try:
        client = AwsLogsHook(aws_conn_id=aws_conn_id, region_name=region_name).conn
        events = client.get_log_events(
            logGroupName=log_group, logStreamName=log_stream, startFromHead=False, limit=limit
        )["events"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return f"No log events: {where} does not exist."
        return f"Cannot read {where}: {exc}"
    except BotoCoreError as exc:
        return f"Cannot read {where}: {exc}"
    if not events:
        return f"No log events in {where}."
    lines = "\n".join(event["message"].rstrip("\n") for event in events)
    return f"Last {len(events)} log lines of {where}:\n{lines}"


def instances_log_lines(
    instance_ids: Sequence[str],
    *,
    aws_conn_id: str | None,
    region_name: str | None,
    log_group: str,
    log_stream_prefix: str,
    limit: int,
) -> str:
    """:func:`last_log_lines` of each instance's container (stream ``<prefix>/<instance id>``)."""
    return "\n".join(
        last_log_lines(
            aws_conn_id=aws_conn_id,
            region_name=region_name,
            log_group=log_group,
            log_stream=f"{log_stream_prefix}/{instance_id}",
            limit=int(limit),
        )
        for instance_id in instance_ids
    )
