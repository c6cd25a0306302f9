"""EarthExplorer downloads -> a static STAC catalog the pipeline discovers and lands from.

A real Level-2 set from ../shared/data/landsat is packed the way EarthExplorer delivers it
(one ``.tar`` per product, files at the top level, more files than the pipeline needs), next
to a ``.tar.gz`` of the Collection 1 set, an extracted product folder, and broken downloads.
"""

from __future__ import annotations

import datetime
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from landsat_ops.storage import open_store
from landsat_pipeline.discovery import discover
from landsat_pipeline.downloads import build_catalog, main
from landsat_pipeline.errors import LandingError
from landsat_pipeline.landing import land_scene

L2 = "LC08_L2SP_008059_20191201_20200825_02_T1"
C1 = "LC08_L1TP_016037_20170813_20170814_01_RT"


def pack(folder: Path, target: Path, *, mode: str = "w", extra: dict[str, bytes] | None = None):
    with tarfile.open(target, mode) as tar:
        for path in sorted(folder.iterdir()):
            tar.add(path, arcname=path.name)
        for name, data in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


@pytest.fixture
def downloads(landsat_data, tmp_path) -> Path:
    root = tmp_path / "downloads"
    (root / "2019").mkdir(parents=True)
    pack(
        landsat_data / "rasters" / f"{L2}_512px",
        root / "2019" / f"{L2}.tar",
        extra={f"{L2}_ANG.txt": b"angles", "../../escape.TIF": b"outside"},
    )
    pack(landsat_data / "rasters" / f"{C1}_900m", root / f"{C1}.tar.gz", mode="w:gz")
    extracted = root / "extracted" / "LC80200392015216LGN00"
    shutil.copytree(landsat_data / "rasters" / "LC80200392015216LGN00_crop30m", extracted)
    (root / "broken.tar").write_bytes(b"not a tar at all")
    pack(extracted, root / "no-mtl.tar")  # rebuilt below without its MTL
    with tarfile.open(root / "no-mtl.tar", "w") as tar:
        for path in sorted(extracted.iterdir()):
            if "_MTL" not in path.name:
                tar.add(path, arcname=path.name)
    return root


def test_downloads_become_a_catalog_the_pipeline_discovers(downloads, tmp_path):
    out = tmp_path / "catalog"
    out.mkdir()
    ids, problems = build_catalog(downloads, out)
    assert ids == sorted([L2, C1, "LC80200392015216LGN00"])
    assert len(problems) == 2
    assert any("broken.tar: not a readable product archive" in p for p in problems)
    assert any("no-mtl.tar" in p for p in problems)
    assert not (tmp_path / "escape.TIF").exists() and not list(out.rglob("escape.TIF"))
    assert not list(out.rglob(f"{L2}_ANG.txt"))  # only what the pipeline needs
    assert not list((out / "scenes").glob(".extract-*"))  # no leftovers

    (scene,) = discover(
        str(out / "catalog.json"),
        path=8,
        row=59,
        start=datetime.datetime(2019, 12, 1, tzinfo=datetime.UTC),
        end=datetime.datetime(2019, 12, 2, tzinfo=datetime.UTC),
        platform="landsat-8",
    )
    assert scene.scene_id == L2
    assert set(scene.assets) >= {"B1", "B2", "B3", "B4", "B5", "B7", "QA", "MTL"}

    bucket = open_store(tmp_path / "bucket")
    landed = land_scene({"scene_id": scene.scene_id, "assets": dict(scene.assets)}, bucket)
    assert len(landed["uploaded"]) == 9  # B1-B7, QA, MTL
    names = {key.rsplit("/", 1)[-1] for key in bucket.list(f"landing/{L2}/")}
    assert f"{L2}_SR_B4.TIF" in names and f"{L2}_QA_PIXEL.TIF" in names

    # New downloads are added; what is there stays.
    ids_again, _ = build_catalog(downloads, out)
    assert ids_again == ids
    catalog = json.loads((out / "catalog.json").read_text())
    assert len([link for link in catalog["links"] if link["rel"] == "item"]) == 3


def test_the_command_says_what_it_refused(downloads, tmp_path, capsys):
    code = main([str(downloads), "--out", str(tmp_path / "catalog")])
    out, err = capsys.readouterr()
    assert code == 2
    assert len(json.loads(out)["scenes"]) == 3
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all(
        line.startswith("landsat_pipeline.downloads: error: ") for line in lines
    )


