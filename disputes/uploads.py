"""Upload checks moved down to `grids.uploads` (visits upload photos too, and grids imports no
other app); re-exported here so existing imports keep working."""

from grids.uploads import (  # noqa: F401
    ALLOWED_IMAGES,
    MAX_IMAGE_PIXELS,
    ValidatedUpload,
    validate_upload,
    validate_uploads,
)
