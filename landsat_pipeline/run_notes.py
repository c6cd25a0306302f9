"""Each scenes-DAG run's outcome as its run note: published / no scene / cloudy / skipped / failed.

The UI's run list and grid show a run's note next to its state, so a backfill's runs tell at a
glance which published a scene, which found none and which skipped a cloudy one (all of them
"success"), with the scene ID and the reason.

A task cannot write its own run's note in Airflow 3.3: the Task SDK and the execution API read
notes and set them only on runs a task triggers. So the note is written where a run's end is
decided, by a listener (:class:`RunNoteListener`, registered by ``plugins/landsat_plugin.py``)
on ``on_dag_run_success``/``on_dag_run_failed``. Those hooks run in the scheduler (and in
``dag.test()``, which runs the scheduler's loop in-process; and in the API server when a person
marks a run), inside the session that records the run's end: the note is committed with it.

The note is made (:func:`compose_note`) of the run's task states and of what ``discover``
concluded (its XCom ``run_outcome``, :class:`~landsat_pipeline.xcom.RunOutcome`, and its scene).
A note a person wrote is kept: the outcome is added below it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from airflow.listeners import hookimpl

from landsat_pipeline.sensors.scene import OUTCOME_KEY

__all__ = ["SCENES_DAG_ID", "RunNoteListener", "compose_note", "set_run_note"]

log = logging.getLogger(__name__)

SCENES_DAG_ID = re.compile(r"^landsat_p\d{3}_r\d{3}$")
"""The scenes DAGs (``landsat_pPPP_rRRR``): the only runs that get an outcome note."""

DISCOVER = "discover"
PUBLISH = "publish"


def compose_note(
    *,
    run_state: str,
    tasks: Sequence[tuple[str, str]],
    outcome: Mapping[str, Any] | None,
    scene: Mapping[str, Any] | None,
    marked: bool = False,
) -> str:
    """The one-line note of a finished run.

    :param run_state: the run's state (``success`` or ``failed``).
    :param tasks: ``(task_id, state)`` of its task instances, in the order they ended.
    :param outcome: ``discover``'s ``run_outcome`` XCom (None when it pushed none).
    :param scene: ``discover``'s scene XCom (None when it found none).
    :param marked: a person set the run's state (UI "Mark Dag Run as ...", REST PATCH).
    """
    outcome = outcome or {}
    scene = scene or {}
    states = dict(tasks)
    scene_id = outcome.get("scene_id") or scene.get("scene_id")
    warnings = list(outcome.get("warnings") or [])
    kind = outcome.get("outcome")
    if states.get(PUBLISH) == "success":
        text = f"published {scene_id}"
        cloud = scene.get("cloud_cover")
        if cloud is not None:
            text += f" ({float(cloud):.1f} % cloud)"
        if warnings:
            text += " · warning: " + "; ".join(warnings)
        failed = [task for task, state in tasks if state == "failed"]
        if run_state == "failed" and failed:  # e.g. a teardown after the publication
            text += f" · then failed at {failed[0]}"
        return text
    if marked:
        about = f" ({scene_id})" if scene_id else ""
        return f"marked {run_state} by hand{about}"
    if run_state == "failed":
        if kind == "failed":
            return f"failed: {outcome.get('reason')}"
        failed = [task for task, state in tasks if state == "failed"]
        where = f" at {failed[0]}" if failed else ""
        about = f" ({scene_id})" if scene_id else ""
        return f"failed{where}{about}: see the task's log"
    if kind == "cloudy":
        return f"cloudy: {scene_id}, {outcome.get('reason')}"
    if kind == "no scene":
        return f"no scene: {outcome.get('reason')}"
    if kind == "skipped":
        return f"skipped: {outcome.get('reason')}"
    skipped = [task for task, state in tasks if state == "skipped"]
    about = scene_id or "no scene"
    return f"skipped: {about} not published ({', '.join(skipped) or 'publish'} skipped)"


def _discover_xcom(session, dag_run) -> tuple[Any, Any]:
    """``discover``'s ``run_outcome`` and scene (``return_value``) XComs of the run."""
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    rows = session.scalars(
        select(XComModel).where(
            XComModel.dag_id == dag_run.dag_id,
            XComModel.run_id == dag_run.run_id,
            XComModel.task_id == DISCOVER,
            XComModel.key.in_((OUTCOME_KEY, "return_value")),
        )
    ).all()
    values = {row.key: XComModel.deserialize_value(row) for row in rows}
    return values.get(OUTCOME_KEY), values.get("return_value")


def _note_of(session, dag_run, run_state: str, marked: bool) -> str:
    from airflow.models.taskinstance import TaskInstance
    from sqlalchemy import select

    tis = session.scalars(
        select(TaskInstance).where(
            TaskInstance.dag_id == dag_run.dag_id, TaskInstance.run_id == dag_run.run_id
        )
    ).all()
    ended = sorted(tis, key=lambda ti: (ti.end_date is None, ti.end_date or 0, ti.task_id))
    outcome, scene = _discover_xcom(session, dag_run)
    return compose_note(
        run_state=run_state,
        tasks=[(ti.task_id, str(getattr(ti.state, "value", ti.state))) for ti in ended],
        outcome=outcome if isinstance(outcome, Mapping) else None,
        scene=scene if isinstance(scene, Mapping) else None,
        marked=marked,
    )


def _apply(dag_run, note: str) -> None:
    """Set the note; a note a person wrote (it has a user) is kept, the outcome below it."""
    current = dag_run.dag_run_note
    if current is None or current.user_id is None or not current.content:
        dag_run.note = note
    elif note not in current.content:
        dag_run.note = f"{current.content}\n\n{note}"


def set_run_note(dag_run, run_state: str, *, marked: bool = False) -> str | None:
    """Write a finished scenes-DAG run's outcome note; the note (None: not a scenes DAG).

    ``run_state`` is the state the run ends in (the hook's: the object may not be flushed yet).
    Where the run is attached to a session (the scheduler's) the note joins that transaction;
    a detached run (``dag.test()``'s, or the API server's after its commit) gets its own.
    """
    from sqlalchemy.orm import object_session

    if not SCENES_DAG_ID.match(str(dag_run.dag_id)):
        return None
    session = object_session(dag_run)
    if session is not None:  # the scheduler's (or dag.test's) session: it commits the run's end
        note = _note_of(session, dag_run, run_state, marked)
        _apply(dag_run, note)
        return note
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as own:
        run = own.scalars(
            select(DagRun).where(DagRun.dag_id == dag_run.dag_id, DagRun.run_id == dag_run.run_id)
        ).one()
        note = _note_of(own, run, run_state, marked)
        _apply(run, note)
    return note


class RunNoteListener:
    """Airflow listener: a scenes-DAG run's outcome becomes its note when the run ends."""

    @hookimpl
    def on_dag_run_success(self, dag_run, msg: str) -> None:
        self._note(dag_run, "success", msg)

    @hookimpl
    def on_dag_run_failed(self, dag_run, msg: str) -> None:
        self._note(dag_run, "failed", msg)

    @staticmethod
    def _note(dag_run, run_state: str, msg: str) -> None:
        # The API server's message when a person sets the state: "... manually set to ...".
        marked = "manually set" in str(msg)
        try:
            note = set_run_note(dag_run, run_state, marked=marked)
        except Exception:  # a note must never stop the scheduler
            log.exception("Could not write the run note of %s", dag_run.run_id)
            return
        if note is not None:
            log.info("Run note of %s %s: %s", dag_run.dag_id, dag_run.run_id, note)
