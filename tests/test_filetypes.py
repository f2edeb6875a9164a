"""The upload allowlist: real files of every allowed kind pass, every hostile file is refused (or its name
neutralised), and download names / Content-Disposition headers are safe for any input."""

import io
import random
import re
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.evidence.filetypes import (
    EICAR,
    INLINE_KINDS,
    KINDS,
    MAX_NAME_LENGTH,
    MIME_BY_KIND,
    FileVerdict,
    contains_eicar,
    content_disposition,
    display_name,
    inspect_file,
    safe_download_name,
)
from tests.hostile import (
    HostileFile,
    hostile_corpus,
    make_ebml,
    make_isobmff,
    make_jpeg,
    make_mp3,
    make_odf,
    make_ooxml,
    make_pdf,
    make_png,
    make_text,
    make_wav,
    make_webp,
)

LIMIT = 64 * 1024
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
DUTCH_REASON = re.compile(
    r"^(Dit bestandstype is niet toegestaan \(herkend als .+\)\.|Het bestand is leeg\.|"
    r"Het bestand is uitgepakt te groot \(mogelijk een zip-bom\)\.|"
    r"Het bestand bevat een virus-testhandtekening \(EICAR\)\.|Het bestand bevat macro's \(herkend als .+\).*)$"
)

GOOD: dict[str, tuple[str, bytes]] = {
    "pdf": ("pdf", make_pdf()),
    "docx": ("docx", make_ooxml("docx")),
    "xlsx": ("xlsx", make_ooxml("xlsx")),
    "pptx": ("pptx", make_ooxml("pptx")),
    "odt": ("odt", make_odf("odt")),
    "ods": ("ods", make_odf("ods")),
    "odp": ("odp", make_odf("odp")),
    "png": ("png", make_png()),
    "jpeg": ("jpeg", make_jpeg()),
    "webp": ("webp", make_webp()),
    "wav": ("wav", make_wav()),
    "text-utf8": ("text", make_text("utf-8")),
    "text-utf8-bom": ("text", b"\xef\xbb\xbf" + make_text("utf-8")),
    "text-cp1252": ("text", make_text("cp1252")),
    "text-markdown": ("text", "# Verslag\n\n- punt één\n- a < b en c > d\n".encode()),
    "mp3": ("mp3", make_mp3()),
    "mp4": ("mp4", make_isobmff(b"isom", b"isom", b"iso2", b"avc1", b"mp41")),
    "mov": ("mov", make_isobmff(b"qt  ")),
    "m4a": ("m4a", make_isobmff(b"M4A ", b"M4A ", b"mp42", b"isom")),
    "heic": ("heic", make_isobmff(b"heic", b"mif1", b"heic")),
    "webm": ("webm", make_ebml(b"webm")),
}


def _inspect(tmp_path: Path, data: bytes, name: str = "bestand") -> FileVerdict:
    path = tmp_path / "upload.part"
    path.write_bytes(data)
    return inspect_file(path, original_name=name)


# --- allowed files -------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(GOOD))
def test_real_files_of_allowed_kinds_are_accepted(tmp_path: Path, case: str) -> None:
    kind, data = GOOD[case]
    verdict = _inspect(tmp_path, data, name="zonder-extensie")
    assert verdict.accepted, verdict.reason
    assert verdict.kind == kind
    assert verdict.reason is None
    assert verdict.inline_ok is (kind in {"jpeg", "png", "webp", "pdf"})
    if case == "text-cp1252":
        assert verdict.mime == "text/plain; charset=windows-1252"
    else:
        assert verdict.mime == MIME_BY_KIND[kind]


def test_every_kind_has_a_mime_type_and_the_inline_kinds_are_images_and_pdf() -> None:
    assert set(KINDS) == {
        "pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "jpeg", "png", "webp", "heic",
        "mp4", "mov", "webm", "mp3", "m4a", "wav", "text",
    }  # fmt: skip
    assert set(MIME_BY_KIND) == set(KINDS)
    assert {"jpeg", "png", "webp", "pdf"} == INLINE_KINDS
    assert {kind for kind, _ in GOOD.values()} == set(KINDS)


def test_the_name_and_the_passed_head_do_not_decide(tmp_path: Path) -> None:
    path = tmp_path / "x.part"
    path.write_bytes(make_png())
    assert inspect_file(path, original_name="virus.exe").kind == "png"
    # A head that lies (e.g. a stale buffer) is only a shortcut for reading; a short one is re-read.
    assert inspect_file(path, original_name="a.png", head=b"\x89PNG").kind == "png"


# --- hostile files ---------------------------------------------------------------------------------------


CORPUS = hostile_corpus(LIMIT)


def _corpus(expect: str) -> list[HostileFile]:
    return [h for h in CORPUS if h.expect == expect]


def test_the_corpus_is_big_enough_and_every_entry_is_covered() -> None:
    assert len(CORPUS) >= 22
    assert {h.expect for h in CORPUS} == {"refuse", "name", "size"}
    for h in CORPUS:
        assert (h.expect == "refuse") == (h.label is not None), h.why
        assert h.expect == "refuse" or h.kind in KINDS, h.why
    # The zip bomb stays small on disk while claiming 300 MiB.
    bomb = next(h for h in CORPUS if "zip bomb" in h.why)
    assert len(bomb.data) < 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(bomb.data)) as zf:
        assert sum(i.file_size for i in zf.infolist()) >= 300 * 1024 * 1024


