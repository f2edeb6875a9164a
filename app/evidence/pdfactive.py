"""Does a PDF carry active content (scripts, actions that run on opening)? Such a file is offered as a download only.

Checked on the raw bytes, by PDF name tokens: `/JS`, `/JavaScript`, `/OpenAction`, `/AA` (additional actions) and
`/Launch`, also when spelled with `#xx` escapes (`/J#61vaScript`). Dictionaries can also sit compressed inside
object streams (`/ObjStm`): those are inflated (bounded) and scanned too. Whatever cannot be looked into (another
filter, a broken or oversized stream, too large a file) counts as active: when in doubt, no inline preview.
"""

import re
import zlib
from collections.abc import Callable, Iterable, Iterator

from sqlmodel import Session

from app.evidence.models import Blob
from app.storage import BlobNotFound, Storage

ACTIVE_NAMES = frozenset({b"JS", b"JavaScript", b"OpenAction", b"AA", b"Launch"})
# A name is "/" and regular characters; whitespace and delimiters end it (PDF 32000-1, 7.2.2 and 7.3.5).
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_MAX_NAME = 256  # longer than any name PDF allows (127): the overlap between chunks
OBJSTM_FILE_LIMIT = 64 * 1024 * 1024  # object streams are unpacked only in files up to this size
OBJSTM_INFLATE_LIMIT = 64 * 1024 * 1024  # and to at most this much in all
_STREAM = re.compile(rb"stream\r?\n")
_PLAIN_OBJSTM_KEYS = frozenset({b"Type", b"ObjStm", b"N", b"First", b"Length", b"Extends", b"Filter", b"FlateDecode"})


def _decoded(name: bytes) -> bytes:
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)


def _names(data: bytes, *, complete: bool) -> Iterator[tuple[bytes, int]]:
    """Decoded names with their offsets; one that touches the end of an incomplete window is left for the next."""
    for match in _NAME.finditer(data):
        if not complete and match.end() >= len(data):
            continue
        yield _decoded(match.group(1)), match.start()


def _scan(chunks: Iterable[bytes]) -> tuple[bool, bool]:
    """(active name seen, object stream seen), reading chunk by chunk."""
    tail = b""
    objstm = False
    for chunk in chunks:
        window = tail + chunk
        for name, _ in _names(window, complete=False):
            if name in ACTIVE_NAMES:
                return True, objstm
            objstm = objstm or name == b"ObjStm"
        tail = window[-_MAX_NAME:]
    for name, _ in _names(tail, complete=True):
        if name in ACTIVE_NAMES:
            return True, objstm
        objstm = objstm or name == b"ObjStm"
    return False, objstm


def _object_streams_active(data: bytes) -> bool:
    budget = OBJSTM_INFLATE_LIMIT
    view = memoryview(data)  # slices without copying the rest of the file for every stream
    for name, at in _names(data, complete=True):
        if name != b"ObjStm":
            continue
        start = _STREAM.search(data, at)
        if start is None:
            return True
        header = data[data.rfind(b"obj", 0, at) + 1 : start.start()]
        filters = [n for n, _ in _names(header, complete=True)]
        if any(n not in _PLAIN_OBJSTM_KEYS for n in filters):
            return True  # another filter, a predictor (DecodeParms), something unexpected: cannot look inside
        if b"FlateDecode" in filters:
            try:
                body = zlib.decompressobj().decompress(view[start.end() :], budget + 1)
            except zlib.error:
                return True
            if len(body) > budget:
                return True
        else:
            end = data.find(b"endstream", start.end())
            body = data[start.end() : end if end >= 0 else len(data)]
        budget -= len(body)
        active, _ = _scan([body])
        if active:
            return True
    return False


def has_active_content(open_chunks: Callable[[], Iterable[bytes]], *, size: int) -> bool:
    """Whether the PDF (read through `open_chunks`, maybe twice) may run anything when opened."""
    active, objstm = _scan(open_chunks())
    if active or not objstm:
        return active
    if size > OBJSTM_FILE_LIMIT:
        return True
    return _object_streams_active(b"".join(open_chunks()))


def download_only(session: Session, *, storage: Storage, blob: Blob) -> bool:
    """Whether this file may only be downloaded, never previewed inline (a PDF with active content).

    Decided at upload and stored on the blob; a blob from before that (NULL) is scanned once here and the
    answer kept, so that a page never scans a file twice."""
    if blob.kind != "pdf":
        return False
    if blob.active_content is None and blob.removed_at is None:
        try:
            blob.active_content = has_active_content(lambda: storage.open_chunks(blob.key), size=blob.size)
        except BlobNotFound:
            # Bytes gone from the store: the page still shows (as a download that explains itself), nothing kept.
            return True
        session.add(blob)
        session.flush()
    return blob.active_content is not False
