"""Reusable Airflow glue of the Landsat pipeline, imported by the DAGs as ``landsat_pipeline``.

Without Airflow operators (plain functions and data):

* :mod:`~landsat_pipeline.config`: the reviewed config file (``dags/config/areas.yaml``).
* :mod:`~landsat_pipeline.keys`: every bucket key and Asset URI.
* :mod:`~landsat_pipeline.errors`: the pipeline's exceptions; config errors fail a task once.
* :mod:`~landsat_pipeline.xcom`: the shapes of the values tasks pass through XCom.
* :mod:`~landsat_pipeline.discovery`: finding a path/row's scenes in a STAC catalog.
* :mod:`~landsat_pipeline.landing`: landing a scene's bands.
* :mod:`~landsat_pipeline.publishing`: publishing product sets, STAC catalog and gallery.
* :mod:`~landsat_pipeline.remote`: the contracts of the remote jobs (command line, ECS
  overrides, EC2 instance and user data).
* :mod:`~landsat_pipeline.render_jobs`: one scene's ECS task / EC2 instance arguments.
* :mod:`~landsat_pipeline.ec2_job`: where an EC2 job (render or report) stands.
* :mod:`~landsat_pipeline.analytics`: NDVI sampling, tables and plots.
* :mod:`~landsat_pipeline.report_jobs`: the area report, run locally or on one EC2 instance.
* :mod:`~landsat_pipeline.timetables`: the WRS-2 overpass timetable.

Airflow components, in the amazon provider's layout:

* :mod:`~landsat_pipeline.hooks`: the bucket, EC2 instance states, CloudWatch log lines.
* :mod:`~landsat_pipeline.operators`: the ECS render and the local report.
* :mod:`~landsat_pipeline.sensors`: a scene in the catalog; an EC2 job.
* :mod:`~landsat_pipeline.triggers`: an EC2 job, waited for in the triggerer.

The plugins folder is on ``sys.path`` in every Airflow component. Heavy imports (landsat_ops'
rendering, pystac, boto3) happen inside functions, so DAG files stay cheap to parse.
"""