@pytest.mark.parametrize("hostile", _corpus("refuse"), ids=lambda h: h.why)
def test_hostile_content_is_refused_with_a_dutch_reason_naming_what_it_is(tmp_path: Path, hostile: HostileFile) -> None:
    verdict = inspect_file(hostile.write(tmp_path), original_name=hostile.name)
    assert not verdict.accepted
    assert verdict.kind is None
    assert not verdict.inline_ok
    assert verdict.reason is not None
    assert DUTCH_REASON.match(verdict.reason), verdict.reason
    assert hostile.label is not None
    assert hostile.label in verdict.reason, (hostile.why, verdict.reason)
    assert verdict.detected


@pytest.mark.parametrize("hostile", _corpus("name") + _corpus("size"), ids=lambda h: h.why)
def test_hostile_names_are_neutralised(tmp_path: Path, hostile: HostileFile) -> None:
    verdict = inspect_file(hostile.write(tmp_path), original_name=hostile.name)
    assert verdict.accepted and verdict.kind == hostile.kind, verdict.reason
    safe = safe_download_name(hostile.name, verdict.kind)
    _assert_safe_name(safe, verdict.kind)
    header = content_disposition(safe)
    assert "\r" not in header and "\n" not in header
    assert unquote(header.split("filename*=UTF-8''", 1)[1]) == safe


def test_every_hostile_name_is_neutralised_whatever_the_content(tmp_path: Path) -> None:
    for hostile in CORPUS:
        for kind in ("pdf", "text", "png"):
            _assert_safe_name(safe_download_name(hostile.name, kind), kind)


def _assert_safe_name(safe: str, kind: str) -> None:
    assert safe
    assert len(safe) <= MAX_NAME_LENGTH
    assert not {"/", "\\", "\x00", "\r", "\n"} & set(safe)
    assert not BIDI & set(safe)
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in safe)
    assert not safe.startswith(".")
    ext = safe.rsplit(".", 1)[1].lower()
    assert ext in {"pdf": {"pdf"}, "text": {"txt"}, "png": {"png"}}.get(kind, {ext})


def test_zip_limits(tmp_path: Path) -> None:
    # 2,000 entries is fine, 2,001 (plus the required parts) is not.
    def with_entries(n: int) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zf:
            zf.writestr("[Content_Types].xml", "<Types/>")
            zf.writestr("word/document.xml", "<w/>")
            for i in range(n):
                zf.writestr(f"word/media/{i}.xml", "")
        return buffer.getvalue()

    assert _inspect(tmp_path, with_entries(1998)).kind == "docx"
    assert "zip-bom" in (_inspect(tmp_path, with_entries(1999)).reason or "")

    # A highly compressible 2 MiB entry (ratio far above 100:1) is refused; a realistic one is fine.
    def with_entry(data: bytes) -> bytes:
        return make_ooxml("docx", extra={"word/media/image1.bin": data})

    assert "zip-bom" in (_inspect(tmp_path, with_entry(bytes(2 * 1024 * 1024))).reason or "")
    realistic = random.Random(7).randbytes(2 * 1024 * 1024)  # like a photo: hardly compressible
    assert _inspect(tmp_path, with_entry(realistic)).kind == "docx"


