"""Reusable Airflow glue of the Landsat pipeline, imported by the DAGs as ``landsat_pipeline``.

* :mod:`~landsat_pipeline.config`: the reviewed config file (``dags/config/areas.yaml``).
* :mod:`~landsat_pipeline.bucket`: the bucket's key layout and how to open it.
* :mod:`~landsat_pipeline.sensors`: waiting for a scene in the STAC catalog.
* :mod:`~landsat_pipeline.landing`: landing a scene's bands.
* :mod:`~landsat_pipeline.publishing`: publishing product sets, STAC catalog and gallery.
* :mod:`~landsat_pipeline.remote_render`: the ``ecs`` and ``ec2`` render backends.
* :mod:`~landsat_pipeline.analytics`: NDVI sampling, tables, plots and the report.

The plugins folder is on ``sys.path`` in every Airflow component. Heavy imports (landsat_ops'
rendering, pystac, boto3) happen inside functions, so DAG files stay cheap to parse.
"""
