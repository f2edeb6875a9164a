"""The audit hash chain: every event commits to the previous one, so editing, deleting or reordering rows
(with raw SQL, past the ORM's append-only guard) is detected and the first bad row is named."""

from __future__ import annotations

import itertools
import os
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlmodel import Session, select

from app.audit import service as audit
from app.audit.models import AuditChainHead, AuditEvent
from app.audit.verify import verify_chain, verify_command
from app.config import get_settings
from tests.conftest import World

PREV_PROBLEM = "de vorige rij ontbreekt of staat op een andere plek (prev_hash klopt niet)"
CONTENT_PROBLEM = "de inhoud is gewijzigd (hash klopt niet)"
TAIL_PROBLEM = "De laatste rij komt niet overeen met de kop van de keten (rijen aan het eind verwijderd)"


def _record_some(db: Session, world: World, n: int = 5) -> list[int]:
    ids = []
    for i in range(n):
        event = audit.record(
            db,
            actor_id=world.admin.id,
            action="test.event",
            object_type="thing",
            object_id=i,
            data={"n": i, "tekst": "één", "nested": {"b": [1, 2.5, None], "a": True}},
        )
        assert event.id is not None
        ids.append(event.id)
    db.commit()
    return ids


def _all_ids(db: Session) -> list[int]:
    return list(db.execute(text("SELECT id FROM audit_event ORDER BY id")).scalars())


def _rows(db: Session) -> list[tuple[int, str, str]]:
    return [tuple(r) for r in db.execute(text("SELECT id, prev_hash, hash FROM audit_event ORDER BY id"))]


def _tamper(db: Session, sql: str, **params: object) -> None:
    db.execute(text(sql), params)
    db.commit()


# --- writing ---------------------------------------------------------------------------------------


def test_world_and_new_events_form_one_valid_chain(db: Session, world: World) -> None:
    before = len(_all_ids(db))
    assert before > 0, "creating the world writes audit rows"
    ids = _record_some(db, world)

    report = verify_chain(db)
    assert report.ok, report.problem
    assert report.checked == before + len(ids)
    assert report.first_bad_id is None and report.problem is None

    rows = _rows(db)
    assert rows[0][1] == ""
    for (_, _, prev_hash), (_, linked, _) in itertools.pairwise(rows):
        assert linked == prev_hash
    head = db.exec(select(AuditChainHead)).one()
    assert head.id == 1 and head.last_event_id == ids[-1] and head.last_hash == rows[-1][2]


def test_hash_survives_the_round_trip(db: Session, world: World, engine: Engine) -> None:
    """What is hashed at write time (aware UTC `at` with microseconds, JSON data) equals what is read back."""
    event = audit.record(
        db,
        actor_id=None,
        action="test.roundtrip",
        object_type="thing",
        object_id=12345,
        data={3: "int key", "z": 0.1, "é": ["ü", {"y": 1, "x": (1, 2)}]},  # type: ignore[dict-item]
    )
    written = event.hash
    db.commit()
    with Session(engine) as fresh:
        stored = fresh.get(AuditEvent, event.id)
        assert stored is not None
        assert stored.data == {"3": "int key", "z": 0.1, "é": ["ü", {"y": 1, "x": [1, 2]}]}
        assert stored.object_id == "12345"
        assert audit.event_hash(stored) == written
        assert audit.canonical_at(stored.at) == audit.canonical_at(event.at)
    assert len(written) == 64
    assert verify_chain(db).ok


def test_canonical_at_normalises_to_utc() -> None:
    naive = datetime(2026, 11, 25, 14, 3, 7, 120)
    aware = datetime(2026, 11, 25, 14, 3, 7, 120, tzinfo=UTC)
    assert audit.canonical_at(naive) == audit.canonical_at(aware) == "2026-11-25T14:03:07.000120+00:00"
    assert audit.canonical_at(aware.astimezone()) == audit.canonical_at(aware)


