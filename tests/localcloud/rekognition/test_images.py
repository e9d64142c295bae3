"""Image identification, the service's training-image rules and the feature vector."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from localcloud.rekognition.images import (
    ImageError,
    ImageInfo,
    check_training_image,
    image_features,
    inspect_image,
)

MB = 1024 * 1024


def encode(image_format: str, width: int, height: int, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format=image_format)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("image_format", "width", "height"),
    [("PNG", 100, 80), ("JPEG", 64, 200), ("PNG", 4096, 1)],
)
def test_png_and_jpeg_are_recognised_with_their_dimensions(
    image_format: str, width: int, height: int
) -> None:
    # GIVEN an encoded PNG or JPEG
    data = encode(image_format, width, height)
    # WHEN it is inspected
    info = inspect_image(data)
    # THEN the format, dimensions and byte size are reported
    assert info == ImageInfo(format=image_format, width=width, height=height, size=len(data))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(encode("GIF", 100, 100), id="gif"),
        pytest.param(encode("BMP", 100, 100), id="bmp"),
        pytest.param(encode("WEBP", 100, 100), id="webp"),
        pytest.param(b"not an image at all", id="garbage"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, id="png-magic-then-junk"),
        pytest.param(b"\xff\xd8\xff" + b"\x00" * 20, id="jpeg-magic-then-junk"),
    ],
)
def test_other_formats_and_corrupt_data_are_rejected(data: bytes) -> None:
    # GIVEN bytes that are not a readable PNG or JPEG
    # WHEN they are inspected THEN an ImageError with a readable message is raised
    with pytest.raises(ImageError) as caught:
        inspect_image(data)
    assert str(caught.value)


def test_a_png_renamed_gif_is_judged_by_its_bytes() -> None:
    # GIVEN GIF bytes (whatever the object key says)
    data = encode("GIF", 100, 100)
    # WHEN inspected THEN the magic bytes decide: not supported
    with pytest.raises(ImageError, match="PNG or JPEG"):
        inspect_image(data)


@pytest.mark.parametrize(
    ("width", "height", "size", "problem"),
    [
        (63, 100, 1000, "width is 63"),
        (100, 63, 1000, "height is 63"),
        (64, 64, 1000, None),
        (4096, 4096, 1000, None),
        (4097, 1000, 1000, "width is 4097"),
        (1000, 4097, 1000, "height is 4097"),
        (1280, 64, 1000, None),  # exactly 20:1
        (64, 1280, 1000, None),
        (1344, 64, 1000, "aspect ratio"),  # 21:1
        (64, 1344, 1000, "aspect ratio"),
        (100, 100, 15 * MB, None),
        (100, 100, 15 * MB + 1, "15 MB"),
    ],
)
def test_training_image_rules(width: int, height: int, size: int, problem: str | None) -> None:
    # GIVEN an image of a given size (faked: no need to encode 4096 px images)
    info = ImageInfo(format="PNG", width=width, height=height, size=size)
    # WHEN the service's rules are applied
    reason = check_training_image(info)
    # THEN only the boundary-breaking ones are refused, with a reason naming the rule
    if problem is None:
        assert reason is None
    else:
        assert reason is not None and problem in reason


def test_a_format_other_than_png_or_jpeg_is_refused_for_training() -> None:
    # GIVEN image information for a GIF WHEN checked THEN it is refused
    reason = check_training_image(ImageInfo(format="GIF", width=100, height=100, size=10))
    assert reason is not None and "GIF" in reason


def test_features_are_deterministic_small_and_in_range() -> None:
    # GIVEN one image's bytes
    data = encode("PNG", 96, 96)
    # WHEN features are computed twice
    first, second = image_features(data), image_features(data)
    # THEN they are identical, 8x8x3 values plus three channel means, all in 0..1
    assert first == second
    assert len(first) == 8 * 8 * 3 + 3
    assert all(0.0 <= value <= 1.0 for value in first)
    assert first[-3:] == pytest.approx((200 / 255, 30 / 255, 30 / 255), abs=1e-3)


def test_features_tell_colours_apart_for_png_and_jpeg() -> None:
    # GIVEN a red and a blue image, as PNG and as JPEG
    red, blue = encode("JPEG", 128, 96, (220, 20, 20)), encode("PNG", 96, 96, (20, 20, 220))
    # WHEN features are computed THEN the channel means differ the right way
    red_features, blue_features = image_features(red), image_features(blue)
    assert red_features[-3] > 0.8 > blue_features[-3]
    assert blue_features[-1] > 0.8 > red_features[-1]


def test_truncated_pixel_data_fails_feature_extraction() -> None:
    # GIVEN a PNG whose header is intact but whose pixel data is cut off
    buffer = io.BytesIO()
    Image.effect_noise((200, 200), 64).convert("RGB").save(buffer, format="PNG")
    data = buffer.getvalue()[:200]
    assert inspect_image(data).width == 200  # the header alone still reads
    # WHEN features are computed THEN the corruption surfaces as an ImageError
    with pytest.raises(ImageError):
        image_features(data)
