"""Checking photos and attachments that grid workers and residents upload (cases, visits).

Files are judged by their content, never by their name or the browser's Content-Type: a script
renamed ``photo.jpg`` or an SVG (which can carry JavaScript) must not end up in storage and be served
back to other users. Allowed: JPEG, PNG, WebP and GIF images, fully decoded by Pillow, and PDF.

Call ``validate_uploads`` on the whole batch before writing anything, so a case is never saved with
half of its attachments.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image

# Decoded size cap: a few kilobytes of PNG can expand to gigabytes of pixels (decompression bomb).
# 50 megapixels still admits any phone photo.
MAX_IMAGE_PIXELS = 50_000_000

# filetype's MIME type → (extension we store under, Pillow format name that must agree).
ALLOWED_IMAGES: dict[str, tuple[str, str]] = {
    "image/jpeg": ("jpg", "JPEG"),
    "image/png": ("png", "PNG"),
    "image/webp": ("webp", "WEBP"),
    "image/gif": ("gif", "GIF"),
}
PDF_MAGIC = b"%PDF-"
# filetype needs at most this many leading bytes to recognise a format.
HEAD_BYTES = 261


@dataclass(frozen=True)
class ValidatedUpload:
    """What the content of an accepted upload turned out to be."""

    content_type: str
    extension: str
    size: int
    name: str = ""


def _display_name(f: UploadedFile) -> str:
    # Browsers may send a path; show only the last part, and keep error messages readable.
    name = os.path.basename(str(getattr(f, "name", "") or "")) or _("未命名文件")
    return name if len(name) <= 80 else name[:77] + "..."


def _size_of(f: UploadedFile) -> int:
    size = getattr(f, "size", None)
    if size is None:
        f.seek(0, os.SEEK_END)
        size = f.tell()
    return int(size)


def _unsupported(name: str) -> ValidationError:
    return ValidationError(
        _("文件「%(name)s」不是允许的格式:仅支持 JPG、PNG、WebP、GIF 图片和 PDF 文件(按文件内容识别,与扩展名无关)。"),
        code="unsupported_type",
        params={"name": name},
    )


def _broken_image(name: str) -> ValidationError:
    return ValidationError(
        _("图片「%(name)s」已损坏或不完整,无法读取,请重新拍摄或选择。"),
        code="corrupt_image",
        params={"name": name},
    )


def _check_image(f: UploadedFile, name: str, pillow_format: str) -> None:
    """Open, verify and decode the image, refusing decompression bombs before decoding pixels."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice that; treat the warning as a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            f.seek(0)
            with Image.open(f, formats=[pillow_format]) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise _too_many_pixels(name, width, height)
                # verify() checks structure and checksums (all PNG chunk CRCs) without decoding.
                image.verify()
            # verify() leaves the image unusable and does not look at JPEG/WebP/GIF pixel data, so
            # decode once more: a truncated JPEG only shows up here.
            f.seek(0)
            with Image.open(f, formats=[pillow_format]) as image:
                if pillow_format == "JPEG":
                    # Let libjpeg decode at 1/8 scale: every byte is still read, a fraction of memory.
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(name, 0, 0) from exc
    except ValidationError:
        raise
    except Exception as exc:  # Pillow raises many types for bad data: OSError, SyntaxError, struct.error...
        raise _broken_image(name) from exc


def _too_many_pixels(name: str, width: int, height: int) -> ValidationError:
    return ValidationError(
        _("图片「%(name)s」像素过多(%(width)s×%(height)s),最多 %(limit)s 万像素,请压缩后再上传。"),
        code="too_many_pixels",
        params={"name": name, "width": width or "?", "height": height or "?", "limit": MAX_IMAGE_PIXELS // 10_000},
    )


def validate_upload(f: UploadedFile) -> ValidatedUpload:
    """Accept one photo or attachment by its content, or raise ``ValidationError`` saying why.

    The file position is back at 0 afterwards, ready to be saved.
    """
    name = _display_name(f)
    try:
        size = _size_of(f)
        limit = settings.UPLOAD_MAX_BYTES
        if size > limit:
            raise ValidationError(
                _("文件「%(name)s」大小为 %(size)s,超过上限 %(limit)s。"),
                code="too_large",
                params={"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
            )
        if size == 0:
            raise ValidationError(_("文件「%(name)s」是空文件。"), code="empty", params={"name": name})

        f.seek(0)
        head = f.read(HEAD_BYTES)
        if head.startswith(PDF_MAGIC):
            return ValidatedUpload(content_type="application/pdf", extension="pdf", size=size, name=name)

        kind = filetype.guess(head)
        if kind is None or kind.mime not in ALLOWED_IMAGES:
            # Covers text renamed .jpg, SVG (XML text: filetype does not recognise it), executables.
            raise _unsupported(name)
        extension, pillow_format = ALLOWED_IMAGES[kind.mime]
        _check_image(f, name, pillow_format)
        return ValidatedUpload(content_type=kind.mime, extension=extension, size=size, name=name)
    finally:
        f.seek(0)


def validate_uploads(files: Iterable[UploadedFile]) -> list[ValidatedUpload]:
    """Check a whole batch before anything is stored: the count cap, then every file.

    Returns one ``ValidatedUpload`` per file, in the same order. Raises one ``ValidationError``
    listing every rejected file by name, so the user can fix them all in one go.
    """
    files = list(files)
    limit = settings.UPLOAD_MAX_FILES
    if len(files) > limit:
        raise ValidationError(
            _("最多上传 %(limit)s 个文件,本次选择了 %(count)s 个。"),
            code="too_many_files",
            params={"limit": limit, "count": len(files)},
        )
    accepted: list[ValidatedUpload] = []
    errors: list[ValidationError] = []
    for f in files:
        try:
            accepted.append(validate_upload(f))
        except ValidationError as exc:
            errors.extend(exc.error_list)
    if errors:
        raise ValidationError(errors)
    return accepted
