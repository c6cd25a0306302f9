"""The Airflow plugin of landsat-ops: registers the WRS-2 overpass timetable and the run notes.

A DAG whose schedule is a custom timetable is serialized with the timetable's import path
(``landsat_pipeline.timetables.WRS2OverpassTimetable``); the scheduler, the dag processor and
``airflow backfill create`` deserialize it only if a plugin lists that class. The timetable
itself lives in the installed ``landsat_pipeline`` package (``pip install .[airflow]``), so
every Airflow component imports it under the same name.

The listener :class:`~landsat_pipeline.run_notes.RunNoteListener` writes each scenes-DAG run's
outcome (published / no scene / cloudy / skipped / failed, with the scene ID) as the run's
note when the run ends (in the scheduler, or in ``dag.test()``).
"""

from airflow.plugins_manager import AirflowPlugin

from landsat_pipeline.run_notes import RunNoteListener
from landsat_pipeline.timetables import WRS2OverpassTimetable


class LandsatPlugin(AirflowPlugin):
    """The timetable for the scheduler; the run-note listener."""

    name = "landsat_ops"
    timetables = [WRS2OverpassTimetable]
    listeners = [RunNoteListener()]
