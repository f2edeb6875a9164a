"""Retention: `portfolio retention run` deletes what is due per data kind, from local storage and from S3, keeps
the decision record, writes an audit row per deletion, changes nothing on --dry-run and nothing the second time."""

import hashlib
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app.accounts.models import Role, User
from app.accounts.permissions import permissions_for
from app.accounts.service import Actor
from app.assessment.models import Assessment
from app.audit.models import AuditEvent
from app.audit.verify import verify_chain
from app.cohorts.models import Enrolment
from app.db import utcnow
from app.evidence import service as evidence
from app.evidence.models import Blob, EvidenceLink, EvidenceVersion
from app.privacy import retention
from app.privacy.models import AccessEvent, PrivacyExport
from app.privacy.redaction import TOMBSTONE_TITLE
from app.readiness import seal
from app.readiness.models import Dossier, ReadinessEvent
from app.storage import SpooledFile, new_key
from tests.conftest import Browser, World, login
from tests.test_evidence import PDF


@pytest.fixture(params=["local", "s3"])
def storage_settings(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    if request.param == "local":
        return {"storage_backend": "local", "storage_dir": tmp_path / "storage"}
    s3 = request.getfixturevalue("s3_server")
    return {"storage_backend": "s3", "storage_dir": tmp_path / "spool", **s3}


def actor_of(user: User) -> Actor:
    return Actor(
        id=user.id or 0,
        name=user.name,
        email=user.email,
        locale="nl",
        roles=frozenset({Role.student}),
        permissions=permissions_for({Role.student}),
    )


def evidence_with_file(app: FastAPI, db: Session, student: User, *, reflection: str = "STARR: ...") -> Blob:
    """A submitted bewijsstuk of `student` with one PDF; returns its stored blob."""
    path = app.state.storage.spool_dir() / f"upload-{student.id}.part"
    path.write_bytes(PDF)
    spooled = SpooledFile(
        path=path,
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        original_name=f"verslag {student.name}.pdf",
        field_name="files",
        declared_content_type="application/pdf",
        head=PDF,
    )
    data = evidence.EvidenceInput(
        title=f"Intake bij {student.name}",
        activity_date="2026-03-01",
        kind="verslag",
        privacy_confirmed=True,
        reflection=reflection,
        eindtermen={"IA-a": "Intake binnen de kaders uitgevoerd."},
    )
    actor = actor_of(student)
    version = evidence.save_evidence(
        db, actor=actor, registry=app.state.frameworks, storage=app.state.storage, data=data, files=[spooled]
    )
    evidence.submit_slots(db, actor=actor, registry=app.state.frameworks, codes=["IA-a"])
    db.commit()
    return evidence.files_of_versions(db, version_ids=[version.id or 0])[version.id or 0][0]


def set_left(db: Session, student: User, when: datetime) -> None:
    for enrolment in db.exec(select(Enrolment).where(Enrolment.student_id == student.id)).all():
        enrolment.left_at = when
        db.add(enrolment)
    db.commit()


def run_cli(app: FastAPI, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    """`portfolio <args>` against the test's database and storage."""
    from app import cli

    monkeypatch.setattr(cli, "get_settings", lambda: app.state.settings)
    monkeypatch.setattr("app.config.get_settings", lambda: app.state.settings)
    result = CliRunner().invoke(cli.cli, list(args))
    return result.exit_code, result.output


def audit_count(db: Session, action: str | None = None) -> int:
    statement = select(AuditEvent.id)
    if action:
        statement = statement.where(AuditEvent.action == action)
    return len(db.exec(statement).all())


def test_months_before_clamps_to_the_end_of_the_month() -> None:
    assert retention.months_before(datetime(2026, 3, 31, 12), 1) == datetime(2026, 2, 28, 12)
    assert retention.months_before(datetime(2026, 1, 15), 13) == datetime(2024, 12, 15)
    assert retention.months_before(datetime(2024, 2, 29), 12) == datetime(2023, 2, 28)


def test_evidence_of_a_student_who_left_goes_after_the_term_dry_run_first_then_a_no_op(
    app: FastAPI, db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = app.state.storage
    gone = evidence_with_file(app, db, world.student)
    kept = evidence_with_file(app, db, world.other_student)
    set_left(db, world.student, utcnow() - timedelta(days=31 * 7))  # term: 6 months after leaving
    set_left(db, world.other_student, utcnow() - timedelta(days=31 * 5))  # not yet due
    audits_before = audit_count(db)

    code, output = run_cli(app, monkeypatch, "retention", "run", "--dry-run")
    assert code == 0, output
    assert "Proefdraai" in output and "bewijsbestanden verwijderd" in output
    assert next(line for line in output.splitlines() if "bewijsbestanden" in line).split()[-1] == "1"
    db.expire_all()
    assert storage.exists(gone.key) and db.get(Blob, gone.id).removed_at is None
    assert audit_count(db) == audits_before

    code, output = run_cli(app, monkeypatch, "retention", "run")
    assert code == 0, output
    assert "Bewaartermijnen toegepast" in output
    db.expire_all()
    assert not storage.exists(gone.key)
    assert storage.exists(kept.key)
    removed = db.get(Blob, gone.id)
    assert removed is not None and removed.removed_at is not None
    assert removed.sha256 == hashlib.sha256(PDF).hexdigest() and removed.original_name == "verwijderd"
    assert db.get(Blob, kept.id).removed_at is None  # type: ignore[union-attr]
    versions = db.exec(select(EvidenceVersion)).all()
    by_student = {v.created_by: v for v in versions}
    assert by_student[world.student.id].title == TOMBSTONE_TITLE and by_student[world.student.id].reflection == ""
    assert by_student[world.other_student.id].title.startswith("Intake bij")
    justifications = {link.version_id: link.justification for link in db.exec(select(EvidenceLink)).all()}
    assert justifications[by_student[world.student.id].id] == ""
    deleted_rows = db.exec(select(AuditEvent).where(AuditEvent.action == "retention.deleted")).all()
    assert {(e.object_type, e.object_id) for e in deleted_rows} >= {("evidence_file", str(gone.id))}
    assert verify_chain(db).ok
    assert run_cli(app, monkeypatch, "audit", "verify")[0] == 0
    # Storage check does not report the removed file as missing.
    code, output = run_cli(app, monkeypatch, "storage", "check")
    assert code == 0, output
    # The file is gone for everyone who could see it, and the link says so (410, not 404: #16 item 23).
    client = Browser(app, follow_redirects=False)
    client.app_ref = app
    login(client, world.student.email)
    answer = client.get(f"/bestanden/{gone.id}")
    assert answer.status_code == 410 and "verwijderd na de bewaartermijn op" in answer.text

    audits_after = audit_count(db)
    code, output = run_cli(app, monkeypatch, "retention", "run")
    assert code == 0 and "Niets te doen" in output, output
    assert audit_count(db) == audits_after
    client.close()


def test_nothing_is_due_before_the_term_or_without_leaving(app: FastAPI, db: Session, world: World) -> None:
    evidence_with_file(app, db, world.student)
    # One enrolment ended long ago but the student is still enrolled elsewhere: not due.
    db.add(Enrolment(cohort_id=world.other_cohort.id or 0, student_id=world.student.id or 0))
    db.commit()
    set_left(db, world.student, utcnow() - timedelta(days=400))
    open_enrolment = db.exec(
        select(Enrolment).where(Enrolment.student_id == world.student.id, Enrolment.cohort_id == world.other_cohort.id)
    ).one()
    open_enrolment.left_at = None
    db.add(open_enrolment)
    db.commit()
    assert not any(retention.plan(db, settings=app.state.settings).counts().values())


def test_sealed_portfolio_files_go_after_the_decision_term_and_the_record_after_the_records_term(
    app: FastAPI, db: Session, world: World, storage_settings: dict[str, object]
) -> None:
    from app.readiness import dossier as dossier_service
    from tests.test_readiness_decision import complete_portfolio, seal_it

    complete_portfolio(app, db, world)
    seal_it(app, db, world)
    made = dossier_service.request_dossier(db, actor_id=world.coordinator.id or 0, student_id=world.student.id or 0)
    db.commit()
    dossier_service.build(app.state.engine, app.state.storage, app.state.frameworks, made.id or 0)
    db.expire_all()
    built = db.get(Dossier, made.id)
    assert built is not None and built.status == "klaar"
    manifest, pdf_key, zip_key = built.manifest, built.pdf_key, built.zip_key
    storage, settings = app.state.storage, app.state.settings
    blob_keys = [b.key for b in db.exec(select(Blob)).all()]
    scores_before = [(a.eindterm_code, a.score) for a in db.exec(select(Assessment).order_by(col(Assessment.id))).all()]
    events_before = len(db.exec(select(ReadinessEvent)).all())

    # 11 months after the decision: nothing yet.
    assert not any(retention.plan(db, settings=settings, now=utcnow() + timedelta(days=31 * 11)).counts().values())
    # 13 months: the files and the dossier ZIP go; the decision, scores, PDF and manifest stay.
    later = utcnow() + timedelta(days=31 * 13)
    done = retention.apply(
        db, plan=retention.plan(db, settings=settings, now=later), storage=storage, settings=settings
    )
    db.commit()
    assert done["bewijsbestanden"] == len(blob_keys) and done["dossierbestanden"] == 1
    assert not any(storage.exists(k) for k in blob_keys) and not storage.exists(zip_key)
    assert storage.exists(pdf_key)
    db.expire_all()
    kept = db.get(Dossier, made.id)
    assert kept is not None and kept.pdf_key == pdf_key and kept.zip_key is None
    assert [m["sha256"] for m in kept.manifest] == [m["sha256"] for m in manifest]
    assert seal.is_sealed(db, student_id=world.student.id or 0)
    assert len(db.exec(select(ReadinessEvent)).all()) == events_before
    assert [(a.eindterm_code, a.score) for a in db.exec(select(Assessment).order_by(col(Assessment.id))).all()] == (
        scores_before
    )
    assert verify_chain(db).ok
    assert not any(retention.plan(db, settings=settings, now=later).counts().values())  # a second run: no-op

    # After the records' term: the person is pseudonymised and the PDF goes; scores and hashes still stay.
    much_later = utcnow() + timedelta(days=366 * 7 + 31)
    done = retention.apply(
        db, plan=retention.plan(db, settings=settings, now=much_later), storage=storage, settings=settings
    )
    db.commit()
    assert done["personen"] == 1
    db.expire_all()
    student = db.get(User, world.student.id)
    assert student is not None and student.name.startswith("Verwijderde persoon") and student.erased_at
    assert not storage.exists(pdf_key)
    assert [(a.eindterm_code, a.score) for a in db.exec(select(Assessment).order_by(col(Assessment.id))).all()] == (
        scores_before
    )
    final = db.get(Dossier, made.id)
    assert final is not None and [m["sha256"] for m in final.manifest] == [m["sha256"] for m in manifest]
    assert final.pdf_sha256 == built.pdf_sha256
    assert verify_chain(db).ok
    assert not any(retention.plan(db, settings=settings, now=much_later).counts().values())


def test_expired_exports_and_old_access_log_rows_go(app: FastAPI, db: Session, world: World) -> None:
    storage, settings = app.state.storage, app.state.settings

    def stored_export(age: timedelta) -> PrivacyExport:
        key = new_key()
        path = storage.spool_dir() / f"{key}.part"
        path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
        storage.publish(path, key=key, content_type="application/zip")
        export = PrivacyExport(
            subject_id=world.student.id or 0,
            requested_by_id=world.student.id or 0,
            status="klaar",
            zip_key=key,
            created_at=utcnow() - age,
        )
        db.add(export)
        db.commit()
        return export

    old_export, new_export = stored_export(timedelta(days=8)), stored_export(timedelta(days=1))
    old_key, new_key_ = old_export.zip_key, new_export.zip_key
    for months_ago in (25, 1):
        db.add(
            AccessEvent(
                at=utcnow() - timedelta(days=31 * months_ago),
                viewer_id=world.coordinator.id or 0,
                student_id=world.student.id or 0,
                kind="portfolio",
            )
        )
    db.commit()
    due = retention.plan(db, settings=settings)
    assert due.counts()["exports"] == 1 and due.counts()["toegangslog"] == 1
    done = retention.apply(db, plan=due, storage=storage, settings=settings)
    db.commit()
    assert done["exports"] == 1 and done["toegangslog"] == 1
    assert not storage.exists(old_key) and storage.exists(new_key_)
    db.expire_all()
    assert db.get(PrivacyExport, old_export.id).status == "verlopen"  # type: ignore[union-attr]
    assert len(db.exec(select(AccessEvent)).all()) == 1
    assert verify_chain(db).ok
    assert not any(retention.plan(db, settings=settings).counts().values())


def test_coordinator_records_leaving(app: FastAPI, db: Session, world: World, client_factory) -> None:  # type: ignore[no-untyped-def]
    url = f"/cohorten/{world.cohort.id}/studenten/{world.student.id}/uitschrijving"
    coordinator = client_factory()
    login(coordinator, world.coordinator.email)
    assert coordinator.post(url, data={"datum": ""}).status_code == 422
    assert coordinator.post(url, data={"datum": "2999-01-01"}).status_code == 422
    assert coordinator.post(url, data={"datum": "2026-06-30"}).status_code == 303
    db.expire_all()
    enrolment = db.exec(select(Enrolment).where(Enrolment.student_id == world.student.id)).one()
    assert enrolment.left_at is not None and enrolment.left_at.date().isoformat() == "2026-06-30"
    other = client_factory()
    login(other, world.other_coordinator.email)
    assert other.post(url, data={"datum": "2026-06-30"}).status_code == 404
    assert coordinator.post(url, data={"ongedaan": "ja"}).status_code == 303
    db.expire_all()
    assert db.exec(select(Enrolment).where(Enrolment.student_id == world.student.id)).one().left_at is None
    assert "Uitschrijving vastleggen" in coordinator.get(f"/cohorten/{world.cohort.id}").text
