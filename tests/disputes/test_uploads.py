"""Photos and attachments are accepted by what they contain, never by what they are called."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image

from disputes.uploads import ValidatedUpload, validate_upload, validate_uploads

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'


def image_bytes(pillow_format: str, size: tuple[int, int] = (64, 48)) -> bytes:
    """A real image with varied pixels, so truncating it really loses picture data."""
    image = Image.effect_noise(size, 64).convert("RGB")
    if pillow_format == "GIF":
        image = image.convert("P")
    buffer = io.BytesIO()
    image.save(buffer, format=pillow_format)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    # The browser's content type is deliberately often wrong here: it must not matter.
    return SimpleUploadedFile(name, content, content_type=content_type)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def error_codes(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [error.code for error in exc.value.error_list]


# -- accepted -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pillow_format", "content_type", "extension"),
    [
        ("PNG", "image/png", "png"),
        ("JPEG", "image/jpeg", "jpg"),
        ("WEBP", "image/webp", "webp"),
        ("GIF", "image/gif", "gif"),
    ],
)
def test_real_images_pass(pillow_format, content_type, extension):
    content = image_bytes(pillow_format)
    f = upload(f"现场照片.{extension}", content, "application/octet-stream")
    result = validate_upload(f)
    assert result == ValidatedUpload(content_type=content_type, extension=extension, size=len(content), name=f.name)
    assert f.tell() == 0  # ready to be saved


def test_type_comes_from_content_not_from_name():
    # A PNG named .jpg is still a PNG, and is stored as one.
    result = validate_upload(upload("photo.jpg", image_bytes("PNG")))
    assert (result.content_type, result.extension) == ("image/png", "png")


def test_pdf_passes():
    f = upload("调解协议.pdf", PDF, "application/pdf")
    result = validate_upload(f)
    assert (result.content_type, result.extension, result.size) == ("application/pdf", "pdf", len(PDF))
    assert f.tell() == 0


# -- refused --------------------------------------------------------------------------------------------


def test_text_renamed_jpg_fails():
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("photo.jpg", "这不是图片,只是文字。".encode() * 20))
    assert error_codes(exc) == ["unsupported_type"]
    assert "photo.jpg" in exc.value.messages[0]
    assert "不是允许的格式" in exc.value.messages[0]


def test_svg_fails():
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("map.svg", SVG, "image/svg+xml"))
    assert error_codes(exc) == ["unsupported_type"]


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 300,  # Windows executable
        b"\x7fELF\x02\x01\x01" + b"\x00" * 300,  # Linux executable
        b"PK\x03\x04" + b"\x00" * 300,  # zip archive
        b"<html><script>alert(1)</script></html>",
    ],
)
def test_executables_and_other_formats_fail(content):
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("photo.jpg", content))
    assert error_codes(exc) == ["unsupported_type"]


def test_empty_file_fails():
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("empty.png", b""))
    assert error_codes(exc) == ["empty"]


@override_settings(UPLOAD_MAX_BYTES=1024)
def test_oversized_file_fails():
    content = image_bytes("PNG", (128, 128))
    assert len(content) > 1024
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("big.png", content))
    assert error_codes(exc) == ["too_large"]
    assert "big.png" in exc.value.messages[0]


def test_truncated_png_fails():
    content = image_bytes("PNG")
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("cut.png", content[: len(content) // 2]))
    assert error_codes(exc) == ["corrupt_image"]
    assert "cut.png" in exc.value.messages[0]


def test_corrupted_png_fails():
    content = bytearray(image_bytes("PNG"))
    content[len(content) // 2] ^= 0xFF  # one flipped byte inside the image data: the CRC no longer matches
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("flipped.png", bytes(content)))
    assert error_codes(exc) == ["corrupt_image"]


def test_truncated_jpeg_fails():
    content = image_bytes("JPEG", (256, 256))
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("cut.jpg", content[: len(content) // 2]))
    assert error_codes(exc) == ["corrupt_image"]


def test_decompression_bomb_fails():
    # A tiny PNG that claims 20000 × 20000 pixels (400 megapixels); refused before any decoding.
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 20_000, 20_000, 8, 2, 0, 0, 0))
    content = b"\x89PNG\r\n\x1a\n" + header + png_chunk(b"IDAT", zlib.compress(b"")) + png_chunk(b"IEND", b"")
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("bomb.png", content))
    assert error_codes(exc) == ["too_many_pixels"]


def test_moderately_large_claim_is_refused_by_our_own_cap():
    # 8000 × 7000 = 56 megapixels: under Pillow's own limit, over ours.
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 8000, 7000, 8, 2, 0, 0, 0))
    content = b"\x89PNG\r\n\x1a\n" + header + png_chunk(b"IEND", b"")
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("huge.png", content))
    assert error_codes(exc) == ["too_many_pixels"]
    assert "8000×7000" in exc.value.messages[0]


# -- batches --------------------------------------------------------------------------------------------


def test_a_batch_of_good_files_passes_in_order():
    files = [upload("a.png", image_bytes("PNG")), upload("b.pdf", PDF), upload("c.jpg", image_bytes("JPEG"))]
    results = validate_uploads(files)
    assert [r.extension for r in results] == ["png", "pdf", "jpg"]
    assert all(f.tell() == 0 for f in files)


@override_settings(UPLOAD_MAX_FILES=2)
def test_too_many_files_fail():
    files = [upload(f"{n}.png", image_bytes("PNG")) for n in range(3)]
    with pytest.raises(ValidationError) as exc:
        validate_uploads(files)
    assert error_codes(exc) == ["too_many_files"]
    assert "2" in exc.value.messages[0] and "3" in exc.value.messages[0]


def test_default_cap_is_nine_files():
    files = [upload(f"{n}.pdf", PDF) for n in range(10)]
    with pytest.raises(ValidationError) as exc:
        validate_uploads(files)
    assert error_codes(exc) == ["too_many_files"]
    assert len(validate_uploads(files[:9])) == 9


def test_every_failing_file_is_named_and_nothing_passes_half_way():
    files = [
        upload("good.png", image_bytes("PNG")),
        upload("notes.jpg", b"just some text, not a photo"),
        upload("drawing.svg", SVG),
    ]
    with pytest.raises(ValidationError) as exc:
        validate_uploads(files)
    assert error_codes(exc) == ["unsupported_type", "unsupported_type"]
    assert "notes.jpg" in exc.value.messages[0]
    assert "drawing.svg" in exc.value.messages[1]
    assert all(f.tell() == 0 for f in files)
