"""The pipeline's sensors.

* :mod:`~landsat_pipeline.sensors.scene`: ``LandsatSceneSensor``, a path/row's scene in the
  STAC catalog.
* :mod:`~landsat_pipeline.sensors.ec2`: ``Ec2JobSensor``, an EC2 job (a render or the
  reports), deferring to :class:`~landsat_pipeline.triggers.ec2.Ec2JobTrigger`.
"""
