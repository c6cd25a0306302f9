"""Hostile archives and inputs (issue 17, points 7 and 8): refused at the door, in one line.

Each case is an input an attacker or a broken source could hand the pipeline: gzip and tar
bombs (a few MB that expand to GBs), a member or an MTL far larger than a product can be,
bands whose TIFF header claims 100000 x 100000 pixels, MTL values no product can have
(``REFLECTANCE_MULT_BAND_4 = 1e308``), and a truncated band served by a catalog without
``file:size``. Renders run the real ``landsat-ops`` console script in a child process whose
files may not grow past :data:`FILE_LIMIT` (``RLIMIT_FSIZE``: a run that wrote a bomb out
would fail with "File too large" instead of the expected line) and whose own peak memory is
read back (tests/support/peak_rss.py). Every refusal must be: exit 2, exactly one
``landsat-ops: error:`` line naming the file and what is wrong, nothing published, nothing left
in the scratch folder.
Each input counts once in "hostile inputs: N refused of N tried" (``make faults``).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import json
import os
import resource
import shutil
import struct
import subprocess
import tarfile
import threading
import time
import zlib
from pathlib import Path

import pytest

from tests.support import peak_rss
from tests.support.faultlib import LANDSAT_OPS, assert_one_line, hostile

MIB = 1024 * 1024
FILE_LIMIT = 64 * MIB
"""The largest file a child render may write (the scene's bands are ~0.3 MB)."""
RSS_LIMIT_MB = 1000
"""Peak resident memory a refused render may reach. A clean render of the small scene takes
~270 MB, mostly imports, and ~520 MB in a fresh clone, where numba compiles the kernels on the
first import; a 100000 x 100000 band read took 1.66 GB before the header check (and would need
20 GB to decode)."""


# --- running the console script -------------------------------------------------------------


def _limits() -> None:  # in the child, before exec
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))


def render(*args: object, env: dict | None = None, tmp: Path) -> tuple[int, str, float, float]:
    """Run ``landsat-ops -q render ARGS``; returns (exit code, stderr, peak RSS in MB, seconds).

    The peak is the render's own (tests/support/peak_rss.py): ``wait4`` on a child of this
    worker would report the worker's own size when it is the larger.
    """
    err_path = tmp / f"stderr-{time.monotonic_ns()}.txt"
    with open(err_path, "wb") as err:
        run = peak_rss.run(
            [LANDSAT_OPS, "-q", "render", *map(str, args)],
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=err,
            fsize=FILE_LIMIT,
            timeout=120,
        )
    text = err_path.read_text()
    err_path.unlink()
    return run.returncode, text, run.rss_mb, run.wall


def refused(code: int, err: str, *fragments: str, out: Path, work: Path) -> bool:
    """Count the input, then assert it was refused as it must be: exit 2, one error line
    holding every fragment, nothing published, nothing left in the scratch folder."""
    published = sorted(p.name for p in out.rglob("*")) if out.exists() else []
    scratch = sorted(p.name for p in work.iterdir())
    lines = err.strip().splitlines()
    ok = (
        code == 2
        and len(lines) == 1
        and lines[0].startswith("landsat-ops: error: ")
        and all(fragment in lines[0] for fragment in fragments)
        and not published
        and not scratch
    )
    hostile(ok)
    assert ok, f"exit {code}, published {published}, scratch {scratch}, stderr:\n{err}"
    assert_one_line(err, *fragments)
    return ok


@pytest.fixture
def dirs(tmp_path) -> tuple[Path, Path]:
    out, work = tmp_path / "out", tmp_path / "work"
    work.mkdir()
    return out, work


def _mtl(scene: Path) -> Path:
    return next(scene.glob("*_MTL.txt"))


def _band(scene: Path, band: int) -> Path:
    return next(scene.glob(f"*_B{band}.TIF"))


# --- archives: bombs and oversized members ----------------------------------------------------


def _member(name: str, data: bytes) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), 1_700_000_000, 0o644
    return info.tobuf(tarfile.GNU_FORMAT) + data + bytes(-len(data) % 512)


