"""Reading the config file: which file (:func:`config_path`), read and validated whole."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from landsat_pipeline.config.areas import parse_areas
from landsat_pipeline.config.catalog import parse_catalog
from landsat_pipeline.config.checker import Checker
from landsat_pipeline.config.model import CONFIG_ENV, REMOTE_DOC, PipelineConfig, missing_remote
from landsat_pipeline.config.remote import parse_remote
from landsat_pipeline.config.storage import check_bucket_reaches_every_worker, parse_storage
from landsat_pipeline.errors import ConfigError

__all__ = ["config_path", "load_config", "parse_config"]

_TOP_KEYS = {"catalog", "storage", "defaults", "areas", "remote"}


def config_path(default: str | os.PathLike) -> Path:
    """The config file to use: ``$LANDSAT_PIPELINE_CONFIG`` if set, else ``default``."""
    return Path(os.environ.get(CONFIG_ENV) or default).expanduser().absolute()


def load_config(path: str | os.PathLike) -> PipelineConfig:
    """Read and validate a pipeline config file, once per content.

    A task reads the config in its templated fields' macros and in its body; the file is read
    each time (a change takes effect at once), but parsed and validated only when its bytes
    differ from the last ones seen (the result is immutable).

    Raises
    ------
    ConfigError
        If the file is missing, is not YAML, or a value is invalid; the message names the
        file, the key and what was expected.
    """
    source = Path(path).expanduser().absolute()
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read the pipeline config ({exc.strerror})") from None
    from landsat_pipeline.config.executors import configured_executors

    # The executor takes part in the checks (a local folder under a distributed one is refused).
    return _parse_bytes(source, data, tuple(configured_executors()))


@functools.lru_cache(maxsize=8)
def _parse_bytes(source: Path, data: bytes, executors: tuple[str, ...]) -> PipelineConfig:
    import yaml

    try:
        raw = yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{source}: not UTF-8 text ({exc.reason})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML ({exc})") from None
    return parse_config(raw, source)


def parse_config(raw: Any, source: Path) -> PipelineConfig:
    """Validate an already parsed config mapping (see :func:`load_config`)."""
    check = Checker(source)
    top = check.mapping(raw, "", required={"catalog", "storage", "areas"}, allowed=_TOP_KEYS)
    catalog = parse_catalog(check, top["catalog"])
    storage = parse_storage(check, top["storage"])
    check_bucket_reaches_every_worker(check, storage)
    watches, areas = parse_areas(check, top["areas"], top.get("defaults"), catalog.collection)
    remote = parse_remote(check, top["remote"]) if top.get("remote") is not None else None
    for watch in watches:
        missing = missing_remote(remote, watch.render_backend)
        if missing:
            raise check.error(
                f"areas.{watch.area}.render_backend",
                f"is {watch.render_backend!r} but {missing} is missing",
                f"a {missing} section (see {REMOTE_DOC}) or render_backend: local",
            )
    return PipelineConfig(
        source=source,
        catalog=catalog,
        storage=storage,
        watches=tuple(watches),
        areas=tuple(areas),
        remote=remote,
    )
