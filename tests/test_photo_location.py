"""#21 item 5: photos lose their location before they are stored, losslessly (app.evidence.photolocation).

Real photos made with Pillow (pillow-heif for HEIC) that carry a GPS tag in EXIF and GPS and address properties
in XMP go through the real route POST /bewijs as a student; the stored bytes have no location left, the same
orientation and other metadata, the same pixels and the same length, and the blob's hash is of what was
stored. A photo without a location is stored byte for byte; one whose location cannot be removed is refused
with a Dutch message next to the file field and nothing is stored.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pillow_heif
import pytest
from fastapi import FastAPI
from PIL import Image, PngImagePlugin
from sqlmodel import Session, select

from app.evidence.exiftiff import blank_xmp_location, gps_entry_count
from app.evidence.models import Blob, Evidence
from app.evidence.photocontainers import XMP_EXTENSION_NS, strip_jpeg
from app.evidence.photolocation import LOCATION_REFUSAL
from tests.conftest import Browser, World, login
from tests.test_evidence import PDF, post_evidence, stored_files

pillow_heif.register_heif_opener()

GPS_IFD = 0x8825
FORMATS = {"jpeg": ("JPEG", "image/jpeg"), "png": ("PNG", "image/png"), "webp": ("WEBP", "image/webp")}
FORMATS["heic"] = ("HEIF", "image/heic")
XMP_WITH_PLACE = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'exif:GPSLatitude="52,5.125N" photoshop:City="Utrecht">'
    "<exif:GPSLongitude>4,53.02E</exif:GPSLongitude><exif:GPSAltitude>125/10</exif:GPSAltitude>"
    "<dc:format>image/jpeg</dc:format></rdf:Description></rdf:RDF></x:xmpmeta>"
)
XMP_WITHOUT_PLACE = XMP_WITH_PLACE.replace('exif:GPSLatitude="52,5.125N" photoshop:City="Utrecht"', "").replace(
    "<exif:GPSLongitude>4,53.02E</exif:GPSLongitude><exif:GPSAltitude>125/10</exif:GPSAltitude>", ""
)


def exif(*, gps: bool, endian: str = ">") -> Image.Exif:
    data = Image.Exif()
    data.endian = endian
    data[0x0112] = 6  # orientation: rotate 90° when shown
    data[0x010F] = "Apple"
    data[0x0110] = "iPhone 15"
    if gps:
        place = data.get_ifd(GPS_IFD)
        place[1], place[2] = "N", (52.0, 5.0, 7.5)
        place[3], place[4] = "E", (4.0, 53.0, 1.25)
        place[6] = 12.5
        place[29] = "2026:03:02"
    return data


def picture() -> Image.Image:
    image = Image.new("RGB", (24, 16))
    image.putdata([(x * 10, y * 15, (x * y) % 256) for y in range(16) for x in range(24)])
    return image


def photo(kind: str, *, gps: bool = True, xmp: str | None = None, endian: str = ">") -> bytes:
    out = io.BytesIO()
    options: dict[str, object] = {"exif": exif(gps=gps, endian=endian).tobytes()}
    if kind == "png" and xmp:
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp)
        options["pnginfo"] = info
    elif xmp:
        options["xmp"] = xmp.encode()
    if kind == "webp":
        options["lossless"] = True
    picture().save(out, FORMATS[kind][0], **options)
    return out.getvalue()


def upload(client: Browser, app: FastAPI, name: str, data: bytes, content_type: str):  # type: ignore[no-untyped-def]
    return post_evidence(client, app, [(name, data, content_type)])


def stored(app: FastAPI, db: Session) -> tuple[Blob, bytes]:
    blob = db.exec(select(Blob)).one()
    return blob, b"".join(app.state.storage.open_chunks(blob.key))


def xmp_of(image: Image.Image) -> bytes:
    value = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b""
    return value.encode() if isinstance(value, str) else value


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_a_photo_is_stored_without_its_location_and_otherwise_unchanged(
    app: FastAPI, db: Session, world: World, client: Browser, kind: str
) -> None:
    original = photo(kind, xmp=XMP_WITH_PLACE)
    with Image.open(io.BytesIO(original)) as sent:
        assert sent.getexif().get_ifd(GPS_IFD), "the test photo must carry a location"
        assert b"GPSLatitude" in xmp_of(sent) and b"Utrecht" in xmp_of(sent)
        sent_size, sent_pixels = sent.size, sent.convert("RGB").tobytes()
        sent_orientation = sent.getexif().get(0x0112)
    login(client, world.student.email)
    response = upload(client, app, f"foto.{kind}", original, FORMATS[kind][1])
    assert response.status_code == 303, response.text
    blob, data = stored(app, db)
    assert data != original and len(data) == len(original) == blob.size  # blanked in place
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert b"Utrecht" not in data and b"GPSLatitude" not in data and b"GPSLongitude" not in data
    with Image.open(io.BytesIO(data)) as kept:
        tags = kept.getexif()
        assert dict(tags.get_ifd(GPS_IFD)) == {}
        assert tags.get(0x0112) == sent_orientation and tags.get(0x010F) == "Apple" and tags.get(0x0110) == "iPhone 15"
        assert kept.size == sent_size
        assert kept.convert("RGB").tobytes() == sent_pixels  # lossless: the pixels were never touched
        assert b"<dc:format>image/jpeg</dc:format>" in xmp_of(kept)  # the rest of the XMP stays
    if kind != "heic":  # pillow-heif applies the orientation to the pixels and reports 1
        assert sent_orientation == 6


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_a_photo_without_location_is_stored_byte_for_byte(
    app: FastAPI, db: Session, world: World, client: Browser, kind: str
) -> None:
    original = photo(kind, gps=False, xmp=XMP_WITHOUT_PLACE)
    login(client, world.student.email)
    response = upload(client, app, f"foto.{kind}", original, FORMATS[kind][1])
    assert response.status_code == 303, response.text
    blob, data = stored(app, db)
    assert data == original
    assert blob.sha256 == hashlib.sha256(original).hexdigest()


def test_little_endian_exif_loses_its_location_too(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    original = photo("jpeg", endian="<")
    assert b"Exif\x00\x00II*\x00" in original
    login(client, world.student.email)
    assert upload(client, app, "foto.jpg", original, "image/jpeg").status_code == 303
    _, data = stored(app, db)
    with Image.open(io.BytesIO(data)) as kept:
        assert dict(kept.getexif().get_ifd(GPS_IFD)) == {} and kept.getexif().get(0x0112) == 6


def _gps_pointer_outside(jpeg: bytes) -> bytes:
    """The GPS IFD pointer in IFD0 (big-endian) aimed far beyond the EXIF block."""
    tiff = jpeg.index(b"Exif\x00\x00MM") + 6
    count = struct.unpack_from(">H", jpeg, tiff + 8)[0]
    for i in range(count):
        entry = tiff + 10 + 12 * i
        if struct.unpack_from(">H", jpeg, entry)[0] == GPS_IFD:
            return jpeg[: entry + 8] + struct.pack(">I", 0x00FFFF00) + jpeg[entry + 12 :]
    raise AssertionError("no GPS pointer")


def _png_with_raw_exif_profile() -> bytes:
    """ImageMagick's way: the EXIF block as hex in a compressed text chunk (we cannot blank that in place)."""
    png = photo("png", gps=False)
    hexed = (b"Exif\x00\x00" + exif(gps=True).tobytes()).hex().encode()
    text = b"\nexif\n" + str(len(hexed) // 2).encode() + b"\n" + hexed + b"\n"
    data = b"Raw profile type exif\x00\x00" + zlib.compress(text)
    chunk = struct.pack(">I", len(data)) + b"zTXt" + data + struct.pack(">I", zlib.crc32(b"zTXt" + data))
    at = png.index(b"IDAT") - 4
    return png[:at] + chunk + png[at:]


def _jpeg_with_xmp_in_a_comment() -> bytes:
    """XMP where no reader looks for it (a COM segment): the place in it is still found, and refused."""
    jpeg = photo("jpeg", gps=False)
    payload = XMP_WITH_PLACE.encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


@pytest.mark.parametrize(
    "make",
    [lambda: _gps_pointer_outside(photo("jpeg")), _png_with_raw_exif_profile, _jpeg_with_xmp_in_a_comment],
    ids=["gps-pointer-outside", "png-raw-profile", "xmp-in-a-comment"],
)
def test_a_location_that_cannot_be_removed_is_refused_and_nothing_is_stored(
    app: FastAPI, db: Session, world: World, client: Browser, make
) -> None:  # type: ignore[no-untyped-def]
    login(client, world.student.email)
    response = post_evidence(client, app, [("verslag.pdf", PDF, "application/pdf"), ("foto.jpg", make(), "image/jpeg")])
    assert response.status_code == 422
    assert f"foto.jpg: {LOCATION_REFUSAL}" in response.text
    assert db.exec(select(Evidence)).all() == [] and db.exec(select(Blob)).all() == []
    assert stored_files(app) == [] and list(app.state.storage.spool_dir().glob("*")) == []


def test_extended_xmp_split_over_two_segments_loses_its_location(tmp_path: Path) -> None:
    """A property cut in half by the segment boundary is still found: the extension is read as one text."""
    jpeg = photo("jpeg", gps=False)
    text = ("<rdf:Description " + " " * 40 + 'exif:GPSLatitude="52,5.125N" dc:x="y"/>').encode()
    cut = text.index(b"GPSLat") + 3
    guid = b"0" * 32

    def segment(part: bytes, offset: int) -> bytes:
        payload = XMP_EXTENSION_NS + guid + struct.pack(">II", len(text), offset) + part
        return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload

    path = tmp_path / "x.jpg"
    path.write_bytes(jpeg[:2] + segment(text[:cut], 0) + segment(text[cut:], cut) + jpeg[2:])
    with open(path, "r+b") as f:
        found = strip_jpeg(f)
    data = path.read_bytes()
    assert found.changed and b"52,5.125N" not in data and b'dc:x="y"' in data
    assert len(data) == len(jpeg) + 2 * (4 + len(XMP_EXTENSION_NS) + 40) + len(text)
    with Image.open(path) as image:
        assert image.size == (24, 16)


def test_xmp_place_properties_become_spaces_of_the_same_length() -> None:
    packet = bytearray(XMP_WITH_PLACE.encode())
    assert blank_xmp_location(packet) is True
    assert len(packet) == len(XMP_WITH_PLACE.encode())
    assert b"GPS" not in packet and b"Utrecht" not in packet and b"<dc:format>image/jpeg</dc:format>" in packet
    assert blank_xmp_location(packet) is False


@pytest.mark.parametrize("endian", ["<", ">"])
def test_gps_entries_are_counted_in_both_byte_orders(endian: str) -> None:
    tiff = exif(gps=True, endian=endian).tobytes()[len(b"Exif\x00\x00") :]
    assert tiff[:2] == (b"II" if endian == "<" else b"MM")
    assert gps_entry_count(tiff) == 6
    assert gps_entry_count(exif(gps=False, endian=endian).tobytes()[6:]) == 0


def test_a_photographed_certificate_loses_its_location_too(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    """The development log's certificates go through the same content checks (app.development.service)."""
    login(client, world.student.email)
    fields = {"kind": "cursus", "title": "MI", "provider": "MI Academie", "entry_date": "2025-05-01", "hours": "8"}
    files = [("files", ("certificaat.jpg", photo("jpeg", xmp=XMP_WITH_PLACE), "image/jpeg"))]
    assert client.post("/portfolio/ontwikkeling", data=fields, files=files).status_code == 303
    blob, data = stored(app, db)
    assert blob.kind == "jpeg" and blob.sha256 == hashlib.sha256(data).hexdigest()
    with Image.open(io.BytesIO(data)) as kept:
        assert dict(kept.getexif().get_ifd(GPS_IFD)) == {} and b"Utrecht" not in data
