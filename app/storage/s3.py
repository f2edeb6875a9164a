"""The S3-compatible object-store backend (AWS, MinIO, Ceph, ...)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.storage.backends import (
    DEFAULT_CHUNK,
    KEY_RE,
    BlobInfo,
    BlobNotFound,
    PartialUpload,
    Storage,
    _ensure_private_dir,
    validate_key,
)


class S3Storage(Storage):
    """Blobs as objects `<prefix><key>` in an S3-compatible bucket (AWS, MinIO, Ceph, ...).

    Uploads are spooled to a local directory first and then sent with boto3's managed transfer (multipart
    for large files): the object only becomes visible once the upload is complete.
    """

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        spool_dir: Path | str | None = None,
        client: Any = None,
        multipart_threshold: int = 16 * 1024 * 1024,
        multipart_chunksize: int = 16 * 1024 * 1024,
    ) -> None:
        if not bucket:
            raise ValueError("S3-opslag heeft een bucketnaam nodig.")
        self.bucket = bucket
        prefix = prefix.strip("/")
        self.prefix = f"{prefix}/" if prefix else ""
        self._spool = Path(spool_dir) if spool_dir is not None else Path(tempfile.gettempdir()) / "portfolio-spool"
        _ensure_private_dir(self._spool)
        if client is None:
            client = _make_s3_client(
                endpoint_url=endpoint_url, region=region, access_key=access_key, secret_key=secret_key
            )
        self.client = client
        from boto3.s3.transfer import TransferConfig

        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold, multipart_chunksize=multipart_chunksize, max_concurrency=4
        )

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def spool_dir(self) -> Path:
        return _ensure_private_dir(self._spool)

    def object_name(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def publish(self, path: Path, *, key: str, content_type: str) -> None:
        path = Path(path)
        try:
            name = self.object_name(key)
            self.client.upload_file(
                str(path), self.bucket, name, ExtraArgs={"ContentType": content_type}, Config=self._transfer
            )
        finally:
            path.unlink(missing_ok=True)

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            result: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=self.object_name(key))
        except Exception as exc:
            if _is_not_found(exc):
                return None
            raise
        return result

    def open_chunks(self, key: str, chunk_size: int = DEFAULT_CHUNK) -> Iterator[bytes]:
        if self._head(key) is None:
            raise BlobNotFound(key)
        return self._read(key, chunk_size)

    def _read(self, key: str, chunk_size: int) -> Iterator[bytes]:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.object_name(key))
        except Exception as exc:
            if _is_not_found(exc):
                raise BlobNotFound(key) from None
            raise
        body = response["Body"]
        try:
            yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise BlobNotFound(key)
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_name(key))

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def iter_blobs(self) -> Iterator[BlobInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"][len(self.prefix) :]
                if KEY_RE.fullmatch(key) is None:
                    continue
                modified = obj["LastModified"]
                if modified.tzinfo is None:
                    modified = modified.replace(tzinfo=UTC)
                yield BlobInfo(key=key, size=int(obj["Size"]), modified=modified.astimezone(UTC))

    def stale_partial_uploads(self, older_than: timedelta) -> list[PartialUpload]:
        cutoff = datetime.now(UTC) - older_than
        stale: list[PartialUpload] = []
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for upload in page.get("Uploads", []):
                initiated = upload["Initiated"]
                if initiated.tzinfo is None:
                    initiated = initiated.replace(tzinfo=UTC)
                if initiated < cutoff:
                    stale.append(PartialUpload(key=upload["Key"], upload_id=upload["UploadId"], initiated=initiated))
        return stale

    def abort_partial_upload(self, upload: PartialUpload) -> None:
        self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload.key, UploadId=upload.upload_id)


def _is_not_found(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


def _make_s3_client(
    *, endpoint_url: str | None, region: str | None, access_key: str | None, secret_key: str | None
) -> Any:
    import boto3
    from botocore.config import Config

    options: dict[str, Any] = {"retries": {"max_attempts": 5, "mode": "standard"}}
    if endpoint_url:
        # S3-compatible stores: path-style addressing, and checksums only where the API requires them
        # (several such stores do not support the newer default checksum headers).
        options["s3"] = {"addressing_style": "path"}
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=region or None,
        aws_access_key_id=access_key or None,
        aws_secret_access_key=secret_key or None,
        config=Config(**options),
    )
