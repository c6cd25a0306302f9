"""Airflow plugin that registers the Landsat timetables.

A DAG whose schedule is a custom timetable is serialized with the timetable's import path
(``timetables.wrs2.WRS2OverpassTimetable``); the scheduler, the dag processor and
``airflow backfill create`` deserialize it only if a plugin lists that class.
"""

from airflow.plugins_manager import AirflowPlugin
from timetables.wrs2 import WRS2OverpassTimetable


class LandsatTimetablesPlugin(AirflowPlugin):
    """Make :class:`~timetables.wrs2.WRS2OverpassTimetable` known to the scheduler."""

    name = "landsat_timetables"
    timetables = [WRS2OverpassTimetable]
