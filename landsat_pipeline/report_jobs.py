"""The area report's jobs: the executed notebook as HTML (``local``), one EC2 instance (``ec2``).

Beside :mod:`landsat_pipeline.render_jobs`; the tables the report reads are
:mod:`landsat_pipeline.analytics`'.

* :func:`local_report_job`, :func:`run_report_notebook` and :func:`publish_local_report`: the
  ``local`` report backend's three tasks (``prepare_report`` -> ``report_local`` ->
  ``publish_report``): the area's keys and parameters from the config; papermill in the worker
  on a downloaded copy of the table, the executed notebook left in the bucket; that notebook
  and its HTML (:func:`notebook_html`) published. Only the first reads the config: the other
  two take explicit (templated) arguments.
* :func:`prepare_ec2_report`, :func:`ec2_report_command` and :func:`report_image`: the ``ec2``
  report backend, one throwaway instance (:mod:`landsat_pipeline.remote`) running papermill in
  a report image through ``landsat-ops sync-run``, with the settings of the ``ec2`` render
  backend (``remote``); :class:`landsat_pipeline.sensors.ec2.Ec2JobSensor` waits for it.

Bucket layout (keys derive from the area, never from the clock)::

    published/analytics/<area>/report.ipynb|.html             the executed report
    staging/analytics/_executed/<run>/<area>/report.ipynb     local: executed, not yet published
    staging/analytics/area_report.ipynb                       the template, for the ec2 job
    staging/analytics/_ec2-status/<run>.json                  the ec2 job's exit code

The template is only written when its bytes change.
"""

from __future__ import annotations

import os
import posixpath
import re
import shlex
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from landsat_pipeline.analytics_extent import EXTENT_FILES
from landsat_pipeline.errors import AnalyticsError, ConfigError
from landsat_pipeline.hooks.bucket import open_bucket
from landsat_pipeline.keys import (
    ANALYTICS_FILES,
    ANALYTICS_PREFIX,
    REPORT_TEMPLATE_KEY,
    area_keys,
    ec2_report_status_key,
    executed_report_key,
)

if TYPE_CHECKING:
    from landsat_pipeline.config import PipelineConfig
    from landsat_pipeline.xcom import AreaReport, Ec2ReportJob, LocalReportJob

__all__ = [
    "REPORT_BACKENDS",
    "REPORT_IMAGE_ENV",
    "ec2_report_command",
    "local_report_job",
    "notebook_html",
    "prepare_ec2_report",
    "publish_local_report",
    "report_image",
    "run_report_notebook",
]

EXTENT_CSV = EXTENT_FILES["extent_csv"]
REPORT_BACKENDS = ("local", "ec2")
"""Where the report notebook runs: in the Airflow worker, or on a throwaway EC2 instance."""
REPORT_LOG_STREAM_PREFIX = "report"
"""The report container's CloudWatch Logs streams are ``report/<instance id>``."""


