"""CloudWatch Logs of a remote job's container: :class:`ContainerLogsHook`."""

from __future__ import annotations

from collections.abc import Sequence

from airflow.providers.amazon.aws.hooks.logs import AwsLogsHook

__all__ = ["ContainerLogsHook"]


class ContainerLogsHook(AwsLogsHook):
    """The provider's ``AwsLogsHook`` (``client_type="logs"``), quoting a container's last lines.

    Used in failure messages: its methods never raise, so the failure being reported is not
    replaced by a logging problem (a missing stream or an API error becomes a line saying so).
    Takes the ``AwsLogsHook`` arguments (``aws_conn_id``, ``region_name``, ``verify``,
    ``config``).
    """

    def last_lines(self, *, log_group: str, log_stream: str, limit: int) -> str:
        """The last ``limit`` lines of a stream, under a heading naming group and stream."""
        from botocore.exceptions import BotoCoreError, ClientError

        where = f"CloudWatch Logs {log_group} {log_stream}"
        try:
            events = self.conn.get_log_events(
                logGroupName=log_group,
                logStreamName=log_stream,
                startFromHead=False,
                limit=int(limit),
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

    def instances_last_lines(
        self, instance_ids: Sequence[str], *, log_group: str, log_stream_prefix: str, limit: int
    ) -> str:
        """:meth:`last_lines` of each instance's container (stream ``<prefix>/<instance id>``)."""
        return "\n".join(
            self.last_lines(
                log_group=log_group, log_stream=f"{log_stream_prefix}/{instance_id}", limit=limit
            )
            for instance_id in instance_ids
        )
