"""The pipeline's configuration: what to watch (``dags/config/areas.yaml``), where, and how.

One reviewed YAML file says which WRS-2 path/rows are watched (grouped in named areas), which
STAC catalog is searched, where the bucket is and how each scene is rendered. Every DAG is
generated from it: one DAG per path/row, ``landsat_p{path:03d}_r{row:03d}``.

Layout (every key of ``defaults`` may be overridden per area)::

    catalog:  {url, collection, max_retries, timeout_seconds, page_limit, source_conn_id,
               requester_pays, signing_url, blob_endpoint,
               source_schemes, source_hosts, source_buckets}    (docs/sources.md)
    storage:  {root, aws_conn_id}
    defaults: {start_date, catchup, satellites, products, max_cloud_cover, percentiles,
               preview_size, render_backend, availability_delay_hours, wait_for_scene_hours,
               poke_interval_minutes, deferrable_waits, reconcile_days, retries,
               retry_delay_minutes, max_active_runs, render_queue}
    areas:
      <name>: {title, path_rows: [[path, row], ...], points: [{id, lon, lat}, ...],
               composites: {periods, crs, resolution, stat, tile_size, products},
               polygons: <GeoJSON file>, <any defaults key>}
    remote:   {region, aws_conn_id, log_group, image,         (optional: the ecs/ec2 backends)
               ecs: {cluster, task_definition, container_name, subnets, security_groups,
                     assign_public_ip, log_stream_prefix, deferrable, poll_seconds,
                     timeout_minutes, log_lines},
               ec2: {ami, instance_type, instance_profile, subnet_id, security_group_ids,
                     volume_size_gib, timeout_minutes, poll_seconds, log_stream_prefix,
                     log_lines, tags, deferrable}}

``points`` are the area's points of interest (WGS84 degrees) whose NDVI the
``landsat_ndvi_timeseries`` DAG follows across every published scene of the area.
``composites`` (:mod:`.composites`): the periods the ``landsat_composites`` DAG composites
the area's scenes over, and the grid of its region mosaic. ``polygons``: a GeoJSON
FeatureCollection of named polygons (WGS84) whose snow/ice and water extent the analytics DAG
measures (:mod:`landsat_ops.extent.polygons`, checked on load; docs/extent.md).

``remote`` holds what the ``ecs`` and ``ec2`` render backends need, filled from the outputs of
``deploy/cloudformation.yaml`` (docs/remote-backends.md maps each key to its output). Without it
the DAGs still load and the ``local`` backend works; a run asking for ``ecs``/``ec2`` then fails
naming the missing key (:meth:`PipelineConfig.remote_settings`).

Relative local paths (``catalog.url``, ``storage.root``, ``polygons``) are relative to the
folder of the YAML file. ``LANDSAT_PIPELINE_CONFIG`` names another file (tests and deployments
use it).

Only the standard library, PyYAML, :mod:`landsat_pipeline.remote` and light modules of
``landsat_ops`` (overpass, products, points, extent.polygons) are imported: DAG files load this
at parse time.

Modules: :mod:`.model` (the validated sections), :mod:`.loader` (reading the file),
:mod:`.checker` (typed checks naming the key), one parser per section (:mod:`.catalog`,
:mod:`.storage`, :mod:`.areas`, :mod:`.remote`) and :mod:`.executors` (Airflow's executor).
"""

from landsat_pipeline.config.areas import AVAILABILITY_HOURS, default_wait_hours
from landsat_pipeline.config.executors import LOCAL_EXECUTORS
from landsat_pipeline.config.loader import config_path, load_config, parse_config
from landsat_pipeline.config.model import (
    CONFIG_ENV,
    REMOTE_BACKENDS,
    RENDER_BACKENDS,
    Area,
    CatalogSettings,
    Ec2Settings,
    EcsSettings,
    PipelineConfig,
    RemoteSettings,
    StorageSettings,
    Watch,
)

__all__ = [
    "AVAILABILITY_HOURS",
    "CONFIG_ENV",
    "LOCAL_EXECUTORS",
    "REMOTE_BACKENDS",
    "RENDER_BACKENDS",
    "Area",
    "CatalogSettings",
    "Ec2Settings",
    "EcsSettings",
    "PipelineConfig",
    "RemoteSettings",
    "StorageSettings",
    "Watch",
    "config_path",
    "default_wait_hours",
    "load_config",
    "parse_config",
]
