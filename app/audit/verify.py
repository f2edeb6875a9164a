"""Checking the audit hash chain (`portfolio audit verify`)."""

import hashlib
import hmac
import sys
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.audit.models import AuditChainHead, AuditEvent
from app.audit.service import HEAD_ID, canonical_at, canonical_hash, canonical_json

BATCH = 1000


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int  # chained rows examined (the bad one included)
    first_bad_id: int | None
    problem: str | None
    legacy: int = 0  # rows from before the chain existed, at the start of the table, not checked

    def summary(self) -> str:
        if not self.ok:
            return f"Auditketen NIET in orde: {self.problem}"
        text = f"Auditketen in orde: {self.checked} rijen gecontroleerd."
        if self.legacy:
            text += f" {self.legacy} oudere rijen van vóór de keten zijn overgeslagen."
        return text


def unkeyed_hash(row: Any) -> str:
    """The old, unkeyed form ("audit-v1", plain SHA-256): only to name what a bad row is, never accepted."""
    fields = [
        "audit-v1",
        row.prev_hash,
        row.id,
        canonical_at(row.at),
        row.actor_id,
        row.action,
        row.object_type,
        row.object_id,
        row.data,
    ]
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def _head(session: Session) -> tuple[int | None, str]:
    table = AuditChainHead.__table__  # type: ignore[attr-defined]
    row = session.execute(select(table.c.last_event_id, table.c.last_hash).where(table.c.id == HEAD_ID)).first()
    return (None, "") if row is None else (row.last_event_id, row.last_hash)


def verify_chain(session: Session) -> ChainReport:
    """Walk all events in id order and check each row's hash and its link to the previous row, then the head.

    The head is read *before* the rows: rows appended meanwhile by running app instances then simply extend
    the chain past the head (they must still link correctly), instead of looking like tampering.
    """
    head_id, head_hash = _head(session)
    legacy = 0
    checked = 0
    previous_hash: str | None = None  # None: no chained row seen yet
    previous_id: int | None = None
    head_seen = False

    def bad(event_id: int | None, problem: str) -> ChainReport:
        return ChainReport(ok=False, checked=checked, first_bad_id=event_id, problem=problem, legacy=legacy)

    table = AuditEvent.__table__  # type: ignore[attr-defined]
    # Plain rows, not ORM objects: the identity map could hand back what this session wrote, not what is stored.
    statement = select(table).order_by(table.c.id).execution_options(yield_per=BATCH)
    for row in session.execute(statement):
        event_id: int = row.id
        if not row.hash:
            if previous_hash is None:
                legacy += 1
                continue
            checked += 1
            return bad(
                event_id, f"Rij {event_id}: de rij staat niet in de keten (geen hash) na rijen die dat wel doen."
            )
        checked += 1
        expected_prev = previous_hash if previous_hash is not None else ""
        if row.prev_hash != expected_prev:
            return bad(
                event_id,
                f"Rij {event_id}: de vorige rij ontbreekt of staat op een andere plek (prev_hash klopt niet).",
            )
        content_hash = canonical_hash(
            prev_hash=row.prev_hash,
            event_id=event_id,
            at=row.at,
            actor_id=row.actor_id,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            data=row.data,
        )
        if not hmac.compare_digest(content_hash, row.hash):
            if row.hash == unkeyed_hash(row):
                return bad(
                    event_id,
                    f"Rij {event_id}: de hash is zonder de sleutel berekend (nagemaakt, of de rij is geschreven "
                    "met een andere SECRET_KEY).",
                )
            return bad(event_id, f"Rij {event_id}: de inhoud is gewijzigd (hash klopt niet).")
        if event_id == head_id:
            head_seen = True
            if row.hash != head_hash:
                # This row was written in the same transaction that moved the head here: they must agree.
                return bad(
                    event_id,
                    "De laatste rij komt niet overeen met de kop van de keten (rijen aan het eind verwijderd): "
                    f"rij {event_id} heeft een andere hash dan de kop.",
                )
        previous_hash, previous_id = row.hash, event_id

    if head_hash and not head_seen:
        last = "er zijn geen rijen in de keten" if previous_id is None else f"de laatste rij is rij {previous_id}"
        return bad(
            head_id,
            "De laatste rij komt niet overeen met de kop van de keten (rijen aan het eind verwijderd): "
            f"de kop verwijst naar rij {head_id}, {last}.",
        )
    if not head_hash and previous_hash is not None and not _head(session)[1]:
        # (Re-read first: on a brand-new database the first event may have been written during the walk.)
        return bad(None, "De kop van de keten ontbreekt of is leeg, terwijl er rijen in de keten staan.")
    return ChainReport(ok=True, checked=checked, first_bad_id=None, problem=None, legacy=legacy)


def verify_command() -> int:
    """`portfolio audit verify`: 0 if the chain is intact, 1 if it was tampered with."""
    from app.config import get_settings
    from app.db import make_engine

    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as session:
            report = verify_chain(session)
    finally:
        engine.dispose()
    print(report.summary(), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1
