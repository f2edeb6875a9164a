"""The S3-compatible object-store backend (AWS, MinIO, Ceph, ...)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.errors import StorageUnavailable
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

S3_CONNECT_TIMEOUT = 3  # seconds
S3_READ_TIMEOUT = 20  # seconds
S3_ATTEMPTS = 2  # the first try and one retry


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
            with _reachable():
                self.client.upload_file(
                    str(path), self.bucket, name, ExtraArgs={"ContentType": content_type}, Config=self._transfer
                )
        finally:
            path.unlink(missing_ok=True)

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            with _reachable():
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
            with _reachable():
                response = self.client.get_object(Bucket=self.bucket, Key=self.object_name(key))
        except Exception as exc:
            if _is_not_found(exc):
                raise BlobNotFound(key) from None
            raise
        body = response["Body"]
        try:
            with _reachable():  # mid-stream the response has begun; a background build still fails cleanly
                yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise BlobNotFound(key)
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        with _reachable():
            self.client.delete_object(Bucket=self.bucket, Key=self.object_name(key))

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def iter_blobs(self) -> Iterator[BlobInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in _pages(paginator.paginate(Bucket=self.bucket, Prefix=self.prefix)):
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
        for page in _pages(paginator.paginate(Bucket=self.bucket, Prefix=self.prefix)):
            for upload in page.get("Uploads", []):
                initiated = upload["Initiated"]
                if initiated.tzinfo is None:
                    initiated = initiated.replace(tzinfo=UTC)
                if initiated < cutoff:
                    stale.append(PartialUpload(key=upload["Key"], upload_id=upload["UploadId"], initiated=initiated))
        return stale

    def abort_partial_upload(self, upload: PartialUpload) -> None:
        with _reachable():
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload.key, UploadId=upload.upload_id)


# The store's own trouble (down, overloaded, too slow), as opposed to a refusal of this request (403, 404).
_UNAVAILABLE_CODES = {"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout", "503", "500"}


def is_unreachable(exc: BaseException) -> bool:
    """The object store cannot be reached or answers with a server error: worth trying again later. boto3's
    managed upload wraps the client error (S3UploadFailedError): the chain is followed."""
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            break
        if isinstance(seen, BotoConnectionError | HTTPClientError):  # refused, connect/read timeout, closed
            return True
        if isinstance(seen, ClientError):
            error = seen.response.get("Error", {})
            status = int(seen.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            return status >= 500 or str(error.get("Code", "")) in _UNAVAILABLE_CODES
        seen = seen.__cause__ or seen.__context__
    return False


@contextmanager
def _reachable() -> Iterator[None]:
    """Turn an unreachable store into StorageUnavailable (503, a Dutch message): the request wrote nothing."""
    try:
        yield
    except StorageUnavailable:
        raise
    except Exception as exc:
        if is_unreachable(exc):
            raise StorageUnavailable() from exc
        raise


def _pages(pages: Any) -> Iterator[dict[str, Any]]:
    iterator = iter(pages)
    while True:
        with _reachable():
            page = next(iterator, None)
        if page is None:
            return
        yield page


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

    # Short: with the store down a page answers 503 within seconds instead of hanging for a minute (boto3's
    # defaults: 60 s per connect and read, retried). A read waits for one part's answer (16 MiB sent).
    options: dict[str, Any] = {
        "retries": {"max_attempts": S3_ATTEMPTS, "mode": "standard"},
        "connect_timeout": S3_CONNECT_TIMEOUT,
        "read_timeout": S3_READ_TIMEOUT,
    }
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
