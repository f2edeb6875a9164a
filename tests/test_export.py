"""Export per person (right of access / portability): a ZIP with every register table that holds rows about them,
every stored file with matching SHA-256, LEESMIJ.txt and manifest.json; downloadable by the requester only.
Runs with local storage and with S3 (moto's server on loopback)."""

import hashlib
import io
import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select as core_select
from sqlmodel import Session, SQLModel, col, select

from app import demo
from app.accounts.models import User
from app.audit.models import AuditEvent
from app.db import utcnow
from app.evidence.models import Blob
from app.privacy.models import AccessEvent, PrivacyExport
from app.privacy.register import REGISTER, USER_TABLE, by_key
from app.readiness.models import Dossier
from app.storage import new_key
from tests.conftest import Browser, login


@pytest.fixture(params=["local", "s3"])
def storage_settings(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    if request.param == "local":
        return {"storage_backend": "local", "storage_dir": tmp_path / "storage"}
    s3 = request.getfixturevalue("s3_server")
    return {"storage_backend": "s3", "storage_dir": tmp_path / "spool", **s3}


def demo_student(app: FastAPI, db: Session) -> tuple[User, User, User]:
    """The demo, plus a dossier PDF and a view by the coordinator: (Lotte, coordinator, beheerder)."""
    assert demo.seed_if_empty(db, storage=app.state.storage)
    db.commit()
    lotte = db.exec(select(User).where(User.student_number == "500101")).one()
    coordinator = db.exec(select(User).where(User.email == demo._email(demo.COORDINATOR[1]))).one()
    admin = db.exec(select(User).where(User.email == demo._email(demo.ADMIN[1]))).one()
    pdf = b"%PDF-1.4\n% dossier\n%%EOF\n"
    key = new_key()
    path = app.state.storage.spool_dir() / "dossier.part"
    path.write_bytes(pdf)
    app.state.storage.publish(path, key=key, content_type="application/pdf")
    db.add(
        Dossier(
            student_id=lotte.id or 0,
            requested_by_id=coordinator.id or 0,
            status="klaar",
            progress=100,
            pdf_key=key,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        )
    )
    db.commit()
    return lotte, coordinator, admin


def read_zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def expected_rows(db: Session, person: User) -> dict[str, set[Any]]:
    """Per register table, the ids of rows about the person: computed here from the register's description."""
    found: dict[str, set[Any]] = {}

    def ids(key: str) -> set[Any]:
        kind = by_key(key)
        if kind.table is None or not kind.traceable:
            return set()
        table = kind.table.__table__  # type: ignore[attr-defined]
        result: set[Any] = set()
        for row in db.execute(core_select(table)).mappings():
            about = any(row[c] == person.id for c in kind.subject_columns)
            about |= any(row[c] == person.email for c in kind.subject_email_columns)
            if kind.subject_object is not None:
                type_column, id_column, types = kind.subject_object
                about |= row[type_column] in types and row[id_column] == str(person.id)
            if kind.via is not None:
                about |= row[kind.via[0]] in ids(kind.via[1])
            if about:
                result.add(row["id"])
        return result

    for kind in REGISTER:
        if kind.table_name:
            found[kind.table_name] = ids(kind.key)
    return {name: rows for name, rows in found.items() if rows}


def build_own_export(client: Browser) -> tuple[int, bytes]:
    started = client.post("/portfolio/export")
    assert started.status_code == 303
    match = re.fullmatch(r"/privacy/exports/(\d+)", started.headers["location"])
    assert match
    export_id = int(match.group(1))
    page = client.get(f"/privacy/exports/{export_id}")  # the background task has run by now
    assert "De export is klaar." in page.text
    download = client.get(f"/privacy/exports/{export_id}/zip")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    return export_id, download.content


def test_export_holds_every_register_table_and_every_file(
    app: FastAPI, db: Session, client: Browser, client_factory: Any
) -> None:
    lotte, coordinator, _ = demo_student(app, db)
    staff = client_factory()
    login(staff, coordinator.email, demo.DEMO_PASSWORD)
    assert staff.get(f"/studenten/{lotte.id}").status_code == 200  # an access-log row about her
    login(client, lotte.email, demo.DEMO_PASSWORD)
    export_id, data = build_own_export(client)
    archive = read_zip(data)
    names = set(archive.namelist())

    # Every register table holding rows about her is there, with exactly those rows.
    expected = expected_rows(db, lotte)
    # Written after the ZIP was closed, in the same transaction that marks the export ready.
    built = db.exec(select(AuditEvent.id).where(AuditEvent.action == "privacy.export.built")).all()
    expected["audit_event"] -= set(built)
    exported = {
        m.group(1): json.loads(archive.read(name))
        for name in names
        if (m := re.fullmatch(r"gegevens/(\w+)\.json", name))
    }
    assert set(exported) == set(expected)
    for table, ids in expected.items():
        assert {row["id"] for row in exported[table]["rijen"]} == ids, table
        assert exported[table]["doel"] and exported[table]["grondslag"] and exported[table]["bewaartermijn"]
    # A demo-like student has data in the main domains (sanity: the generic comparison is not vacuous).
    for table in ("user_account", "evidence", "evidence_version", "blob", "submission", "sign_off", "assessment"):
        assert table in exported, table
    assert "access_event" in exported and "audit_event" in exported

    # Independently of the register: every row that names her through a foreign key to the user table is exported.
    for table in SQLModel.metadata.sorted_tables:
        person_columns = [c for c in table.columns if any(fk.column.table.name == USER_TABLE for fk in c.foreign_keys)]
        if table.name == USER_TABLE:
            continue
        for column in person_columns:
            rows = set(db.execute(core_select(table.c.id).where(column == lotte.id)).scalars().all())
            if table.name == "audit_event":
                rows -= set(built)
            if rows and column.name not in {"viewer_id", "decided_by_id", "assessor_id", "supervisor_id"}:
                assert table.name in exported, f"{table.name}.{column.name} names her but is not exported"
                assert set(rows) <= {row["id"] for row in exported[table.name]["rijen"]}, f"{table.name}.{column.name}"

    # Her account, without secrets.
    [user_row] = exported["user_account"]["rijen"]
    assert user_row["email"] == lotte.email and "password_hash" not in user_row
    assert all("token_hash" not in row for row in exported["user_session"]["rijen"])

    # Every stored file, byte for byte: ZIP == stored SHA-256 == what storage holds.
    blobs = db.exec(select(Blob).where(Blob.student_id == lotte.id)).all()
    assert blobs
    storage = app.state.storage
    for blob in blobs:
        [arcname] = [n for n in names if n.startswith(f"bestanden/uploads/{blob.id}-")]
        content = archive.read(arcname)
        assert hashlib.sha256(content).hexdigest() == blob.sha256
        assert hashlib.sha256(b"".join(storage.open_chunks(blob.key))).hexdigest() == blob.sha256
    dossier = db.exec(select(Dossier).where(Dossier.student_id == lotte.id)).one()
    assert hashlib.sha256(archive.read(f"bestanden/dossier/dossier-{dossier.id}.pdf")).hexdigest() == dossier.pdf_sha256

    # The manifest lists every other file in the ZIP with its SHA-256; LEESMIJ explains the structure in Dutch.
    manifest = json.loads(archive.read("manifest.json"))
    listed = {entry["bestand"]: entry for entry in manifest["bestanden"]}
    assert set(listed) == names - {"manifest.json"}
    for name, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(archive.read(name)).hexdigest(), name
        if entry.get("opgeslagen_sha256"):
            assert entry["sha256"] == entry["opgeslagen_sha256"]
    readme = archive.read("LEESMIJ.txt").decode()
    assert "gegevens/<tabel>.json" in readme and "manifest.json" in readme

    # The row records the outcome; the API shows the status.
    db.expire_all()
    export = db.get(PrivacyExport, export_id)
    assert export is not None and export.status == "klaar" and export.expires_at is not None
    assert export.zip_sha256 == hashlib.sha256(data).hexdigest()
    status = client.get(f"/api/v1/exports/{export_id}").json()
    assert status["status"] == "klaar" and status["download_url"] == f"/privacy/exports/{export_id}/zip"


def test_only_the_requester_downloads_and_it_expires(
    app: FastAPI, db: Session, client: Browser, client_factory: Any
) -> None:
    lotte, coordinator, admin = demo_student(app, db)
    login(client, lotte.email, demo.DEMO_PASSWORD)
    export_id, _ = build_own_export(client)
    for other in (coordinator, admin):
        browser = client_factory()
        login(browser, other.email, demo.DEMO_PASSWORD)
        assert browser.get(f"/privacy/exports/{export_id}").status_code == 404
        assert browser.get(f"/privacy/exports/{export_id}/zip").status_code == 404
        assert browser.get(f"/api/v1/exports/{export_id}").status_code == 404
    export = db.get(PrivacyExport, export_id)
    assert export is not None
    # Expiry follows retention_export_days.
    assert export.expires_at is not None and export.finished_at is not None
    days = app.state.settings.retention_export_days
    assert abs((export.expires_at - export.finished_at) - timedelta(days=days)) < timedelta(seconds=1)
    export.expires_at = utcnow() - timedelta(minutes=1)
    db.add(export)
    db.commit()
    assert client.get(f"/privacy/exports/{export_id}/zip").status_code == 404
    assert "verlopen" in client.get(f"/privacy/exports/{export_id}").text


def test_beheerder_exports_on_request_and_the_download_is_logged(
    app: FastAPI, db: Session, client: Browser, client_factory: Any
) -> None:
    lotte, coordinator, admin = demo_student(app, db)
    login(client, admin.email, demo.DEMO_PASSWORD)
    assert client.get("/beheer/export").status_code == 200
    unknown = client.post("/beheer/export", data={"persoon": "niemand@example.nl"})
    assert unknown.status_code == 404
    started = client.post("/beheer/export", data={"persoon": lotte.student_number})
    assert started.status_code == 303
    export_id = int(started.headers["location"].rsplit("/", 1)[1])
    download = client.get(f"/privacy/exports/{export_id}/zip")
    assert download.status_code == 200
    user_rows = json.loads(read_zip(download.content).read("gegevens/user_account.json"))["rijen"]
    assert [row["id"] for row in user_rows] == [lotte.id]
    # She sees that the beheerder downloaded her data.
    event = db.exec(select(AccessEvent).where(AccessEvent.student_id == lotte.id, AccessEvent.kind == "export")).one()
    assert event.viewer_id == admin.id and "beheerder" in event.viewer_roles
    # A student cannot export someone else, a coordinator cannot use the beheerder's export.
    for who in (lotte, coordinator):
        browser = client_factory()
        login(browser, who.email, demo.DEMO_PASSWORD)
        assert browser.post("/beheer/export", data={"persoon": lotte.email}).status_code == 404
    assert len(db.exec(select(PrivacyExport).where(col(PrivacyExport.requested_by_id) != admin.id)).all()) == 0


def test_the_worker_builds_an_export_left_waiting_once(app: FastAPI, db: Session) -> None:
    from app.privacy.export import build, build_waiting

    lotte, _, _ = demo_student(app, db)
    fresh = PrivacyExport(subject_id=lotte.id or 0, requested_by_id=lotte.id or 0)
    stale = PrivacyExport(
        subject_id=lotte.id or 0, requested_by_id=lotte.id or 0, created_at=utcnow() - timedelta(minutes=10)
    )
    db.add_all([fresh, stale])
    db.commit()
    with Session(app.state.engine) as session:
        assert build_waiting(session, utcnow(), storage=app.state.storage, settings=app.state.settings) == 1
    # A second builder (the request's task arriving late) finds it claimed and does nothing.
    build(app.state.engine, app.state.storage, app.state.settings, stale.id or 0)
    db.expire_all()
    assert db.get(PrivacyExport, stale.id).status == "klaar"  # type: ignore[union-attr]
    assert db.get(PrivacyExport, fresh.id).status == "wacht"  # type: ignore[union-attr]  # left to its own task
    built = db.exec(select(AuditEvent).where(AuditEvent.action == "privacy.export.built")).all()
    assert len(built) == 1
    zip_key = db.get(PrivacyExport, stale.id).zip_key  # type: ignore[union-attr]
    assert zip_key and "LEESMIJ.txt" in read_zip(b"".join(app.state.storage.open_chunks(zip_key))).namelist()
