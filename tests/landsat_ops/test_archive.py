"""Product archives (EarthExplorer ``.tar``/``.tar.gz``, local or ``s3://``) as SCENE.

``landsat-ops render x.tar --out DEST`` must give the very bytes a render of the extracted
folder gives, extract only what the products need, and refuse a bad archive with one line
naming it, exit code 2, nothing in DEST and no scratch left behind. The synthetic scenes of
:mod:`landsat_demo.synthetic` run these tests on a clean clone; the real sets of
../shared/data/landsat (``landsat_data``) check the same on USGS files; S3 archives run against
the moto server of ``tests/conftest.py``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
import tarfile
import zlib
from pathlib import Path

import pytest

from landsat_ops.errors import Interrupted, SceneError, StorageError
from landsat_ops.render import render_scene
from landsat_ops.render.fetch import fetch_scene
from landsat_ops.scene.archive import (
    extract_scene,
    is_archive,
    member_wanted,
    read_archive,
)
from landsat_ops.scene.locate import locate_scene, scene_info
from tests.support.cli_helpers import assert_one_line_error, run

L2 = "LC08_L2SP_008059_20191201_20200825_02_T1"
C1 = "LC08_L1TP_016037_20170813_20170814_01_RT"
PRODUCTS = "truecolor,ndvi"
EXE = Path(sys.executable).with_name("landsat-ops")


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """A small synthetic Collection 2 Level-1 scene folder (B1-B7, QA_PIXEL, MTL)."""
    from landsat_demo.synthetic import make_scene

    return make_scene(
        tmp_path_factory.mktemp("scenes"),
        width=200,
        height=180,
        acquired=dt.datetime(2024, 7, 30, 13, 42, tzinfo=dt.UTC),
    )


@pytest.fixture(scope="module")
def other_scene(tmp_path_factory) -> Path:
    """A second synthetic product (another day), for archives holding two products."""
    from landsat_demo.synthetic import make_scene

    return make_scene(
        tmp_path_factory.mktemp("other"),
        width=64,
        height=64,
        acquired=dt.datetime(2024, 8, 15, 13, 42, tzinfo=dt.UTC),
    )


def pack(
    folder: Path,
    target: Path,
    *,
    mode: str = "w",
    prefix: str = "",
    skip: tuple[str, ...] = (),
    extra: dict[str, bytes] | None = None,
) -> Path:
    """Tar ``folder``'s files as EarthExplorer does (flat), plus ``extra`` members."""
    with tarfile.open(target, mode) as tar:
        for path in sorted(folder.iterdir()):
            if not any(s in path.name for s in skip):
                tar.add(path, arcname=prefix + path.name)
        for name, data in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def special(target: Path, folder: Path, name: str, kind: bytes) -> Path:
    """An archive of ``folder`` whose member ``name`` is a link or device, not a file."""
    with tarfile.open(target, "w") as tar:
        for path in sorted(folder.iterdir()):
            if path.name != name:
                tar.add(path, arcname=path.name)
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = "/etc/passwd"
        tar.addfile(info)
    return target


def tiny_tiff(path: Path, width: int = 6, height: int = 5) -> Path:
    """A small whole uint16 GeoTIFF (a few hundred bytes)."""
    import numpy as np
    import rasterio

    profile = {"driver": "GTiff", "width": width, "height": height, "count": 1}
    with rasterio.open(path, "w", **profile, dtype="uint16") as dataset:
        dataset.write(np.arange(width * height, dtype="uint16").reshape(1, height, width))
    return path


def minimal_mtl(sid: str, **values: str) -> str:
    """The smallest MTL text that parses, plus ``values`` in IMAGE_ATTRIBUTES."""
    extra = "".join(f"    {key} = {value}\n" for key, value in values.items())
    return (
        "GROUP = LANDSAT_METADATA_FILE\n  GROUP = PRODUCT_CONTENTS\n"
        f'    LANDSAT_PRODUCT_ID = "{sid}"\n  END_GROUP = PRODUCT_CONTENTS\n'
        '  GROUP = IMAGE_ATTRIBUTES\n    SPACECRAFT_ID = "LANDSAT_8"\n'
        f"    DATE_ACQUIRED = 2024-07-30\n{extra}  END_GROUP = IMAGE_ATTRIBUTES\n"
        "END_GROUP = LANDSAT_METADATA_FILE\nEND\n"
    )


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (any depth), by its path relative to it."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def assert_nothing_left(dest: Path, workdir: Path) -> None:
    assert not dest.exists() or not any(dest.iterdir()), list(dest.iterdir())
    assert not any(workdir.iterdir()), f"scratch left behind: {list(workdir.iterdir())}"