def test_hash_covers_every_field() -> None:
    fields: dict = {
        "prev_hash": "a" * 64,
        "event_id": 7,
        "at": datetime(2026, 1, 1, tzinfo=UTC),
        "actor_id": 1,
        "action": "x.y",
        "object_type": "user",
        "object_id": "3",
        "data": {"k": "v"},
    }
    base = audit.canonical_hash(**fields)
    changes = {
        "prev_hash": "b" * 64,
        "event_id": 8,
        "at": datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        "actor_id": None,
        "action": "x.z",
        "object_type": "users",
        "object_id": None,
        "data": {"k": "w"},
    }
    for name, value in changes.items():
        assert audit.canonical_hash(**{**fields, name: value}) != base, name


def test_record_only_flushes(db: Session, world: World, engine: Engine) -> None:
    event = audit.record(db, actor_id=None, action="test.uncommitted", object_type="thing")
    db.rollback()
    with Session(engine) as other:
        assert other.get(AuditEvent, event.id) is None
    assert verify_chain(db).ok


def test_orm_refuses_to_update_or_delete_an_event(db: Session, world: World) -> None:
    _record_some(db, world, 2)
    event = db.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()  # type: ignore[union-attr]
    assert event is not None
    event.action = "x"
    with pytest.raises(RuntimeError, match="append-only"):
        db.flush()
    db.rollback()

    db.delete(event)
    with pytest.raises(RuntimeError, match="append-only"):
        db.flush()
    db.rollback()
    assert verify_chain(db).ok


# --- tampering ------------------------------------------------------------------------------------


def test_edited_row_is_named(db: Session, world: World) -> None:
    ids = _record_some(db, world)
    _tamper(db, "UPDATE audit_event SET action='x' WHERE id=:id", id=ids[2])

    report = verify_chain(db)
    assert not report.ok
    assert report.first_bad_id == ids[2]
    assert report.problem == f"Rij {ids[2]}: {CONTENT_PROBLEM}."


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET data='{\"n\": 99}' WHERE id=:id",
        "UPDATE audit_event SET actor_id=NULL WHERE id=:id",
        "UPDATE audit_event SET object_id='other' WHERE id=:id",
        "UPDATE audit_event SET at=:at WHERE id=:id",
    ],
)
def test_any_edited_field_is_detected(db: Session, world: World, sql: str) -> None:
    ids = _record_some(db, world)
    _tamper(db, sql, id=ids[1], at="2020-01-01 00:00:00.000000")

    report = verify_chain(db)
    assert not report.ok and report.first_bad_id == ids[1]


def test_deleted_row_in_the_middle_is_detected(db: Session, world: World) -> None:
    ids = _record_some(db, world)
    _tamper(db, "DELETE FROM audit_event WHERE id=:id", id=ids[2])

    report = verify_chain(db)
    assert not report.ok
    assert report.first_bad_id == ids[3], "the row after the gap no longer links to its predecessor"
    assert report.problem == f"Rij {ids[3]}: {PREV_PROBLEM}."


def test_deleted_first_row_is_detected(db: Session, world: World) -> None:
    ids = _all_ids(db)
    _tamper(db, "DELETE FROM audit_event WHERE id=:id", id=ids[0])

    report = verify_chain(db)
    assert not report.ok and report.first_bad_id == ids[1]


def test_swapped_contents_are_detected(db: Session, world: World) -> None:
    """Swap data, action and `at` of two rows (ids and hashes stay): both rows' contents no longer match."""
    ids = _record_some(db, world)
    first, second = ids[1], ids[3]
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    columns = (table.c.data, table.c.action, table.c.at, table.c.object_id)
    rows = {r.id: r for r in db.execute(sa_select(table.c.id, *columns).where(table.c.id.in_([first, second])))}
    for target, source in ((first, second), (second, first)):
        # A Core UPDATE, like raw SQL, passes the ORM's append-only guard.
        db.execute(
            sa_update(table).where(table.c.id == target).values({c.name: rows[source]._mapping[c] for c in columns})
        )
    db.commit()

    report = verify_chain(db)
    assert not report.ok
    assert report.first_bad_id == first
    assert report.problem == f"Rij {first}: {CONTENT_PROBLEM}."


