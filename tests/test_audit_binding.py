"""Decision rows bound into the audit chain: a sign-off, score, readiness decision or hours decision edited,
deleted or inserted with SQL (past the application) is named by `audit verify`; retention's blanking is not."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlmodel import Session, select

from app.audit.verify import verify_chain
from app.hours import service as hours
from app.hours.models import HoursDecision
from app.privacy.redaction import redact
from app.readiness.models import ReadinessEvent
from app.signoff.models import SignOff
from tests.conftest import World
from tests.test_hours import W1, _approve, _log
from tests.test_readiness_decision import complete_portfolio, seal_it
from tests.test_signoff import submit


@pytest.fixture
def decided(app: FastAPI, db: Session, world: World) -> World:
    """Every kind of bound decision: sign-offs (one returned), scores, a sealed readiness decision, hours."""
    complete_portfolio(app, db, world)
    seal_it(app, db, world)
    _log(app, db, world.student, W1, "8")
    hours.submit_week(db, student_id=world.student.id or 0, week=hours.week_key(W1), settings=None)
    _approve(db, world.supervisor, world.student, W1)
    db.commit()
    return world


def _tamper(db: Session, sql: str, **params: object) -> None:
    db.execute(text(sql), params)
    db.commit()


def _one_id(db: Session, table: str) -> int:
    return int(db.execute(text(f"SELECT min(id) FROM {table}")).scalar_one())


def test_every_decision_is_bound_and_verifies(db: Session, decided: World) -> None:
    report = verify_chain(db)
    assert report.ok, report.problem
    counted = sum(
        int(db.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
        for t in ("sign_off", "assessment", "readiness_event", "hours_decision", "substitute_approval")
    )
    assert report.decisions == counted and counted > 56 * 2


@pytest.mark.parametrize(
    ("table", "change"),
    [
        ("sign_off", "decision = 'afgetekend', comment = 'ok'"),
        ("sign_off", "decided_by_id = NULL"),
        ("assessment", "score = 'goed'"),
        ("readiness_event", "kind = 'bevestiging'"),
        ("hours_decision", "confirmed = '2026-W10: 40.00'"),
    ],
)
def test_an_edited_decision_is_named(db: Session, decided: World, table: str, change: str) -> None:
    row_id = _one_id(db, table)
    _tamper(db, f"UPDATE {table} SET {change} WHERE id = :id", id=row_id)
    report = verify_chain(db)
    assert not report.ok
    assert report.problem is not None and report.problem.startswith(f"{table} rij {row_id} is gewijzigd")


def test_a_returned_sign_off_turned_into_a_sign_off_is_named(app: FastAPI, db: Session, world: World) -> None:
    """The finding: `terug` edited to `afgetekend` with sqlite3 passed every check."""
    from app.signoff import service as signoff

    (submission,) = submit(app, db, world, ["JF-a"])
    decider = signoff.Decider(user_id=world.supervisor.id or 0, name="Sandra", email=world.supervisor.email)
    made = signoff.decide(db, decider=decider, submission_id=submission.id or 0, decision="terug", comment="Meer.")
    db.commit()
    assert verify_chain(db).ok
    _tamper(db, "UPDATE sign_off SET decision = 'afgetekend' WHERE id = :id", id=made.id)
    report = verify_chain(db)
    assert not report.ok and report.problem is not None and f"sign_off rij {made.id} is gewijzigd" in report.problem


@pytest.mark.parametrize("table", ["sign_off", "assessment", "readiness_event", "hours_decision"])
def test_a_deleted_decision_is_named(db: Session, decided: World, table: str) -> None:
    row_id = int(db.execute(text(f"SELECT max(id) FROM {table}")).scalar_one())
    # The newest row of each: nothing refers to it (a bevestiging names its besluit, not the other way round).
    _tamper(db, f"DELETE FROM {table} WHERE id = :id", id=row_id)
    report = verify_chain(db)
    assert not report.ok
    assert report.problem is not None and report.problem.startswith(f"{table} rij {row_id} ontbreekt")


def test_an_inserted_decision_is_named(db: Session, decided: World) -> None:
    """A besluit written straight into the table (say, to seal a portfolio that never met the rules)."""
    source = db.exec(select(ReadinessEvent)).first()
    assert source is not None
    new_id = int(db.execute(text("SELECT max(id) FROM readiness_event")).scalar_one()) + 1000
    _tamper(
        db,
        "INSERT INTO readiness_event (id, student_id, kind, framework_id, framework_version, actor_id, reason, "
        "created_at) VALUES (:id, :s, 'besluit', :f, :v, :a, '', '2026-12-01 10:00:00.000000')",
        id=new_id,
        s=source.student_id,
        f=source.framework_id,
        v=source.framework_version,
        a=source.actor_id,
    )
    report = verify_chain(db)
    assert not report.ok
    assert report.problem == (
        f"readiness_event rij {new_id} staat niet in de auditketen: buiten de applicatie om ingevoegd."
    )


def test_retention_blanking_is_rebound_and_still_verifies(db: Session, decided: World) -> None:
    """Erasure and retention blank personal columns of decision rows: they re-bind what they changed."""
    redact(db, SignOff, where=SignOff.student_id == decided.student.id, values={"comment": "", "decided_by_name": ""})
    redact(db, HoursDecision, where=HoursDecision.student_id == decided.student.id, values={"decided_by_email": ""})
    db.commit()
    report = verify_chain(db)
    assert report.ok, report.problem
    # …and a change after that is still named.
    row_id = _one_id(db, "sign_off")
    _tamper(db, "UPDATE sign_off SET decision = 'terug' WHERE id = :id", id=row_id)
    assert not verify_chain(db).ok


def test_the_migration_binds_existing_decisions_and_keys_the_head(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A database from before the binding: its decisions get bound, its head keyed; tampering after shows."""
    import sqlite3
    from datetime import UTC, datetime

    from alembic import command

    from app import migrate
    from app.audit import service as audit
    from app.config import get_settings
    from app.db import make_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = migrate.alembic_config(url)
    command.upgrade(config, "c15a00000004")
    audit.configure("the-production-secret")
    at = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    digest = audit.canonical_hash(
        prev_hash="", event_id=1, at=at, actor_id=None, action="test.event", object_type="thing", object_id="1", data={}
    )
    raw = sqlite3.connect(tmp_path / "old.db")  # no foreign keys: the score's student need not exist here
    raw.execute(
        "INSERT INTO audit_event (id, at, actor_id, action, object_type, object_id, data, prev_hash, hash) "
        "VALUES (1, '2026-11-01 08:00:00.000000', NULL, 'test.event', 'thing', '1', '{}', '', ?)",
        (digest,),
    )
    raw.execute("INSERT INTO audit_chain_head (id, last_event_id, last_hash) VALUES (1, 1, ?)", (digest,))
    raw.execute(
        "INSERT INTO assessment (id, student_id, eindterm_code, framework_id, framework_version, submission_id, "
        "score, feedback, assessor_id, created_at) VALUES (7, 3, 'IA-a', 'bvjn-eindtermen', '2012', NULL, "
        "'voldoende', 'Goed gedaan.', 4, '2026-11-01 09:00:00.000000')"
    )
    raw.commit()
    raw.close()

    monkeypatch.setenv("SECRET_KEY", "the-production-secret")
    get_settings.cache_clear()
    try:
        command.upgrade(config, "head")
    finally:
        get_settings.cache_clear()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            report = verify_chain(session)
            assert report.ok and report.decisions == 1 and report.checked == report.expected == 2, report
            session.execute(text("UPDATE assessment SET score = 'goed' WHERE id = 7"))
            session.commit()
            report = verify_chain(session)
            assert not report.ok and report.problem is not None
            assert report.problem.startswith("assessment rij 7 is gewijzigd")
    finally:
        audit.configure("test-secret")
        engine.dispose()