def bomb(
    target: Path, scene: Path, *, band: int = 4, gib: float = 10, mtl_first: bool = True
) -> Path:
    """A ``.tar.gz`` of the scene whose band ``band`` is ``gib`` GiB of zeros.

    A gzip file may hold several gzip members; the zeros are one small gzip member (~1 KB for
    1 MiB of zeros) repeated, so a 10 GiB member costs ~10 MB of file and no time to build.
    """
    bomb_name = _band(scene, band).name
    size = int(gib * 1024) * MIB
    mtl = _member(_mtl(scene).name, _mtl(scene).read_bytes())
    head = mtl if mtl_first else b""
    for path in sorted(scene.glob("*.TIF")):
        if path.name != bomb_name:
            head += _member(path.name, path.read_bytes())
    info = tarfile.TarInfo(bomb_name)
    info.size, info.mtime = size, 1_700_000_000
    head += info.tobuf(tarfile.GNU_FORMAT)
    tail = (b"" if mtl_first else mtl) + bytes(1024)
    zeros = gzip.compress(bytes(MIB), compresslevel=9, mtime=0)
    with open(target, "wb") as fh:
        fh.write(gzip.compress(head, mtime=0))
        for _ in range(size // MIB):
            fh.write(zeros)
        fh.write(gzip.compress(tail, mtime=0))
    return target


def test_a_gzip_bomb_stops_at_what_the_mtl_declares(scene, tmp_path, dirs):
    """10 GiB of zeros in 10 MB, after the MTL: the member's cap is the 400 x 360 uint16
    pixels the MTL declares (plus a margin): refused from its tar header, nothing written."""
    out, work = dirs
    archive = bomb(tmp_path / f"{scene.name}.tar.gz", scene, gib=10)
    assert archive.stat().st_size < 12 * MIB
    code, err, rss, seconds = render(archive, "--out", out, "--workdir", work, tmp=tmp_path)
    refused(
        code,
        err,
        str(archive),
        f"member {_band(scene, 4).name} is 10,737,418,240 bytes",
        "over its cap of 1,480,576 (400x360 uint16 pixels as the MTL declares",
        "decompression bomb",
        out=out,
        work=work,
    )
    assert seconds < 60 and rss < RSS_LIMIT_MB


def test_a_bomb_before_the_mtl_is_held_to_the_largest_band(scene, tmp_path, dirs):
    """The MTL last: no declared size yet, so the largest size a Landsat band may have."""
    out, work = dirs
    archive = bomb(tmp_path / f"{scene.name}.tar.gz", scene, gib=4, mtl_first=False)
    code, err, _, _ = render(archive, "--out", out, "--workdir", work, tmp=tmp_path)
    refused(
        code,
        err,
        f"member {_band(scene, 4).name} is 4,294,967,296 bytes",
        "(the largest Landsat band: no MTL read yet, plus a margin)",
        out=out,
        work=work,
    )


def test_a_bomb_under_the_ceiling_is_held_to_the_scratch_budget(scene, tmp_path, dirs):
    """600 MB before the MTL is under the largest band's cap: the scratch budget stops it
    (from the header: the child's 64 MB file size limit is never reached)."""
    out, work = dirs
    archive = bomb(tmp_path / f"{scene.name}.tar.gz", scene, gib=0.6, mtl_first=False)
    env = {"LANDSAT_OPS_SCRATCH_BUDGET": "32M"}
    code, err, _, _ = render(archive, "--out", out, "--workdir", work, env=env, tmp=tmp_path)
    refused(
        code,
        err,
        f"extracting {_band(scene, 4).name} takes the extracted files to",
        "over the scratch budget of 33,554,432 (LANDSAT_OPS_SCRATCH_BUDGET)",
        out=out,
        work=work,
    )


def test_the_budget_holds_across_members(scene, tmp_path, dirs):
    """Every member under its own cap, together over a small budget: refused at the member
    that crosses it, and the members already extracted are removed."""
    out, work = dirs
    archive = tmp_path / f"{scene.name}.tar"
    with tarfile.open(archive, "w") as tar:
        for path in sorted(scene.iterdir()):
            tar.add(path, arcname=path.name)
    sizes = [_band(scene, band).stat().st_size for band in (1, 2, 3)]
    budget = sizes[0] + sizes[1] + sizes[2] // 2  # B1 and B2 fit, B3 crosses it
    env = {"LANDSAT_OPS_SCRATCH_BUDGET": str(budget)}
    code, err, _, _ = render(archive, "--out", out, "--workdir", work, env=env, tmp=tmp_path)
    refused(
        code,
        err,
        f"extracting {_band(scene, 3).name}",
        f"over the scratch budget of {budget:,}",
        out=out,
        work=work,
    )


def test_a_tar_header_claiming_2_gb_is_refused_before_reading_it(scene, tmp_path, dirs):
    """A plain .tar whose band header claims 2 GB and whose data stops right after it."""
    out, work = dirs
    archive = tmp_path / f"{scene.name}.tar"
    data = _member(_mtl(scene).name, _mtl(scene).read_bytes())
    info = tarfile.TarInfo(_band(scene, 4).name)
    info.size = 2 * 1024 * MIB
    archive.write_bytes(data + info.tobuf(tarfile.GNU_FORMAT) + bytes(4096))
    code, err, _, _ = render(archive, "--out", out, "--workdir", work, tmp=tmp_path)
    refused(code, err, "is 2,147,483,648 bytes, over its cap of 1,480,576", out=out, work=work)


def test_an_mtl_member_over_1_mib(scene, tmp_path, dirs):
    out, work = dirs
    archive = tmp_path / f"{scene.name}.tar.gz"
    padded = _mtl(scene).read_bytes() + b" " * (2 * MIB)
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(scene.glob("*.TIF")):
            tar.add(path, arcname=path.name)
        info = tarfile.TarInfo(_mtl(scene).name)
        info.size = len(padded)
        tar.addfile(info, io.BytesIO(padded))
    code, err, _, _ = render(archive, "--out", out, "--workdir", work, tmp=tmp_path)
    refused(code, err, "too large for an MTL file (at most 1,048,576", out=out, work=work)


# --- oversized TIFF headers -----------------------------------------------------------------


def huge_header(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """A ~250-byte DEFLATE GeoTIFF-shaped file whose header claims ``width`` x ``height``
    uint16 pixels in one strip (GDAL opens it; decoding it would need 20 GB)."""
    entries = [
        (256, 4, width),
        (257, 4, height),
        (258, 3, 16),
        (259, 3, 8),
        (262, 3, 1),
        (273, 4, 8 + 2 + 10 * 12 + 4),
        (277, 3, 1),
        (278, 4, height),
        (279, 4, 64),
        (284, 3, 1),
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, value in entries:
        packed = struct.pack("<H", value) + b"\0\0" if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, 1) + packed
    strip = (zlib.compress(bytes(1_000_000)) + bytes(64))[:64]  # 64 bytes of deflate data
    path.write_bytes(b"II*\0" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + strip)
    return path


@pytest.mark.parametrize("with_mtl", [True, False], ids=["mtl", "no-mtl"])
def test_a_band_header_claiming_100000_square_fails_in_one_line(scene, tmp_path, dirs, with_mtl):
    """Checked from the header before any band is decoded; the child's peak memory stays that
    of a small render."""
    out, work = dirs
    folder = tmp_path / scene.name
    shutil.copytree(scene, folder)
    big = huge_header(_band(folder, 4))
    if not with_mtl:
        _mtl(folder).unlink()
    code, err, rss, _ = render(
        folder, "--out", out, "--workdir", work, "--products", "truecolor", tmp=tmp_path
    )
    expected = "more than the MTL declares (400x360" if with_mtl else "larger than any Landsat"
    refused(code, err, f"{big}: 100,000x100,000 pixels, {expected}", out=out, work=work)
    assert rss < RSS_LIMIT_MB, f"peak RSS {rss:.0f} MB"


@pytest.mark.parametrize("mtl_first", [True, False], ids=["mtl-first", "mtl-last"])
def test_an_archived_band_header_claiming_100000_square(scene, tmp_path, dirs, mtl_first):
    """Checked as soon as the member is written: against the MTL when it came first, else
    against the largest Landsat band."""
    out, work = dirs
    archive = tmp_path / f"{scene.name}.tar"
    paths = sorted(scene.iterdir(), key=lambda p: (p.suffix != ".txt") == mtl_first)
    with tarfile.open(archive, "w") as tar:
        for path in paths:
            if path.name == _band(scene, 4).name:
                tar.add(huge_header(tmp_path / path.name), arcname=path.name)
            else:
                tar.add(path, arcname=path.name)
    code, err, rss, _ = render(archive, "--out", out, "--workdir", work, tmp=tmp_path)
    expected = "more than the MTL declares (400x360" if mtl_first else "larger than any Landsat"
    refused(code, err, f"_B4.TIF: 100,000x100,000 pixels, {expected}", out=out, work=work)
    assert rss < RSS_LIMIT_MB


# --- absurd MTL values ----------------------------------------------------------------------

ABSURD = {
    "reflectance-mult-1e308": ("REFLECTANCE_MULT_BAND_4", "1e308"),
    "reflectance-add-huge": ("REFLECTANCE_ADD_BAND_5", "-7e200"),
    "sun-elevation": ("SUN_ELEVATION", "400.0"),
    "infinite": ("REFLECTANCE_MULT_BAND_5", "1e999"),
    "not-a-number": ("REFLECTANCE_MULT_BAND_5", "NaN"),
    "lines-100000": ("REFLECTIVE_LINES", "100000"),
    "zero-samples": ("REFLECTIVE_SAMPLES", "0"),
}


def _edit_mtl(path: Path, key: str, value: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.strip().startswith(f"{key} =")]
    assert hits, key
    for i in hits:
        lines[i] = f"    {key} = {value}\n"
    path.write_text("".join(lines))


@pytest.mark.parametrize("case", ABSURD)
def test_absurd_mtl_values_fail_in_one_line(scene, tmp_path, dirs, case):
    """A scene folder whose MTL has a value no product can have: exit 2, nothing published
    (REFLECTANCE_MULT = 1e308 published an all-NaN NDVI with exit 0 before)."""
    out, work = dirs
    key, value = ABSURD[case]
    folder = tmp_path / scene.name
    shutil.copytree(scene, folder)
    _edit_mtl(_mtl(folder), key, value)
    code, err, _, _ = render(
        folder, "--out", out, "--workdir", work, "--products", "ndvi", tmp=tmp_path
    )
    refused(code, err, f"{_mtl(folder)}: {key}", out=out, work=work)


def test_an_absurd_mtl_in_an_archive_is_refused_before_any_band(scene, tmp_path, dirs):
    out, work = dirs
    folder = tmp_path / scene.name
    shutil.copytree(scene, folder)
    _edit_mtl(_mtl(folder), "REFLECTANCE_MULT_BAND_4", "1e308")
    archive = bomb(tmp_path / f"{scene.name}.tar.gz", folder, band=7, gib=1)  # MTL first
    code, err, _, _ = render(archive, "--out", out, "--workdir", work, tmp=tmp_path)
    refused(
        code,
        err,
        f"{archive}/{_mtl(folder).name}: REFLECTANCE_MULT_BAND_4 = 1e+308 is outside its "
        "physical bounds",
        out=out,
        work=work,
    )


# --- the EarthExplorer catalog builder -------------------------------------------------------


def test_the_catalog_builder_refuses_a_bomb_and_keeps_the_good_product(scene, tmp_path):
    import sys

    downloads, catalog = tmp_path / "downloads", tmp_path / "catalog"
    downloads.mkdir()
    bad = bomb(downloads / f"{scene.name}.tar.gz", scene, gib=10)
    env = {**os.environ, "LANDSAT_OPS_SCRATCH_BUDGET": "32M"}
    result = subprocess.run(
        [sys.executable, "-m", "landsat_pipeline.downloads", downloads, "--out", catalog],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=_limits,
        timeout=120,
    )
    lines = result.stderr.strip().splitlines()
    ok = (
        result.returncode == 2
        and len(lines) == 1
        and lines[0].startswith(f"landsat_pipeline.downloads: error: {bad}: member ")
        and "decompression bomb" in lines[0]
        and json.loads(result.stdout)["scenes"] == []
        and [p.name for p in (catalog / "scenes").iterdir()] == []
    )
    hostile(ok)
    assert ok, (result.returncode, result.stdout, result.stderr)


# --- landing: a truncated band from a catalog without file:size -----------------------------


@pytest.fixture
def http_root(tmp_path):
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


LANDED = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "QA", "MTL")


def _served_scene(scene: Path, root: Path, url: str) -> tuple[dict, dict[str, Path]]:
    """The scene's files served over http, and the discovery XCom of an item that, like
    Earth Search's, has no ``file:size`` (and no checksum) for them."""
    local: dict[str, Path] = {}
    for key in LANDED:
        pattern = {"QA": "*_QA_PIXEL.TIF", "MTL": "*_MTL.txt"}.get(key, f"*_{key}.TIF")
        source = next(scene.glob(pattern))
        local[key] = root / source.name
        shutil.copyfile(source, local[key])
    assets = {key: f"{url}/{path.name}" for key, path in local.items()}
    sources = {key: {"hrefs": [href]} for key, href in assets.items()}
    return {"scene_id": scene.name, "assets": assets, "sources": sources}, local


def test_a_truncated_band_is_never_landed_and_lands_once_fixed(scene, tmp_path, http_root):
    from landsat_ops.storage import open_store
    from landsat_pipeline.errors import LandingError
    from landsat_pipeline.keys import landing_record_key
    from landsat_pipeline.landing import land_scene
    from landsat_pipeline.sources import SourceOptions
    from landsat_pipeline.sources.options import SourcePolicy

    root, url = http_root
    store = open_store(tmp_path / "bucket")
    options = SourceOptions(policy=SourcePolicy.for_catalog(f"{url}/catalog.json"))
    item, local = _served_scene(scene, root, url)
    whole = local["B4"].read_bytes()
    for cut in (len(whole) - 1, len(whole) // 2, 300):  # the header alone still opens
        local["B4"].write_bytes(whole[:cut])  # served with a matching Content-Length
        with pytest.raises(LandingError) as info:
            land_scene(item, store, sources=options)
        message = str(info.value)
        ok = (
            message.startswith(f"asset B4: {url}/{local['B4'].name}: truncated or damaged")
            and "beyond the end of the file" in message
            and "\n" not in message
            and store.list("landing/") == []
            and not store.exists(landing_record_key(scene.name))
        )
        hostile(ok)
        assert ok, message

    local["B4"].write_bytes(whole)  # the source is fixed: the re-run lands it
    landed = land_scene(item, store, sources=options)
    assert sorted(landed["downloaded"]) == sorted(p.name for p in local.values())
    key = f"landing/{scene.name}/{local['B4'].name}"
    assert store.read_bytes(key) == whole
    record = json.loads(store.read_bytes(landing_record_key(scene.name)))
    assert {entry["verified"] for entry in record["files"].values()} == {
        "tiff-structure+mtl-bounds/1"
    }


def test_a_broken_band_an_older_landing_called_intact_is_fetched_again(scene, tmp_path, http_root):
    """A landing record written before the whole-structure check (no ``verified``) that
    calls a truncated band intact: the re-run fetches it again instead of trusting it."""
    from landsat_ops.storage import open_store
    from landsat_pipeline.keys import landing_record_key
    from landsat_pipeline.landing import land_scene
    from landsat_pipeline.sources import SourceOptions
    from landsat_pipeline.sources.options import SourcePolicy

    root, url = http_root
    store = open_store(tmp_path / "bucket")
    options = SourceOptions(policy=SourcePolicy.for_catalog(f"{url}/catalog.json"))
    item, local = _served_scene(scene, root, url)
    land_scene(item, store, sources=options)
    key = f"landing/{scene.name}/{local['B4'].name}"
    whole = store.read_bytes(key)
    truncated = whole[: len(whole) // 2]
    store.write_bytes(key, truncated)  # what the header-only check let through
    record_key = landing_record_key(scene.name)
    record = json.loads(store.read_bytes(record_key))
    for entry in record["files"].values():
        del entry["verified"]
    record["files"][local["B4"].name].update(
        size=len(truncated), sha256=hashlib.sha256(truncated).hexdigest()
    )
    store.write_bytes(record_key, json.dumps(record).encode())

    again = land_scene(item, store, sources=options)
    ok = local["B4"].name in again["downloaded"] and store.read_bytes(key) == whole
    hostile(ok)
    assert ok, again
    third = land_scene(item, store, sources=options)  # now recorded as verified: nothing
    assert third["downloaded"] == [] and len(third["skipped"]) == len(LANDED)
