"""The pipeline's exceptions, and where a config error becomes a task failure without retries.

Every error the orchestration raises on purpose is a :class:`PipelineError`; each module's
own kind subclasses it. The project has one root: :class:`PipelineError` is a
:class:`~landsat_ops.errors.LandsatOpsError` (an error of the input or the environment, not a
bug), so ``except LandsatOpsError`` also catches the orchestration's errors; code that wraps
``landsat_ops`` errors in its own lets its own through first.

:func:`fail_on_config_error` is the ONE place where such an error (a config error, or one a
retry cannot fix) becomes Airflow's ``AirflowFailException``: every task and operator that
reads the config runs that code inside it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from landsat_ops.errors import LandsatOpsError

__all__ = [
    "AnalyticsError",
    "ConfigError",
    "DiscoveryError",
    "LandingError",
    "PipelineError",
    "PublishError",
    "fail_on_config_error",
]


class PipelineError(LandsatOpsError):
    """Base class of the errors the orchestration raises (bad config, data, or remote state)."""


class ConfigError(PipelineError, ValueError):
    """The pipeline configuration file is missing or invalid; the message names file and key."""


class DiscoveryError(PipelineError):
    """A STAC API or static catalog cannot be reached, or does not answer valid STAC JSON."""


class LandingError(PipelineError):
    """A source file cannot be read, or the discovered scene lacks a needed asset."""


class PublishError(PipelineError):
    """A staged or published product set is incomplete or does not match its item."""


class AnalyticsError(PipelineError):
    """A run cannot do what it was asked (a bad date range, a scene that is not what it says)."""


@contextlib.contextmanager
def fail_on_config_error(*also: type[Exception]) -> Iterator[None]:
    """Turn a :class:`ConfigError` (and the ``also`` errors) into ``AirflowFailException``.

    A retry cannot fix the config (nor bad Params): the task fails at once, with the error's
    message. Use as ``with fail_on_config_error(): ...`` or as a decorator.
    """
    try:
        yield
    except (ConfigError, *also) as exc:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(str(exc)) from None
