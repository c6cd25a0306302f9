"""Access to AWS through Airflow connections: the bucket, EC2 instances, CloudWatch Logs.

* :mod:`~landsat_pipeline.hooks.bucket`: the bucket's Store and boto3 client.
* :mod:`~landsat_pipeline.hooks.ec2`: EC2 instance states and an EC2 job's exit code record.
* :mod:`~landsat_pipeline.hooks.logs`: the last lines of a CloudWatch Logs stream.

Each function creates its provider hook when called (in ``execute``/``poke``/a trigger),
never at import: the DAG files import none of these at parse time.
"""
