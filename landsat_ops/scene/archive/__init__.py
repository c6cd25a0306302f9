"""Product archives as EarthExplorer delivers them: one ``.tar`` (``.tar.gz``/``.tgz``) per product.

The one place that knows what an archive is (:data:`ARCHIVE_SUFFIXES`, :func:`is_archive`),
which of its members a consumer keeps (:func:`member_wanted`: the bands asked for, the QA band,
the MTL) and how they are taken out (:func:`extract_scene`). ``landsat-ops render``,
``info`` and ``sample`` use it, and so does the static-catalog builder of
``landsat_pipeline.downloads``.

An archive is a local file or an ``s3://bucket/key.tar`` object. It is read in ONE pass, in
archive order: a local ``.tar`` skips the members nobody wants (seeks), a ``.tar.gz`` is
decompressed once, and an S3 object is streamed (one GetObject, resumed with a ranged GET if
the connection drops) rather than downloaded first: the wanted members go straight into the
target folder and the ~1 GB archive is never copied to disk. Members are extracted under their
bare file name (archive folders are flattened) with tarfile's ``"data"`` filter, so nothing
lands outside the target folder; a link or device where a band, QA or MTL file is expected is
refused. The MTL is held in memory until the archive has been checked, then written.

Nothing is taken on trust (:mod:`landsat_ops.scene.limits`): the MTL (at most 1 MiB) is parsed
as soon as it is met, so absurd values are refused before any band is written, and each band
or QA member is capped by the size the MTL declares for it (pixels x 2 bytes, plus a margin);
a member met before the MTL is held to the largest size a Landsat band may have. All one
extraction writes is held to the scratch budget (``LANDSAT_OPS_SCRATCH_BUDGET``, default
2 GiB). Both caps are checked against the member's tar header before a byte is written, and
again while it is written, so a decompression bomb stops at its cap. Every extracted TIFF is
checked from its header as soon as it is written (whole structure inside the file, no more
pixels than the MTL declares), and again against the chosen MTL at the end, before anything
decodes it. On any error the members this extraction wrote are
removed again.

An archive that is not a readable product is a :class:`~landsat_ops.errors.SceneError`
naming it: not a tar, truncated (it must reach its end-of-archive marker), no MTL, files of
two products, the same file twice, a required band missing, or a member over its cap; an
MTL out of bounds is a :class:`~landsat_ops.errors.MetadataError`, a band whose TIFF header
does not fit the MTL a :class:`~landsat_ops.errors.RasterError`.

Modules: :mod:`.members` (which members are kept, their caps), :mod:`.tar` (one pass over a
local or streamed archive), :mod:`.s3_stream` (an S3 object as a resumable stream) and
:mod:`.extract` (:func:`read_archive`, :func:`extract_scene`).
"""

from landsat_ops.scene.archive.extract import (
    ArchiveContents,
    ProgressFn,
    extract_scene,
    read_archive,
)
from landsat_ops.scene.archive.members import (
    ALL_BANDS,
    ARCHIVE_SUFFIXES,
    is_archive,
    member_wanted,
)
from landsat_ops.scene.archive.s3_stream import S3_RESUMES

__all__ = [
    "ALL_BANDS",
    "ARCHIVE_SUFFIXES",
    "S3_RESUMES",
    "ArchiveContents",
    "ProgressFn",
    "extract_scene",
    "is_archive",
    "member_wanted",
    "read_archive",
]