# --- names --------------------------------------------------------------------------------------


def test_member_wanted():
    sid = "LC08_L2SP_008059_20191201_20200825_02_T1"
    assert member_wanted(f"{sid}/{sid}_SR_B4.TIF", [4])
    assert member_wanted(f"{sid}_B4.tif", [4])
    assert not member_wanted(f"{sid}_SR_B4.TIF", [5])
    assert not member_wanted(f"{sid}_B10.TIF", range(1, 8))
    assert member_wanted(f"{sid}_QA_PIXEL.TIF", [])
    assert not member_wanted(f"{sid}_QA_PIXEL.TIF", [], qa=False)
    assert member_wanted(f"{sid}_BQA.TIF", [])
    assert member_wanted(f"{sid}_MTL.txt", []) and member_wanted(f"{sid}_MTL.json", [])
    assert not member_wanted(f"{sid}_MTL.xml", [], mtl=False)
    for other in (f"{sid}_ANG.txt", f"{sid}_QA_RADSAT.TIF", f"{sid}_SR_B4.TIF.xml", "B4.TIF"):
        assert not member_wanted(other, range(1, 12)), other


def test_is_archive(tmp_path):
    (tmp_path / "x.tar").write_bytes(b"")
    (tmp_path / "odd.tar").mkdir()  # a folder named like an archive is a folder
    assert is_archive(tmp_path / "x.tar") and is_archive(tmp_path / "missing.TAR.GZ")
    assert is_archive("s3://bucket/downloads/x.tgz")
    assert not is_archive(tmp_path / "odd.tar")
    assert not is_archive("s3://bucket/landing/LC08_X/") and not is_archive(tmp_path)


# --- extraction -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode, suffix", [("w", ".tar"), ("w:gz", ".tar.gz"), ("w:gz", ".tgz")])
def test_extracts_only_the_needed_members_flat(synthetic, tmp_path, mode, suffix):
    sid = synthetic.name
    archive = pack(
        synthetic,
        tmp_path / f"{sid}{suffix}",
        mode=mode,
        prefix=f"{sid}/",  # a folder inside the archive: flattened
        extra={f"{sid}/{sid}_ANG.txt": b"angles", "README.txt": b"hello"},
    )
    files = extract_scene(archive, tmp_path / "out", {4, 5}, qa=False)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        f"{sid}_B4.TIF",
        f"{sid}_B5.TIF",
        f"{sid}_MTL.txt",
    ]
    assert sorted(files.bands) == [4, 5] and files.qa is None and files.mtl is not None
    for band in (4, 5):
        assert files.bands[band].read_bytes() == (synthetic / f"{sid}_B{band}.TIF").read_bytes()
    extract_scene(archive, tmp_path / "with-qa", {2}, qa=True)
    assert f"{sid}_QA_PIXEL.TIF" in {p.name for p in (tmp_path / "with-qa").iterdir()}


@pytest.mark.parametrize(
    "products, bands, qa",
    [
        (["ndvi"], {4, 5}, True),  # red is a true colour band: the QA comes too (as from S3)
        (["falsecolor"], {7, 5, 1}, False),
        (["truecolor"], {4, 3, 2}, True),
    ],
)
def test_fetch_takes_what_the_products_need(synthetic, tmp_path, products, bands, qa):
    sid = synthetic.name
    archive = pack(synthetic, tmp_path / f"{sid}.tar")
    seen = []
    files = fetch_scene(archive, tmp_path / "input", products, None, lambda *a: seen.append(a))
    expected = {f"{sid}_B{b}.TIF" for b in bands} | {f"{sid}_MTL.txt"}
    expected |= {f"{sid}_QA_PIXEL.TIF"} if qa else set()
    assert {p.name for p in (tmp_path / "input").iterdir()} == expected
    assert files.folder == tmp_path / "input" and set(files.bands) == bands
    assert seen and all(step == "extract" for step, _, _ in seen)
    assert seen[-1][1] == seen[-1][2]  # the bar ends full


