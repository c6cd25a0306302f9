"""Triggers the pipeline's deferrable sensors wait on in the triggerer.

* :mod:`~landsat_pipeline.triggers.ec2`: :class:`~landsat_pipeline.triggers.ec2.Ec2JobTrigger`,
  an EC2 job's exit code record, instance and outputs.
"""
