"""`make demo`: the whole pipeline once, locally, in about a minute.

1. Generates the sample STAC catalog the default config points at (`demo-output/catalog/`):
   small synthetic scenes of WRS-2 226/010 (Scoresby Sund) on its real overpass dates of
   summer 2024 (landsat_demo.synthetic.make_catalog).
2. Picks the latest scene under the area's cloud limit and runs the DAG for that overpass with
   `airflow dags test landsat_p226_r010 <date>`: discover, upload bands, render, publish into
   the local folder standing in for the bucket (`demo-output/bucket/`).
3. Prints where the published products, the STAC catalog and the gallery are.

Run through `make demo` (it sets AIRFLOW_HOME and AIRFLOW_CONFIG and initialises Airflow).
The full Airflow log goes to demo-output/dags-test.log.

`--season` (run by `make report`) runs the DAG for every overpass of the sample season under
the cloud limit that is not published yet, oldest first, so the NDVI report has a series to
plot rather than one acquisition.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DAG_ID = "landsat_p226_r010"
PATH, ROW = 226, 10
START, END = datetime.date(2024, 6, 1), datetime.date(2024, 8, 31)
SIZE = 800  # pixels: a miniature scene renders in a few seconds


def main() -> int:
    started = time.monotonic()
    if not os.environ.get("AIRFLOW_HOME") or not os.environ.get("AIRFLOW_CONFIG"):
        print("run this through `make demo` (it sets AIRFLOW_HOME and AIRFLOW_CONFIG)")
        return 2
    from landsat_pipeline.config import config_path, load_config

    config = load_config(config_path(ROOT / "dags" / "config" / "areas.yaml"))
    watch = config.watch(PATH, ROW)
    catalog_file = Path(config.catalog.url)
    if "://" in config.catalog.url or catalog_file.suffix != ".json":
        print(f"{config.source}: catalog.url is {config.catalog.url}, not a local catalog.json;")
        print("the demo generates the local sample catalog: restore the default to run it.")
        return 2

    from landsat_demo.synthetic import make_catalog

    print(f"1. Sample catalog: synthetic {SIZE}x{SIZE} scenes of WRS-2 {watch.path_row}")
    print(f"   on its overpass dates {START} .. {END} -> {catalog_file}")
    make_catalog(
        catalog_file.parent, path=PATH, row=ROW, start=START, end=END, width=SIZE, height=SIZE
    )
    scenes = _pick_scenes(catalog_file, watch.max_cloud_cover)
    if "--season" in sys.argv[1:]:
        todo = [s for s in scenes if not _published(config, s[0])]
        print(
            f"   {len(scenes)} scenes under {watch.max_cloud_cover:g} % cloud cover, "
            f"{len(todo)} not published yet"
        )
    else:
        todo = scenes[-1:]  # the latest
    for date, scene_id, cloud in todo:
        print(f"   {scene_id}: cloud cover {cloud:.1f} % (limit {watch.max_cloud_cover:g} %)")
        log_name = "dags-test.log" if len(todo) == 1 else f"dags-test-{date}.log"
        if not _run_dag(scene_id, ROOT / "demo-output" / log_name):
            return 1
    date, scene_id, _ = scenes[-1]

    prefix = f"published/{PATH:03d}/{ROW:03d}/{date}"
    print("3. Published: the scene's STAC item, and the version folder of products it names")
    if config.storage.is_s3:  # configured for S3: print the URIs
        root = config.storage.root
        print(f"   {root}/{prefix}/{scene_id}.json")
        print(f"   {root}/{prefix}/{_s3_version(root, prefix, scene_id)}/{scene_id}_*.tif|.png")
        print(f"   STAC catalog: {root}/catalog.json")
        print(f"   gallery:      {root}/index.html")
    else:
        from landsat_ops.render.destination import current_folder

        bucket = Path(config.storage.root)
        item = bucket / prefix / f"{scene_id}.json"
        print(f"   {_rel(item)}  ({item.stat().st_size:,} bytes)")
        for path in sorted(current_folder(bucket / prefix, scene_id).iterdir()):
            print(f"   {_rel(path)}  ({path.stat().st_size:,} bytes)")
        print(f"   STAC catalog: {_rel(bucket / 'catalog.json')}")
        print(f"   gallery:      {_rel(bucket / 'index.html')}  (open it in a browser)")
        print(f"   bucket:       {bucket}")
    print(f"done in {time.monotonic() - started:.0f} s")
    return 0


def _run_dag(scene_id: str, log_file: Path) -> bool:
    """`airflow dags test` of the area's DAG for one scene, task states as they come.

    The run names its scene (the DAG's scene_id Param) rather than taking the overpass day as
    its logical date: `airflow dags test` starts a run at its logical date, so an overpass of
    2024 would show in the UI as a run that lasted years; this run's logical date is now.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    conf = json.dumps({"scene_id": scene_id})
    print(f"2. airflow dags test {DAG_ID} -c '{conf}'  (log: {_rel(log_file)})")
    with open(log_file, "w") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("airflow")), "dags", "test", DAG_ID, "-c", conf],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
        )
        _CHILDREN.append((proc, log_file))
        current, started_task = "?", time.monotonic()
        for line in proc.stdout:
            log.write(line)
            if "[DAG TEST] starting task_id=" in line:
                current = _field(line, "task_id=")
                started_task = time.monotonic()
            elif "Task instance state updated" in line and "new_state=" in line:
                state = _field(line, "new_state=")
                print(f"   {current:<14} {state:<10} {time.monotonic() - started_task:5.1f} s")
        code = proc.wait()
    if code != 0 or not _succeeded(log_file):
        print(f"the DAG run failed (exit code {code}); last lines of {_rel(log_file)}:")
        print("".join(log_file.read_text().splitlines(keepends=True)[-40:]))
        return False
    return True


