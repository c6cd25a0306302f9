"""The run note of each outcome (landsat_pipeline.run_notes.compose_note), without Airflow runs.

tests/dags/test_landsat_dag_run.py checks the same notes written by the plugin's listener at
the end of real ``dag.test()`` runs.
"""

from __future__ import annotations

import pytest

from landsat_pipeline.run_notes import SCENES_DAG_ID, compose_note

SCENE = {"scene_id": "LC08_L1TP_226010_20240628_20240708_02_T1", "cloud_cover": 12.34}
ID = SCENE["scene_id"]
PUBLISHED = [("discover", "success"), ("upload_bands", "success"), ("publish", "success")]
SKIPPED = [("discover", "skipped"), ("upload_bands", "skipped"), ("publish", "skipped")]


def outcome(kind, scene_id=None, reason="", warnings=()):
    return {"outcome": kind, "scene_id": scene_id, "reason": reason, "warnings": list(warnings)}


@pytest.mark.parametrize(
    ("run_state", "tasks", "reported", "scene", "note"),
    [
        pytest.param(
            "success",
            PUBLISHED,
            outcome("found", ID),
            SCENE,
            f"published {ID} (12.3 % cloud)",
            id="published",
        ),
        pytest.param(
            "success",
            PUBLISHED,
            None,
            {"scene_id": ID},
            f"published {ID}",
            id="published-without-outcome",
        ),
        pytest.param(
            "success",
            PUBLISHED,
            outcome("found", ID, warnings=["80.0 % cloud cover, above the limit of 50 %"]),
            SCENE,
            f"published {ID} (12.3 % cloud) · warning: 80.0 % cloud cover, above the limit of 50 %",
            id="published-with-warning",
        ),
        pytest.param(
            "success",
            SKIPPED,
            outcome("no scene", reason="no scene of 226/010 acquired on 2024-07-30 within 1 day"),
            None,
            "no scene: no scene of 226/010 acquired on 2024-07-30 within 1 day",
            id="no-scene",
        ),
        pytest.param(
            "success",
            SKIPPED,
            outcome("cloudy", ID, "80.0 % cloud cover, above the limit of 50 %"),
            None,
            f"cloudy: {ID}, 80.0 % cloud cover, above the limit of 50 %",
            id="cloudy",
        ),
        pytest.param(
            "success",
            SKIPPED,
            outcome("skipped", reason="this run has no data interval"),
            None,
            "skipped: this run has no data interval",
            id="skipped",
        ),
        pytest.param(
            "success",
            [("discover", "success"), ("render_local", "skipped"), ("publish", "skipped")],
            outcome("found", ID),
            SCENE,
            f"skipped: {ID} not published (render_local, publish skipped)",
            id="found-not-published",
        ),
        pytest.param(
            "failed",
            [("discover", "failed"), ("publish", "upstream_failed")],
            outcome("failed", reason="unknown key in the run conf: 'force_rendr'; accepted: a"),
            None,
            "failed: unknown key in the run conf: 'force_rendr'; accepted: a",
            id="failed-in-discover",
        ),
        pytest.param(
            "failed",
            [("discover", "success"), ("upload_bands", "failed"), ("publish", "upstream_failed")],
            outcome("found", ID),
            SCENE,
            f"failed at upload_bands ({ID}): see the task's log",
            id="failed-later",
        ),
    ],
)
def test_the_note_of_each_outcome(run_state, tasks, reported, scene, note):
    assert compose_note(run_state=run_state, tasks=tasks, outcome=reported, scene=scene) == note


def test_a_run_a_person_marked():
    """Mark Dag Run as failed on a run waiting at discover: said so, not "see the log"."""
    waiting = [("discover", "failed"), ("publish", "skipped")]
    note = compose_note(run_state="failed", tasks=waiting, outcome=None, scene=None, marked=True)
    assert note == "marked failed by hand"
    found = [("discover", "success"), ("upload_bands", "failed")]
    note = compose_note(
        run_state="success", tasks=found, outcome=outcome("found", ID), scene=SCENE, marked=True
    )
    assert note == f"marked success by hand ({ID})"
    # Published before the mark: that is what counts.
    note = compose_note(
        run_state="failed", tasks=PUBLISHED, outcome=outcome("found", ID), scene=SCENE, marked=True
    )
    assert note.startswith(f"published {ID}")


def test_a_published_run_that_failed_later_is_still_published():
    """A teardown failing after publish: the scene is out, and the list says both."""
    tasks = [*PUBLISHED, ("terminate_ec2", "failed")]
    note = compose_note(run_state="failed", tasks=tasks, outcome=outcome("found", ID), scene=SCENE)
    assert note == f"published {ID} (12.3 % cloud) · then failed at terminate_ec2"


def test_only_the_scenes_dags_get_notes():
    assert SCENES_DAG_ID.match("landsat_p226_r010")
    assert not SCENES_DAG_ID.match("landsat_reconcile")
    assert not SCENES_DAG_ID.match("landsat_ndvi_timeseries")


class _Note:
    def __init__(self, content, user_id):
        self.content, self.user_id = content, user_id


class _Run:
    """What _apply touches of a DagRun: ``dag_run_note`` (content, user) and ``note``."""

    def __init__(self, note=None):
        self.dag_run_note = note

    @property
    def note(self):
        return None if self.dag_run_note is None else self.dag_run_note.content

    @note.setter
    def note(self, value):  # DagRun.note: an association proxy keeping the note's user
        if self.dag_run_note is None:
            self.dag_run_note = _Note(value, None)
        else:
            self.dag_run_note.content = value


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(None, "published X", id="no-note"),
        pytest.param(_Note("no scene: earlier try", None), "published X", id="ours-replaced"),
        pytest.param(
            _Note("reprocessing for the survey", "admin"),
            "reprocessing for the survey\n\npublished X",
            id="a-person's-kept",
        ),
        pytest.param(
            _Note("reprocessing\n\npublished X", "admin"),
            "reprocessing\n\npublished X",
            id="not-twice",
        ),
    ],
)
def test_a_note_a_person_wrote_is_kept(before, after):
    from landsat_pipeline.run_notes import _apply

    run = _Run(before)
    _apply(run, "published X")
    assert run.note == after
