"""Write one upload to a private temp file while counting and hashing it; never the whole file in memory."""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from app.errors import DomainError
from app.i18n import N_
from app.storage.backends import TEMP_SUFFIX

HEAD_BYTES = 8 * 1024


class UploadError(DomainError):
    """An upload was refused; `message` is Dutch and safe to show."""

    status_code = 400
    default_message = N_("Het uploaden is mislukt.")


class FileTooLarge(UploadError):
    status_code = 413

    def __init__(self, limit: int, name: str | None = None) -> None:
        self.limit = limit
        self.name = display_name(name or "")
        subject = f"Het bestand {self.name}" if self.name else "Het bestand"
        super().__init__(f"{subject} is groter dan {human_size(limit)}.")


def human_size(n: int) -> str:
    """A size for people, Dutch style: 500 MB, 1,5 GB, 64 kB, 12 bytes (binary units, as file managers do)."""
    if n < 1024:
        return f"{n} bytes" if n != 1 else "1 byte"
    value = float(n)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text.replace('.', ',')} {unit}"


def display_name(name: str, limit: int = 80) -> str:
    """A user-supplied filename made harmless for a message: no control, format or bidi characters."""
    cleaned = "".join(
        " " if ch.isspace() else ch
        for ch in name
        if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Zl", "Zp"} or ch in "\t\n\r"
    )
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return cleaned


@dataclass(frozen=True)
class SpooledFile:
    """A finished upload in a temp file. `original_name` is exactly what the client sent: data, never a path."""

    path: Path
    size: int
    sha256: str
    original_name: str
    field_name: str
    declared_content_type: str | None
    head: bytes

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class Spool:
    """A temp file `*.part` in `directory` that counts, hashes and keeps the first 8 KiB of what is written.

    `write` raises FileTooLarge as soon as the size passes `limit` (the temp file is deleted first).
    As a context manager it discards itself on an exception, or when the block ends without `finish()`.
    """

    def __init__(
        self,
        directory: Path,
        *,
        limit: int,
        original_name: str = "",
        field_name: str = "",
        declared_content_type: str | None = None,
    ) -> None:
        if limit < 0:
            raise ValueError("limit must not be negative")
        self.limit = limit
        self.original_name = original_name
        self.field_name = field_name
        self.declared_content_type = declared_content_type
        self.size = 0
        self._hash = hashlib.sha256()
        self._head = bytearray()
        fd, name = tempfile.mkstemp(dir=directory, suffix=TEMP_SUFFIX)  # 0600, random name
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._finished: SpooledFile | None = None
        self._discarded = False

    @property
    def closed(self) -> bool:
        return self._discarded or self._finished is not None

    def write(self, chunk: bytes) -> None:
        if self.closed:
            raise ValueError("Spool is already finished or discarded")
        if not chunk:
            return
        if self.size + len(chunk) > self.limit:
            self.discard()
            raise FileTooLarge(self.limit, self.original_name)
        self.size += len(chunk)
        self._hash.update(chunk)
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
        self._file.write(chunk)

    def finish(self) -> SpooledFile:
        if self._finished is not None:
            return self._finished
        if self._discarded:
            raise ValueError("Spool was discarded")
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
        except BaseException:
            self.discard()
            raise
        self._finished = SpooledFile(
            path=self.path,
            size=self.size,
            sha256=self._hash.hexdigest(),
            original_name=self.original_name,
            field_name=self.field_name,
            declared_content_type=self.declared_content_type,
            head=bytes(self._head),
        )
        return self._finished

    def discard(self) -> None:
        """Close and delete the temp file (also after `finish()`); safe to call more than once."""
        self._discarded = True
        try:
            self._file.close()
        finally:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None or self._finished is None:
            self.discard()
