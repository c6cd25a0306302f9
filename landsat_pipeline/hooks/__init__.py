"""Access to AWS through Airflow connections, laid out like the amazon provider's hooks.

* :mod:`~landsat_pipeline.hooks.bucket`: the bucket's Store and boto3 client (the provider's
  ``S3Hook``).
* :mod:`~landsat_pipeline.hooks.ec2`: ``Ec2JobHook`` (an ``AwsBaseHook``, ``client_type="ec2"``):
  the states of an EC2 job's instances and their containers' last log lines.
* :mod:`~landsat_pipeline.hooks.logs`: ``ContainerLogsHook`` (the provider's ``AwsLogsHook``):
  the last lines of a CloudWatch Logs stream, for a failure message.

Hooks are created when a task runs (in ``execute``/``poke``/a trigger), never at import nor in
an operator's ``__init__``. What is not an AWS call lives elsewhere (an EC2 job's exit code
record: :mod:`landsat_pipeline.ec2_job`).
"""
