"""Image checks and features for the emulator: the service's image rules and a tiny, stable feature vector.

Custom Labels accepts only PNG and JPEG, 64-4096 px a side, at most 15 MB and an aspect ratio of at most
20:1; a line whose image breaks a rule is left out of training. The features feed the nearest-centroid model,
so they must be the same for the same bytes on every run.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
MIN_SIDE = 64
MAX_SIDE = 4096
MAX_BYTES = 15 * 1024 * 1024
MAX_ASPECT = 20
FEATURE_GRID = 8


class ImageError(Exception):
    """The bytes are not a PNG or JPEG image that can be read; ``str(e)`` says why, in the service's tone."""


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "PNG" | "JPEG"
    width: int
    height: int
    size: int  # bytes


def _format_of(data: bytes) -> str:
    """Identify by magic bytes, as the service does: a .png name on a GIF is still a GIF."""
    if data.startswith(PNG_MAGIC):
        return "PNG"
    if data.startswith(JPEG_MAGIC):
        return "JPEG"
    raise ImageError("The image format is not supported. Use a PNG or JPEG image.")


def _open(data: bytes, image_format: str) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=[image_format])
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ImageError(f"The {image_format} image is corrupt or cannot be read.") from error


def inspect_image(data: bytes) -> ImageInfo:
    """Format and dimensions from the header only: checking a large upload must not decode every pixel."""
    image_format = _format_of(data)
    with _open(data, image_format) as image:
        width, height = image.size
    if width <= 0 or height <= 0:
        raise ImageError(f"The {image_format} image has no pixels.")
    return ImageInfo(format=image_format, width=width, height=height, size=len(data))


def check_training_image(info: ImageInfo) -> str | None:
    """The reason the service would refuse this image for training or testing, or None if it is usable."""
    if info.format not in ("PNG", "JPEG"):
        return f"The image format {info.format} is not supported; use PNG or JPEG."
    if info.size > MAX_BYTES:
        return f"The image is {info.size} bytes; the maximum is 15 MB ({MAX_BYTES} bytes)."
    for side, value in (("width", info.width), ("height", info.height)):
        if not MIN_SIDE <= value <= MAX_SIDE:
            return f"The image {side} is {value} pixels; it must be from {MIN_SIDE} to {MAX_SIDE} pixels."
    long_side, short_side = max(info.width, info.height), min(info.width, info.height)
    if long_side > MAX_ASPECT * short_side:
        return f"The image aspect ratio is {info.width}:{info.height}; the maximum is {MAX_ASPECT}:1."
    return None


def image_features(data: bytes) -> tuple[float, ...]:
    """RGB at 8x8 (box filter) scaled to 0..1, then the three channel means: colour and coarse layout.

    Decodes the image, so truncated data that passed ``inspect_image`` is caught here.
    """
    image_format = _format_of(data)
    with _open(data, image_format) as image:
        try:
            image.draft("RGB", (FEATURE_GRID * 8, FEATURE_GRID * 8))  # JPEG: decode at a reduced scale
            small = image.convert("RGB").resize((FEATURE_GRID, FEATURE_GRID), Image.Resampling.BOX)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
            raise ImageError(f"The {image_format} image is corrupt or cannot be read.") from error
    values = small.tobytes()
    grid = tuple(round(v / 255, 6) for v in values)
    count = FEATURE_GRID * FEATURE_GRID
    means = tuple(round(sum(values[c::3]) / (255 * count), 6) for c in range(3))
    return grid + means
