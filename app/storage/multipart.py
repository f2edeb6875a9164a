"""Stream a multipart/form-data request body into spooled temp files, with limits enforced while reading.

Unlike `await request.form()`, nothing is buffered in memory beyond one received chunk, the per-file and
per-request limits stop a too-large upload as soon as it passes them, and on any failure (client gone,
limit, malformed body, cancellation) every temp file created so far is deleted before the error is raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import anyio.to_thread
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from app.i18n import N_
from app.storage.spool import FileTooLarge, Spool, SpooledFile, UploadError, display_name, human_size

__all__ = [
    "FileTooLarge",
    "MalformedUpload",
    "TooManyFiles",
    "UploadError",
    "UploadRefused",
    "read_multipart",
    "request_budget",
]

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

    from app.config import Settings

ENVELOPE_BYTES = 1 << 20  # room for form fields and multipart overhead on top of the files themselves
FLUSH_BYTES = 256 * 1024  # file data gathered in memory before it is written out (off the event loop)


class UploadRefused(UploadError):
    """Refused as a whole (too large in total, too many fields, not a form upload)."""

    status_code = 413
    default_message = N_("De upload is geweigerd.")

    def __init__(self, message: str | None = None, *, status_code: int | None = None) -> None:
        super().__init__(message)
        if status_code is not None:
            self.status_code = status_code


class MalformedUpload(UploadRefused):
    status_code = 400
    default_message = N_("Het formulier is niet goed ontvangen. Probeer het opnieuw.")


class TooManyFiles(UploadError):
    status_code = 413

    def __init__(self, limit: int) -> None:
        self.limit = limit
        noun = "bestand" if limit == 1 else "bestanden"
        super().__init__(f"U kunt maximaal {limit} {noun} tegelijk uploaden.")


def _too_large_message(max_files: int, max_file_bytes: int) -> str:
    noun = "bestand" if max_files == 1 else "bestanden"
    return f"De upload is te groot (maximaal {max_files} {noun} van elk {human_size(max_file_bytes)})."


def request_budget(settings: Settings) -> tuple[int, str]:
    """The most an upload request may carry with the configured limits, and what a larger one is told (the same as
    `read_multipart` says; app.bodylimit applies it before the route runs)."""
    max_files, max_file_bytes = settings.upload_max_files, settings.upload_max_bytes
    return max_files * max_file_bytes + ENVELOPE_BYTES, _too_large_message(max_files, max_file_bytes)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


@dataclass
class _Part:
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    name: str = ""
    filename: str | None = None  # None: a plain field
    content_type: str | None = None
    data: bytearray = field(default_factory=bytearray)
    spool: Spool | None = None
    size: int = 0


class _Reader:
    def __init__(
        self, *, spool_dir: Path, max_file_bytes: int, max_files: int, max_field_bytes: int, max_fields: int
    ) -> None:
        self.spool_dir = spool_dir
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.max_field_bytes = max_field_bytes
        self.max_fields = max_fields
        self.fields: dict[str, list[str]] = {}
        self.files: list[SpooledFile] = []
        self.spools: list[Spool] = []
        self.n_fields = 0
        self.part = _Part()
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.done = False
        # Disk work queued by the parser callbacks, done off the event loop after each received chunk.
        self.pending: list[tuple[Spool, bytes | None]] = []  # (spool, data) or (spool, None) = finish
        self.pending_bytes = 0
        self.pending_finish = False

    # -- parser callbacks (synchronous, called from parser.write) --

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers.append((bytes(self.header_name).lower().strip(), bytes(self.header_value).strip()))
        self.header_name.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        part = self.part
        disposition = next((v for k, v in part.headers if k == b"content-disposition"), None)
        if disposition is None:
            raise MalformedUpload()
        _, options = parse_options_header(disposition.decode("latin-1"))
        if b"name" not in options:
            raise MalformedUpload()
        part.name = _decode(options[b"name"])
        if b"filename" in options:
            part.filename = _decode(options[b"filename"])
            content_type = next((v for k, v in part.headers if k == b"content-type"), None)
            part.content_type = content_type.decode("latin-1") if content_type else None
        else:
            self.n_fields += 1
            if self.n_fields > self.max_fields:
                raise UploadRefused("Het formulier bevat te veel velden.")

    def _start_file(self) -> Spool:
        part = self.part
        if len(self.spools) >= self.max_files:
            raise TooManyFiles(self.max_files)
        spool = Spool(
            self.spool_dir,
            limit=self.max_file_bytes,
            original_name=part.filename or "",
            field_name=part.name,
            declared_content_type=part.content_type,
        )
        self.spools.append(spool)
        part.spool = spool
        return spool

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if end <= start:
            return
        part = self.part
        chunk = data[start:end]
        if part.filename is None:
            if len(part.data) + len(chunk) > self.max_field_bytes:
                raise UploadRefused(
                    f"Het veld {display_name(part.name)} is te lang (maximaal {human_size(self.max_field_bytes)})."
                )
            part.data += chunk
            return
        spool = part.spool or self._start_file()
        part.size += len(chunk)
        if part.size > self.max_file_bytes:
            raise FileTooLarge(self.max_file_bytes, part.filename)
        self.pending.append((spool, chunk))
        self.pending_bytes += len(chunk)

    def on_part_end(self) -> None:
        part = self.part
        if part.filename is None:
            if part.name != "_charset_":
                self.fields.setdefault(part.name, []).append(_decode(bytes(part.data)))
            return
        if part.spool is None:
            if part.filename == "":
                return  # an empty file input: browsers send a nameless, empty part
            self._start_file()  # an empty file with a name: kept, so the user hears it is empty
        assert part.spool is not None
        self.pending.append((part.spool, None))
        self.pending_finish = True

    def on_end(self) -> None:
        self.done = True

    # -- disk work --

    @property
    def should_flush(self) -> bool:
        return self.pending_finish or self.pending_bytes >= FLUSH_BYTES

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        self.pending_bytes = 0
        self.pending_finish = False
        for spool, data in pending:
            if data is None:
                self.files.append(spool.finish())
            else:
                spool.write(data)

    def cleanup(self) -> None:
        for spool in self.spools:
            spool.discard()
        for spooled in self.files:
            spooled.discard()
        self.pending.clear()

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_end": self.on_end,
        }


async def read_multipart(
    request: Request,
    *,
    spool_dir: Path,
    max_file_bytes: int,
    max_files: int,
    max_field_bytes: int = 64 * 1024,
    max_fields: int = 200,
) -> tuple[dict[str, list[str]], list[SpooledFile]]:
    """Read a multipart/form-data body: form fields as {name: [values]}, files as finished temp files.

    The caller owns the returned files: publish or `discard()` each of them. Raises `UploadError`
    subclasses (Dutch `message`), `starlette.requests.ClientDisconnect`, or whatever cancelled the read;
    in every such case no temp file of this request is left behind.
    """
    content_type = request.headers.get("content-type", "")
    ctype, params = parse_options_header(content_type)
    if ctype != b"multipart/form-data":
        raise UploadRefused("Verwacht een formulier met bestanden (multipart/form-data).", status_code=415)
    boundary = params.get(b"boundary")
    if not boundary:
        raise MalformedUpload()

    budget = max_files * max_file_bytes + ENVELOPE_BYTES
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise MalformedUpload() from None
        if length < 0:
            raise MalformedUpload()
        if length > budget:
            raise UploadRefused(_too_large_message(max_files, max_file_bytes))

    reader = _Reader(
        spool_dir=spool_dir,
        max_file_bytes=max_file_bytes,
        max_files=max_files,
        max_field_bytes=max_field_bytes,
        max_fields=max_fields,
    )
    received = 0
    try:
        parser = MultipartParser(boundary, reader.callbacks())
        async for chunk in request.stream():
            if not chunk:
                continue
            received += len(chunk)
            if received > budget:  # no or a false Content-Length: the same limit, counted
                raise UploadRefused(_too_large_message(max_files, max_file_bytes))
            if reader.done:
                continue  # anything after the closing boundary is read (within the budget) and ignored
            parser.write(chunk)
            if reader.should_flush:
                await anyio.to_thread.run_sync(reader.flush)
        parser.finalize()
        if not reader.done:
            raise MalformedUpload("Het formulier is niet volledig ontvangen. Probeer het opnieuw.")
        if reader.pending:
            await anyio.to_thread.run_sync(reader.flush)
    except BaseException as exc:
        reader.cleanup()
        if isinstance(exc, FormParserError):
            raise MalformedUpload() from exc
        raise
    return reader.fields, reader.files
