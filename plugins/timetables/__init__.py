"""Custom Airflow timetables for the Landsat pipeline.

Import them as ``timetables.<module>`` (the plugins folder is on ``sys.path``) and register
each in ``plugins/landsat_timetables_plugin.py``, so the scheduler can deserialize DAGs that
use them.
"""