def test_a_missing_downloads_folder(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere"), "--out", str(tmp_path / "catalog")]) == 2
    assert "nowhere: no such folder" in capsys.readouterr().err


def test_archives_follow_the_rules_of_landsat_ops(tmp_path):
    """Without ../shared: a synthetic product, packed in a folder inside the archive, is
    flattened to B1-B7, QA and MTL; a cut-off download and a link are refused (the archive
    rules of landsat_ops.scene.archive, which ``landsat-ops render x.tar`` applies too)."""
    from landsat_demo.synthetic import make_scene

    scene = make_scene(
        tmp_path / "scenes", width=64, height=64, acquired=datetime.datetime(2024, 7, 30, 13)
    )
    sid = scene.name
    root = tmp_path / "downloads"
    root.mkdir()
    with tarfile.open(root / f"{sid}.tar", "w") as tar:
        for path in sorted(scene.iterdir()):
            tar.add(path, arcname=f"{sid}/{path.name}")
        info = tarfile.TarInfo(f"{sid}/{sid}_B8.TIF")  # the panchromatic band: not needed
        info.size = 3
        tar.addfile(info, io.BytesIO(b"pan"))
    whole = (root / f"{sid}.tar").read_bytes()
    (root / "cut.tar").write_bytes(whole[: len(whole) // 2])
    with tarfile.open(root / "link.tar", "w") as tar:
        info = tarfile.TarInfo(f"{sid}_B4.TIF")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tar.addfile(info)

    out = tmp_path / "catalog"
    out.mkdir()
    ids, problems = build_catalog(root, out)
    assert ids == [sid]
    cut, link = sorted(problems)
    assert cut.startswith(f"{root / 'cut.tar'}: not a readable product archive (truncated")
    assert link == (
        f"{root / 'link.tar'}: member {sid}_B4.TIF is a link, not a regular file "
        "(refusing links and devices)"
    )
    names = sorted(p.name for p in (out / "scenes" / sid).iterdir())
    assert names == sorted(
        [f"{sid}_B{b}.TIF" for b in range(1, 8)]
        + [f"{sid}_QA_PIXEL.TIF", f"{sid}_MTL.txt", f"{sid}.json"]
    )
    assert [p.name for p in (out / "scenes").iterdir()] == [sid]  # no .extract-* leftovers


def test_every_asset_has_its_size_and_checksum_and_landing_checks_them(downloads, tmp_path):
    """The builder records ``file:size`` and ``file:checksum`` (sha2-256 multihash) of every
    asset; discovery passes them on, and landing refuses a file that no longer matches."""
    import hashlib

    out = tmp_path / "catalog"
    out.mkdir()
    build_catalog(downloads, out)
    items = sorted((out / "scenes").glob("*/*.json"))
    assert len(items) == 3
    for path in items:
        item = json.loads(path.read_text())
        assert (
            "https://stac-extensions.github.io/file/v2.1.0/schema.json" in (item["stac_extensions"])
        )
        for key, asset in item["assets"].items():
            data = (path.parent / asset["href"]).read_bytes()
            assert asset["file:size"] == len(data), key
            assert asset["file:checksum"] == "1220" + hashlib.sha256(data).hexdigest(), key

    (scene,) = discover(
        str(out / "catalog.json"),
        path=8,
        row=59,
        start=datetime.datetime(2019, 12, 1, tzinfo=datetime.UTC),
        end=datetime.datetime(2019, 12, 2, tzinfo=datetime.UTC),
        platform="landsat-8",
    )
    xcom = {"scene_id": scene.scene_id, "assets": dict(scene.assets), "sources": scene.sources}
    assert all("checksum" in s and "size" in s for s in xcom["sources"].values())
    band = out / "scenes" / L2 / f"{L2}_SR_B5.TIF"
    data = band.read_bytes()
    band.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])  # one bit flipped
    bucket = open_store(tmp_path / "bucket")
    with pytest.raises(LandingError, match=r"^asset B5: .*_SR_B5\.TIF: sha256 .* does not match"):
        land_scene(xcom, bucket)
    assert bucket.list("landing/") == []
    band.write_bytes(data)
    landed = land_scene(xcom, bucket)
    assert len(landed["uploaded"]) == 9  # B1-B7, QA, MTL


def test_a_product_folder_with_a_truncated_band_is_refused(downloads, tmp_path, capsys):
    extracted = downloads / "extracted" / "LC80200392015216LGN00"
    b4 = extracted / "LC80200392015216LGN00_B4.TIF"
    b4.write_bytes(b4.read_bytes()[:-1000])
    out = tmp_path / "catalog"
    out.mkdir()
    ids, problems = build_catalog(downloads, out)
    assert "LC80200392015216LGN00" not in ids and not (out / "scenes" / extracted.name).exists()
    (problem,) = [p for p in problems if "LC80200392015216LGN00_B4.TIF" in p]
    assert problem.startswith(f"{extracted}: {b4}: truncated or damaged: strip ")
    assert "beyond the end of the file" in problem