def test_members_never_land_outside(synthetic, tmp_path):
    sid = synthetic.name
    deep = tmp_path / "a" / "b"
    archive = pack(
        synthetic,
        tmp_path / "evil.tar",
        skip=("_B4.", "_B5."),
        extra={
            f"../../{sid}_B4.TIF": (synthetic / f"{sid}_B4.TIF").read_bytes(),
            f"/{tmp_path}/{sid}_B5.TIF": (synthetic / f"{sid}_B5.TIF").read_bytes(),
        },
    )
    extract_scene(archive, deep / "out", {4, 5})
    assert sorted(p.name for p in tmp_path.rglob("*_B[45].TIF")) == [
        f"{sid}_B4.TIF",
        f"{sid}_B5.TIF",
    ]
    assert all(p.parent == deep / "out" for p in tmp_path.rglob("*_B[45].TIF"))


@pytest.mark.parametrize("mode", ["w", "w:gz"])
def test_every_truncation_is_refused(tmp_path, mode):
    """Cut a small archive anywhere: a cut-off download is never taken as complete."""
    sid = "LC08_L1TP_226010_20240730_20240809_02_T1"
    src = tmp_path / "src"
    src.mkdir()
    for name in (f"{sid}_B4.TIF", f"{sid}_B5.TIF", f"{sid}_QA_PIXEL.TIF", f"{sid}_B9.TIF"):
        tiny_tiff(src / name)  # whole TIFFs: extraction checks every TIFF's structure
    (src / f"{sid}_MTL.txt").write_text(minimal_mtl(sid))
    whole = pack(src, tmp_path / "whole.tar", mode=mode).read_bytes()
    cut_tar = tmp_path / "cut.tar"

    def reads(cut: int) -> bool:
        cut_tar.write_bytes(whole[:cut])
        try:
            extract_scene(cut_tar, tmp_path / "x", {5})
        except SceneError as exc:
            assert str(exc).startswith(f"{cut_tar}: not a readable product archive ("), exc
            assert "truncated" in str(exc) or cut < 512, exc
            return False
        return True

    # The archive is whole up to its first end-of-archive block (the zero padding after it
    # may go); a .tar.gz also up to the compressed bytes holding that block.
    plain = zlib.decompressobj(31).decompress(whole) if mode == "w:gz" else whole
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        last = tar.getmembers()[-1]
    end = last.offset_data + -(-last.size // 512) * 512 + 512
    assert plain[end - 512 :] == bytes(len(plain) - end + 512)
    if mode == "w":
        complete = end
        cuts = range(0, complete, 13)  # 13: every offset within a 512-byte block, in turn
    else:
        complete = len(whole)
        while reads(complete - 1):
            complete -= 1
        assert len(zlib.decompressobj(31).decompress(whole[:complete])) >= end
        assert len(zlib.decompressobj(31).decompress(whole[: complete - 1])) < end
        cuts = range(0, complete)
    assert reads(complete) and reads(len(whole))
    assert not any(reads(cut) for cut in cuts)


# --- the CLI: render, info, sample ----------------------------------------------------------------


@pytest.mark.parametrize("mode, suffix", [("w", ".tar"), ("w:gz", ".tar.gz")])
def test_render_of_an_archive_is_the_render_of_its_folder(
    capsys, synthetic, tmp_path, mode, suffix
):
    sid = synthetic.name
    archive = pack(synthetic, tmp_path / f"{sid}{suffix}", mode=mode, extra={"x.txt": b"x"})
    workdir = tmp_path / "work"
    workdir.mkdir()
    code, out, err = run(capsys, "render", synthetic, "--out", tmp_path / "a")
    assert code == 0, err
    code, out, err = run(capsys, "render", archive, "--out", tmp_path / "b", "--workdir", workdir)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["scene_id"] == sid and Path(summary["item"]) == tmp_path / "b" / f"{sid}.json"
    assert files_of(tmp_path / "b") == files_of(tmp_path / "a")  # byte for byte, item included
    assert not any(workdir.iterdir())


def test_the_console_script_renders_an_archive(synthetic, tmp_path):
    """As a user runs it: a subprocess, exit 0, the outputs it lists; then a bad archive."""
    sid = synthetic.name
    archive = pack(synthetic, tmp_path / f"{sid}.tar")
    workdir = tmp_path / "work"
    workdir.mkdir()
    dest = tmp_path / "dest"
    proc = subprocess.run(
        [EXE, "-q", "render", archive, "--out", dest, "--products", PRODUCTS, "--workdir", workdir],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    written = {p.name for p in dest.rglob("*") if p.is_file()}
    assert set(summary["outputs"]) <= written  # the item's version folder holds its own copy
    assert all(Path(uri).is_file() for uri in summary["outputs"].values())
    assert f"{sid}_truecolor.tif" in summary["outputs"] and not any(workdir.iterdir())

    (tmp_path / "cut.tar").write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    proc = subprocess.run(
        [EXE, "render", tmp_path / "cut.tar", "--out", tmp_path / "d2", "--workdir", workdir],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert_one_line_error(proc.stderr, str(tmp_path / "cut.tar"), "truncated")
    assert_nothing_left(tmp_path / "d2", workdir)


BAD = {
    # id: (how to make it from the scene folder, fragments of the one-line error)
    "truncated-tar": ("truncated", ".tar", ["not a readable product archive", "truncated"]),
    "truncated-gz": ("truncated", ".tar.gz", ["not a readable product archive", "truncated"]),
    "not-a-tar": ("junk", ".tar", ["not a readable product archive", "not a tar"]),
    "empty": ("empty", ".tar", ["not a readable product archive", "empty"]),
    "no-mtl": ("no-mtl", ".tar", ["no MTL file"]),
    "two-products": ("two", ".tar", ["several products", "one product per archive"]),
    "missing-band": ("no-b7", ".tar", ["no band B7"]),
    "symlink": ("symlink", ".tar", ["is a link", "refusing links"]),
    "device": ("device", ".tar", ["is a special file"]),
    "twice": ("twice", ".tar", ["twice"]),
    "missing-file": ("missing", ".tar", ["no such archive"]),
}


def make_bad(kind: str, suffix: str, scene: Path, other: Path, tmp_path: Path) -> Path:
    sid = scene.name
    target = tmp_path / f"{kind}{suffix}"
    mode = "w:gz" if suffix != ".tar" else "w"
    if kind == "truncated":
        whole = pack(scene, tmp_path / f"whole{suffix}", mode=mode).read_bytes()
        target.write_bytes(whole[: len(whole) * 2 // 3])
    elif kind == "junk":
        target.write_bytes(b"this is not a tar at all" * 100)
    elif kind == "empty":
        target.write_bytes(b"")
    elif kind == "no-mtl":
        pack(scene, target, skip=("_MTL",))
    elif kind == "two":
        pack(scene, target, extra={p.name: p.read_bytes() for p in other.iterdir()})
    elif kind == "no-b7":
        pack(scene, target, skip=("_B7.",))
    elif kind == "symlink":
        special(target, scene, f"{sid}_B4.TIF", tarfile.SYMTYPE)
    elif kind == "device":
        special(target, scene, f"{sid}_QA_PIXEL.TIF", tarfile.CHRTYPE)
    elif kind == "twice":
        pack(scene, target, extra={f"again/{sid}_B4.TIF": b"a copy"})
    return target


@pytest.mark.parametrize("bad", list(BAD), ids=list(BAD))
def test_a_bad_archive_is_one_line_and_exit_2(capsys, synthetic, other_scene, tmp_path, bad):
    kind, suffix, fragments = BAD[bad]
    archive = make_bad(kind, suffix, synthetic, other_scene, tmp_path)
    workdir = tmp_path / "work"
    workdir.mkdir()
    dest = tmp_path / "dest"
    code, out, err = run(capsys, "render", archive, "--out", dest, "--workdir", workdir)
    assert code == 2 and out == ""
    assert_one_line_error(err, f"error: {archive}: ", *fragments)
    assert_nothing_left(dest, workdir)
    assert not (tmp_path / "etc").exists()


def test_info_of_an_archive(capsys, synthetic, tmp_path):
    import rasterio

    sid = synthetic.name
    archive = pack(synthetic, tmp_path / f"{sid}.tar.gz", mode="w:gz", prefix=f"{sid}/")
    code, out, err = run(capsys, "info", archive)
    assert code == 0, err
    info = json.loads(out)
    folder = scene_info(synthetic)
    for key in ("scene_id", "id", "level", "surface_reflectance", "qa_kind", "metadata"):
        assert info[key] == json.loads(json.dumps(folder[key], default=str)), key
    assert info["location"] == str(archive)
    assert set(info["bands"]) == set(folder["bands"])
    assert info["bands"]["B4"] == f"/vsitar/{archive}/{sid}/{sid}_B4.TIF"
    with rasterio.open(info["bands"]["B4"]) as ds, rasterio.open(folder["bands"]["B4"]) as ref:
        assert (ds.read(1) == ref.read(1)).all()  # what GDAL users expect of the path
    assert info["qa"].endswith(f"/{sid}_QA_PIXEL.TIF") and info["mtl"].endswith("_MTL.txt")
    contents = read_archive(archive)
    assert contents.meta.scene_id.scene_id == sid and contents.files.mtl.name == f"{sid}_MTL.txt"


def test_info_and_sample_of_a_bad_archive(capsys, synthetic, tmp_path):
    archive = pack(synthetic, tmp_path / "no-mtl.tar", skip=("_MTL",))
    code, _, err = run(capsys, "info", archive)
    assert code == 2
    assert_one_line_error(err, str(archive), "no MTL file")
    points = tmp_path / "poi.csv"
    points.write_text("id,lon,lat\np,0,0\n")
    archive = pack(synthetic, tmp_path / "no-b5.tar", skip=("_B5.",))
    code, out, err = run(capsys, "sample", archive, "--points", points)
    assert code == 2 and out == ""
    assert_one_line_error(err, f"error: {archive}: no band B5")


def test_sample_an_archive(capsys, synthetic, tmp_path):
    import rasterio
    from rasterio.warp import transform

    sid = synthetic.name
    with rasterio.open(synthetic / f"{sid}_B4.TIF") as ds:
        x, y = ds.xy(ds.height // 2, ds.width // 2)
        (lon,), (lat,) = transform(ds.crs, "EPSG:4326", [x], [y])
    points = tmp_path / "poi.csv"
    points.write_text(f"id,lon,lat\ncentre,{lon},{lat}\nfar,0.0,0.0\n")
    archive = pack(synthetic, tmp_path / f"{sid}.tar")
    code, from_folder, err = run(capsys, "sample", synthetic, "--points", points)
    assert code == 0, err
    code, from_archive, err = run(capsys, "sample", archive, "--points", points)
    assert (code, err) == (0, "")
    assert from_archive == from_folder and "centre" in from_archive


def test_locate_scene_says_an_archive_is_not_a_folder(synthetic, tmp_path):
    archive = pack(synthetic, tmp_path / "x.tar")
    with pytest.raises(SceneError, match="a product archive"):
        locate_scene(archive)


# --- S3 archives (moto) ---------------------------------------------------------------------------


def upload(bucket: str, key: str, data: bytes) -> str:
    import boto3

    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=data)
    return f"s3://{bucket}/{key}"


@pytest.mark.parametrize("mode, suffix", [("w", ".tar"), ("w:gz", ".tar.gz")])
def test_render_an_s3_archive(capsys, s3_bucket, synthetic, tmp_path, mode, suffix):
    sid = synthetic.name
    archive = pack(synthetic, tmp_path / f"{sid}{suffix}", mode=mode)
    uri = upload(s3_bucket, f"downloads/{sid}{suffix}", archive.read_bytes())
    seen = []
    render_scene(synthetic, tmp_path / "a", products=PRODUCTS)
    result = render_scene(
        uri, tmp_path / "b", products=PRODUCTS, progress=lambda *a: seen.append(a)
    )
    assert result.scene_id == sid
    assert files_of(tmp_path / "b") == files_of(tmp_path / "a")
    streamed = [(done, total) for step, done, total in seen if step == "download"]
    assert streamed and streamed[-1][0] == streamed[-1][1]  # the bar ends full
    assert not any(step == "extract" for step, _, _ in seen)

    code, out, err = run(capsys, "info", uri)
    assert code == 0, err
    info = json.loads(out)
    assert info["location"] == uri and info["scene_id"] == sid
    assert info["bands"]["B5"] == f"/vsitar//vsis3/{s3_bucket}/downloads/{sid}{suffix}/{sid}_B5.TIF"

    # To an S3 destination too.
    code, out, err = run(capsys, "render", uri, "--out", f"s3://{s3_bucket}/products/")
    assert code == 0, err
    assert json.loads(out)["item"] == f"s3://{s3_bucket}/products/{sid}.json"


def test_a_bad_s3_archive(capsys, s3_bucket, synthetic, tmp_path):
    sid = synthetic.name
    whole = pack(synthetic, tmp_path / f"{sid}.tar").read_bytes()
    cut = upload(s3_bucket, "downloads/cut.tar", whole[: len(whole) // 2])
    workdir = tmp_path / "work"
    workdir.mkdir()
    for uri, fragments in [
        (cut, ["not a readable product archive", "truncated"]),
        (f"s3://{s3_bucket}/downloads/missing.tar", ["no such archive"]),
    ]:
        code, out, err = run(capsys, "render", uri, "--out", tmp_path / "d", "--workdir", workdir)
        assert code == 2 and out == ""
        assert_one_line_error(err, f"error: {uri}: ", *fragments)
        assert_nothing_left(tmp_path / "d", workdir)


class _Body:
    """A GetObject body that breaks (like a dropped connection) after ``fail_after`` bytes."""

    def __init__(self, data: bytes, fail_after: int | None, error: Exception):
        self.stream = io.BytesIO(data)
        self.fail_after = fail_after
        self.error = error

    def read(self, n: int = -1) -> bytes:
        if self.fail_after is not None and self.stream.tell() >= self.fail_after:
            raise self.error
        if self.fail_after is not None:
            n = min(n, self.fail_after - self.stream.tell())
        return self.stream.read(n)

    def close(self) -> None:
        pass


class _FlakyClient:
    """Serves one object; every GET's body breaks after ``chunk`` bytes (``fails`` times)."""

    def __init__(self, data: bytes, *, chunk: int, fails: int, error: Exception | None = None):
        self.data, self.chunk, self.fails = data, chunk, fails
        self.error = error or ConnectionResetError("connection reset by peer")
        self.calls: list[dict] = []

    def get_object(self, **args):
        self.calls.append(args)
        start = int(args["Range"].removeprefix("bytes=").rstrip("-")) if "Range" in args else 0
        breaks = len(self.calls) <= self.fails
        body = _Body(self.data[start:], self.chunk if breaks else None, self.error)
        return {"Body": body, "ETag": '"abc"', "ContentLength": len(self.data) - start}


def test_a_broken_s3_stream_resumes_where_it_stopped(synthetic, tmp_path):
    sid = synthetic.name
    data = pack(synthetic, tmp_path / f"{sid}.tar").read_bytes()
    client = _FlakyClient(data, chunk=len(data) // 3, fails=2)
    files = extract_scene(f"s3://b/{sid}.tar", tmp_path / "out", {4, 5}, s3_client=client)
    assert files.bands[4].read_bytes() == (synthetic / f"{sid}_B4.TIF").read_bytes()
    assert [c.get("Range") for c in client.calls][0] is None and len(client.calls) == 3
    resumed = client.calls[1]
    assert resumed["IfMatch"] == '"abc"' and resumed["Range"] == f"bytes={len(data) // 3}-"

    client = _FlakyClient(data, chunk=1000, fails=99)
    with pytest.raises(StorageError, match=rf"s3://b/{sid}.tar: cannot read at byte 4,000 "):
        extract_scene(f"s3://b/{sid}.tar", tmp_path / "out2", {4, 5}, s3_client=client)
    assert len(client.calls) == 4  # the first GET and three resumed ones


def test_sigterm_while_streaming_is_not_a_network_error(synthetic, tmp_path):
    data = pack(synthetic, tmp_path / "x.tar").read_bytes()
    client = _FlakyClient(data, chunk=5000, fails=1, error=Interrupted(15))
    with pytest.raises(Interrupted):
        extract_scene("s3://b/x.tar", tmp_path / "out", {4, 5}, s3_client=client)
    assert len(client.calls) == 1  # not retried


# --- the real sets of ../shared -------------------------------------------------------------------


def test_an_earthexplorer_tar_of_a_real_set_renders_with_the_cli(landsat_data, tmp_path):
    folder = landsat_data / "rasters" / f"{L2}_512px"
    archive = pack(folder, tmp_path / f"{L2}.tar", extra={f"{L2}_ANG.txt": b"angles"})
    workdir = tmp_path / "work"
    workdir.mkdir()
    outputs = {}
    for name, scene in (("folder", folder), ("tar", archive)):
        proc = subprocess.run(
            [EXE, "-q", "render", scene, "--out", tmp_path / name, "--workdir", workdir],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["scene_id"] == L2
        outputs[name] = files_of(tmp_path / name)
    assert outputs["tar"] == outputs["folder"]
    products = [name for name in outputs["tar"] if name.endswith((".tif", ".png"))]
    assert len(products) == 11 and f"{L2}.json" in outputs["tar"]  # the switched item
    assert not any(workdir.iterdir())


def test_a_real_collection_1_tar_gz(capsys, landsat_data, tmp_path):
    folder = landsat_data / "rasters" / f"{C1}_900m"
    archive = pack(folder, tmp_path / f"{C1}.tar.gz", mode="w:gz", prefix=f"{C1}/")
    for name, scene in (("folder", folder), ("tgz", archive)):
        code, _, err = run(capsys, "render", scene, "--out", tmp_path / name)
        assert code == 0, err
    assert files_of(tmp_path / "tgz") == files_of(tmp_path / "folder")
    code, out, _ = run(capsys, "info", archive)
    assert code == 0 and json.loads(out)["qa_kind"] == "c1"


# --- caps: members held to what the MTL declares, and to the scratch budget --------------------


def _tar_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _scene_members(folder: Path, *, mtl_first: bool = True, **replace: bytes):
    mtl = [(p.name, p.read_bytes()) for p in folder.glob("*_MTL.txt")]
    tifs = [(p.name, replace.get(p.name, p.read_bytes())) for p in sorted(folder.glob("*.TIF"))]
    return mtl + tifs if mtl_first else tifs + mtl


def test_a_member_larger_than_the_mtl_declares_is_refused_unwritten(synthetic, tmp_path):
    """200 x 180 uint16 declared: a B4 member of 2 MB is refused from its tar header."""
    from landsat_ops.scene.limits import member_cap

    b4 = next(synthetic.glob("*_B4.TIF")).name
    cap = member_cap((200, 180))
    assert cap == 200 * 180 * 2 * 3 // 2 + 1024 * 1024
    archive = tmp_path / "big.tar"
    archive.write_bytes(_tar_bytes(_scene_members(synthetic, **{b4: bytes(cap + 1)})))
    into = tmp_path / "into"
    with pytest.raises(SceneError) as info:
        extract_scene(archive, into, [2, 3, 4])
    assert str(info.value) == (
        f"{archive}: member {b4} is {cap + 1:,} bytes, over its cap of {cap:,} (200x180 uint16 "
        "pixels as the MTL declares, plus a margin): a damaged archive or a decompression bomb"
    )
    assert list(into.iterdir()) == []  # B2 and B3 came out first: removed again


def test_members_met_before_the_mtl_are_held_to_it_once_read(synthetic, tmp_path):
    from landsat_ops.scene.limits import member_cap

    b2 = next(synthetic.glob("*_B2.TIF")).name
    cap = member_cap((200, 180))
    archive = tmp_path / "late.tar.gz"
    tiff = tiny_tiff(tmp_path / "small.TIF").read_bytes()  # a whole TIFF, zeros after it
    members = _scene_members(
        synthetic, mtl_first=False, **{b2: tiff + bytes(cap + 512 - len(tiff))}
    )
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    into = tmp_path / "into"
    with pytest.raises(
        SceneError, match=rf"member {b2} is {cap + 512:,} bytes, over its cap of {cap:,}"
    ):
        extract_scene(archive, into, [2, 3, 4])
    assert list(into.iterdir()) == []


def test_the_scratch_budget(synthetic, tmp_path, monkeypatch):
    from landsat_ops.errors import OptionError
    from landsat_ops.scene.limits import DEFAULT_SCRATCH_BUDGET, scratch_budget

    monkeypatch.delenv("LANDSAT_OPS_SCRATCH_BUDGET", raising=False)
    assert scratch_budget() == DEFAULT_SCRATCH_BUDGET == 2 * 1024**3
    for text, expected in (("2G", 2 * 1024**3), ("512MiB", 512 * 1024**2), ("1500", 1500)):
        monkeypatch.setenv("LANDSAT_OPS_SCRATCH_BUDGET", text)
        assert scratch_budget() == expected
    for text in ("lots", "0", "-5M"):
        monkeypatch.setenv("LANDSAT_OPS_SCRATCH_BUDGET", text)
        with pytest.raises(OptionError, match="LANDSAT_OPS_SCRATCH_BUDGET: expected a size"):
            scratch_budget()

    archive = pack(synthetic, tmp_path / "scene.tar")
    sizes = [next(synthetic.glob(f"*_B{b}.TIF")).stat().st_size for b in (2, 3, 4)]
    monkeypatch.setenv("LANDSAT_OPS_SCRATCH_BUDGET", str(sum(sizes) - 1))
    into = tmp_path / "into"
    with pytest.raises(SceneError, match=r"_B4\.TIF takes the extracted files to .* over the"):
        extract_scene(archive, into, [2, 3, 4], qa=False)
    assert list(into.iterdir()) == []
    monkeypatch.setenv("LANDSAT_OPS_SCRATCH_BUDGET", str(sum(sizes)))
    files = extract_scene(archive, into, [2, 3, 4], qa=False)
    assert sorted(files.bands) == [2, 3, 4]


def test_an_archived_band_that_does_not_fit_the_mtl(synthetic, tmp_path):
    """A whole TIFF member, under its byte cap, whose header claims more pixels than the MTL
    declares: refused from the header, every extracted member removed."""
    from landsat_ops.errors import RasterError

    b3 = next(synthetic.glob("*_B3.TIF")).name
    wide = tiny_tiff(tmp_path / "wide.TIF", width=201, height=10)
    archive = tmp_path / "wide.tar"
    archive.write_bytes(_tar_bytes(_scene_members(synthetic, **{b3: wide.read_bytes()})))
    into = tmp_path / "into"
    with pytest.raises(RasterError) as info:
        extract_scene(archive, into, [2, 3, 4])
    assert str(info.value) == (
        f"{into / b3}: 201x10 pixels, more than the MTL declares "
        "(200x180, REFLECTIVE_SAMPLES x REFLECTIVE_LINES)"
    )
    assert list(into.iterdir()) == []


def test_an_archived_mtl_out_of_bounds_is_refused_before_any_band(synthetic, tmp_path):
    from landsat_ops.errors import MetadataError

    mtl = next(synthetic.glob("*_MTL.txt"))
    text = mtl.read_text()
    line = next(x for x in text.splitlines() if "REFLECTANCE_MULT_BAND_4 =" in x)
    bad = text.replace(line, "    REFLECTANCE_MULT_BAND_4 = 1e308").encode()
    members = [(n, bad if n == mtl.name else d) for n, d in _scene_members(synthetic)]
    archive = tmp_path / "absurd.tar"
    archive.write_bytes(_tar_bytes(members))
    into = tmp_path / "into"
    with pytest.raises(MetadataError, match=r"REFLECTANCE_MULT_BAND_4 = 1e\+308 is outside"):
        extract_scene(archive, into, [2, 3, 4])
    assert list(into.iterdir()) == []
    with pytest.raises(MetadataError, match=r"REFLECTANCE_MULT_BAND_4 = 1e\+308 is outside"):
        read_archive(archive)


def test_a_streamed_s3_bomb_stops_at_its_header(s3_bucket, synthetic, tmp_path):
    """A .tar.gz object whose B4 header claims 10 GiB: the stream is refused at that header,
    long before its end (one GetObject, a few KB read)."""
    import gzip

    b4 = next(synthetic.glob("*_B4.TIF")).name
    head = b""
    for name, data in _scene_members(synthetic):  # raw members: header, data, padding
        if name != b4:
            member = tarfile.TarInfo(name)
            member.size = len(data)
            head += member.tobuf(tarfile.GNU_FORMAT) + data + bytes(-len(data) % 512)
    info = tarfile.TarInfo(b4)
    info.size = 10 * 1024**3
    body = gzip.compress(head + info.tobuf(tarfile.GNU_FORMAT) + bytes(4 * 1024 * 1024))
    uri = upload(s3_bucket, "downloads/bomb.tar.gz", body)
    into = tmp_path / "into"
    with pytest.raises(SceneError) as error:
        extract_scene(uri, into, [2, 3, 4])
    assert str(error.value).startswith(f"{uri}: member {b4} is 10,737,418,240 bytes, over its cap")
    assert list(into.iterdir()) == []
