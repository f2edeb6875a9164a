"""A bewijsstuk's uploads: checked by content (`check_files`), then published to storage as blobs.

Files are published *before* their rows are written, so a row never points at a missing file; a crash in
between leaves at most an orphaned blob, which `portfolio storage check` removes.
"""

from collections.abc import Iterator, Sequence

from sqlmodel import Session

from app.evidence.filetypes import MIME_BY_KIND, display_name, inspect_file, safe_download_name
from app.evidence.forms import FieldErrors
from app.evidence.models import Blob
from app.evidence.pdfactive import has_active_content
from app.evidence.photolocation import LocationNotRemovable, remove_location
from app.storage import SpooledFile, Storage, new_key
from app.storage.metrics import UPLOAD_BYTES


def check_files(files: Sequence[SpooledFile]) -> list[tuple[SpooledFile, str, str]]:
    """Check every upload by content; refuse all with the reasons if one is not allowed.

    Returns (file, kind, content type); the type is ours, never what the browser declared. A photo comes back
    without its location (app.evidence.photolocation): the file, its size and hash are what will be stored."""
    verdicts = []
    reasons = []
    for spooled in files:
        verdict = inspect_file(spooled.path, original_name=spooled.original_name, head=spooled.head)
        if not verdict.accepted or verdict.kind is None:
            reasons.append(f"{display_name(spooled.original_name)}: {verdict.reason}")
            continue
        try:
            spooled = remove_location(spooled, verdict.kind)
        except LocationNotRemovable as refused:
            reasons.append(f"{display_name(spooled.original_name)}: {refused.reason}")
            continue
        verdicts.append((spooled, verdict.kind, verdict.mime or MIME_BY_KIND[verdict.kind]))
    if reasons:
        raise FieldErrors({"files": " ".join(reasons)})
    return verdicts


def _pdf_active(spooled: SpooledFile) -> bool:
    def chunks() -> Iterator[bytes]:
        with open(spooled.path, "rb") as f:
            while chunk := f.read(1 << 20):
                yield chunk

    return has_active_content(chunks, size=spooled.size)


def publish_files(
    session: Session, *, storage: Storage, student_id: int, files: Sequence[tuple[SpooledFile, str, str]]
) -> list[Blob]:
    blobs = []
    for spooled, kind, content_type in files:
        key = new_key()
        active = _pdf_active(spooled) if kind == "pdf" else None  # before publishing: that may move the file
        storage.publish(spooled.path, key=key, content_type=content_type)
        UPLOAD_BYTES.inc(spooled.size)
        blob = Blob(
            key=key,
            student_id=student_id,
            # Kept as sent, except NUL: PostgreSQL text cannot hold it (a hostile name would fail the insert).
            original_name=spooled.original_name.replace("\x00", "\ufffd")[:255],
            download_name=safe_download_name(spooled.original_name, kind),
            kind=kind,
            content_type=content_type,
            size=spooled.size,
            sha256=spooled.sha256,
            active_content=active,
        )
        session.add(blob)
        blobs.append(blob)
    session.flush()
    return blobs
