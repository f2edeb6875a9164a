"""Issue #15, Low 10: a PDF with scripts or automatic actions is served as an attachment only, never previewed."""

import zlib

import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import Session, col, select

from app.evidence.models import Blob, EvidenceFile, EvidenceVersion
from app.evidence.pdfactive import has_active_content
from tests.conftest import Browser, World, login
from tests.test_evidence import PDF, post_evidence

NOTE = "Deze pdf bevat scripts of automatische acties en wordt alleen als download aangeboden."


def pdf_with(catalog_extra: bytes, extra_objects: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        + extra_objects
        + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


OPEN_ACTION = pdf_with(b"/OpenAction 3 0 R", b"3 0 obj\n<< /S /URI /URI (https://example.org) >>\nendobj\n")
JAVASCRIPT = pdf_with(b"/Names << /JavaScript 3 0 R >>", b"3 0 obj\n<< /S /JavaScript /JS (app.alert(1)) >>\nendobj\n")


def object_stream(content: bytes, filters: bytes = b"/Filter /FlateDecode", compress: bool = True) -> bytes:
    body = zlib.compress(content) if compress else content
    return pdf_with(
        b"",
        b"5 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Length %d %s >>\nstream\n" % (len(body), filters)
        + body
        + b"\nendstream\nendobj\n",
    )


def chunked(data: bytes, size: int):  # type: ignore[no-untyped-def]
    return lambda: (data[i : i + size] for i in range(0, len(data), size))


@pytest.mark.parametrize(
    ("data", "active"),
    [
        (PDF, False),
        (OPEN_ACTION, True),
        (JAVASCRIPT, True),
        (pdf_with(b"/AA << /O 3 0 R >>"), True),
        (pdf_with(b"/JS (x)"), True),
        (pdf_with(b"/J#61vaScript 3 0 R"), True),
        (pdf_with(b"/Open#41ction 3 0 R"), True),
        (pdf_with(b"/#4f#70#65#6e#41#63#74#69#6f#6e 3 0 R"), True),
        (pdf_with(b"/Launch 3 0 R"), True),
        # Longer names that merely start like an active one are harmless.
        (pdf_with(b"/AAPL 1 /JSONish 2 /OpenActionable 3"), False),
        # Compressed object streams are inflated and scanned; what cannot be read counts as active.
        (object_stream(b"1 0 << /Type /Catalog /OpenAction 3 0 R >>"), True),
        (object_stream(b"1 0 << /Type /Catalog /Pages 2 0 R >>"), False),
        (object_stream(b"1 0 << /OpenAction 3 0 R >>", filters=b"", compress=False), True),
        (object_stream(b"1 0 << /OpenAction 3 0 R >>", filters=b"/Filter /LZWDecode", compress=False), True),
        (object_stream(b"not zlib at all", compress=False), True),
        (object_stream(b"1 0 << >>", filters=b"/Filter /FlateDecode /DecodeParms << /Predictor 12 >>"), True),
    ],
)
def test_active_content_is_found_in_the_raw_bytes(data: bytes, active: bool) -> None:
    assert has_active_content(chunked(data, 1 << 20), size=len(data)) is active
    # Also when a name is split over two chunks.
    assert has_active_content(chunked(data, 7), size=len(data)) is active


def _upload(client: Browser, app: FastAPI, db: Session, data: bytes) -> tuple[Blob, int]:
    response = post_evidence(client, app, [("verslag.pdf", data, "application/pdf")])
    assert response.status_code in {200, 303}, response.text
    db.expire_all()
    blob = db.exec(select(Blob).order_by(col(Blob.id).desc())).first()
    assert blob is not None
    evidence_id = db.exec(
        select(EvidenceVersion.evidence_id)
        .join(EvidenceFile, col(EvidenceFile.version_id) == EvidenceVersion.id)
        .where(EvidenceFile.blob_id == blob.id)
    ).one()
    return blob, evidence_id


@pytest.mark.parametrize("data", [OPEN_ACTION, JAVASCRIPT], ids=["openaction", "javascript"])
def test_a_pdf_with_active_content_is_download_only(
    app: FastAPI, db: Session, world: World, client: Browser, data: bytes
) -> None:
    login(client, world.student.email)
    blob, evidence_id = _upload(client, app, db, data)
    assert blob.active_content is True
    preview = client.get(f"/bestanden/{blob.id}/voorbeeld")
    assert preview.status_code == 200 and preview.content == data
    assert preview.headers["content-disposition"].startswith("attachment;")
    page = client.get(f"/bewijs/{evidence_id}")
    assert NOTE in page.text and f"/bestanden/{blob.id}/voorbeeld" not in page.text


def test_a_plain_pdf_is_still_previewed_inline(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    login(client, world.student.email)
    blob, evidence_id = _upload(client, app, db, PDF)
    assert blob.active_content is False
    assert client.get(f"/bestanden/{blob.id}/voorbeeld").headers["content-disposition"].startswith("inline;")
    page = client.get(f"/bewijs/{evidence_id}")
    assert NOTE not in page.text and f"/bestanden/{blob.id}/voorbeeld" in page.text


def test_a_pdf_stored_before_the_check_is_scanned_on_first_use(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    login(client, world.student.email)
    blob, evidence_id = _upload(client, app, db, OPEN_ACTION)
    db.exec(update(Blob).where(col(Blob.id) == blob.id).values(active_content=None))
    db.commit()
    assert client.get(f"/bestanden/{blob.id}/voorbeeld").headers["content-disposition"].startswith("attachment;")
    db.expire_all()
    assert db.get(Blob, blob.id).active_content is True  # type: ignore[union-attr]
    assert NOTE in client.get(f"/bewijs/{evidence_id}").text


def test_a_file_gone_from_the_store_answers_with_a_message_not_an_error(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    """A blob row whose bytes are missing (a restore without the files): the evidence page still shows, and the
    file's links say what happened (404 with a message) instead of a 500."""
    login(client, world.student.email)
    blob, evidence_id = _upload(client, app, db, PDF)
    db.exec(update(Blob).where(col(Blob.id) == blob.id).values(active_content=None))
    db.commit()
    app.state.storage.delete(blob.key)
    assert client.get(f"/bewijs/{evidence_id}").status_code == 200
    for url in (f"/bestanden/{blob.id}/voorbeeld", f"/bestanden/{blob.id}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "ontbreekt in de opslag" in response.text
    db.expire_all()
    assert db.get(Blob, blob.id).active_content is None  # type: ignore[union-attr]  # nothing decided on no bytes
