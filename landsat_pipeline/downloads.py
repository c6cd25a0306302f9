"""A static STAC catalog from EarthExplorer downloads, so the scheduled DAG runs on them.

The tutorial's workflow: download Landsat products from EarthExplorer (a ``.tar`` per product,
``.tar.gz`` for older ones, or folders already extracted), organise them, push the bands,
render. Here::

    python -m landsat_pipeline.downloads DOWNLOADS --out CATALOG_DIR

finds every product under ``DOWNLOADS`` (a folder; archives and extracted product folders,
any depth), extracts what the pipeline needs from each archive (bands B1-B7, the QA band and
the MTL; nothing else, and no member that would land outside its folder: the archive rules of
:mod:`landsat_ops.scene.archive`, which ``landsat-ops render x.tar`` uses too) into
``CATALOG_DIR/scenes/<product ID>/``, reads each MTL, and writes ``CATALOG_DIR/catalog.json``
with one collection (``landsat-ee-downloads``) and one STAC item per product: the product ID,
the acquisition time, path/row, platform, cloud cover and local hrefs of every file, each with
its ``file:size`` and ``file:checksum`` (a sha2-256 multihash, ``1220`` + hex, as the
project's own items), so landing checks every byte it copies. Point the
config's ``catalog.url`` at ``CATALOG_DIR/catalog.json``: discovery, landing, render and
publish then work as with any catalog. Re-running with new downloads adds them; existing
scenes are kept as they are.

A file that is not a readable product (a truncated archive, an archive without an MTL, files
of two products, a member over its cap or the scratch budget, an MTL out of physical bounds,
a band whose TIFF is cut short or larger than its MTL declares: the checks of
:mod:`landsat_ops.scene.limits`) is one line naming it, and nothing of it is kept; the other
products are still added, and the command exits 2 when anything was refused.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from landsat_ops.errors import SceneError
from landsat_ops.scene.archive import extract_scene, is_archive, member_wanted
from landsat_pipeline.errors import PipelineError

__all__ = ["COLLECTION_ID", "DownloadError", "build_catalog", "find_products", "main"]

COLLECTION_ID = "landsat-ee-downloads"
FILE_EXTENSION = "https://stac-extensions.github.io/file/v2.1.0/schema.json"
_BANDS = tuple(range(1, 8))  # what the pipeline lands and renders from, with the QA and MTL


class DownloadError(PipelineError):
    """A download is not a readable Landsat product (the message names the file)."""


def _is_archive(path: Path) -> bool:
    return path.is_file() and is_archive(path)


def _wanted(name: str) -> bool:
    return member_wanted(name, _BANDS)


def find_products(root: Path) -> Iterator[Path]:
    """Archives, and folders holding an MTL, under ``root`` (sorted, any depth)."""
    for path in sorted(root.rglob("*")):
        if _is_archive(path):
            yield path
        elif path.is_file() and member_wanted(path.name, (), qa=False, mtl=True):
            yield path.parent


def _extract(archive: Path, into: Path) -> Path:
    """Extract the needed members of ``archive`` into a new folder under ``into``."""
    target = Path(tempfile.mkdtemp(prefix=".extract-", dir=into))
    try:
        extract_scene(archive, target, _BANDS, required=(), qa=True)
    except SceneError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise DownloadError(str(exc)) from None
    except OSError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise DownloadError(f"{archive}: cannot extract ({exc.strerror or exc})") from None
    return target


def _file_asset(path: Path) -> dict[str, Any]:
    """An asset of a local file: its relative href, ``file:size`` and ``file:checksum``."""
    from landsat_ops.storage import sha256_multihash

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(8 * 1024 * 1024), b""):
            digest.update(block)
    return {
        "href": f"./{path.name}",
        "file:size": path.stat().st_size,
        "file:checksum": sha256_multihash(digest.hexdigest()),
    }


def _item(files, meta) -> dict[str, Any]:
    """The STAC item of one extracted product, written beside its files (relative hrefs)."""
    sid = files.scene_id
    assets: dict[str, dict[str, Any]] = {}
    for band, path in sorted(files.bands.items()):
        if band in _BANDS:
            assets[f"B{band}"] = _file_asset(path)
    if files.qa is not None:  # the key says which QA band it is (as USGS's own items do)
        key = "qa_pixel" if files.qa.name.upper().endswith("_QA_PIXEL.TIF") else "bqa"
        assets[key] = _file_asset(files.qa)
    assets["MTL"] = _file_asset(files.mtl)
    properties: dict[str, Any] = {
        "datetime": meta.acquired.isoformat().replace("+00:00", "Z"),
        "platform": f"landsat-{sid.satellite}",
        "landsat:wrs_path": f"{sid.path:03d}",
        "landsat:wrs_row": f"{sid.row:03d}",
        "landsat:scene_id": sid.scene_id,
    }
    if meta.cloud_cover is not None:
        properties["eo:cloud_cover"] = meta.cloud_cover
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": [FILE_EXTENSION],
        "id": sid.scene_id,
        "collection": COLLECTION_ID,
        "geometry": None,
        "properties": properties,
        "assets": assets,
        "links": [
            {"rel": "root", "href": "../../catalog.json", "type": "application/json"},
            {"rel": "collection", "href": "../../catalog.json", "type": "application/json"},
        ],
    }


def _add_product(source: Path, out: Path) -> dict[str, Any]:
    """Place one product under ``out/scenes/<ID>/`` and return its item."""
    from landsat_ops.errors import LandsatOpsError
    from landsat_ops.scene import find_scene_files, read_mtl

    scenes = out / "scenes"
    scenes.mkdir(parents=True, exist_ok=True)
    folder = _extract(source, scenes) if _is_archive(source) else source
    try:
        try:
            files = find_scene_files(folder)
            if files.mtl is None:
                raise DownloadError(f"{source}: no MTL file (expected <ID>_MTL.txt/.json/.xml)")
            meta = read_mtl(files.mtl)
        except DownloadError:  # a LandsatOpsError too: already says what is wrong
            raise
        except LandsatOpsError as exc:
            raise DownloadError(f"{source}: {exc}") from None
        if meta.scene_id.scene_id != files.scene_id.scene_id:
            raise DownloadError(
                f"{source}: the MTL is of {meta.scene_id.scene_id}, the bands of "
                f"{files.scene_id.scene_id}"
            )
        if not _is_archive(source):  # an archive's members were checked as they came out
            _check_bands(source, files, meta)
        final = scenes / files.scene_id.scene_id
        if _is_archive(source):  # the newly extracted files replace an earlier extraction
            shutil.rmtree(final, ignore_errors=True)
            folder.rename(final)
        elif folder != final:  # an extracted product folder: copy what is needed
            final.mkdir(parents=True, exist_ok=True)
            for path in folder.iterdir():
                if path.is_file() and _wanted(path.name):
                    shutil.copy2(path, final / path.name)
        files = find_scene_files(final)
        item = _item(files, meta)
    finally:
        if _is_archive(source) and folder.exists() and folder.name.startswith(".extract-"):
            shutil.rmtree(folder, ignore_errors=True)
    (final / f"{files.scene_id.scene_id}.json").write_text(json.dumps(item, indent=1) + "\n")
    return item


def _check_bands(source: Path, files, meta) -> None:
    """The bands and QA band of an extracted product folder, before they are copied: whole
    TIFFs no larger than the MTL declares (:func:`~landsat_ops.scene.limits.check_tiff_dimensions`).
    """
    from landsat_ops.errors import LandsatOpsError
    from landsat_ops.scene.limits import check_tiff_dimensions

    wanted = [(band, path) for band, path in sorted(files.bands.items()) if band in _BANDS]
    if files.qa is not None:
        wanted.append(("QA", files.qa))
    for band, path in wanted:
        try:
            check_tiff_dimensions(path, meta, band)
        except LandsatOpsError as exc:
            raise DownloadError(f"{source}: {exc}") from None


def build_catalog(downloads: Path, out: Path) -> tuple[list[str], list[str]]:
    """Add every product under ``downloads`` to the catalog in ``out``.

    Returns the product IDs in the catalog and the one-line problems of refused files.
    """
    downloads, out = Path(downloads), Path(out)
    if not downloads.is_dir():
        raise DownloadError(f"{downloads}: no such folder (expected the downloads folder)")
    problems: list[str] = []
    for source in find_products(downloads):
        if out in source.parents or source == out:
            continue  # the catalog's own scene folders
        try:
            _add_product(source, out)
        except DownloadError as exc:
            problems.append(str(exc))
    scenes = out / "scenes"
    items = sorted(
        folder / f"{folder.name}.json"
        for folder in (scenes.iterdir() if scenes.is_dir() else [])
        if (folder / f"{folder.name}.json").is_file()
    )
    catalog = {
        "type": "Catalog",
        "stac_version": "1.1.0",
        "id": COLLECTION_ID,
        "description": f"Landsat products downloaded from EarthExplorer into {downloads}",
        "links": [
            {"rel": "root", "href": "./catalog.json", "type": "application/json"},
            *(
                {
                    "rel": "item",
                    "href": f"./{path.relative_to(out).as_posix()}",
                    "type": "application/geo+json",
                }
                for path in items
            ),
        ],
    }
    tmp = out / ".catalog.json.partial"
    tmp.write_text(json.dumps(catalog, indent=1) + "\n")
    tmp.replace(out / "catalog.json")
    return [path.stem for path in items], problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m landsat_pipeline.downloads",
        description="Build a static STAC catalog from EarthExplorer downloads.",
    )
    parser.add_argument("downloads", type=Path, help="folder of .tar/.tar.gz products or folders")
    parser.add_argument("--out", type=Path, required=True, help="catalog folder to write")
    args = parser.parse_args(argv)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        ids, problems = build_catalog(args.downloads, args.out)
    except (DownloadError, OSError) as exc:
        print(f"landsat_pipeline.downloads: error: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"landsat_pipeline.downloads: error: {problem}", file=sys.stderr)
    print(json.dumps({"catalog": str(args.out / "catalog.json"), "scenes": ids}, indent=1))
    return 2 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
