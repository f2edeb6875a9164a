"""Checking the audit hash chain (`portfolio audit verify`)."""

import hashlib
import hmac
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.audit import binding
from app.audit.canonical import canonical_at, canonical_json
from app.audit.models import AuditChainHead, AuditEvent
from app.audit.service import HEAD_ID, Head, canonical_hash, head_mac

BATCH = 1000


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int  # chained rows examined (the bad one included)
    first_bad_id: int | None
    problem: str | None
    expected: int = 0  # the number of rows the head says the chain holds
    decisions: int = 0  # bound decision rows checked against their audit events

    def summary(self) -> str:
        if not self.ok:
            return f"Auditketen NIET in orde: {self.problem}"
        return (
            f"Auditketen in orde: {self.checked} rijen gecontroleerd (de kop van de keten noemt er {self.expected}); "
            f"{self.decisions} vastgelegde beslissingen komen overeen met hun auditregels."
        )


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


def _head(session: Session) -> Head | None:
    table = AuditChainHead.__table__  # type: ignore[attr-defined]
    row = session.execute(
        select(table.c.last_event_id, table.c.last_hash, table.c.row_count, table.c.mac).where(table.c.id == HEAD_ID)
    ).first()
    return None if row is None else Head(row.last_event_id, row.last_hash, row.row_count or 0, row.mac or "")


def _head_is_genuine(head: Head) -> bool:
    expected = head_mac(last_event_id=head.last_event_id, last_hash=head.last_hash, row_count=head.row_count)
    return hmac.compare_digest(expected, head.mac)


def verify_chain(session: Session) -> ChainReport:
    """Walk all events in id order and check each row's hash and its link to the previous row, then the head,
    then every bound decision row against the binding its audit event carries.

    The head is read *before* the rows: rows appended meanwhile by running app instances then simply extend
    the chain past the head (they must still link correctly), instead of looking like tampering.
    """
    head = _head(session)
    head_id = head.last_event_id if head else None
    expected = head.row_count if head else 0
    checked = 0
    up_to_head = 0
    previous_hash = ""
    previous_id: int | None = None
    head_seen = False
    # (table, id) -> (hash, event id) of the latest binding, in chain order
    bound: dict[tuple[str, int], tuple[str, int]] = {}

    def bad(event_id: int | None, problem: str) -> ChainReport:
        return ChainReport(ok=False, checked=checked, first_bad_id=event_id, problem=problem, expected=expected)

    table = AuditEvent.__table__  # type: ignore[attr-defined]
    # Plain rows, not ORM objects: the identity map could hand back what this session wrote, not what is stored.
    statement = select(table).order_by(table.c.id).execution_options(yield_per=BATCH)
    for row in session.execute(statement):
        event_id: int = row.id
        checked += 1
        if not row.hash:
            # Every row is chained since the migration that keyed the chain: a blank hash is a removed one.
            return bad(event_id, f"Rij {event_id}: de rij heeft geen hash (de hash is gewist of de rij is ingevoegd).")
        if row.prev_hash != previous_hash:
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
                    "met een andere AUDIT_KEY/SECRET_KEY).",
                )
            return bad(event_id, f"Rij {event_id}: de inhoud is gewijzigd (hash klopt niet).")
        if head_id is not None and event_id <= head_id:
            up_to_head += 1
        if event_id == head_id:
            head_seen = True
            if head is not None and row.hash != head.last_hash:
                return bad(
                    event_id,
                    "De laatste rij komt niet overeen met de kop van de keten (rijen aan het eind verwijderd): "
                    f"rij {event_id} heeft een andere hash dan de kop.",
                )
        for name, row_id, digest in binding.bindings_in([row.data]):
            bound[(str(name), int(row_id))] = (str(digest), event_id)
        previous_hash, previous_id = row.hash, event_id

    # After the rows: a bad row is named first, then a head that was rewritten.
    if head is not None and head.last_event_id is not None and not _head_is_genuine(head):
        return bad(
            head.last_event_id,
            "De kop van de keten is gewijzigd of zonder de sleutel gezet (de HMAC van de kop klopt niet): "
            "rijen aan het eind kunnen verwijderd zijn.",
        )

    if head_id is not None and not head_seen:
        last = "er zijn geen rijen in de keten" if previous_id is None else f"de laatste rij is rij {previous_id}"
        return bad(
            head_id,
            "De laatste rij komt niet overeen met de kop van de keten (rijen aan het eind verwijderd): "
            f"de kop verwijst naar rij {head_id}, {last}.",
        )
    if head_id is not None and up_to_head != expected:
        return bad(
            head_id,
            f"De kop van de keten noemt {expected} rijen tot en met rij {head_id}, er staan er {up_to_head}.",
        )
    if head_id is None and previous_id is not None:
        fresh = _head(session)  # on a brand-new database the first event may have been written during the walk
        if fresh is None or fresh.last_event_id is None:
            return bad(None, "De kop van de keten ontbreekt of is leeg, terwijl er rijen in de keten staan.")
    return _check_decisions(session, bound, bad, checked=checked, expected=expected)


def _check_decisions(
    session: Session,
    bound: dict[tuple[str, int], tuple[str, int]],
    bad: Callable[[int | None, str], ChainReport],
    *,
    checked: int,
    expected: int,
) -> ChainReport:
    """Every row of every bound table against its latest binding: edited, inserted and deleted rows are named."""
    decisions = 0
    for table in binding.bound_tables():
        statement = select(table).order_by(table.c.id).execution_options(yield_per=BATCH)
        for row in session.execute(statement):
            decisions += 1
            found = bound.pop((table.name, row.id), None)
            if found is None:
                return bad(
                    None,
                    f"{table.name} rij {row.id} staat niet in de auditketen: buiten de applicatie om ingevoegd.",
                )
            digest, event_id = found
            if not hmac.compare_digest(digest, binding.row_hash(table, row)):
                return bad(
                    event_id,
                    f"{table.name} rij {row.id} is gewijzigd na de beslissing "
                    f"(komt niet overeen met auditregel {event_id}).",
                )
    known = {table.name for table in binding.bound_tables()}
    for (name, row_id), (_digest, event_id) in sorted(bound.items()):
        if name in known:
            return bad(event_id, f"{name} rij {row_id} ontbreekt: vastgelegd in auditregel {event_id}, nu verwijderd.")
    return ChainReport(
        ok=True, checked=checked, first_bad_id=None, problem=None, expected=expected, decisions=decisions
    )


def verify_command() -> int:
    """`portfolio audit verify`: 0 if the chain is intact, 1 if it was tampered with. The caller imports every
    model first (`app.models`, in the CLI): a bound table whose model is not loaded is not checked."""
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
