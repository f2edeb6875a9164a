"""The backend and upload limits the settings ask for."""

from __future__ import annotations

from pathlib import Path

from app.storage.backends import (
    DEFAULT_UPLOAD_MAX_BYTES,
    DEFAULT_UPLOAD_MAX_FILES,
    SPOOL_DIRNAME,
    LocalStorage,
    Storage,
)
from app.storage.s3 import S3Storage


def storage_from_settings(settings: object) -> Storage:
    """Build the configured backend; reads attributes with defaults so it works before Settings has them."""
    from app.config import ROOT

    backend = str(getattr(settings, "storage_backend", "local") or "local").lower()
    storage_dir = Path(getattr(settings, "storage_dir", None) or ROOT / "data" / "storage")
    if backend == "local":
        return LocalStorage(storage_dir)
    if backend == "s3":
        return S3Storage(
            getattr(settings, "s3_bucket", None) or "",
            prefix=getattr(settings, "s3_prefix", "") or "",
            endpoint_url=getattr(settings, "s3_endpoint_url", None),
            region=getattr(settings, "s3_region", None),
            access_key=getattr(settings, "s3_access_key", None),
            secret_key=getattr(settings, "s3_secret_key", None),
            spool_dir=storage_dir / SPOOL_DIRNAME,
        )
    raise ValueError(f"Onbekende opslag: {backend!r} (kies 'local' of 's3').")


def upload_limits_from_settings(settings: object) -> tuple[int, int]:
    """(max bytes per file, max files per request) from settings, with defaults."""
    max_bytes = int(getattr(settings, "upload_max_bytes", DEFAULT_UPLOAD_MAX_BYTES) or DEFAULT_UPLOAD_MAX_BYTES)
    max_files = int(getattr(settings, "upload_max_files", DEFAULT_UPLOAD_MAX_FILES) or DEFAULT_UPLOAD_MAX_FILES)
    return max_bytes, max_files