def notebook_html(path: str | os.PathLike) -> bytes:
    """An executed notebook as a standalone HTML report: its markdown and outputs (tables,
    figures inline as PNG), without the code (``jupyter nbconvert --to html --no-input``);
    the executed ``.ipynb`` keeps the code."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_filename(str(path))
    return body.encode()


def local_report_job(config: PipelineConfig, area_name: str, *, run_id: str) -> LocalReportJob:
    """``prepare_report``: the area's table, the report's keys and the notebook's parameters.

    Reads nothing from the bucket: the table is copied by :func:`run_report_notebook`, in the
    task that needs it. ``executed_key`` derives from the run, so a retry overwrites its own.
    """
    from landsat_ops.storage import join

    area = config.area(area_name)
    keys = area_keys(area.name)
    return {
        "area": area.name,
        "bucket_uri": config.storage.root,
        "bucket_conn_id": config.storage.aws_conn_id,
        "table_key": keys["table_csv"],
        "executed_key": executed_report_key(run_id, area.name),
        "report_ipynb_key": keys["report_ipynb"],
        "report_html_key": keys["report_html"],
        "parameters": {
            "area": area.name,
            "title": area.title,
            "source": join(config.storage.root, keys["table_csv"]),
        },
    }


def run_report_notebook(
    job: LocalReportJob,
    notebook: str | os.PathLike,
    *,
    parameters: dict | None = None,
    kernel_name: str = "python3",
    log_output: bool = True,
) -> LocalReportJob:
    """``report_local``: execute the report notebook with papermill for one area, in the worker.

    The area's table (and its extent table, when there is one, next to it: the notebook reads
    ``extent.csv`` beside ``table_uri``) is downloaded into a work folder; the notebook is
    executed there with the job's parameters plus ``table_uri`` (the local copy) and
    ``out_dir`` (its figures),
    ``report_mode`` and the cells' output in the task log (what the papermill provider's
    ``PapermillOperator`` runs: ``papermill.execute_notebook``); the executed notebook is left
    at ``executed_key`` for :func:`publish_local_report`. papermill is imported here only: it
    loads its azure/gcsfs/pyarrow I/O handlers and numpy, seconds the DAG processor would pay
    on every parse.

    :param parameters: more notebook parameters (the job's take precedence).
    :param kernel_name: the Jupyter kernel; ``python3`` is the kernel of the Python running the
        task when ipykernel is installed next to it (as in this project's venv).
    :param log_output: log the cells' output in the task log.
    :returns: the job, with ``executed_uri``.
    """
    import papermill

    store, _ = open_bucket(job["bucket_uri"], job["bucket_conn_id"])
    with tempfile.TemporaryDirectory(prefix="landsat-report-") as folder:
        work = Path(folder)
        table = store.get_file(job["table_key"], work / "in" / ANALYTICS_FILES["table_csv"])
        # The area's extent table, when there is one, beside it: the notebook looks there.
        extent_key = posixpath.join(posixpath.dirname(job["table_key"]), EXTENT_CSV)
        if store.exists(extent_key):
            store.get_file(extent_key, work / "in" / EXTENT_CSV)
        output = work / "out" / ANALYTICS_FILES["report_ipynb"]
        output.parent.mkdir(parents=True)
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters={
                **(parameters or {}),
                **job["parameters"],
                "table_uri": str(table),
                "out_dir": str(work / "figures"),
            },
            kernel_name=kernel_name,
            log_output=log_output,
            report_mode=True,
            progress_bar=False,
        )
        store.write_bytes(
            job["executed_key"], output.read_bytes(), content_type="application/x-ipynb+json"
        )
    return {**job, "executed_uri": store.uri(job["executed_key"])}


def publish_local_report(job: LocalReportJob) -> AreaReport:
    """``publish_report``: the executed notebook (outputs kept) and its HTML (outputs, no code)
    written next to the area's table; the executed copy left by ``report_local`` is removed."""
    store, _ = open_bucket(job["bucket_uri"], job["bucket_conn_id"])
    with tempfile.TemporaryDirectory(prefix="landsat-report-") as folder:
        executed = store.get_file(job["executed_key"], Path(folder) / "report.ipynb")
        html = notebook_html(executed)
        data = executed.read_bytes()
    store.write_bytes(job["report_ipynb_key"], data, content_type="application/x-ipynb+json")
    store.write_bytes(job["report_html_key"], html, content_type="text/html; charset=utf-8")
    store.delete(job["executed_key"])
    return {
        "area": job["area"],
        "backend": "local",
        "report_ipynb": store.uri(job["report_ipynb_key"]),
        "report_html": store.uri(job["report_html_key"]),
    }


REPORT_IMAGE_ENV = "LANDSAT_PIPELINE_REPORT_IMAGE"
"""Environment variable naming the report image when the config's ``remote`` has none."""


def report_image(config: PipelineConfig) -> str:
    """The ec2 report image: ``remote.report_image``, else ``$LANDSAT_PIPELINE_REPORT_IMAGE``.

    It must be the render image plus papermill, nbconvert, ipykernel and pandas (the render
    image has no papermill), with ``landsat-ops`` as its ENTRYPOINT (docs/analytics.md).
    """
    image = getattr(config.remote, "report_image", None) or os.environ.get(REPORT_IMAGE_ENV)
    if not image or any(c.isspace() for c in image):
        raise ConfigError(
            f"{config.source}: report_backend ec2 needs the report image (the render image "
            f"plus papermill; see docs/analytics.md): set remote.report_image or the "
            f"{REPORT_IMAGE_ENV} environment variable of the Airflow workers (got {image!r})"
        )
    return image


def ec2_report_command(
    store_root: str, areas: Sequence[str], kernel_name: str = "python3"
) -> list[str]:
    """The job of an ec2 report: ``landsat-ops sync-run ... -- sh -c 'papermill ...'``.

    ``sync-run`` downloads ``published/analytics/`` (the tables) and the template into
    ``in/``, runs papermill and nbconvert for each area into ``out/<area>/``, and only if all
    of them succeed uploads ``out/`` to ``published/analytics/``: ``<area>/report.ipynb`` and
    ``<area>/report.html``.
    """
    from landsat_ops.storage import join

    steps = ["set -eu"]
    for area in areas:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", area):
            raise AnalyticsError(f"area {area!r}: unexpected characters for a report job")
        notebook = f"out/{area}/{ANALYTICS_FILES['report_ipynb']}"
        papermill = ["papermill", "in/area_report.ipynb", notebook, "--kernel", kernel_name]
        papermill += ["--report-mode", "-r", "area", area]
        papermill += ["-r", "table_uri", f"in/{area}/{ANALYTICS_FILES['table_csv']}"]
        papermill += ["-r", "source", join(store_root, area_keys(area)["table_csv"])]
        papermill += ["-r", "out_dir", f"work/{area}"]
        steps += [
            f"mkdir -p out/{area} work/{area}",
            shlex.join(papermill),
            shlex.join(["jupyter", "nbconvert", "--to", "html", "--no-input", notebook]),
        ]
    analytics = join(store_root, ANALYTICS_PREFIX) + "/"
    return [
        "landsat-ops",
        "sync-run",
        "--input",
        analytics,
        "--input",
        join(store_root, REPORT_TEMPLATE_KEY),
        "--output",
        analytics,
        "--",
        "sh",
        "-c",
        "\n".join(steps),
    ]


def prepare_ec2_report(
    config: PipelineConfig, areas: Sequence[str], *, run_id: str, notebook: str | os.PathLike
) -> Ec2ReportJob:
    """What the ec2 report's create, wait and terminate tasks need, from the config at run time.

    The instance settings are the ``ec2`` render backend's (``remote`` and ``remote.ec2`` of the
    config: region, AMI, instance profile, subnet, security groups, instance type, timeout, log
    group), the image is :func:`report_image`. Uploads the template to
    :data:`REPORT_TEMPLATE_KEY` and removes the run's old status record (a retry must not read
    the exit code of an earlier try).

    Returns
    -------
    dict
        ``image_id``, ``config``, ``region_name`` and ``aws_conn_id`` for the EC2 operators;
        ``bucket_uri``, ``bucket_conn_id``, ``status_key``, ``expected``, ``log_group``,
        ``log_stream_prefix``, ``log_lines``, ``poll_seconds``, ``timeout_minutes`` and
        ``deferrable`` for :class:`~landsat_pipeline.sensors.ec2.Ec2JobSensor`; ``areas`` and
        ``command`` for the record.

    Raises
    ------
    ConfigError
        The ``remote``/``remote.ec2`` settings or the report image are missing, or the bucket
        is a local folder.
    """
    from landsat_pipeline import remote
    from landsat_pipeline.publishing import write_if_changed

    if not areas:
        raise AnalyticsError("no area to report on")
    settings = config.remote_settings("ec2")
    if not config.storage.is_s3:
        raise ConfigError(
            f"{config.source}: report_backend ec2 needs storage.root on s3:// (the instance "
            f"reads the tables from the bucket), not the local folder {config.storage.root}"
        )
    ec2 = settings.ec2
    image = report_image(config)
    store, _ = open_bucket(config.storage.root, config.storage.aws_conn_id)
    write_if_changed(
        store, REPORT_TEMPLATE_KEY, Path(notebook).read_bytes(), "application/x-ipynb+json"
    )
    status_key = ec2_report_status_key(run_id)
    store.delete(status_key)
    command = ec2_report_command(store.root, areas)
    user_data = remote.ec2_user_data(
        image,
        command,
        region=settings.region,
        timeout_minutes=ec2.timeout_minutes,
        log_group=settings.log_group,
        log_stream_prefix=REPORT_LOG_STREAM_PREFIX,
        status_uri=store.uri(status_key),
    )
    tags = {**dict(ec2.tags), "Name": "landsat-ops area report", "landsat-ops:job": "report"}
    instance = remote.ec2_instance_config(
        instance_profile=ec2.instance_profile,
        subnet_id=ec2.subnet_id,
        security_group_ids=list(ec2.security_group_ids),
        user_data=user_data,
        instance_type=ec2.instance_type,
        volume_size_gib=ec2.volume_size_gib,
        tags=tags,
    )
    return {
        "image_id": ec2.ami,
        "config": instance,
        "region_name": settings.region,
        "aws_conn_id": settings.aws_conn_id,
        "command": command,
        "bucket_uri": config.storage.root,
        "bucket_conn_id": config.storage.aws_conn_id,
        "status_key": status_key,
        "expected": {"kind": "report", "areas": list(areas)},
        "areas": list(areas),
        "log_group": settings.log_group,
        "log_stream_prefix": REPORT_LOG_STREAM_PREFIX,
        "log_lines": ec2.log_lines,
        "poll_seconds": ec2.poll_seconds,
        "timeout_minutes": ec2.timeout_minutes,
        "deferrable": ec2.deferrable,
    }
