"""Erasure on request: a beheerder erases a person after typing the pseudonym or e-mail and giving a reason.
Personal data is gone from every table and from storage (local and S3); decisions, scores, the dossier's hash
manifest and a valid audit chain stay."""

import json
import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel, col, select

from app.accounts import service as accounts
from app.accounts.models import PasswordResetToken, User, UserSession
from app.assessment.models import Assessment
from app.audit.models import AuditEvent
from app.audit.verify import verify_chain
from app.errors import Conflict, Forbidden
from app.evidence.models import Blob, EvidenceVersion
from app.privacy import erasure
from app.readiness import seal
from app.readiness.models import Dossier, ReadinessEvent
from app.signoff import service as signoff
from app.signoff.models import SignOff
from tests.conftest import PASSWORD, Browser, World, approve_pending_proposal, login
from tests.test_retention import evidence_with_file, run_cli, storage_settings  # noqa: F401 - local and S3
from tests.test_signoff import link_from_mail, submit

REASON = "Verzoek van de betrokkene (AVG art. 17), ontvangen per brief."


def every_text_in_the_database(engine: Engine) -> str:
    """All stored values of all tables, as one text: what is erased must not be anywhere in it."""
    parts = []
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(text(f'SELECT * FROM "{table.name}"')):
                parts.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    return "\n".join(parts)


def test_a_beheerder_erases_a_student_through_the_confirmation_page(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    storage, settings = app.state.storage, app.state.settings
    blob = evidence_with_file(app, db, world.student, reflection=f"{world.student.name} deed de intake.")
    submission = db.exec(select(signoff.Submission)).one()
    decider = signoff.Decider(
        user_id=world.supervisor.id or 0, name=world.supervisor.name, email=world.supervisor.email
    )
    signoff.decide(
        db, decider=decider, submission_id=submission.id or 0, decision="afgetekend", comment="Lotte deed het goed."
    )
    accounts.request_password_reset(db, email=world.student.email, settings=settings)
    db.commit()
    student = client_factory()
    login(student, world.student.email)
    assert student.get("/portfolio").status_code == 200
    name, email, user_id = world.student.name, world.student.email, world.student.id
    pseudonym = erasure.pseudonym_for(user_id=user_id or 0, secret_key=settings.secret_key)
    assert re.fullmatch(r"Verwijderde persoon [0-9A-F]{4}", pseudonym)

    admin = client_factory()
    login(admin, world.admin.email)
    assert f"/beheer/personen/{user_id}/verwijderen" in admin.get("/beheer/gebruikers").text
    url = f"/beheer/personen/{user_id}/verwijderen"
    page = admin.get(url)
    assert page.status_code == 200 and pseudonym in page.text and "Definitief verwijderen" in page.text
    assert admin.post(url, data={"reden": "", "bevestiging": email}).status_code == 422
    named = admin.post(url, data={"reden": f"Verzoek van {name}", "bevestiging": email})
    assert named.status_code == 422 and "niet de naam" in named.text
    assert admin.post(url, data={"reden": REASON, "bevestiging": "iemand@anders.nl"}).status_code == 422
    db.expire_all()
    assert db.get(User, user_id).name == name  # type: ignore[union-attr]
    assert storage.exists(blob.key)

    done = admin.post(url, data={"reden": REASON, "bevestiging": pseudonym.lower()})
    assert done.status_code == 200, done.text
    assert pseudonym in done.text and name not in done.text

    db.expire_all()
    erased = db.get(User, user_id)
    assert (
        erased is not None and erased.name == pseudonym and erased.email == f"verwijderd-{user_id}@verwijderd.invalid"
    )
    assert erased.password_hash is None and not erased.is_active and erased.erased_at is not None
    assert erased.student_number is None
    assert db.exec(select(UserSession).where(UserSession.user_id == user_id)).all() == []
    assert db.exec(select(PasswordResetToken).where(PasswordResetToken.user_id == user_id)).all() == []
    # Signed out everywhere, and the old login no longer works.
    assert student.get("/portfolio").status_code == 303
    again = client_factory()
    assert again.post("/login", data={"email": email, "password": PASSWORD, "next": "/"}).status_code != 303
    # The file is gone from storage; the rows keep what the record needs.
    assert not storage.exists(blob.key)
    kept_blob = db.get(Blob, blob.id)
    assert kept_blob is not None and kept_blob.removed_at is not None and kept_blob.sha256 == blob.sha256
    decision = db.exec(select(SignOff)).one()
    assert decision.decision == "afgetekend" and decision.comment == ""
    assert db.exec(select(EvidenceVersion)).one().reflection == ""
    # Not a trace of the name or e-mail address in any table.
    everything = every_text_in_the_database(app.state.engine)
    assert name not in everything and email not in everything
    assert "Lotte deed het goed" not in everything
    # The audit chain is intact and the erasure's own row names the pseudonym, not the person.
    assert verify_chain(db).ok
    row = db.exec(select(AuditEvent).where(AuditEvent.action == "person.erased")).one()
    assert row.data["pseudonym"] == pseudonym and row.data["reason"] == REASON and row.data["files"] == 1
    assert row.actor_id == world.admin.id
    # Once is enough.
    assert admin.post(url, data={"reden": REASON, "bevestiging": pseudonym}).status_code == 409


def test_erasing_a_link_praktijkbegeleider_keeps_their_sign_offs_under_the_pseudonym(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser], monkeypatch: pytest.MonkeyPatch
) -> None:
    student = client_factory()
    login(student, world.student.email)
    student.post(
        "/portfolio/praktijkbegeleider", data={"naam": "Kees Werkvloer", "email": "kees@bakkerij.nl", "functie": "Chef"}
    )
    approve_pending_proposal(db, client_factory, world.coordinator)
    made = submit(app, db, world, ["CJ-a"])
    link = link_from_mail(db, "kees@bakkerij.nl")
    phone = client_factory()
    assert phone.post(f"{link}/bevestigen", data={"naam": "Kees de Bakker", "functie": "Chef"}).status_code == 303
    assert phone.post(f"{link}/verzoeken/{made[0].id}", data={"besluit": "afgetekend"}).status_code == 303
    kees = accounts.get_user_by_email(db, email="kees@bakkerij.nl")
    assert kees is not None
    result = erasure.erase_person(
        db,
        actor_id=world.admin.id,
        user_id=kees.id or 0,
        reason=REASON,
        confirmation="kees@bakkerij.nl",
        storage=app.state.storage,
        settings=app.state.settings,
    )
    db.commit()
    decision = db.exec(select(SignOff)).one()
    assert decision.decision == "afgetekend" and decision.via_link_id is not None
    assert decision.decided_by_name == result.pseudonym and decision.decided_by_email.endswith("@verwijderd.invalid")
    assert phone.get(link).status_code == 404  # the link is revoked
    everything = every_text_in_the_database(app.state.engine)
    for trace in ("Kees Werkvloer", "Kees de Bakker", "kees@bakkerij.nl"):
        assert trace not in everything
    assert run_cli(app, monkeypatch, "audit", "verify")[0] == 0