def _s3_version(root: str, prefix: str, scene_id: str) -> str:
    """``<ID>/<version>``: the folder the scene's item names (``<ID>/<version>`` when the
    bucket cannot be read from here)."""
    from landsat_ops.errors import StorageError
    from landsat_ops.render.destination import item_folder
    from landsat_ops.storage import open_store

    try:
        item = json.loads(open_store(root).read_bytes(f"{prefix}/{scene_id}.json"))
    except (StorageError, ValueError):
        item = None
    return (item_folder(item, scene_id) if isinstance(item, dict) else None) or (
        f"{scene_id}/<version>"
    )


def _published(config, date: str) -> bool:
    """Whether the local bucket already holds the published scene of ``date``."""
    if config.storage.is_s3:
        return False  # the DAG's checksum-idempotent tasks skip what is already there
    folder = Path(config.storage.root) / f"published/{PATH:03d}/{ROW:03d}/{date}"
    return folder.is_dir() and any(folder.glob("*.json"))


def _pick_scenes(catalog_file: Path, max_cloud: float) -> list[tuple[str, str, float]]:
    """(date, scene ID, cloud cover) of the catalog scenes under the cloud limit, oldest first."""
    from landsat_pipeline.discovery import discover

    scenes = discover(
        str(catalog_file),
        path=PATH,
        row=ROW,
        start=START,
        end=END + datetime.timedelta(days=1),
        max_cloud=max_cloud,
    )
    if not scenes:
        raise SystemExit(f"no scene under {max_cloud} % cloud cover in {catalog_file}")
    return [
        (scene.acquired.date().isoformat(), scene.scene_id, scene.cloud_cover or 0.0)
        for scene in sorted(scenes, key=lambda scene: scene.acquired)
    ]


def _field(line: str, name: str) -> str | None:
    if name not in line:
        return None
    return line.split(name, 1)[1].split()[0]


def _succeeded(log_file: Path) -> bool:
    return any("DagRun Finished" in line and "state=success" in line for line in open(log_file))


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


_CHILDREN: list[tuple[subprocess.Popen, Path]] = []
"""The `airflow dags test` processes started and their logs, stopped on Ctrl-C."""


def _raise_interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def _stop_children() -> str:
    """Ctrl-C on a terminal reaches the `airflow dags test` child too (one process group);
    a SIGINT or SIGTERM sent to this process alone is passed on. Waits for it to end and
    says where its log is."""
    stopped = ""
    for child, log_file in _CHILDREN:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if child.returncode != 0:
            stopped = f"; the DAG run was stopped (its log: {_rel(log_file)})"
    return stopped


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C: no traceback either
        after_echo = "\n" if sys.stderr.isatty() else ""  # the terminal's ^C ends no line
        print(f"{after_echo}make demo: interrupted{_stop_children()}", file=sys.stderr)
        sys.exit(130)
