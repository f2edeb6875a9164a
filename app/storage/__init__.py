"""Blob storage for uploaded evidence: local disk or an S3-compatible object store.

Uploads are streamed to a temporary `*.part` file in `storage.spool_dir()` while they are counted and
hashed (`app.storage.spool`, `app.storage.multipart`), checked by content (`app.evidence.filetypes`) and
only then published under a server-generated key (`new_key()`), so a blob never appears half-written.

Settings read by `storage_from_settings(settings)` (each with a default, so this works before the fields
exist on `app.config.Settings`):

- `storage_backend: "local" | "s3"` (default `"local"`)
- `storage_dir: Path` (default `<project>/data/storage`): the blob root for `local`; for `s3` the local
  spool directory for uploads in progress is `<storage_dir>/.incoming`
- `s3_bucket: str | None` (required for `s3`), `s3_prefix: str` (default `""`)
- `s3_endpoint_url: str | None`, `s3_region: str | None`, `s3_access_key: str | None`,
  `s3_secret_key: str | None` (unset: boto3's own credential chain)
- `upload_max_bytes: int` (default 500 MiB, per file), `upload_max_files: int` (default 20, per request)
"""

from app.storage.backends import BlobInfo, BlobNotFound, LocalStorage, Storage, new_key, validate_key
from app.storage.check import CheckReport, ChecksumMismatch, check_storage
from app.storage.configured import storage_from_settings, upload_limits_from_settings
from app.storage.s3 import S3Storage
from app.storage.spool import FileTooLarge, Spool, SpooledFile, UploadError, human_size

__all__ = [
    "BlobInfo",
    "BlobNotFound",
    "CheckReport",
    "ChecksumMismatch",
    "FileTooLarge",
    "LocalStorage",
    "S3Storage",
    "Spool",
    "SpooledFile",
    "Storage",
    "UploadError",
    "check_storage",
    "human_size",
    "new_key",
    "storage_from_settings",
    "upload_limits_from_settings",
    "validate_key",
]