def test_reordered_rows_are_detected(db: Session, world: World) -> None:
    """Move whole rows (hash and prev_hash included) to each other's place: the links break."""
    ids = _record_some(db, world)
    first, second = ids[1], ids[2]
    db.execute(text("UPDATE audit_event SET id=-1 WHERE id=:a"), {"a": first})
    db.execute(text("UPDATE audit_event SET id=:a WHERE id=:b"), {"a": first, "b": second})
    db.execute(text("UPDATE audit_event SET id=:b WHERE id=-1"), {"b": second})
    db.commit()

    report = verify_chain(db)
    assert not report.ok
    assert report.first_bad_id == first
    assert report.problem == f"Rij {first}: {PREV_PROBLEM}."


def test_rows_deleted_at_the_end_are_detected_via_the_head(db: Session, world: World) -> None:
    ids = _record_some(db, world)
    _tamper(db, "DELETE FROM audit_event WHERE id >= :id", id=ids[-2])

    report = verify_chain(db)
    assert not report.ok
    assert report.first_bad_id == ids[-1], "the head names the missing last row"
    assert report.problem is not None and report.problem.startswith(TAIL_PROBLEM)
    assert f"rij {ids[-3]}" in report.problem


def test_all_chained_rows_deleted_is_detected(db: Session, world: World) -> None:
    _tamper(db, "DELETE FROM audit_event")

    report = verify_chain(db)
    assert not report.ok and report.problem is not None and report.problem.startswith(TAIL_PROBLEM)


def test_new_events_after_a_truncation_still_show_it(db: Session, world: World) -> None:
    ids = _record_some(db, world)
    _tamper(db, "DELETE FROM audit_event WHERE id = :id", id=ids[-1])
    event = audit.record(db, actor_id=None, action="test.after", object_type="thing")
    db.commit()

    assert event.id is not None and event.id > ids[-1], "no id the head already named is reused"
    report = verify_chain(db)
    assert not report.ok
    assert report.first_bad_id == event.id
    assert report.problem == f"Rij {event.id}: {PREV_PROBLEM}."


def test_replaced_last_row_is_detected(db: Session, world: World) -> None:
    """Forge the last row consistently (new content, recomputed hash): it no longer matches the head."""
    ids = _record_some(db, world)
    last = db.get(AuditEvent, ids[-1])
    assert last is not None
    forged = AuditEvent(
        id=last.id,
        at=last.at,
        actor_id=None,
        action="forged",
        object_type="thing",
        object_id=last.object_id,
        data={},
        prev_hash=last.prev_hash,
    )
    forged.hash = audit.event_hash(forged)
    _tamper(
        db,
        "UPDATE audit_event SET action='forged', actor_id=NULL, data='{}', hash=:h WHERE id=:id",
        h=forged.hash,
        id=last.id,
    )

    report = verify_chain(db)
    assert not report.ok and report.first_bad_id == ids[-1]
    assert report.problem is not None and report.problem.startswith(TAIL_PROBLEM)


# --- rows without a hash ---------------------------------------------------------------------------


def _insert_unhashed(db: Session, action: str) -> None:
    db.execute(
        text(
            "INSERT INTO audit_event (at, actor_id, action, object_type, object_id, data, prev_hash, hash) "
            "VALUES (:at, NULL, :action, 'thing', NULL, '{}', '', '')"
        ),
        {"at": "2025-01-01 00:00:00.000000", "action": action},
    )


def test_unhashed_rows_are_refused_even_at_the_start(db: Session) -> None:
    """There is no legacy data left after the migrations: an unhashed row is a blanked or inserted one."""
    for i in range(3):
        _insert_unhashed(db, f"unhashed.{i}")
    db.commit()
    first = _all_ids(db)[0]
    report = verify_chain(db)
    assert not report.ok and report.first_bad_id == first
    assert report.problem == f"Rij {first}: de rij heeft geen hash (de hash is gewist of de rij is ingevoegd)."


