"""Benchmark: the cost of one publish on a bucket that already holds N published scenes.

Part of ``make bench-scale`` (issue 11: "publish cost at 6,000 scenes within 1.5x of the cost
at 300"). For each N it fills a bucket with N published scenes spread over 20 path/rows (each
with its item, its collection, the root catalog and the gallery pages, as publishing leaves
them), then renders (stand-in product sets, published as a render does: a version and the switched
item) and publishes a few more scenes of one path/row, and reports per publish task:

* the store operations (list, stat, read, write, copy, delete, conditional update), counted
  by a wrapper around the bucket's store, and the bytes read and written;
* the wall time (median of the publishes).

The bucket is a local folder (``--store local``, default) or a real S3 API, the moto server
on 127.0.0.1 (``--store s3``; slower to fill). Results go to stdout and
``.bench/publish_cost.json``.

Usage: ``python bench/bench_publish.py [--scenes 300 6000] [--store local|s3] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".bench"
PATH_ROWS = [(226 + i // 5, 10 + i % 5) for i in range(20)]  # a 4 x 5 region


class CountingStore:
    """A store that counts the operations and bytes going through it."""

    def __init__(self, store):
        self._store = store
        self.root = store.root
        self.calls: collections.Counter = collections.Counter()
        self.bytes_read = 0
        self.bytes_written = 0

    def uri(self, key):
        return self._store.uri(key)

    def list(self, prefix=""):
        self.calls["list"] += 1
        return self._store.list(prefix)

    def info(self, key):
        self.calls["stat"] += 1
        return self._store.info(key)

    def exists(self, key):
        return self.info(key) is not None

    def version(self, key):
        info = self.info(key)
        return None if info is None else (info.etag or info.sha256)

    def write_if(self, key, data, expected, content_type=None):
        self.calls["write"] += 1
        self.bytes_written += len(data)
        return self._store.write_if(key, data, expected, content_type)

    def read_bytes(self, key):
        self.calls["read"] += 1
        data = self._store.read_bytes(key)
        self.bytes_read += len(data)
        return data

    def write_bytes(self, key, data, content_type=None):
        self.calls["write"] += 1
        self.bytes_written += len(data)
        return self._store.write_bytes(key, data, content_type)

    def copy(self, src, dst):
        self.calls["copy"] += 1
        return self._store.copy(src, dst)

    def delete(self, key):
        self.calls["delete"] += 1
        return self._store.delete(key)

    def update(self, key, change, content_type=None):
        self.calls["update"] += 1

        def counted(current):
            self.bytes_read += len(current or b"")
            new = change(current)
            self.bytes_written += len(new or b"")
            return new

        return self._store.update(key, counted, content_type)


def scene_id(path: int, row: int, day: dt.date) -> str:
    processed = day + dt.timedelta(days=10)
    return f"LC08_L1TP_{path:03d}{row:03d}_{day:%Y%m%d}_{processed:%Y%m%d}_02_T1"


def stage(store, path: int, row: int, day: dt.date) -> dict:
    """A staged product set (small files) and its item, as a render leaves it."""
    from landsat_demo.product_sets import stage_product_set

    sid = scene_id(path, row, day)
    stage_product_set(store, sid, day.isoformat(), cloud_cover=20.0)
    return {"scene_id": sid, "path": path, "row": row, "date": day.isoformat()}


def fill(store, scenes: int) -> list[dt.date]:
    """Publish ``scenes`` scenes over the 20 path/rows (16 days apart, from 2013-04-11)."""
    from landsat_pipeline.publishing import publish_scene

    per = scenes // len(PATH_ROWS)
    start = dt.date(2013, 4, 11)
    days = [start + dt.timedelta(days=16 * i) for i in range(per)]
    for path, row in PATH_ROWS:
        for day in days:
            publish_scene(store, stage(store, path, row, day), title=f"{path}/{row}")
    return days


def measure(scenes: int, store_kind: str, repeat: int) -> dict:
    from landsat_ops.storage import open_store

    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        if store_kind == "s3":
            import boto3
            from moto.server import ThreadedMotoServer

            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            host, port = server.get_host_and_port()
            client = boto3.client(
                "s3",
                endpoint_url=f"http://{host}:{port}",
                region_name="us-east-1",
                aws_access_key_id="bench",
                aws_secret_access_key="bench",
            )
            client.create_bucket(Bucket="bench-publish")
            store = open_store("s3://bench-publish", client)
        else:
            server = None
            store = open_store(Path(tmp) / "bucket")
        try:
            started = time.perf_counter()
            days = fill(store, scenes)
            filled = time.perf_counter() - started
            path, row = PATH_ROWS[0]
            runs = []
            from landsat_pipeline.publishing import publish_scene

            for i in range(repeat):
                day = days[-1] + dt.timedelta(days=16 * (i + 1))
                scene = stage(store, path, row, day)
                counting = CountingStore(store)
                t0 = time.perf_counter()
                publish_scene(counting, scene, title=f"{path}/{row}")
                runs.append(
                    {
                        "seconds": time.perf_counter() - t0,
                        "calls": dict(counting.calls),
                        "bytes_read": counting.bytes_read,
                        "bytes_written": counting.bytes_written,
                    }
                )
        finally:
            if server is not None:
                server.stop()
    calls = runs[-1]["calls"]
    return {
        "scenes": scenes,
        "store": store_kind,
        "fill_seconds": round(filled, 1),
        "publish_seconds_median": round(statistics.median(r["seconds"] for r in runs), 4),
        "operations": sum(calls.values()),
        "calls": calls,
        "bytes_read": runs[-1]["bytes_read"],
        "bytes_written": runs[-1]["bytes_written"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, nargs="+", default=[300, 6000])
    parser.add_argument("--store", choices=("local", "s3"), default="local")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = []
    for scenes in args.scenes:
        result = measure(scenes, args.store, args.repeat)
        results.append(result)
        print(
            f"{scenes:>6} scenes ({args.store}): publish {result['publish_seconds_median']:.4f} s "
            f"median, {result['operations']} store operations {result['calls']}, "
            f"{result['bytes_read'] / 1024:.0f} KiB read, "
            f"{result['bytes_written'] / 1024:.0f} KiB written (filled in "
            f"{result['fill_seconds']} s)",
            flush=True,
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        ratio = last["publish_seconds_median"] / first["publish_seconds_median"]
        print(
            f"publish time at {last['scenes']} / at {first['scenes']} scenes: {ratio:.2f}x "
            f"(target <= 1.5x); operations {last['operations']} vs {first['operations']}"
        )
    BENCH.mkdir(exist_ok=True)
    (BENCH / "publish_cost.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