def test_zip_based_formats_need_their_parts(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.bin", b"\x00")  # .xlsb: not on the list
    verdict = _inspect(tmp_path, buffer.getvalue())
    assert not verdict.accepted and "herkend als" in (verdict.reason or "")
    verdict = _inspect(tmp_path, make_odf("odt", mimetype_first=False))
    assert not verdict.accepted and "OpenDocument" in (verdict.reason or "")
    verdict = _inspect(tmp_path, make_pdf()[:-300] + b"PK\x03\x04")
    assert verdict.kind == "pdf"  # starts with %PDF-: a PDF, whatever it ends with
    verdict = _inspect(tmp_path, b"PK\x03\x04" + bytes(100))
    assert not verdict.accepted and "beschadigd" in (verdict.reason or "")


def test_text_must_be_real_text(tmp_path: Path) -> None:
    assert (
        _inspect(tmp_path, b"Regel\x00met NUL").reason
        == "Dit bestandstype is niet toegestaan (herkend als onbekende binaire gegevens)."
    )
    assert not _inspect(tmp_path, b"Regel met escape \x1b[31m rood").accepted
    assert not _inspect(tmp_path, b"ongeldig \x81\x8d cp1252 en geen utf-8").accepted
    for marker in ("<SCRIPT src=x>", "<Html>", "<svg/onload=alert(1)>", "<!DocType html>", "<?XML version='1.0'?>"):
        data = b"Gewone tekst bovenaan.\n" * 10 + marker.encode()
        verdict = _inspect(tmp_path, data)
        assert not verdict.accepted, marker
    # Markup markers past the first 8 KiB are not looked for: such a file is served as plain text anyway.
    assert _inspect(tmp_path, b"x" * 9000 + b"\n<script>").kind == "text"


def test_eicar_is_found_across_chunk_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "e.part"
    for offset in (0, 1, 7, 60, 63, 64, 65, 100):
        path.write_bytes(b"a" * offset + EICAR + b"b" * 50)
        assert contains_eicar(path, chunk_size=64), offset
    path.write_bytes(b"a" * 1000)
    assert not contains_eicar(path, chunk_size=64)
    path.write_bytes(make_png() + EICAR)
    assert _inspect(tmp_path, path.read_bytes()).reason == "Het bestand bevat een virus-testhandtekening (EICAR)."


# --- download names and headers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("Verslag week 3.pdf", "pdf", "Verslag week 3.pdf"),
        ("a.pdf.html", "pdf", "a.pdf.pdf"),
        ("FOTO.JPG", "jpeg", "FOTO.JPG"),
        ("foto.jpeg", "jpeg", "foto.jpeg"),
        ("foto.png", "jpeg", "foto.jpg"),
        ("verslag v2.0", "docx", "verslag v2.0.docx"),
        ("../../etc/passwd", "text", "passwd.txt"),
        ("C:\\Users\\jan\\rapport.docx", "docx", "rapport.docx"),
        ("\u202egnp.exe", "png", "gnp.png"),
        ("evil.txt\x00.png", "png", "evil.txt.png"),
        ("...", "pdf", "bestand.pdf"),
        ("", "wav", "bestand.wav"),
        ("  .verborgen.txt ", "text", "verborgen.txt"),
        ("cliënt – gesprek.m4a", "m4a", "cliënt – gesprek.m4a"),
        ("nul.txt", "text", "bestand-nul.txt"),
    ],
)
def test_safe_download_name(name: str, kind: str, expected: str) -> None:
    assert safe_download_name(name, kind) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("evil.svg", "evil.svg"),
        ("script.exe", "script.exe"),
        ("Verslag week 3.PDF", "Verslag week 3.PDF"),
        ("../../etc/passwd.sh", "passwd.sh"),
        ("\u202egnp.exe", "gnp.exe"),
        ("", "bestand"),
    ],
)
def test_display_name_keeps_the_users_extension(name: str, expected: str) -> None:
    """Refusal messages name the file as the user knows it: "evil.svg: ...", not "evil: ..." (#16 item 4)."""
    assert display_name(name) == expected


def test_display_name_caps_the_length_keeping_the_extension() -> None:
    shown = display_name("é" * 300 + ".svg")
    assert len(shown) == MAX_NAME_LENGTH and shown.endswith(".svg")


def test_safe_download_name_caps_the_length_keeping_the_extension() -> None:
    safe = safe_download_name("é" * 300 + ".docx", "docx")
    assert len(safe) == MAX_NAME_LENGTH and safe.endswith(".docx")
    with pytest.raises(ValueError):
        safe_download_name("x.exe", "exe")


def test_content_disposition_examples() -> None:
    assert content_disposition("Verslag.pdf") == "attachment; filename=\"Verslag.pdf\"; filename*=UTF-8''Verslag.pdf"
    assert content_disposition("foto.jpg", inline=True).startswith('inline; filename="foto.jpg"')
    header = content_disposition('cliënt "Jan" \\ 100%.pdf')
    assert (
        header
        == "attachment; filename=\"client Jan 100.pdf\"; filename*=UTF-8''cli%C3%ABnt%20%22Jan%22%20%5C%20100%25.pdf"
    )
    fallback = header.split('filename="', 1)[1].split('"; filename*=', 1)[0]
    assert '"' not in fallback and "\\" not in fallback and "%" not in fallback
    assert unquote(header.split("filename*=UTF-8''", 1)[1]) == 'cliënt "Jan" \\ 100%.pdf'
    # Whatever is passed in, even unsanitised: no header injection.
    evil = content_disposition('x"\r\nSet-Cookie: a=b\u202e.pdf')
    assert "\r" not in evil and "\n" not in evil and "\u202e" not in evil
    assert content_disposition("中文报告.pdf").startswith("attachment; filename=\"bestand.pdf\"; filename*=UTF-8''")


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(max_size=400), kind=st.sampled_from(KINDS), inline=st.booleans())
def test_content_disposition_of_a_safe_name_is_always_well_formed(name: str, kind: str, inline: bool) -> None:
    safe = safe_download_name(name, kind)
    _assert_safe_name(safe, kind)
    header = content_disposition(safe, inline=inline)
    assert "\r" not in header and "\n" not in header
    prefix = 'inline; filename="' if inline else 'attachment; filename="'
    assert header.startswith(prefix)
    rest = header[len(prefix) :]
    fallback, sep, encoded = rest.partition("\"; filename*=UTF-8''")
    assert sep, header
    assert '"' not in fallback and "\\" not in fallback
    assert fallback.isascii() and fallback.isprintable() and fallback
    assert re.fullmatch(r"[A-Za-z0-9%._~-]*", encoded), encoded
    assert unquote(encoded, errors="strict") == safe
    assert header.isascii()
