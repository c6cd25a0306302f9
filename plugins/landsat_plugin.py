"""The Airflow plugin of landsat-ops: registers the WRS-2 overpass timetable.

A DAG whose schedule is a custom timetable is serialized with the timetable's import path
(``landsat_pipeline.timetables.WRS2OverpassTimetable``); the scheduler, the dag processor and
``airflow backfill create`` deserialize it only if a plugin lists that class. The timetable
itself lives in the installed ``landsat_pipeline`` package (``pip install .[airflow]``), so
every Airflow component imports it under the same name.
"""

from airflow.plugins_manager import AirflowPlugin

from landsat_pipeline.timetables import WRS2OverpassTimetable


class LandsatPlugin(AirflowPlugin):
    """Make :class:`~landsat_pipeline.timetables.WRS2OverpassTimetable` known to the scheduler."""

    name = "landsat_ops"
    timetables = [WRS2OverpassTimetable]
