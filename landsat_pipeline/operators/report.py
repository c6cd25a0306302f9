"""The ``local`` report backend's operator: :class:`AreaReportOperator` (papermill in the worker).

It runs the papermill provider's ``PapermillOperator``, created in :meth:`execute` (the
provider is not imported when the DAG file is parsed), on ``reports/area_report.ipynb`` for
one area, then publishes ``report.ipynb`` (outputs kept) and ``report.html`` (nbconvert) next
to the area's table (:func:`landsat_pipeline.keys.area_keys`).
"""

from __future__ import annotations

import contextvars
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from landsat_pipeline.errors import fail_on_config_error
from landsat_pipeline.keys import ANALYTICS_FILES, area_keys

if TYPE_CHECKING:
    from airflow.providers.papermill.operators.papermill import PapermillOperator
    from airflow.sdk import Context

    from landsat_pipeline.xcom import AreaReport

__all__ = ["AreaReportOperator"]


_PAPERMILL_TEMPLATE_FIELDS = (
    "input_nb",
    "output_nb",
    "parameters",
    "kernel_name",
    "language_name",
    "kernel_conn_id",
    "nbconvert",
    "nbconvert_args",
)
"""The provider's ``PapermillOperator.template_fields``, spelt out so that the DAG file does not
import the provider (tests/dags/test_ndvi_timeseries.py checks they still match)."""


def _run_nested(operator: BaseOperator, context: Context | dict) -> Any:
    """Run another operator's ``execute`` inside the running task, as the task runner would.

    The task SDK's ``ExecutorSafeguard`` logs a warning when ``execute`` is called by anything
    but the task runner, which marks the operator it runs in a copy of the context variables
    (``task_runner._run_execute_callable``); this does the same for ``operator``.
    """
    from airflow.sdk.bases.operator import ExecutorSafeguard

    ctx = contextvars.copy_context()
    ctx.run(ExecutorSafeguard.tracker.set, operator)
    return ctx.run(operator.execute, context)


class AreaReportOperator(BaseOperator):
    """Run the report notebook for one area with papermill and publish it, executed and as HTML.

    The area's CSV table is downloaded into a work folder, the notebook executed there by the
    papermill provider's ``PapermillOperator`` with the parameters ``area``, ``title``,
    ``table_uri`` (the local copy), ``source`` (the table's URI, for the reader) and
    ``out_dir``; ``start``/``end`` keep their default (the whole table). Then ``report.ipynb``
    (outputs kept) and ``report.html`` (outputs, no code) are written to
    ``published/analytics/<area>/``.

    The provider is only imported in :meth:`execute`: ``papermill`` loads its cloud I/O
    handlers (azure, gcsfs, pyarrow) and numpy on import, about 1.5 s the DAG processor would
    pay on every parse of the DAG file. The operator takes and templates the same arguments as
    ``PapermillOperator`` (but ``input_nb``, which is ``notebook``, and ``output_nb``, which is
    in the work folder) and hands them to the one it runs.

    :param area: the area's name in the config.
    :param config_path: the pipeline config file.
    :param notebook: the parametrised notebook (``reports/area_report.ipynb``).
    :param parameters: more notebook parameters (the area's ones take precedence).
    :param kernel_name: the Jupyter kernel; ``python3`` is the kernel of the Python running
        the task when ipykernel is installed next to it (as in this project's venv).
    :param log_output: log the cells' output in the task log.
    """

    template_fields: Sequence[str] = (
        *_PAPERMILL_TEMPLATE_FIELDS,
        "area",
        "config_path",
        "notebook",
    )

    def __init__(
        self,
        *,
        area: str,
        config_path: str,
        notebook: str,
        parameters: dict | None = None,
        kernel_name: str = "python3",
        language_name: str | None = None,
        kernel_conn_id: str | None = None,
        log_output: bool = True,
        nbconvert: bool = False,
        nbconvert_args: list[str] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.area = area
        self.config_path = config_path
        self.notebook = notebook
        self.input_nb = notebook
        self.output_nb: str | None = None
        self.parameters = parameters
        self.kernel_name = kernel_name
        self.language_name = language_name
        self.kernel_conn_id = kernel_conn_id
        self.log_output = log_output
        self.nbconvert = nbconvert
        self.nbconvert_args = nbconvert_args

    def _papermill_operator(self, output_nb: str, parameters: dict[str, Any]) -> PapermillOperator:
        """The provider's ``PapermillOperator`` that executes ``notebook`` into ``output_nb``."""
        from airflow.providers.papermill.operators.papermill import PapermillOperator

        return PapermillOperator(
            task_id=self.task_id,
            input_nb=str(self.notebook),
            output_nb=output_nb,
            parameters=parameters,
            kernel_name=self.kernel_name,
            language_name=self.language_name,
            kernel_conn_id=self.kernel_conn_id,
            log_output=self.log_output,
            nbconvert=self.nbconvert,
            nbconvert_args=self.nbconvert_args,
        )

    def execute(self, context: Context) -> AreaReport:
        from landsat_pipeline.config import load_config
        from landsat_pipeline.hooks.bucket import open_bucket
        from landsat_pipeline.report_jobs import notebook_html

        with fail_on_config_error():
            config = load_config(self.config_path)
            area = config.area(self.area)
        store, _ = open_bucket(config.storage.root, config.storage.aws_conn_id)
        keys = area_keys(area.name)
        with tempfile.TemporaryDirectory(prefix="landsat-report-") as folder:
            work = Path(folder)
            table = store.get_file(keys["table_csv"], work / "in" / ANALYTICS_FILES["table_csv"])
            output = work / "out" / ANALYTICS_FILES["report_ipynb"]
            output.parent.mkdir(parents=True)
            parameters = {
                **(self.parameters or {}),
                "area": area.name,
                "title": area.title,
                "table_uri": str(table),
                "source": store.uri(keys["table_csv"]),
                "out_dir": str(work / "figures"),
            }
            _run_nested(self._papermill_operator(str(output), parameters), context)
            html = notebook_html(output)
            executed = output.read_bytes()
        store.write_bytes(keys["report_ipynb"], executed, content_type="application/x-ipynb+json")
        store.write_bytes(keys["report_html"], html, content_type="text/html; charset=utf-8")
        self.log.info("published %s and %s", store.uri(keys["report_ipynb"]), keys["report_html"])
        return {
            "area": area.name,
            "backend": "local",
            "report_ipynb": store.uri(keys["report_ipynb"]),
            "report_html": store.uri(keys["report_html"]),
        }
