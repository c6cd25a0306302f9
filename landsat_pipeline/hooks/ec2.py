"""The EC2 side of a job on a throwaway instance: :class:`Ec2JobHook`.

The job itself, its exit code record and its outputs are judged by
:func:`landsat_pipeline.ec2_job.check_ec2_job`; this hook answers its two AWS questions: the
instances' states, and their containers' last log lines for a failure message.
"""

from __future__ import annotations

from collections.abc import Sequence

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

__all__ = ["Ec2JobHook"]


class Ec2JobHook(AwsBaseHook):
    """Interact with the instance(s) of an EC2 job (``boto3.client("ec2")``), and their logs.

    Takes the ``AwsBaseHook`` arguments (``aws_conn_id``, ``region_name``, ``verify``,
    ``config``); CloudWatch Logs is reached with the same ones
    (:class:`~landsat_pipeline.hooks.logs.ContainerLogsHook`).
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs["client_type"] = "ec2"
        super().__init__(*args, **kwargs)

    def instance_states(self, instance_ids: Sequence[str]) -> dict[str, str]:
        """EC2 state name of each instance (``running``, ``terminated``...), ``gone`` if unknown."""
        from botocore.exceptions import ClientError

        states = {instance_id: "gone" for instance_id in instance_ids}
        try:
            response = self.conn.describe_instances(InstanceIds=list(instance_ids))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidInstanceID.NotFound":
                return states
            raise
        for reservation in response.get("Reservations", []):
            for instance in reservation.get("Instances", []):
                states[instance["InstanceId"]] = instance["State"]["Name"]
        return states

    def container_log_lines(
        self, instance_ids: Sequence[str], *, log_group: str, log_stream_prefix: str, limit: int
    ) -> str:
        """The last ``limit`` log lines of each instance's container (never raises)."""
        from landsat_pipeline.hooks.logs import ContainerLogsHook

        logs = ContainerLogsHook(
            aws_conn_id=self.aws_conn_id,
            region_name=self.region_name,
            verify=self.verify,
            config=self.config,
        )
        return logs.instances_last_lines(
            instance_ids, log_group=log_group, log_stream_prefix=log_stream_prefix, limit=limit
        )
