"""Location data in a photo's metadata, blanked in place: the GPS part of an EXIF (TIFF) block, and GPS or
address properties in an XMP packet. Nothing moves and nothing changes length, so the file around the block
stays valid and the pixels, the orientation and all other metadata stay exactly as they were.

- `blank_gps(tiff)`: the GPS IFD (EXIF tag 0x8825) of a TIFF structure in either byte order: its entries and
  the values they point to become zero bytes, which leaves a valid, empty IFD behind the pointer.
- `blank_xmp_location(packet)`: `exif:GPS…` (any prefix, any `GPS…`/`Gps…` name) and the IPTC/Photoshop
  location fields, as attributes or elements, become spaces.

Both work on a `bytearray` and say whether they changed anything; what they cannot read safely raises
`LocationUnreadable` (the upload is then refused: app.evidence.photolocation).
"""

from __future__ import annotations

import re
import struct

GPS_IFD = 0x8825
ORIENTATION = 0x0112
# Bytes per value of each TIFF field type (EXIF uses 1-13; 13 is an IFD offset).
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_MAX_IFD_ENTRIES = 1000


class LocationUnreadable(Exception):
    """The metadata that may hold a location is damaged or laid out in a way we cannot blank safely."""


class _Tiff:
    def __init__(self, data: bytearray) -> None:
        if len(data) < 8 or bytes(data[:2]) not in (b"II", b"MM"):
            raise LocationUnreadable("no TIFF header")
        self.data = data
        self.order = "<" if data[:2] == b"II" else ">"
        if self.u16(2) != 42:
            raise LocationUnreadable("not TIFF (magic)")

    def u16(self, at: int) -> int:
        self.need(at, 2)
        return int(struct.unpack_from(self.order + "H", self.data, at)[0])

    def u32(self, at: int) -> int:
        self.need(at, 4)
        return int(struct.unpack_from(self.order + "I", self.data, at)[0])

    def need(self, at: int, n: int) -> None:
        if at < 0 or at + n > len(self.data):
            raise LocationUnreadable("offset outside the EXIF block")

    def entries(self, ifd: int) -> list[int]:
        """The positions of an IFD's 12-byte entries."""
        count = self.u16(ifd)
        if count > _MAX_IFD_ENTRIES:
            raise LocationUnreadable("implausible IFD")
        self.need(ifd + 2, 12 * count)
        return [ifd + 2 + 12 * i for i in range(count)]

    def top_ifds(self) -> list[int]:
        """IFD0 and the IFDs chained after it (IFD1: the thumbnail), at most a few."""
        found: list[int] = []
        at = self.u32(4)
        while at and len(found) < 4 and at not in found:
            found.append(at)
            end = at + 2 + 12 * self.u16(at)
            at = self.u32(end) if end + 4 <= len(self.data) else 0
        return found

    def gps_ifds(self) -> list[tuple[int, int]]:
        """(entry position of the GPS pointer, GPS IFD offset) in the top-level IFDs."""
        pointers = []
        for ifd in self.top_ifds():
            for entry in self.entries(ifd):
                if self.u16(entry) == GPS_IFD:
                    if self.u16(entry + 2) not in (4, 13) or self.u32(entry + 4) != 1:
                        raise LocationUnreadable("odd GPS pointer")
                    pointers.append((entry, self.u32(entry + 8)))
        return pointers


def gps_entry_count(tiff: bytes | bytearray) -> int:
    """How many entries the GPS IFDs of this TIFF block hold (0: no location left)."""
    t = _Tiff(bytearray(tiff))
    return sum(len(t.entries(offset)) for _, offset in t.gps_ifds())


def blank_gps(tiff: bytearray) -> bool:
    """Zero the GPS IFD's entries and their out-of-line values, in place. True if anything changed."""
    t = _Tiff(tiff)
    changed = False
    for _, offset in t.gps_ifds():
        entries = t.entries(offset)
        if not entries:
            continue
        spans = []
        for entry in entries:
            size = _TYPE_SIZES.get(t.u16(entry + 2))
            if size is None:
                raise LocationUnreadable("unknown field type in the GPS IFD")
            length = size * t.u32(entry + 4)
            if length > 4:
                value_at = t.u32(entry + 8)
                t.need(value_at, length)
                spans.append((value_at, length))
        end = offset + 2 + 12 * len(entries)
        spans.append((offset, end - offset + (4 if end + 4 <= len(tiff) else 0)))  # entries and next-IFD link
        for start, length in spans:
            tiff[start : start + length] = bytes(length)
        changed = True
    return changed


# --- XMP ---------------------------------------------------------------------------------------------------

# Property names that hold a place: every GPS… property (exif:, exifEX:, drone makers' Gps…), and the IPTC and
# Photoshop location fields (which may hold a street address).
_PLACE = (
    rb"(?:[Gg][Pp][Ss][\w.-]{0,40}|Location(?:Created|Shown)?|City|State|ProvinceState"
    rb"|Country|CountryCode|CountryName|Sublocation|WorldRegion)"
)
_PREFIX = rb"[A-Za-z][\w.-]{0,40}:"
_PLACE_NAME = rb"(?:" + _PREFIX + rb")?" + _PLACE
_ATTRIBUTE = re.compile(rb"(?<=\s)" + _PLACE_NAME + rb"\s*=\s*(?:\"[^\"]*\"|'[^']*')")
_EMPTY_ELEMENT = re.compile(rb"<(" + _PLACE_NAME + rb")(?=[\s/>])[^<>]*/>")
_ELEMENT = re.compile(rb"<(" + _PLACE_NAME + rb")(?=[\s>])[^<>]*>.*?</\1\s*>", re.DOTALL)
_LEFTOVER = re.compile(rb"<" + _PLACE_NAME + rb"[\s/>]|\s" + _PLACE_NAME + rb"\s*=")
# A place property anywhere in a file, with its namespace prefix (so that compressed pixels never look like one).
XMP_PLACE_ANYWHERE = re.compile(
    rb"<" + _PREFIX + _PLACE + rb"[\s/>]|\s" + _PREFIX + _PLACE + rb"\s{0,20}=\s{0,20}[\"']"
)
XMP_PLACE_MAX_LENGTH = 200  # the longest text XMP_PLACE_ANYWHERE can match


def blank_xmp_location(packet: bytearray) -> bool:
    """Replace place properties in an XMP packet with spaces (same length). True if anything changed.

    Raises LocationUnreadable when a place property is still there in a form we did not recognise (say an
    element that is never closed)."""
    changed = False
    for pattern in (_ELEMENT, _EMPTY_ELEMENT, _ATTRIBUTE):
        for match in list(pattern.finditer(packet)):
            start, end = match.span()
            packet[start:end] = b" " * (end - start)
            changed = True
    if has_xmp_location(packet):
        raise LocationUnreadable("place property left in XMP")
    return changed


def has_xmp_location(packet: bytes | bytearray) -> bool:
    return _LEFTOVER.search(packet) is not None