def test_an_unchained_row_after_chained_ones_is_tampering(db: Session, world: World) -> None:
    _record_some(db, world, 2)
    _insert_unhashed(db, "sneaked.in")
    db.commit()
    sneaked = _all_ids(db)[-1]

    report = verify_chain(db)
    assert not report.ok and report.first_bad_id == sneaked


def test_blanking_hashes_at_the_start_does_not_hide_rows(db: Session, world: World) -> None:
    ids = _all_ids(db)
    _tamper(db, "UPDATE audit_event SET hash='', prev_hash='' WHERE id <= :id", id=ids[1])

    report = verify_chain(db)
    assert not report.ok and report.first_bad_id == ids[0]


def test_blanking_every_hash_is_detected(db: Session, world: World) -> None:
    _record_some(db, world)
    _tamper(db, "UPDATE audit_event SET hash='', prev_hash=''")
    _tamper(db, "UPDATE audit_chain_head SET last_event_id=NULL, last_hash='', row_count=0, mac=''")

    report = verify_chain(db)
    assert not report.ok and report.first_bad_id == _all_ids(db)[0]


# --- the keyed head -------------------------------------------------------------------------------


def test_cutting_the_newest_rows_and_rewriting_the_head_is_detected(db: Session, world: World) -> None:
    """Delete the newest rows, point the head at an earlier row with that row's hash and a matching count:
    without the key the head's HMAC cannot be made."""
    ids = _record_some(db, world)
    keep = ids[-3]
    kept_hash = db.execute(text("SELECT hash FROM audit_event WHERE id = :id"), {"id": keep}).scalar_one()
    _tamper(db, "DELETE FROM audit_event WHERE id > :id", id=keep)
    remaining = len(_all_ids(db))
    _tamper(
        db,
        "UPDATE audit_chain_head SET last_event_id=:id, last_hash=:h, row_count=:n",
        id=keep,
        h=kept_hash,
        n=remaining,
    )

    report = verify_chain(db)
    assert not report.ok and report.first_bad_id == keep
    assert report.problem is not None and "HMAC van de kop klopt niet" in report.problem


def test_a_lowered_row_count_is_detected(db: Session, world: World) -> None:
    _record_some(db, world)
    _tamper(db, "UPDATE audit_chain_head SET row_count = row_count - 1")
    report = verify_chain(db)
    assert not report.ok and report.problem is not None and "HMAC van de kop" in report.problem


def test_verify_reports_the_row_count_the_head_expects(db: Session, world: World) -> None:
    ids = _record_some(db, world)
    report = verify_chain(db)
    assert report.ok and report.expected == len(_all_ids(db)) == report.checked
    head = db.execute(sa_select(AuditChainHead.__table__)).one()  # type: ignore[attr-defined]
    assert (head.last_event_id, head.row_count) == (ids[-1], len(_all_ids(db)))
    assert head.mac == audit.head_mac(last_event_id=ids[-1], last_hash=head.last_hash, row_count=head.row_count)


# --- the command ----------------------------------------------------------------------------------


@pytest.fixture
def settings_from_env(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "test-secret")  # the key the chain is written with (a real one on PostgreSQL)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_verify_command(db: Session, world: World, settings_from_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    count = len(_all_ids(db))
    assert verify_command() == 0
    assert capsys.readouterr().out.strip() == (
        f"Auditketen in orde: {count} rijen gecontroleerd (de kop van de keten noemt er {count}); "
        "0 vastgelegde beslissingen komen overeen met hun auditregels."
    )

    target = _all_ids(db)[3]
    _tamper(db, "UPDATE audit_event SET action='x' WHERE id=:id", id=target)
    assert verify_command() == 1
    assert f"Rij {target}: {CONTENT_PROBLEM}." in capsys.readouterr().err


# --- several app instances on one PostgreSQL ------------------------------------------------------


