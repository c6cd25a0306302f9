"""The pipeline's operators.

* :mod:`~landsat_pipeline.operators.ecs`: ``RenderEcsTaskOperator``, a scene's render as one
  ECS Fargate task.
* :mod:`~landsat_pipeline.operators.report`: ``AreaReportOperator``, an area's report notebook
  run with papermill in the worker.
"""
