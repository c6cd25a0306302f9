"""Where an EC2 job (a scene's render, or the area reports) stands: its one check.

A job runs once on a throwaway instance (:mod:`landsat_pipeline.remote`), records its exit
code in the bucket and powers off. :func:`check_ec2_job` looks, in this order, at the job's
outputs, its exit code record (:func:`read_status_record`) and its instance, and says
``running``, ``success`` (with the XCom value) or ``failed`` (with the message, quoting the
container's last log lines). ``Ec2JobTrigger.check`` runs it with an
:class:`~landsat_pipeline.hooks.ec2.Ec2JobHook`, in the triggerer and on each poke of
``Ec2JobSensor``.

What a job must leave is its ``expected`` (:class:`~landsat_pipeline.xcom.Ec2JobExpected`):

* ``render``: the scene's published item (``item_key``) switched by the job to a complete set of
  ``products``; it is success as soon as the item changed from ``item_before`` (its version
  token at launch) and names a complete set, with or without a record, or with the record's exit
  code 0 and a complete set (a render identical to the published one writes nothing).
* ``report``: every area's ``report.html``; success needs the record's exit code 0 too (the
  reports of an earlier run may be there already).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict

from landsat_pipeline.keys import area_keys

if TYPE_CHECKING:
    from landsat_ops.storage import Store
    from landsat_pipeline.xcom import Ec2JobExpected

__all__ = [
    "GONE_STATES",
    "Ec2JobOutcome",
    "check_ec2_job",
    "instance_id_list",
    "read_status_record",
]

_log = logging.getLogger(__name__)

GONE_STATES = frozenset({"shutting-down", "terminated", "stopping", "stopped", "gone"})
"""Instance states after which it will write no record any more (``gone``: unknown to EC2)."""


class Ec2JobOutcome(TypedDict):
    """Where the job stands; the payload of ``Ec2JobTrigger``'s event too."""

    status: Literal["running", "success", "failed"]
    message: str
    xcom: NotRequired[dict[str, Any]]
    """On success: the wait task's XCom value."""


def instance_id_list(instance_ids: str | Sequence[str]) -> list[str]:
    """``EC2CreateInstanceOperator``'s XCom (a list, or one ID) as a list."""
    return [instance_ids] if isinstance(instance_ids, str) else list(instance_ids)


def read_status_record(
    store: Store,
    status_key: str,
    instance_ids: Sequence[str],
    log: logging.Logger | logging.LoggerAdapter | Any = _log,
) -> dict[str, Any] | None:
    """The job's exit code record, if one of ``instance_ids`` wrote it; else None.

    A job instance (:func:`landsat_pipeline.remote.ec2_user_data`) writes ``{"exit_code": N,
    "instance_id": ..., "image": ...}`` to its status key before powering off; a record
    written by another instance (an earlier run's) is ignored.

    :param log: where to say why a record is ignored (the task's log).
    """
    if store.info(status_key) is None:
        return None
    try:
        status = json.loads(store.read_bytes(status_key))
    except ValueError:
        log.warning("%s is not JSON; ignoring it", store.uri(status_key))
        return None
    if not isinstance(status, dict) or status.get("instance_id") not in instance_ids:
        log.info("%s was written by another instance; ignoring it", store.uri(status_key))
        return None
    return status


class _Render:
    """A scene's render: its published item switched to a complete product set."""

    instance = "EC2 render instance"
    nothing_done = "nothing new was published"
    gone_note = " and without switching the scene's item"

    def __init__(self, expected: Ec2JobExpected) -> None:
        self.scene_id = expected["scene_id"]
        self.products = list(expected["products"])
        self.item_key = expected["item_key"]
        self.item_before = expected.get("item_before")
        self.job = f"the render of {self.scene_id}"

    def waiting_for(self, store: Store) -> str:
        return store.uri(self.item_key)

    def missing(self, store: Store) -> str | None:
        from landsat_pipeline.publishing import product_set_problem

        return product_set_problem(store, self.item_key, self.products)

    def finished_without_record(self, store: Store) -> bool:
        if store.version(self.item_key) == self.item_before:
            return False
        return self.missing(store) is None

    def done(self, store: Store, instance_ids: list[str], log: Any) -> dict[str, Any]:
        item_uri = store.uri(self.item_key)
        log.info("%s names the complete product set of %s", item_uri, self.scene_id)
        return {
            "backend": "ec2",
            "scene_id": self.scene_id,
            "item_uri": item_uri,
            "instance_ids": list(instance_ids),
        }


