"""Photos lose their location before they are stored (#21): a client's home address can hide in a photo's GPS
tag, and evidence about clients with a work disability is special personal data.

`remove_location(spooled, kind)` runs on an upload that the content checks accepted as JPEG, PNG, WebP or HEIC,
in its temp file, before it is hashed for storage. The location is removed LOSSLESSLY and in place: the GPS
part of the EXIF block and GPS/address properties in XMP become zero bytes or spaces of the same length
(app.evidence.photocontainers, app.evidence.photoheif, app.evidence.exiftiff). Nothing is re-encoded: the
pixels, the orientation and all other metadata stay as they were, and a photo without a location is stored
byte for byte as it was sent. Only the metadata blocks are read, never the pixels.

Afterwards the result is checked: walking it again finds nothing left to blank, Pillow (with pillow-heif for
HEIC) still opens it with the same size and orientation and finds no GPS, and no XMP place property is left
anywhere in the file (not even in a block the walk did not recognise). If the location
cannot be removed safely, the upload is refused with `LOCATION_REFUSAL` and nothing is stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pillow_heif
from PIL import Image

from app.evidence.exiftiff import (
    GPS_IFD,
    ORIENTATION,
    XMP_PLACE_ANYWHERE,
    XMP_PLACE_MAX_LENGTH,
    LocationUnreadable,
)
from app.evidence.photocontainers import Found, strip_jpeg, strip_png, strip_webp
from app.evidence.photoheif import strip_heif
from app.storage import SpooledFile
from app.storage.spool import HEAD_BYTES

LOCATION_REFUSAL = (
    "Deze foto bevat locatiegegevens die we niet veilig kunnen verwijderen. "
    "Verwijder de locatie op uw telefoon en probeer het opnieuw."
)

WALKERS: dict[str, Callable[[BinaryIO], Found]] = {
    "jpeg": strip_jpeg,
    "png": strip_png,
    "webp": strip_webp,
    "heic": strip_heif,
}
PHOTO_KINDS = frozenset(WALKERS)

pillow_heif.register_heif_opener()


class LocationNotRemovable(Exception):
    """The photo's location could not be removed safely; `reason` is Dutch and safe to show."""

    reason = LOCATION_REFUSAL


@dataclasses.dataclass(frozen=True)
class _Look:
    """What Pillow sees without decoding the pixels."""

    size: tuple[int, int]
    orientation: int | None
    gps: bool


def _look(path: Path, kind: str) -> _Look | None:
    """None: Pillow cannot open it (our own walk is then all there is to go on)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a decompression-bomb warning: we never decode the pixels here
            with Image.open(path) as image:
                if kind == "png" and "exif" not in image.info:
                    # Pillow would decode the whole image to look for an eXIf after the pixels; our walk
                    # has read every chunk already.
                    return _Look(image.size, None, False)
                exif = image.getexif()
                return _Look(image.size, exif.get(ORIENTATION), bool(exif.get_ifd(GPS_IFD)))
    except Exception:
        return None


def _walk(path: Path, kind: str) -> Found:
    try:
        with open(path, "r+b") as f:
            return WALKERS[kind](f)
    except LocationUnreadable:
        raise LocationNotRemovable from None


def remove_location(spooled: SpooledFile, kind: str) -> SpooledFile:
    """The upload with its location removed in place (a new hash and head), or unchanged if it had none.

    Raises LocationNotRemovable when a location is there but cannot be removed, or the result fails the check.
    """
    if kind not in WALKERS:
        return spooled
    before = _look(spooled.path, kind)
    found = _walk(spooled.path, kind)
    if not found.changed:
        if before is not None and before.gps:  # Pillow sees a location our walk did not find
            raise LocationNotRemovable
        if _place_text_anywhere(spooled.path):  # XMP our walk did not find (a damaged or unusual block)
            raise LocationNotRemovable
        return spooled
    after = _look(spooled.path, kind)
    if _walk(spooled.path, kind).changed:  # a second pass must find nothing left
        raise LocationNotRemovable
    if before is None or after is None or after.gps:
        raise LocationNotRemovable
    if (after.size, after.orientation) != (before.size, before.orientation):
        raise LocationNotRemovable
    if _place_text_anywhere(spooled.path):
        raise LocationNotRemovable
    return _rehashed(spooled)


def _place_text_anywhere(path: Path) -> bool:
    """Whether an XMP place property (`exif:GPSLatitude="…"`, `<photoshop:City>`) occurs anywhere in the file,
    read in chunks with overlap: the last word on XMP outside the blocks the walk knows."""
    tail = b""
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            window = tail + chunk
            if XMP_PLACE_ANYWHERE.search(window):
                return True
            tail = window[-XMP_PLACE_MAX_LENGTH:]
    return False


def _rehashed(spooled: SpooledFile) -> SpooledFile:
    digest = hashlib.sha256()
    size = 0
    with open(spooled.path, "rb") as f:
        head = f.read(HEAD_BYTES)
        digest.update(head)
        size += len(head)
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    if size != spooled.size:  # blanking never changes a length
        raise LocationNotRemovable
    return dataclasses.replace(spooled, sha256=digest.hexdigest(), head=head)
