"""Evidence: bewijsstukken with files and koppelingen, versions, privacy nudge, indienen, drafts private,
file responses. Runs with local storage and with S3 (moto's server on loopback)."""

import re
import struct
import zlib
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from app.evidence.models import Blob, Evidence, EvidenceVersion, Slot, Submission
from tests.conftest import Browser, World, csrf_token, login


@pytest.fixture(params=["local", "s3"])
def storage_settings(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    if request.param == "local":
        return {"storage_backend": "local", "storage_dir": tmp_path / "storage"}
    s3 = request.getfixturevalue("s3_server")
    return {"storage_backend": "s3", "storage_dir": tmp_path / "spool", **s3}


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\n"
    b"endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def form_fields(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "title": "Intakegesprek met cliënt A",
        "activity_date": "2026-03-02",
        "kind": "verslag",
        "reflection": "S: intake op de werkplek. T: ... R: cliënt nam zelf de regie.",
        "links": "",
        "privacy": "ja",
        "eindterm": ["IA-a", "IA-c"],
        "onderbouwing_IA-a": "Ik voerde de intake uit binnen de kaders van de opdrachtgever.",
        "onderbouwing_IA-c": "De cliënt bepaalde de agenda van het gesprek.",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def post_evidence(
    client: Browser, app: FastAPI, files: list[tuple[str, bytes, str]], url: str = "/bewijs", **overrides: object
):  # type: ignore[no-untyped-def]
    multipart = [("files", (name, data, ctype)) for name, data, ctype in files]
    return client.post(
        url, data=form_fields(**overrides), files=multipart or None, headers={"X-CSRF-Token": csrf_token(client, app)}
    )


def slot(db: Session, student_id: int, code: str) -> Slot | None:
    db.expire_all()
    return db.exec(select(Slot).where(Slot.student_id == student_id, Slot.eindterm_code == code)).first()


def stored_files(app: FastAPI) -> list[str]:
    return [b.key for b in app.state.storage.iter_blobs()]


def test_create_evidence_with_files_and_two_eindtermen(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    login(client, world.student.email)
    response = post_evidence(
        client, app, [("verslag intake.pdf", PDF, "application/pdf"), ("foto.png", png_bytes(), "image/png")]
    )
    assert response.status_code == 303, response.text
    evidence_id = int(response.headers["location"].rsplit("/", 1)[1])
    blobs = db.exec(select(Blob)).all()
    assert sorted(b.kind for b in blobs) == ["pdf", "png"]
    for blob in blobs:
        assert re.fullmatch(r"[0-9a-f]{32}", blob.key)
        assert blob.original_name in {"verslag intake.pdf", "foto.png"}
        assert len(blob.sha256) == 64
    assert sorted(stored_files(app)) == sorted(b.key for b in blobs)
    for code in ("IA-a", "IA-c"):
        state = slot(db, world.student.id or 0, code)
        assert state is not None and state.status == "concept" and state.evidence_count == 1
    version = db.exec(select(EvidenceVersion).where(EvidenceVersion.evidence_id == evidence_id)).one()
    assert version.privacy_confirmed is True
    page = client.get(f"/bewijs/{evidence_id}")
    assert page.status_code == 200 and "Intakegesprek met cliënt A" in page.text
    portfolio = client.get("/portfolio").text
    assert "1 bewijsstuk" in portfolio and "concept" in portfolio


def test_privacy_confirmation_is_required_and_nothing_is_saved(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    login(client, world.student.email)
    response = post_evidence(client, app, [("a.pdf", PDF, "application/pdf")], privacy=None, title="")
    assert response.status_code == 422
    assert "Bevestig dat gegevens van cliënten geanonimiseerd zijn." in response.text
    assert "Geef het bewijsstuk een titel." in response.text
    assert db.exec(select(Evidence)).all() == []
    assert stored_files(app) == []
    assert list(app.state.storage.spool_dir().glob("*")) == []


def test_refused_file_saves_nothing(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    login(client, world.student.email)
    html = b"<html><script>alert(1)</script></html>"
    response = post_evidence(client, app, [("a.pdf", PDF, "application/pdf"), ("x.pdf", html, "application/pdf")])
    assert response.status_code == 422
    assert "niet toegestaan" in response.text
    assert db.exec(select(Evidence)).all() == [] and stored_files(app) == []
    assert list(app.state.storage.spool_dir().glob("*")) == []


def test_refusal_names_the_file_with_its_extension(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    """#16 item 4: "evil.svg: ...", not "evil: ..."."""
    login(client, world.student.email)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    response = post_evidence(client, app, [("a.pdf", PDF, "application/pdf"), ("evil.svg", svg, "image/svg+xml")])
    assert response.status_code == 422
    assert "evil.svg: " in response.text
    assert "evil: " not in response.text
    assert db.exec(select(Evidence)).all() == [] and stored_files(app) == []


def test_too_large_file_is_refused_with_a_clear_message(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    app.state.settings.upload_max_bytes = 1000
    login(client, world.student.email)
    response = post_evidence(client, app, [("groot.txt", b"a" * 1001, "text/plain")])
    assert response.status_code == 413
    assert "groter dan" in response.text
    assert db.exec(select(Evidence)).all() == [] and stored_files(app) == []


def test_editing_makes_a_new_version_and_keeps_the_old(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    login(client, world.student.email)
    first = post_evidence(client, app, [("a.pdf", PDF, "application/pdf")])
    evidence_id = int(first.headers["location"].rsplit("/", 1)[1])
    old_blob = db.exec(select(Blob)).one()
    second = post_evidence(
        client,
        app,
        [("b.png", png_bytes(), "image/png")],
        url=f"/bewijs/{evidence_id}",
        title="Intake, herzien",
        keep_file=str(old_blob.id),
        eindterm=["IA-a"],
    )
    assert second.status_code == 303, second.text
    db.expire_all()
    versions = db.exec(select(EvidenceVersion).where(EvidenceVersion.evidence_id == evidence_id)).all()
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].title == "Intakegesprek met cliënt A" and versions[1].title == "Intake, herzien"
    evidence = db.get(Evidence, evidence_id)
    assert evidence is not None and evidence.latest_version == 2
    # IA-c was dropped from the new version: that slot is empty again, IA-a still has evidence.
    assert slot(db, world.student.id or 0, "IA-c").status == "leeg"  # type: ignore[union-attr]
    assert slot(db, world.student.id or 0, "IA-a").evidence_count == 1  # type: ignore[union-attr]
    page = client.get(f"/bewijs/{evidence_id}").text
    assert "Versie 1" in page and "Versie 2" in page


def test_submit_requires_a_justification_and_freezes_the_version(
    app: FastAPI, db: Session, world: World, client_factory
) -> None:  # type: ignore[no-untyped-def]
    student = client_factory()
    login(student, world.student.email)
    created = post_evidence(student, app, [("a.pdf", PDF, "application/pdf")], **{"onderbouwing_IA-c": ""})
    evidence_id = int(created.headers["location"].rsplit("/", 1)[1])
    refused = student.post("/portfolio/indienen", data={"eindterm": ["IA-c"]})
    assert refused.status_code == 422 and "koppel eerst minstens één bewijsstuk met een onderbouwing" in refused.text
    assert db.exec(select(Submission)).all() == []

    supervisor = client_factory()
    login(supervisor, world.supervisor.email)
    # A draft is private to the student.
    assert supervisor.get(f"/bewijs/{evidence_id}").status_code == 404
    blob = db.exec(select(Blob)).one()
    assert supervisor.get(f"/bestanden/{blob.id}").status_code == 404

    ok = student.post("/portfolio/indienen", data={"eindterm": ["IA-a"], "bericht": "Graag aftekenen"})
    assert ok.status_code == 303
    assert slot(db, world.student.id or 0, "IA-a").status == "ter_aftekening"  # type: ignore[union-attr]
    submission = db.exec(select(Submission)).one()
    assert submission.supervisor_id == world.supervisor.id and submission.message == "Graag aftekenen"
    again = student.post("/portfolio/indienen", data={"eindterm": ["IA-a"]})
    assert again.status_code == 422 and "al ingediend" in again.text

    # Editing after submission makes version 2; the submission still points at version 1.
    post_evidence(student, app, [], url=f"/bewijs/{evidence_id}", title="Later aangepast", keep_file=str(blob.id))
    db.expire_all()
    v1 = db.exec(select(EvidenceVersion).where(EvidenceVersion.number == 1)).one()
    assert db.exec(select(Submission)).one().version_ids == [v1.id]
    staff_view = supervisor.get(f"/bewijs/{evidence_id}")
    assert staff_view.status_code == 200
    assert "Intakegesprek met cliënt A" in staff_view.text and "Later aangepast" not in staff_view.text
    assert supervisor.get(f"/bestanden/{blob.id}").status_code == 200


def test_file_responses_carry_the_safe_headers(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    login(client, world.student.email)
    post_evidence(client, app, [("verslag élan.pdf", PDF, "application/pdf"), ("foto.png", png_bytes(), "image/png")])
    for blob in db.exec(select(Blob)).all():
        download = client.get(f"/bestanden/{blob.id}")
        assert download.status_code == 200
        assert download.content == (PDF if blob.kind == "pdf" else png_bytes())
        assert download.headers["content-disposition"].startswith("attachment; filename=")
        assert "filename*=UTF-8''" in download.headers["content-disposition"]
        assert download.headers["x-content-type-options"] == "nosniff"
        assert download.headers["content-security-policy"] == "sandbox"
        assert download.headers["cache-control"] == "no-store"
        preview = client.get(f"/bestanden/{blob.id}/voorbeeld")
        assert preview.headers["content-disposition"].startswith("inline;")
        assert preview.headers["content-security-policy"] == "sandbox"
    pdf = db.exec(select(Blob).where(Blob.kind == "pdf")).one()
    assert "verslag%20%C3%A9lan.pdf" in client.get(f"/bestanden/{pdf.id}").headers["content-disposition"]


def test_others_get_404_for_evidence_and_files(app: FastAPI, db: Session, world: World, client_factory) -> None:  # type: ignore[no-untyped-def]
    student = client_factory()
    login(student, world.student.email)
    created = post_evidence(student, app, [("a.pdf", PDF, "application/pdf")])
    evidence_id = int(created.headers["location"].rsplit("/", 1)[1])
    student.post("/portfolio/indienen", data={"eindterm": ["IA-a"]})
    blob = db.exec(select(Blob)).one()
    for who in (world.other_student, world.other_supervisor, world.other_assessor, world.other_coordinator):
        other = client_factory()
        login(other, who.email)
        for url in (
            f"/bewijs/{evidence_id}",
            f"/bestanden/{blob.id}",
            f"/bestanden/{blob.id}/voorbeeld",
            f"/api/v1/evidence/{evidence_id}",
            f"/api/v1/files/{blob.id}",
            f"/studenten/{world.student.id}/eindtermen/IA-a",
        ):
            assert other.get(url).status_code == 404, (who.email, url)
    anonymous = client_factory()
    assert anonymous.get(f"/bestanden/{blob.id}").status_code == 303
    assert anonymous.get(f"/api/v1/evidence/{evidence_id}").status_code == 401


def test_api_create_read_and_submit(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    login(client, world.student.email)
    created = post_evidence(client, app, [("a.pdf", PDF, "application/pdf")], url="/api/v1/evidence")
    assert created.status_code == 201, created.text
    data = created.json()
    assert data["versions"][0]["eindtermen"][0]["code"] == "IA-a"
    assert data["versions"][0]["files"][0]["kind"] == "pdf"
    assert client.get(f"/api/v1/evidence/{data['id']}").json() == data
    bad = post_evidence(client, app, [], url="/api/v1/evidence", kind="gedicht")
    assert bad.status_code == 422 and "kind" in bad.json()["errors"]
    submitted = client.post("/api/v1/submissions", json={"eindtermen": ["IA-a", "IA-c"]})
    assert submitted.status_code == 201, submitted.text
    assert [s["eindterm"] for s in submitted.json()["items"]] == ["IA-a", "IA-c"]
    portfolio = client.get(f"/api/v1/students/{world.student.id}/portfolio").json()
    statuses = {s["code"]: s["status"] for g in portfolio["groups"] for s in g["slots"]}
    assert statuses["IA-a"] == "ter_aftekening" and statuses["IA-b"] == "leeg"
    spec = client.get("/openapi.json").json()
    assert "multipart/form-data" in spec["paths"]["/api/v1/evidence"]["post"]["requestBody"]["content"]


def test_htmx_submit_answers_with_the_updated_slot_without_a_reload(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    login(client, world.student.email)
    post_evidence(client, app, [])
    slot_html = client.get(f"/studenten/{world.student.id}/eindtermen/IA-a").text
    assert 'hx-post="/portfolio/indienen"' in slot_html
    response = client.post(
        "/portfolio/indienen",
        data={"eindterm": ["IA-a"], "terug": "slot", "zelfbeoordeling": "voldoende", "zelfmotivatie": "Binnen kaders."},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "HX-Redirect" not in response.headers
    assert response.headers["HX-Push-Url"] == f"/studenten/{world.student.id}/eindtermen/IA-a"
    assert "<html" not in response.text and "1 eindterm ingediend ter aftekening." in response.text
    assert "ter aftekening" in response.text
    failed = client.post("/portfolio/indienen", data={"eindterm": ["IA-b"]}, headers={"HX-Request": "true"})
    assert failed.status_code == 422 and failed.headers["HX-Retarget"] == "#meldingen"
