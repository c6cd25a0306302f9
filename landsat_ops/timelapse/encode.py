"""Encoding the frames: MP4 (H.264) through imageio-ffmpeg's ffmpeg, animated WebP with Pillow.

Both encoders come with their wheels (imageio-ffmpeg ships an ffmpeg binary with libx264;
Pillow's WebP is built in): nothing is installed on the host. The MP4 is H.264 High profile in
yuv420p (what browsers play), one video frame per period at ``1 / seconds`` frames a second,
the index at the front (``+faststart``: a browser starts playing before the whole file has
arrived). The WebP loops forever, each frame shown ``seconds``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from landsat_ops.timelapse.errors import TimelapseError

__all__ = ["MP4_CRF", "WEBP_QUALITY", "write_mp4", "write_webp"]

MP4_CRF = 20
"""x264's constant rate factor: 20 keeps the labels' edges crisp at about 0.1-0.3 MB a frame."""
WEBP_QUALITY = 80


def _check(frames: Sequence[np.ndarray]) -> tuple[int, int]:
    if not frames:
        raise TimelapseError("no frames to encode")
    height, width = frames[0].shape[:2]
    if height % 2 or width % 2:
        raise ValueError(f"frame {width}x{height}: H.264 in yuv420p needs even sides")
    for frame in frames:
        if frame.shape != (height, width, 3) or frame.dtype != np.uint8:
            raise ValueError(
                f"frame {frame.shape} {frame.dtype}: expected ({height}, {width}, 3) uint8"
            )
    return width, height


def write_mp4(frames: Sequence[np.ndarray], path: Path, *, seconds: float = 1.0) -> Path:
    """Write ``frames`` (height x width x 3 uint8, even sides) as an H.264 MP4 at ``path``."""
    import imageio_ffmpeg

    width, height = _check(frames)
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (width, height),
        fps=1 / seconds,
        codec="libx264",
        pix_fmt_in="rgb24",
        pix_fmt_out="yuv420p",
        quality=None,
        macro_block_size=2,
        ffmpeg_log_level="error",
        output_params=[
            "-crf",
            str(MP4_CRF),
            "-preset",
            "medium",
            "-profile:v",
            "high",
            "-movflags",
            "+faststart",
        ],
    )
    writer.send(None)  # start ffmpeg
    try:
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))
    finally:
        writer.close()
    if not path.is_file() or path.stat().st_size == 0:
        raise TimelapseError(f"{path}: ffmpeg wrote no video")
    return path


def write_webp(frames: Sequence[np.ndarray], path: Path, *, seconds: float = 1.0) -> Path:
    """Write ``frames`` as an animated, looping WebP at ``path``."""
    from PIL import Image

    _check(frames)
    images = [Image.fromarray(frame, "RGB") for frame in frames]
    images[0].save(
        path,
        format="WEBP",
        save_all=True,
        append_images=images[1:],
        duration=round(seconds * 1000),
        loop=0,
        quality=WEBP_QUALITY,
        method=4,
    )
    return path
