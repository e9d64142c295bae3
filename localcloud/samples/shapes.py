"""Sample Custom Labels datasets drawn on the fly: demos and tests need images, and the repo ships none.

Each label is a distinct shape in a distinct colour on a plain background with a little seeded noise, so the
emulator's nearest-centroid training learns it. Output is ``{S3 key: bytes}``, ready to upload, and the same
arguments always give the same bytes (PNG without timestamps, a string-seeded RNG per image).
"""

from __future__ import annotations

import io
import json
import math
import random
import re
from collections.abc import Callable, Sequence
from typing import Any

from PIL import Image, ImageChops, ImageDraw

DEFAULT_LABELS = ("circle", "square", "triangle")
SHAPES = ("circle", "square", "triangle", "diamond", "bar", "cross")
COLOURS = (
    (220, 40, 40),
    (40, 160, 60),
    (40, 70, 220),
    (230, 180, 20),
    (150, 50, 190),
    (20, 170, 180),
    (240, 120, 20),
    (90, 90, 90),
)
BACKGROUND = (238, 238, 238)
NOISE = 24  # noise amplitude per channel (0..NOISE-1 subtracted)
TEST_FRACTION = 0.2
CREATION_DATE = "2024-01-01T00:00:00.000000"  # fixed, so manifests are byte-identical between runs
TRAIN_MANIFEST = "manifests/train.manifest"
TEST_MANIFEST = "manifests/test.manifest"

Box = tuple[int, int, int, int]  # left, top, width, height


def _draw(label_index: int, rng: random.Random, size: int) -> tuple[bytes, Box]:
    """One PNG: the label's shape and colour at a jittered place and size, plus seeded noise."""
    image = Image.new("RGB", (size, size), BACKGROUND)
    side = round(size * rng.uniform(0.45, 0.65))
    left = round((size - side) / 2 + rng.uniform(-0.1, 0.1) * size)
    top = round((size - side) / 2 + rng.uniform(-0.1, 0.1) * size)
    right, bottom = left + side - 1, top + side - 1
    colour = COLOURS[label_index % len(COLOURS)]
    shape = SHAPES[label_index % len(SHAPES)]
    draw = ImageDraw.Draw(image)
    middle_x, middle_y, third = (left + right) // 2, (top + bottom) // 2, side // 3
    if shape == "circle":
        draw.ellipse((left, top, right, bottom), fill=colour)
    elif shape == "square":
        draw.rectangle((left, top, right, bottom), fill=colour)
    elif shape == "triangle":
        draw.polygon([(middle_x, top), (right, bottom), (left, bottom)], fill=colour)
    elif shape == "diamond":
        draw.polygon([(middle_x, top), (right, middle_y), (middle_x, bottom), (left, middle_y)], fill=colour)
    elif shape == "bar":
        draw.rectangle((left, middle_y - third // 2, right, middle_y + third // 2), fill=colour)
    else:  # cross
        draw.rectangle((left, middle_y - third // 2, right, middle_y + third // 2), fill=colour)
        draw.rectangle((middle_x - third // 2, top, middle_x + third // 2, bottom), fill=colour)
    noise = Image.frombytes("L", (size, size), rng.randbytes(size * size)).point(lambda v: v % NOISE)
    image = ImageChops.subtract(image, Image.merge("RGB", (noise, noise, noise)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6, optimize=False)  # no pnginfo: no time chunk
    return buffer.getvalue(), (left, top, side, side)


def _classification_line(uri: str, label: str, class_id: int, box: Box, size: int) -> dict[str, Any]:
    return {
        "source-ref": uri,
        "shape": class_id,
        "shape-metadata": {
            "confidence": 1,
            "job-name": "labeling-job/shape",
            "class-name": label,
            "human-annotated": "yes",
            "creation-date": CREATION_DATE,
            "type": "groundtruth/image-classification",
        },
    }


def _detection_line(uri: str, label: str, class_id: int, box: Box, size: int) -> dict[str, Any]:
    left, top, width, height = box
    return {
        "source-ref": uri,
        "bounding-box": {
            "image_size": [{"width": size, "height": size, "depth": 3}],
            "annotations": [
                {"class_id": class_id, "top": top, "left": left, "width": width, "height": height}
            ],
        },
        "bounding-box-metadata": {
            "objects": [{"confidence": 1}],
            "class-map": {str(class_id): label},
            "type": "groundtruth/object-detection",
            "human-annotated": "yes",
            "creation-date": CREATION_DATE,
            "job-name": "labeling-job/bounding-box",
        },
    }


LineMaker = Callable[[str, str, int, Box, int], dict[str, Any]]


def _dataset(
    line: LineMaker,
    bucket: str,
    prefix: str,
    images_per_label: int,
    labels: Sequence[str],
    seed: int,
    size: int,
) -> dict[str, bytes]:
    if not bucket:
        raise ValueError("bucket is required")
    if images_per_label < 2:
        raise ValueError("images_per_label must be at least 2 (each label needs a training and a test image)")
    if len(set(labels)) != len(labels) or not all(labels):
        raise ValueError("labels must be distinct, non-empty names")
    if len(labels) > math.lcm(len(SHAPES), len(COLOURS)):  # beyond that, shape and colour pairs repeat
        raise ValueError(f"at most {math.lcm(len(SHAPES), len(COLOURS))} labels")
    if not 64 <= size <= 4096:
        raise ValueError("size must be 64..4096 pixels, the service's image limits")
    objects: dict[str, bytes] = {}
    manifests: dict[str, list[str]] = {TRAIN_MANIFEST: [], TEST_MANIFEST: []}
    test_count = max(1, round(images_per_label * TEST_FRACTION))
    for class_id, label in enumerate(labels):
        folder = re.sub(r"[^A-Za-z0-9_.-]", "_", label)
        for index in range(images_per_label):
            rng = random.Random(f"{seed}:{class_id}:{label}:{index}")
            data, box = _draw(class_id, rng, size)
            key = f"{prefix}images/{folder}/{folder}_{index:03d}.png"
            objects[key] = data
            manifest = TEST_MANIFEST if index >= images_per_label - test_count else TRAIN_MANIFEST
            document = line(f"s3://{bucket}/{key}", label, class_id, box, size)
            manifests[manifest].append(json.dumps(document, separators=(",", ":")))
    for name, lines in manifests.items():
        objects[f"{prefix}{name}"] = ("\n".join(lines) + "\n").encode()
    return objects


def shapes_dataset(
    *,
    bucket: str,
    prefix: str = "",
    images_per_label: int = 10,
    labels: Sequence[str] = DEFAULT_LABELS,
    seed: int = 0,
    size: int = 96,
) -> dict[str, bytes]:
    """Image-level (classification) sample: PNGs under ``{prefix}images/``, plus ``{prefix}manifests/``
    ``train.manifest`` and ``test.manifest`` pointing at ``s3://{bucket}/...``; ~20% of each label tests."""
    return _dataset(_classification_line, bucket, prefix, images_per_label, labels, seed, size)


def detection_dataset(
    *,
    bucket: str,
    prefix: str = "",
    images_per_label: int = 10,
    labels: Sequence[str] = DEFAULT_LABELS,
    seed: int = 0,
    size: int = 96,
) -> dict[str, bytes]:
    """The same images as object-location lines: one bounding box per image around its shape."""
    return _dataset(_detection_line, bucket, prefix, images_per_label, labels, seed, size)