def _require_postgres(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        return
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail("REQUIRE_POSTGRES=1, but the tests run on SQLite: set TEST_DATABASE_URL to a PostgreSQL database.")
    pytest.skip("concurrent writers need PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://... to run this")


@pytest.mark.postgres
def test_concurrent_writers_form_one_linear_chain(db: Session, world: World, engine: Engine) -> None:
    _require_postgres(engine)
    threads_n, per_thread = 8, 25
    before = len(_all_ids(db))
    db.commit()  # hold no lock or transaction while the writers run
    start = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                with Session(engine) as session:
                    audit.record(
                        session,
                        actor_id=None,
                        action="test.concurrent",
                        object_type="thing",
                        object_id=f"{worker}-{i}",
                        data={"worker": worker, "i": i},
                    )
                    session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "writers hung"
    assert not errors, errors

    report = verify_chain(db)
    assert report.ok, report.problem
    assert report.checked == before + threads_n * per_thread

    rows = _rows(db)
    assert len(rows) == before + threads_n * per_thread
    assert rows[0][1] == ""
    for (_, _, prev_hash), (row_id, linked, _) in itertools.pairwise(rows):
        assert linked == prev_hash, f"row {row_id} forks the chain"
    assert len({h for _, _, h in rows}) == len(rows)
    written = set(db.execute(text("SELECT object_id FROM audit_event WHERE action='test.concurrent'")).scalars())
    assert written == {f"{w}-{i}" for w in range(threads_n) for i in range(per_thread)}
    head = db.exec(select(AuditChainHead)).one()
    assert (head.last_event_id, head.last_hash) == (rows[-1][0], rows[-1][2])


# --- the chain is keyed -----------------------------------------------------------------------------------------


def _rewrite_whole_chain(db: Session, hash_of) -> None:  # type: ignore[no-untyped-def]
    """What someone with write access to the database could do: recompute every row's links and the head."""
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    previous = ""
    for row in db.execute(sa_select(table).order_by(table.c.id)).fetchall():
        new_hash = hash_of(previous, row)
        db.execute(sa_update(table).where(table.c.id == row.id).values(prev_hash=previous, hash=new_hash, action="x"))
        previous = new_hash
    head = AuditChainHead.__table__  # type: ignore[attr-defined]
    db.execute(sa_update(head).values(last_hash=previous))
    db.commit()


def test_a_chain_rewritten_end_to_end_without_the_key_is_detected(db: Session, world: World) -> None:
    import hashlib
    import hmac

    from app.audit.verify import unkeyed_hash

    _record_some(db, world)
    first = _all_ids(db)[0]

    def unkeyed(previous: str, row) -> str:  # type: ignore[no-untyped-def]
        fields = ["audit-v2", previous, row.id, audit.canonical_at(row.at), row.actor_id, "x", row.object_type]
        fields += [row.object_id, row.data]
        return hashlib.sha256(audit.canonical_json(fields).encode()).hexdigest()

    _rewrite_whole_chain(db, unkeyed)
    report = verify_chain(db)
    assert not report.ok and report.first_bad_id == first
    assert report.problem == f"Rij {first}: {CONTENT_PROBLEM}."

    # The old, unkeyed form is named as such.
    from types import SimpleNamespace

    def old_form(previous: str, row) -> str:  # type: ignore[no-untyped-def]
        return unkeyed_hash(SimpleNamespace(**{**row._asdict(), "prev_hash": previous, "action": "x"}))

    _rewrite_whole_chain(db, old_form)
    report = verify_chain(db)
    assert not report.ok and report.first_bad_id == first
    assert report.problem is not None and "zonder de sleutel" in report.problem

    # With another key (another SECRET_KEY) it does not pass either.
    other = audit.chain_key_for("another-secret")

    def other_key(previous: str, row) -> str:  # type: ignore[no-untyped-def]
        fields = ["audit-v2", previous, row.id, audit.canonical_at(row.at), row.actor_id, "x", row.object_type]
        fields += [row.object_id, row.data]
        return hmac.new(other, audit.canonical_json(fields).encode(), hashlib.sha256).hexdigest()

    _rewrite_whole_chain(db, other_key)
    assert not verify_chain(db).ok


def test_the_migration_keys_an_existing_chain_and_keeps_tampering_visible(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A chain written before the key (plain SHA-256) is re-hashed with the key; a tampered row stays named."""
    import hashlib
    import json as json_module

    from alembic import command

    from app import migrate
    from app.db import make_engine

    def v1(previous: str, event_id: int, at: datetime, action: str, data: dict) -> str:  # type: ignore[type-arg]
        fields = ["audit-v1", previous, event_id, audit.canonical_at(at), None, action, "thing", str(event_id), data]
        return hashlib.sha256(audit.canonical_json(fields).encode()).hexdigest()

    results = {}
    for tampered in (False, True):
        url = f"sqlite:///{tmp_path / f'chain-{tampered}.db'}"
        config = migrate.alembic_config(url)
        command.upgrade(config, "b9a1c0de0003")
        engine = make_engine(url)
        previous = ""
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO audit_event (at, action, object_type, data, prev_hash, hash) "
                    "VALUES ('2025-01-01 00:00:00.000000', 'legacy', 'thing', '{}', '', '')"
                )
            )
            for event_id in range(2, 7):
                at = datetime(2026, 1, event_id, 12, 0, 0, 123, tzinfo=UTC)
                data = {"n": event_id}
                digest = v1(previous, event_id, at, "test.event", data)
                action = "altered" if tampered and event_id == 4 else "test.event"
                conn.execute(
                    text(
                        "INSERT INTO audit_event (id, at, action, object_type, object_id, data, prev_hash, hash) "
                        "VALUES (:id, :at, :action, 'thing', :oid, :data, :prev, :hash)"
                    ),
                    {
                        "id": event_id,
                        "at": at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                        "action": action,
                        "oid": str(event_id),
                        "data": json_module.dumps(data),
                        "prev": previous,
                        "hash": digest,
                    },
                )
                previous = digest
            conn.execute(
                text("INSERT INTO audit_chain_head (id, last_event_id, last_hash) VALUES (1, 6, :h)"), {"h": previous}
            )
        monkeypatch.setenv("SECRET_KEY", "the-production-secret")
        get_settings.cache_clear()
        try:
            command.upgrade(config, "head")
        finally:
            get_settings.cache_clear()
        audit.configure("the-production-secret")
        try:
            with Session(engine) as session:
                results[tampered] = verify_chain(session)
        finally:
            audit.configure("test-secret")
            engine.dispose()
    # The row from before the chain was chained by the later migration: all six rows verify.
    assert results[False].ok and results[False].checked == 6, results[False]
    assert not results[True].ok and results[True].first_bad_id == 4, results[True]


def test_secret_key_can_be_rotated_once_audit_key_holds_the_old_one(db: Session, world: World) -> None:
    """A chain written under SECRET_KEY keeps verifying with AUDIT_KEY set to that key and a new SECRET_KEY."""
    from app.config import Settings

    old = Settings(secret_key="test-secret", database_url="sqlite://")  # the key the world's events were written with
    audit.configure(old.audit_secret)
    try:
        _record_some(db, world)
        assert verify_chain(db).ok
        rotated = Settings(secret_key="a-brand-new-secret", audit_key="test-secret", database_url="sqlite://")
        audit.configure(rotated.audit_secret)
        assert verify_chain(db).ok
        audit.configure(Settings(secret_key="a-brand-new-secret", database_url="sqlite://").audit_secret)
        assert not verify_chain(db).ok, "without AUDIT_KEY the new SECRET_KEY is the chain's key"
    finally:
        audit.configure("test-secret")


def test_the_public_key_is_refused_as_audit_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from app.config import DEV_SECRET_KEY, Settings

    monkeypatch.setenv("DEVELOPMENT", "false")
    with pytest.raises(ValidationError, match="ontwikkelsleutel"):
        Settings(secret_key="a-real-secret-key", audit_key=DEV_SECRET_KEY, database_url="postgresql://x/y")
