"""A HEIC/HEIF photo's metadata items, found through the ISOBMFF boxes: `meta` holds the item list (`iinf`)
and where each item's bytes are (`iloc`: in the file, or in the `idat` box). The `Exif` item (a 4-byte offset,
then the TIFF block) and the XMP item (`mime`, application/rdf+xml) are read, blanked in place
(app.evidence.exiftiff) and written back extent by extent. The pixels (`hvc1` items in `mdat`) are never read.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from app.evidence.exiftiff import LocationUnreadable
from app.evidence.photocontainers import MAX_METADATA, Found, blank_exif_payload, blank_xmp_payload

XMP_MIME = b"application/rdf+xml"


@dataclass
class _Item:
    kind: bytes
    content_type: bytes = b""
    method: int = 0
    extents: tuple[tuple[int, int], ...] = ()  # (offset, length)


class _Reader:
    def __init__(self, data: bytes, at: int = 0) -> None:
        self.data = data
        self.at = at

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise LocationUnreadable("HEIF box too short")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big") if size else 0

    def cstring(self) -> bytes:
        end = self.data.find(b"\x00", self.at)
        if end < 0:
            raise LocationUnreadable("HEIF string")
        text = self.data[self.at : end]
        self.at = end + 1
        return text


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, content start, content end) of the boxes between start and end of a box's content."""
    boxes = []
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            if at + 16 > end:
                raise LocationUnreadable("HEIF box")
            (size,) = struct.unpack_from(">Q", data, at + 8)
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            raise LocationUnreadable("HEIF box size")
        boxes.append((kind, at + header, at + size))
        at += size
    return boxes


def _top_level_meta(f: BinaryIO) -> tuple[bytes, int]:
    """The `meta` box's content and its file position, walking the top-level boxes by their headers."""
    f.seek(0, 2)
    file_size = f.tell()
    at = 0
    while at + 8 <= file_size:
        f.seek(at)
        size, kind = struct.unpack(">I4s", f.read(8))
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", f.read(8))
            header = 16
        elif size == 0:
            size = file_size - at
        if size < header:
            raise LocationUnreadable("HEIF box size")
        if kind == b"meta":
            if size - header > MAX_METADATA:
                raise LocationUnreadable("HEIF meta box too large")
            return f.read(size - header), at + header
        at += size
    raise LocationUnreadable("HEIF without meta box")


def _items(meta: bytes) -> tuple[dict[int, _Item], int | None]:
    """The items by id, and the position of the idat content within `meta`."""
    children = _boxes(meta, 4, len(meta))  # meta is a full box: version and flags first
    items: dict[int, _Item] = {}
    idat = next((start for kind, start, _ in children if kind == b"idat"), None)
    for kind, start, end in children:
        if kind == b"iinf":
            r = _Reader(meta, start)
            version = r.uint(1)
            r.take(3)
            r.uint(2 if version == 0 else 4)  # entry count: the infe boxes follow
            for child, c_start, c_end in _boxes(meta, r.at, end):
                if child == b"infe":
                    _item_info(_Reader(meta[:c_end], c_start), items)
    for kind, start, _ in children:
        if kind == b"iloc":
            _locations(_Reader(meta, start), items)
    return items, idat


def _item_info(r: _Reader, items: dict[int, _Item]) -> None:
    version = r.uint(1)
    r.take(3)
    if version < 2:
        return  # no item type: not metadata as HEIF writes it
    item_id = r.uint(2 if version == 2 else 4)
    r.uint(2)  # protection index
    item = _Item(kind=r.take(4))
    if item.kind == b"mime":
        r.cstring()  # item name
        item.content_type = r.cstring()
    items[item_id] = item


def _locations(r: _Reader, items: dict[int, _Item]) -> None:
    version = r.uint(1)
    r.take(3)
    sizes = r.uint(1)
    offset_size, length_size = sizes >> 4, sizes & 0x0F
    sizes = r.uint(1)
    base_offset_size, index_size = sizes >> 4, (sizes & 0x0F if version in (1, 2) else 0)
    count = r.uint(2 if version < 2 else 4)
    for _ in range(count):
        item_id = r.uint(2 if version < 2 else 4)
        method = r.uint(2) & 0x0F if version in (1, 2) else 0
        r.uint(2)  # data reference index
        base = r.uint(base_offset_size)
        extents = []
        for _ in range(r.uint(2)):
            r.uint(index_size)
            offset = r.uint(offset_size)
            extents.append((base + offset, r.uint(length_size)))
        if item_id in items:
            items[item_id].method = method
            items[item_id].extents = tuple(extents)


def strip_heif(f: BinaryIO) -> Found:
    found = Found()
    meta, meta_at = _top_level_meta(f)
    items, idat = _items(meta)
    for item in items.values():
        is_exif = item.kind == b"Exif"
        is_xmp = item.kind == b"mime" and item.content_type.split(b";")[0].strip() == XMP_MIME
        if not (is_exif or is_xmp):
            continue
        positions = _file_positions(item, meta_at, idat)
        data = bytearray()
        for position, length in positions:
            f.seek(position)
            chunk = f.read(length)
            if len(chunk) != length:
                raise LocationUnreadable("HEIF item outside the file")
            data += chunk
        if is_exif:
            if len(data) < 4:
                raise LocationUnreadable("HEIF Exif item")
            skip = 4 + int.from_bytes(data[:4], "big")
            payload = data[skip:]
            changed = blank_exif_payload(payload, found)
            data[skip:] = payload
        else:
            changed = blank_xmp_payload(data, found)
        if changed:
            at = 0
            for position, length in positions:
                f.seek(position)
                f.write(data[at : at + length])
                at += length
    return found


def _file_positions(item: _Item, meta_at: int, idat: int | None) -> list[tuple[int, int]]:
    if item.method == 0:
        base = 0
    elif item.method == 1 and idat is not None:
        base = meta_at + idat
    else:
        raise LocationUnreadable("HEIF item stored in a way we cannot rewrite")
    if not item.extents or any(length == 0 for _, length in item.extents):
        raise LocationUnreadable("HEIF item without a length")
    total = sum(length for _, length in item.extents)
    if total > MAX_METADATA:
        raise LocationUnreadable("HEIF metadata item too large")
    return [(base + offset, length) for offset, length in item.extents]
