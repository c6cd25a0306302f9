"""The pipeline's operators.

* :mod:`~landsat_pipeline.operators.ecs`: ``RenderEcsTaskOperator``, a scene's render as one
  ECS Fargate task.

The area report's ``local`` backend is three plain tasks of the ``landsat_ndvi_timeseries`` DAG
(:mod:`landsat_pipeline.report_jobs`), not an operator.
"""
