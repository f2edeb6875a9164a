"""Which uploaded files are allowed: decided by CONTENT (an allowlist), never by the name or declared type.

`inspect_file` recognises the format from its structure (magic bytes, container layout) and cross-checks
with libmagic (python-magic); anything not on the allowlist (`app.evidence.filekinds`) is refused with a Dutch
reason that names what the file was recognised as. Zip-based formats are opened only within limits (no zip
bombs), Office files with macros are refused, and so is the EICAR antivirus test string.
"""

from __future__ import annotations

import codecs
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import magic

from app.evidence.filekinds import (
    AVIF_BRANDS,
    DANGEROUS_MIMES,
    EICAR,
    HEAD_BYTES,
    HEIC_BRANDS,
    INLINE_KINDS,
    LABEL_BY_KIND,
    LABEL_BY_MIME,
    M4A_BRANDS,
    MAGIC_AGREES,
    MARKUP_MARKERS,
    MAX_ZIP_ENTRIES,
    MAX_ZIP_RATIO,
    MAX_ZIP_TOTAL,
    MIME_BY_KIND,
    MP4_BRANDS,
    ODF_KINDS,
    OOXML_MAIN_PART,
    SCAN_CHUNK,
    ZIP_RATIO_MIN_SIZE,
)

_MIME_TOKEN = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
_LEADING_TAG = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*<[a-zA-Z!?/]")
# Control characters that do not belong in text (tab, LF, CR and form feed do).
_BAD_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class FileVerdict:
    accepted: bool
    kind: str | None  # one of KINDS when accepted
    mime: str | None  # accepted: the canonical type to store and serve; refused: what libmagic said
    reason: str | None  # Dutch, when refused
    inline_ok: bool  # may be shown inline (images and PDF); everything else is served as a download
    detected: str | None = None  # Dutch label of what the content was recognised as