class _Report:
    """The area reports: every area's ``report.html`` published, after exit code 0."""

    instance = "report instance"
    nothing_done = "nothing was published"
    gone_note = ""
    job = "the report job"

    def __init__(self, expected: Ec2JobExpected) -> None:
        self.keys = {area: area_keys(area)["report_html"] for area in expected["areas"]}

    def waiting_for(self, store: Store) -> str:
        return self.job

    def finished_without_record(self, store: Store) -> bool:
        return False  # the reports of an earlier run may be there already: exit code 0 first

    def missing(self, store: Store) -> str | None:
        missing = [store.uri(key) for key in self.keys.values() if not store.exists(key)]
        return f"{missing} are missing" if missing else None

    def done(self, store: Store, instance_ids: list[str], log: Any) -> dict[str, Any]:
        log.info("report job on %s done: %s", ", ".join(instance_ids), sorted(self.keys))
        return {
            "backend": "ec2",
            "instance_ids": list(instance_ids),
            "reports": {area: store.uri(key) for area, key in self.keys.items()},
        }


_KINDS = {"render": _Render, "report": _Report}


def check_ec2_job(
    store: Store,
    *,
    status_key: str,
    instance_ids: str | Sequence[str],
    expected: Ec2JobExpected | Mapping[str, Any],
    instance_states: Callable[[list[str]], Mapping[str, str]],
    logs: Callable[[Sequence[str]], str],
    log: Any = _log,
) -> Ec2JobOutcome:
    """Check an EC2 job once: ``running``, ``success`` or ``failed`` (never retried).

    :param store: the bucket.
    :param status_key: the job's exit code record.
    :param instance_ids: the instance(s) launched for the job; a record of another is ignored.
    :param expected: what the job must leave (``kind`` ``render`` or ``report``).
    :param instance_states: instance ID -> EC2 state, for ``instance_ids``.
    :param logs: the last log lines of the containers of some instances, for a failure.
    :param log: the task's (or trigger's) logger.
    """
    kind = _KINDS[expected["kind"]](expected)
    ids = instance_id_list(instance_ids)

    def success() -> Ec2JobOutcome:
        return {"status": "success", "message": "", "xcom": kind.done(store, ids, log)}

    if kind.finished_without_record(store):
        return success()
    status = read_status_record(store, status_key, ids, log)
    if status is None:
        states = instance_states(ids)
        if not any(state in GONE_STATES for state in states.values()):
            message = ", ".join(f"{i} {s}" for i, s in states.items())
            log.info("Waiting for %s: instance %s", kind.waiting_for(store), message)
            return {"status": "running", "message": message}
        # The instance records its exit code before powering off: look once more.
        if kind.finished_without_record(store):
            return success()
        status = read_status_record(store, status_key, ids, log)
        if status is None:
            return {
                "status": "failed",
                "message": (
                    f"{kind.instance} {', '.join(f'{i} is {s}' for i, s in states.items())} "
                    f"without having recorded an exit code in {store.uri(status_key)}"
                    f"{kind.gone_note}: its hard timeout fired (boot, image pull or job took too "
                    "long) or it could not write the record.\n" + logs(ids)
                ),
            }
    exit_code, instance_id = status.get("exit_code"), status.get("instance_id")
    if exit_code == 0:
        missing = kind.missing(store)
        if missing is None:
            return success()
        return {
            "status": "failed",
            "message": f"{kind.instance} {instance_id} reported exit code 0, but {missing}",
        }
    timed_out = " (the job hit its timeout)" if exit_code == 124 else ""
    return {
        "status": "failed",
        "message": (
            f"{kind.instance} {instance_id} ran {kind.job} with exit code {exit_code}"
            f"{timed_out}; {kind.nothing_done}.\n" + logs([instance_id])
        ),
    }