def test_a_sealed_students_decision_scores_and_manifest_stay_and_the_files_go(
    app: FastAPI,
    db: Session,
    world: World,
    storage_settings: dict[str, object],  # noqa: F811
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
    manifest, pdf_key, zip_key, pdf_sha = built.manifest, built.pdf_key, built.zip_key, built.pdf_sha256
    storage = app.state.storage
    blob_keys = [b.key for b in db.exec(select(Blob)).all()]
    assert blob_keys and all(storage.exists(k) for k in blob_keys)
    scores = [(a.eindterm_code, a.score) for a in db.exec(select(Assessment).order_by(col(Assessment.id))).all()]
    events = [(e.kind, e.actor_id) for e in db.exec(select(ReadinessEvent).order_by(col(ReadinessEvent.id))).all()]

    erasure.erase_person(
        db,
        actor_id=world.admin.id,
        user_id=world.student.id or 0,
        reason=REASON,
        confirmation=world.student.email,
        storage=storage,
        settings=app.state.settings,
    )
    db.commit()
    db.expire_all()
    assert not any(storage.exists(k) for k in blob_keys)
    assert not storage.exists(pdf_key) and not storage.exists(zip_key)
    assert seal.is_sealed(db, student_id=world.student.id or 0)
    assert [(a.eindterm_code, a.score) for a in db.exec(select(Assessment).order_by(col(Assessment.id))).all()] == (
        scores
    )
    assert [(e.kind, e.actor_id) for e in db.exec(select(ReadinessEvent).order_by(col(ReadinessEvent.id))).all()] == (
        events
    )
    kept = db.get(Dossier, made.id)
    assert kept is not None and kept.pdf_sha256 == pdf_sha and kept.pdf_key is None and kept.zip_key is None
    assert [(m["sha256"], m["grootte"]) for m in kept.manifest] == [(m["sha256"], m["grootte"]) for m in manifest]
    assert all(m["bestand"].endswith("-verwijderd") for m in kept.manifest)
    assert "Lotte de Vries" not in every_text_in_the_database(app.state.engine)
    assert verify_chain(db).ok


def test_nobody_erases_themselves_and_only_the_beheerder_may(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    with pytest.raises(Forbidden):
        erasure.erase_person(
            db,
            actor_id=world.admin.id,
            user_id=world.admin.id or 0,
            reason=REASON,
            confirmation=world.admin.email,
            storage=app.state.storage,
            settings=app.state.settings,
        )
    db.rollback()
    coordinator = client_factory()
    login(coordinator, world.coordinator.email)
    url = f"/beheer/personen/{world.student.id}/verwijderen"
    assert coordinator.get(url).status_code == 404
    assert coordinator.post(url, data={"reden": REASON, "bevestiging": world.student.email}).status_code == 404
    admin = client_factory()
    login(admin, world.admin.email)
    own = admin.get(f"/beheer/personen/{world.admin.id}/verwijderen")
    assert own.status_code == 200 and "Definitief verwijderen" not in own.text
    db.expire_all()
    assert db.get(User, world.student.id).erased_at is None  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        for _ in range(2):
            erasure.erase_person(
                db,
                actor_id=None,
                user_id=world.other_student.id or 0,
                reason=REASON,
                storage=app.state.storage,
                settings=app.state.settings,
            )


# Personal columns of append-only tables that erasure deliberately leaves as they are, and why.
KEPT_APPEND_ONLY = {
    ("audit_event", "data"): "ids and facts only, never names (the chain must stay valid)",
}


def test_erasure_decides_on_every_personal_column_of_append_only_tables_in_the_register() -> None:
    """A new append-only table or column in the privacy register must be blanked by erasure or kept on purpose."""
    from app.db import AppendOnly
    from app.privacy.redaction import DELETABLE, REDACTABLE
    from app.privacy.register import REGISTER

    undecided = []
    for kind in REGISTER:
        model = kind.table
        if model is None or not issubclass(model, AppendOnly) or model in DELETABLE:
            continue
        table = model.__table__  # type: ignore[attr-defined]
        for name in kind.personal_columns:
            column = table.c[name]
            if column.foreign_keys or name.endswith("_hash"):
                continue  # an id (of the pseudonymised account) or a hash
            if name not in REDACTABLE.get(model, frozenset()) and (table.name, name) not in KEPT_APPEND_ONLY:
                undecided.append(f"{table.name}.{name}")
    assert undecided == [], f"erasure does not blank these append-only personal columns: {undecided}"


def test_erasure_blanks_practice_hours_and_development_text_and_pseudonymises_hour_decisions(
    app: FastAPI, db: Session, world: World
) -> None:
    from datetime import date
    from decimal import Decimal

    from app.development.models import DevelopmentEntry, DevelopmentWithdrawal
    from app.hours.models import HoursDecision, PracticeHours

    student, supervisor = world.student, world.supervisor
    entry = PracticeHours(
        student_id=student.id or 0,
        work_date=date(2026, 3, 2),
        hours=Decimal("7.5"),
        activity=f"Werkplekbezoek met {student.name} en cliënt Johan",
        workplace="Bakkerij Lotte de Vries",
        client_codes=["K-017"],
    )
    course = DevelopmentEntry(
        student_id=student.id or 0,
        kind="cursus",
        title=f"Cursus gevolgd door {student.name}",
        provider="Opleider",
        entry_date=date(2026, 1, 10),
        hours=Decimal("8"),
        note=student.email,
        created_by=student.id or 0,
    )
    db.add_all([entry, course])
    db.flush()
    db.add(
        HoursDecision(
            entry_id=entry.id or 0,
            student_id=student.id or 0,
            decision="terug",
            comment=f"{student.name}: graag de datum aanpassen",
            decided_by_id=supervisor.id,
            decided_by_name=supervisor.name,
            decided_by_email=supervisor.email,
        )
    )
    db.add(
        DevelopmentWithdrawal(
            entry_id=course.id or 0, student_id=student.id or 0, reason=student.name, created_by=student.id or 0
        )
    )
    db.commit()
    traces = (student.name, student.email, supervisor.name, supervisor.email, "cliënt Johan", "K-017")
    for person in (student, supervisor):
        erasure.erase_person(
            db,
            actor_id=world.admin.id,
            user_id=person.id or 0,
            reason=REASON,
            storage=app.state.storage,
            settings=app.state.settings,
        )
    db.commit()
    db.expire_all()
    everything = every_text_in_the_database(app.state.engine)
    for trace in traces:
        assert trace not in everything, trace
    kept = db.get(PracticeHours, entry.id)
    assert kept is not None and kept.hours == Decimal("7.5") and kept.work_date == date(2026, 3, 2)
    decision = db.exec(select(HoursDecision)).one()
    assert decision.decision == "terug" and decision.decided_by_name.startswith("Verwijderde persoon")
    assert verify_chain(db).ok