class _Refused(Exception):
    def __init__(self, reason: str, detected: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detected = detected


def _not_allowed(label: str) -> _Refused:
    return _Refused(f"Dit bestandstype is niet toegestaan (herkend als {label}).", label)


def _zip_bomb() -> _Refused:
    return _Refused("Het bestand is uitgepakt te groot (mogelijk een zip-bom).", "ZIP-archief")


def _macros(label: str) -> _Refused:
    return _Refused(
        f"Het bestand bevat macro's (herkend als {label} met macro's); die zijn niet toegestaan. "
        "Sla het op zonder macro's en upload het opnieuw.",
        f"{label} met macro's",
    )


def _label_for_mime(mime: str | None) -> str:
    if not mime:
        return "onbekend bestandstype"
    return LABEL_BY_MIME.get(mime, mime)


def _libmagic_mime(path: Path) -> str | None:
    try:
        mime = magic.from_file(str(path), mime=True)
    except Exception:  # libmagic could not read it: decided by our own checks alone
        return None
    # Usually "type/subtype", sometimes with extra words ("application/x-executable, no program header").
    match = _MIME_TOKEN.match(str(mime).strip().lower())
    return match.group(0) if match else None


def _read_at(path: Path, offset: int, n: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(n)


def contains_eicar(path: Path, chunk_size: int = SCAN_CHUNK) -> bool:
    """Whether the EICAR test string occurs anywhere, read in chunks with overlap (never the whole file)."""
    overlap = len(EICAR) - 1
    tail = b""
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            window = tail + chunk
            if EICAR in window:
                return True
            tail = window[-overlap:]
    return False


def inspect_file(path: Path, *, original_name: str, head: bytes | None = None) -> FileVerdict:
    """Decide by content whether an uploaded file is allowed. `original_name` is never used to decide.

    `head` may be the first bytes already read while spooling (saves a read)."""
    del original_name  # deliberately unused: the name says nothing about the content
    path = Path(path)
    mime: str | None = None
    try:
        size = path.stat().st_size
        if size == 0:
            raise _Refused("Het bestand is leeg.", "leeg bestand")
        if head is None or len(head) < min(size, HEAD_BYTES):
            head = _read_at(path, 0, HEAD_BYTES)
        head = head[:HEAD_BYTES]
        if contains_eicar(path):
            raise _Refused("Het bestand bevat een virus-testhandtekening (EICAR).", "EICAR-testbestand")
        mime = _libmagic_mime(path)
        kind = _classify(path, head, mime)
    except _Refused as refused:
        return FileVerdict(
            accepted=False, kind=None, mime=mime, reason=refused.reason, inline_ok=False, detected=refused.detected
        )
    served_mime = MIME_BY_KIND["text"]
    if kind == "text-cp1252":  # still kind "text"; only the charset differs
        kind, served_mime = "text", "text/plain; charset=windows-1252"
    elif kind != "text":
        served_mime = MIME_BY_KIND[kind]
    return FileVerdict(
        accepted=True,
        kind=kind,
        mime=served_mime,
        reason=None,
        inline_ok=kind in INLINE_KINDS,
        detected=LABEL_BY_KIND[kind],
    )


def _classify(path: Path, head: bytes, mime: str | None) -> str:
    kind = _binary_kind(path, head, mime)
    if kind is None:
        return _text_kind(path, head, mime)
    if mime in DANGEROUS_MIMES:
        raise _not_allowed(_label_for_mime(mime))
    agrees = MAGIC_AGREES.get(kind)
    if agrees is not None and mime is not None and mime not in agrees and mime != "application/octet-stream":
        raise _not_allowed(_label_for_mime(mime))
    return kind


def _binary_kind(path: Path, head: bytes, mime: str | None) -> str | None:
    """The allowed kind for a recognised binary format; raises for a recognised refused one; None: maybe text."""
    if head.startswith(b"\x7fELF"):
        raise _not_allowed("uitvoerbaar programma (ELF)")
    if head.startswith(b"MZ") and (b"\x00" in head[:64] or mime in DANGEROUS_MIMES):
        raise _not_allowed("uitvoerbaar programma (Windows)")
    if head[:4] in {b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"}:
        raise _not_allowed("uitvoerbaar programma (Mach-O)")
    if head.startswith(b"\xca\xfe\xba\xbe"):
        raise _not_allowed("uitvoerbaar programma (Mach-O of Java)")
    if head.startswith((b"GIF87a", b"GIF89a")):
        raise _not_allowed("GIF-afbeelding")
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _not_allowed(LABEL_BY_MIME.get(mime or "", "Office 97-2003-bestand (OLE)"))
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        if head[12:16] != b"IHDR":
            raise _Refused("Het bestand is beschadigd of onvolledig (herkend als PNG-afbeelding).", "PNG-afbeelding")
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        if head[12:16] not in {b"VP8 ", b"VP8L", b"VP8X"}:
            raise _Refused("Het bestand is beschadigd of onvolledig (herkend als WebP-afbeelding).", "WebP-afbeelding")
        return "webp"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] == b"ftyp":
        return _isobmff_kind(head, mime)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        doc_area = head[:64]
        if b"webm" in doc_area:
            return "webm"
        raise _not_allowed("Matroska-video (MKV)" if b"matroska" in doc_area else _label_for_mime(mime))
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if head.startswith((b"PK\x05\x06", b"PK\x07\x08")):
        raise _not_allowed("ZIP-archief")
    if _is_mp3(path, head, mime):
        return "mp3"
    if b"\x00" in head:
        raise _not_allowed(_binary_label(head, mime))
    return None


def _binary_label(head: bytes, mime: str | None) -> str:
    """What to call unrecognised content with NUL bytes (never "text", though libmagic may say so)."""
    if mime and mime != "application/octet-stream":
        if mime in LABEL_BY_MIME:
            return LABEL_BY_MIME[mime]
        if not mime.startswith("text/"):
            return mime
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16-tekst (sla op als UTF-8)"
    return "onbekende binaire gegevens"


def _isobmff_kind(head: bytes, mime: str | None) -> str:
    box_size = struct.unpack(">I", head[:4])[0]
    end = min(max(box_size, 16), len(head), 4096)
    major = head[8:12]
    brands = {major} | {head[i : i + 4] for i in range(16, end - 3, 4)}
    if major in AVIF_BRANDS or (brands & AVIF_BRANDS and not brands & (HEIC_BRANDS - {b"mif1", b"msf1"})):
        raise _not_allowed("AVIF-afbeelding")
    if major in HEIC_BRANDS:
        return "heic"
    if major == b"qt  ":
        return "mov"
    if major in M4A_BRANDS:
        return "m4a"
    if major.startswith((b"3gp", b"3g2")):
        raise _not_allowed("3GP-video")
    if major in MP4_BRANDS or brands & MP4_BRANDS:
        return "mp4"
    raise _not_allowed(_label_for_mime(mime) if mime and mime != "application/octet-stream" else "ISO-mediabestand")


def _mp3_frame_ok(header: bytes) -> bool:
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return False
    layer = (header[1] >> 1) & 0x03
    version = (header[1] >> 3) & 0x03
    bitrate = header[2] >> 4
    sample_rate = (header[2] >> 2) & 0x03
    return layer == 0x01 and version != 0x01 and bitrate not in (0x0, 0xF) and sample_rate != 0x03


def _is_mp3(path: Path, head: bytes, mime: str | None) -> bool:
    if head.startswith(b"ID3") and len(head) >= 10:
        size_bytes = head[6:10]
        if any(b & 0x80 for b in size_bytes):
            return False
        tag_size = (size_bytes[0] << 21) | (size_bytes[1] << 14) | (size_bytes[2] << 7) | size_bytes[3]
        offset = 10 + tag_size + (10 if head[5] & 0x10 else 0)
        return _mp3_frame_ok(_read_at(path, offset, 4)) or mime == "audio/mpeg"
    return _mp3_frame_ok(head[:4]) and mime == "audio/mpeg"


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if not infos:
                raise _not_allowed("leeg ZIP-archief")
            if len(infos) > MAX_ZIP_ENTRIES:
                raise _zip_bomb()
            total = 0
            for info in infos:
                total += info.file_size
                if total > MAX_ZIP_TOTAL:
                    raise _zip_bomb()
                if info.file_size > ZIP_RATIO_MIN_SIZE and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
                    raise _zip_bomb()
                if info.flag_bits & 0x1:
                    raise _not_allowed("versleuteld ZIP-archief")
            names = {info.filename for info in infos}
            first = infos[0]
            if first.filename == "mimetype":
                return _odf_kind(zf, first, names)
            if "[Content_Types].xml" in names:
                return _ooxml_kind(zf, names)
            if "mimetype" in names:
                raise _not_allowed("ongeldig OpenDocument-bestand")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError):
        raise _Refused(
            "Het bestand is beschadigd of onvolledig (herkend als ZIP-archief).", "beschadigd ZIP-archief"
        ) from None
    raise _not_allowed("ZIP-archief")


def _odf_kind(zf: zipfile.ZipFile, first: zipfile.ZipInfo, names: set[str]) -> str:
    if first.compress_type != zipfile.ZIP_STORED or first.header_offset != 0 or first.file_size > 200:
        raise _not_allowed("ongeldig OpenDocument-bestand")
    kind = ODF_KINDS.get(zf.read(first).strip())
    if kind is None or "content.xml" not in names:
        raise _not_allowed(
            "OpenDocument-bestand van een ander soort" if kind is None else "ongeldig OpenDocument-bestand"
        )
    if any(name.startswith(("Basic/", "Scripts/")) for name in names):
        raise _macros(LABEL_BY_KIND[kind])
    return kind


def _ooxml_kind(zf: zipfile.ZipFile, names: set[str]) -> str:
    kind = next((k for part, k in OOXML_MAIN_PART.items() if part in names), None)
    label = LABEL_BY_KIND[kind] if kind else "Office-bestand"
    lowered = {name.lower() for name in names}
    if any(name.endswith(("vbaproject.bin", "vbadata.xml")) for name in lowered):
        raise _macros(label)
    with zf.open("[Content_Types].xml") as f:
        content_types = f.read(1024 * 1024).lower()
    if b"macroenabled" in content_types or b"vbaproject" in content_types:
        raise _macros(label)
    if kind is None:
        raise _not_allowed("Office-bestand van een ander soort (zoals .xlsb) of ZIP-archief")
    return kind


def _text_kind(path: Path, head: bytes, mime: str | None) -> str:
    lowered = head.lower()
    if lowered.startswith(b"#!"):
        raise _not_allowed("script (#!)")
    for marker, label in MARKUP_MARKERS:
        if marker in lowered:
            raise _not_allowed(label)
    if _LEADING_TAG.match(head):
        raise _not_allowed(
            "XML" if mime in {None, "text/plain", "text/xml", "application/xml"} else _label_for_mime(mime)
        )
    if lowered.startswith(b"{\\rtf"):
        raise _not_allowed("RTF-document")
    if mime in DANGEROUS_MIMES or (mime is not None and not _text_mime_ok(mime)):
        raise _not_allowed(_label_for_mime(mime))
    encoding = _clean_text_encoding(path)
    if encoding is None:
        raise _not_allowed(_label_for_mime(mime) if mime and not mime.startswith("text/") else "binaire gegevens")
    return "text" if encoding == "utf-8-sig" else "text-cp1252"


def _text_mime_ok(mime: str) -> bool:
    if mime.startswith("text/"):
        return True
    # libmagic calls some plain text by a more specific name; all fine to serve as text/plain.
    return mime in {"application/json", "application/csv", "application/x-ndjson", "application/x-wine-extension-ini"}


def _clean_text_encoding(path: Path) -> str | None:
    """The encoding ("utf-8-sig" or "cp1252") if the whole file is valid text in it without NUL or other
    control characters (checked streamed); None if it is not text."""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            with open(path, "rb") as f:
                while chunk := f.read(SCAN_CHUNK):
                    if not _text_chars_ok(decoder.decode(chunk)):
                        return None
                if not _text_chars_ok(decoder.decode(b"", final=True)):
                    return None
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def _text_chars_ok(text: str) -> bool:
    return _BAD_CONTROLS.search(text) is None
