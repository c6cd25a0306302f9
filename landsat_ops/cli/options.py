"""The options and callbacks the ``landsat-ops`` commands share, and the CLI's logging set-up.

* :func:`envvar`: every option can come from a ``LANDSAT_OPS_<OPTION>`` environment variable
  (how container tasks are configured).
* :func:`products_option`, :func:`percentiles_option`, :func:`ranges_option`,
  :func:`stretch_option`, :func:`preview_size_option`: the render options, checked by the rules of
  :mod:`landsat_ops.products`; a bad value is a usage error naming the option.
* :func:`verbosity_options` (``-v``, ``-vv``, ``-q``) and :func:`configure_logging`: log
  records of landsat_ops go to stderr. Default: WARNING on a terminal (the progress line
  shows there), INFO otherwise (a container, the Airflow task log), so those logs show the
  render's stages.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TextIO

import click

from landsat_ops.errors import LandsatOpsError
from landsat_ops.products import (
    DEFAULT_PERCENTILES,
    DEFAULT_PREVIEW_SIZE,
    DEFAULT_PRODUCTS,
    DEFAULT_STRETCH,
    MIN_PREVIEW_SIZE,
    STRETCHES,
    parse_products,
    parse_ranges,
    validate_percentiles,
)

ENVVAR_PREFIX = "LANDSAT_OPS_"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOGGER = "landsat_ops"
"""The logger the CLI configures: the parent of every landsat_ops module's logger."""


def envvar(name: str) -> str:
    """An option's environment variable: ``envvar("preview_size")`` is LANDSAT_OPS_PREVIEW_SIZE."""
    return ENVVAR_PREFIX + name.upper().replace("-", "_")


# -- callbacks ------------------------------------------------------------------------------
def _percentiles(ctx, param, value):
    if value is None:
        return None
    try:
        parts = [float(v) for v in value.split(",")]
    except ValueError:
        raise click.BadParameter(f"expected two numbers LOW,HIGH, got {value!r}") from None
    try:
        return validate_percentiles(parts)
    except LandsatOpsError:
        raise click.BadParameter(
            f"expected LOW,HIGH with 0 <= LOW < HIGH <= 100, got {value!r}"
        ) from None


def _ranges(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_ranges(value)
    except LandsatOpsError as exc:
        raise click.BadParameter(str(exc).removeprefix("ranges: ")) from None


def _products(ctx, param, value):
    try:
        return parse_products(value)
    except LandsatOpsError as exc:
        raise click.BadParameter(str(exc).removeprefix("products: ")) from None


# -- options --------------------------------------------------------------------------------
Decorator = Callable[[Callable], Callable]


def products_option(help: str = "Comma-separated products to render.") -> Decorator:
    """``--products`` (a comma-separated subset of the products), parsed into a tuple."""
    return click.option(
        "--products",
        default=",".join(DEFAULT_PRODUCTS),
        show_default=True,
        envvar=envvar("products"),
        callback=_products,
        help=help,
    )


def percentiles_option() -> Decorator:
    """``--percentiles LOW,HIGH``, validated into a pair of floats."""
    return click.option(
        "--percentiles",
        default="{:g},{:g}".format(*DEFAULT_PERCENTILES),
        show_default=True,
        envvar=envvar("percentiles"),
        callback=_percentiles,
        help="LOW,HIGH percentiles of each band's valid pixels (whole scene) for the linear "
        "stretch (false colour, --stretch linear).",
    )


def ranges_option() -> Decorator:
    """``--ranges R0:R1,G0:G1,B0:B1``, parsed into three DN ranges (or None)."""
    return click.option(
        "--ranges",
        default=None,
        envvar=envvar("ranges"),
        callback=_ranges,
        help="Manual DN ranges R0:R1,G0:G1,B0:B1 instead of percentiles.",
    )


def stretch_option() -> Decorator:
    """``--stretch natural|linear``: how the true colour is mapped to 8 bits."""
    return click.option(
        "--stretch",
        type=click.Choice(STRETCHES),
        default=DEFAULT_STRETCH,
        show_default=True,
        envvar=envvar("stretch"),
        help="True colour stretch: natural (reflectance, TOA or surface, through one "
        "highlight-compressing tone curve anchored on the scene's white point, hue kept; "
        "clouds, snow and ice keep their texture) or linear (each channel's percentiles of "
        "every valid pixel, linear). False colour is always linear; --ranges replaces both.",
    )


def preview_size_option() -> Decorator:
    """``--preview-size PIXELS``, at least :data:`~landsat_ops.products.MIN_PREVIEW_SIZE`."""
    return click.option(
        "--preview-size",
        default=DEFAULT_PREVIEW_SIZE,
        show_default=True,
        envvar=envvar("preview_size"),
        type=click.IntRange(min=MIN_PREVIEW_SIZE),
        help="Longest side of PNG previews (never upsampled).",
    )


def verbosity_options(function: Callable) -> Callable:
    """``-v`` (INFO), ``-vv`` (DEBUG) and ``-q`` (errors only) of the command group."""
    function = click.option(
        "-q",
        "--quiet",
        is_flag=True,
        help="Log errors only.",
    )(function)
    return click.option(
        "-v",
        "--verbose",
        count=True,
        help="Log the stages on stderr: -v INFO, -vv DEBUG (default: INFO unless stderr is "
        "a terminal, then WARNING).",
    )(function)


# -- logging --------------------------------------------------------------------------------
def log_level(verbose: int, quiet: bool, stream: TextIO) -> int:
    """The level ``-v``/``-q`` ask for; without either, WARNING on a terminal, else INFO."""
    if quiet:
        return logging.ERROR
    if verbose >= 2:
        return logging.DEBUG
    if verbose == 1:
        return logging.INFO
    isatty = getattr(stream, "isatty", None)
    return logging.WARNING if isatty is not None and isatty() else logging.INFO


class _CliHandler(logging.StreamHandler):
    """The stderr handler the CLI installs (told apart from handlers installed by others)."""


def configure_logging(level: int, stream: TextIO | None = None) -> Callable[[], None]:
    """Send landsat_ops' log records of ``level`` and above to ``stream`` (default: stderr).

    Only the ``landsat_ops`` logger is touched, never the root logger. Returns a function that
    undoes it (the CLI calls it when the command ends).
    """
    logger = logging.getLogger(LOGGER)
    for old in [h for h in logger.handlers if isinstance(h, _CliHandler)]:
        logger.removeHandler(old)
    handler = _CliHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)

    return restore
