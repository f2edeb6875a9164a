"""Where a photo keeps its metadata, walked without reading the pixels: JPEG segments, PNG chunks and WebP
(RIFF) chunks. Each walker reads only the headers and the metadata blocks (EXIF, XMP), blanks the location in
them in place (app.evidence.exiftiff) and writes back just those bytes; a PNG chunk also gets its new CRC.
HEIC lives in app.evidence.photoheif.

A walker returns a `Found`: whether it changed anything, and whether the file has EXIF or XMP at all.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from app.evidence.exiftiff import LocationUnreadable, blank_gps, blank_xmp_location, gps_entry_count, has_xmp_location

EXIF_HEADER = b"Exif\x00\x00"
XMP_NS = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXTENSION_NS = b"http://ns.adobe.com/xmp/extension/\x00"
MAX_METADATA = 16 * 1024 * 1024  # one metadata block; a photo's EXIF is at most 64 KiB in a JPEG


@dataclass
class Found:
    changed: bool = False
    metadata: bool = False


def _read_exactly(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise EOFError
    return data


def _write_at(f: BinaryIO, at: int, data: bytes | bytearray) -> None:
    position = f.tell()
    f.seek(at)
    f.write(data)
    f.seek(position)


def blank_exif_payload(payload: bytearray, found: Found) -> bool:
    """An EXIF payload, with or without the "Exif\\0\\0" header: its GPS blanked in place."""
    found.metadata = True
    skip = len(EXIF_HEADER) if payload.startswith(EXIF_HEADER) else 0
    tiff = payload[skip:]
    if not blank_gps(tiff):
        return False
    payload[skip:] = tiff
    found.changed = True
    return True


def blank_xmp_payload(packet: bytearray, found: Found) -> bool:
    found.metadata = True
    if blank_xmp_location(packet):
        found.changed = True
        return True
    return False


# --- JPEG --------------------------------------------------------------------------------------------------


def strip_jpeg(f: BinaryIO) -> Found:
    """Segments from SOI up to the first scan (SOS): metadata never follows it. Extended XMP is walked as one
    text across its segments, so a property split between two segments is found too."""
    found = Found()
    if f.read(2) != b"\xff\xd8":
        raise LocationUnreadable("not a JPEG")
    extended: list[tuple[int, bytearray]] = []  # (file position of the chunk's data, data)
    try:
        while True:
            marker = _read_exactly(f, 2)
            while marker[0] == 0xFF and marker[1] == 0xFF:  # fill bytes
                marker = marker[1:] + _read_exactly(f, 1)
            if marker[0] != 0xFF:
                raise LocationUnreadable("JPEG segment structure")
            code = marker[1]
            if code == 0x01 or 0xD0 <= code <= 0xD7:
                continue
            if code in (0xD9, 0xDA):  # end of image, start of scan
                break
            (length,) = struct.unpack(">H", _read_exactly(f, 2))
            if length < 2:
                raise LocationUnreadable("JPEG segment length")
            start = f.tell()
            if code != 0xE1:
                f.seek(start + length - 2)
                continue
            payload = bytearray(_read_exactly(f, length - 2))
            if payload.startswith(EXIF_HEADER):
                if blank_exif_payload(payload, found):
                    _write_at(f, start, payload)
            elif payload.startswith(XMP_NS):
                if blank_xmp_payload(payload, found):
                    _write_at(f, start, payload)
            elif payload.startswith(XMP_EXTENSION_NS):
                skip = len(XMP_EXTENSION_NS) + 32 + 8  # GUID, full length, offset
                extended.append((start + skip, payload[skip:]))
    except EOFError:
        pass  # a truncated file: everything there was has been seen
    if extended:
        _blank_extended_xmp(f, extended, found)
    return found


def _blank_extended_xmp(f: BinaryIO, chunks: list[tuple[int, bytearray]], found: Found) -> None:
    whole = bytearray(b"".join(data for _, data in chunks))
    if not blank_xmp_payload(whole, found):
        return
    at = 0
    for position, data in chunks:
        _write_at(f, position, whole[at : at + len(data)])
        at += len(data)


# --- PNG ---------------------------------------------------------------------------------------------------

_XMP_KEYWORD = b"XML:com.adobe.xmp"
_RAW_PROFILES = (b"Raw profile type exif", b"Raw profile type APP1", b"Raw profile type xmp")


def strip_png(f: BinaryIO) -> Found:
    """eXIf and uncompressed XMP (iTXt) are blanked and get a new CRC. Compressed XMP and ImageMagick's hex
    "Raw profile" text chunks are only read: a location in them is refused (we cannot blank it in place)."""
    found = Found()
    if f.read(8) != b"\x89PNG\r\n\x1a\n":
        raise LocationUnreadable("not a PNG")
    try:
        while True:
            length, kind = struct.unpack(">I4s", _read_exactly(f, 8))
            start = f.tell()
            if kind == b"IEND":
                break
            if kind not in (b"eXIf", b"iTXt", b"tEXt", b"zTXt"):
                f.seek(start + length + 4)
                continue
            if length > MAX_METADATA:
                raise LocationUnreadable("metadata chunk too large")
            data = bytearray(_read_exactly(f, length))
            f.seek(4, 1)  # CRC
            if _png_chunk(kind, data, found):
                _write_at(f, start, data)
                _write_at(f, start + length, struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    except EOFError:
        pass
    return found


def _png_chunk(kind: bytes, data: bytearray, found: Found) -> bool:
    """Blank one metadata chunk in place; True if it changed."""
    if kind == b"eXIf":
        return blank_exif_payload(data, found)
    keyword, _, rest = bytes(data).partition(b"\x00")
    if kind == b"iTXt" and keyword == _XMP_KEYWORD:
        if len(rest) < 2:
            raise LocationUnreadable("iTXt chunk")
        text_at = len(keyword) + 3
        for _ in range(2):  # language tag, translated keyword
            end = data.find(b"\x00", text_at)
            if end < 0:
                raise LocationUnreadable("iTXt chunk")
            text_at = end + 1
        if rest[0] == 0:
            packet = data[text_at:]
            if blank_xmp_payload(packet, found):
                data[text_at:] = packet
                return True
            return False
        _refuse_located(_inflate(bytes(data[text_at:])), xmp=True, found=found)
    elif keyword in _RAW_PROFILES or keyword == _XMP_KEYWORD:
        text = _inflate(rest[1:]) if kind == b"zTXt" else rest
        if keyword == b"Raw profile type xmp" or keyword == _XMP_KEYWORD:
            _refuse_located(_raw_profile(text) if keyword != _XMP_KEYWORD else text, xmp=True, found=found)
        else:
            _refuse_located(_raw_profile(text), xmp=False, found=found)
    return False


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(data, MAX_METADATA)
    except zlib.error:
        raise LocationUnreadable("compressed text chunk") from None
    if inflater.unconsumed_tail:
        raise LocationUnreadable("compressed text chunk too large")
    return text


def _raw_profile(text: bytes) -> bytes:
    """ImageMagick's "Raw profile": a name line, a length line, then hex."""
    lines = text.strip().split(b"\n")
    try:
        return bytes.fromhex(b"".join(lines[2:]).decode("ascii"))
    except ValueError:
        raise LocationUnreadable("raw profile") from None


def _refuse_located(payload: bytes, *, xmp: bool, found: Found) -> None:
    found.metadata = True
    if xmp:
        located = has_xmp_location(payload)
    else:
        payload = payload[len(EXIF_HEADER) :] if payload.startswith(EXIF_HEADER) else payload
        located = gps_entry_count(payload) > 0
    if located:
        raise LocationUnreadable("location in a compressed or hex text chunk")


# --- WebP --------------------------------------------------------------------------------------------------


def strip_webp(f: BinaryIO) -> Found:
    found = Found()
    header = f.read(12)
    if len(header) != 12 or header[:4] != b"RIFF" or header[8:] != b"WEBP":
        raise LocationUnreadable("not a WebP")
    try:
        while True:
            kind, length = struct.unpack("<4sI", _read_exactly(f, 8))
            start = f.tell()
            if kind in (b"EXIF", b"XMP "):
                if length > MAX_METADATA:
                    raise LocationUnreadable("metadata chunk too large")
                data = bytearray(_read_exactly(f, length))
                blank = blank_exif_payload if kind == b"EXIF" else blank_xmp_payload
                if blank(data, found):
                    _write_at(f, start, data)
            f.seek(start + length + (length & 1))
    except EOFError:
        pass
    return found
