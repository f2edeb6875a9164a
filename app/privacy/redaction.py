"""The one deliberate exception to `AppendOnly`: blanking personal content for retention and erasure.

Append-only records (evidence versions, sign-offs, scores, readiness events...) are never corrected in place:
a correction is a new row, and the ORM refuses updates (`app.db._refuse_append_only_changes`). The AVG still
requires that personal content goes when its retention ends or a person asks for erasure. This module is the
only place that may change such rows, and only in the way listed here:

* only the columns named in `REDACTABLE` (free text, names, e-mail addresses), never ids, dates, scores,
  decisions or anything the dossier's hash manifest or the audit chain depends on;
* only to a fixed tombstone value chosen by the caller (blank text, a pseudonym), never to new content;
* through a Core `UPDATE` (so the ORM guard stays strict for every other code path), with the caller writing
  an audit row for what it did (retention and erasure do);
* decision rows bound into the audit chain (`app.db.Bound`) are re-bound here, in an audit event of their own
  carrying the new hashes, so `portfolio audit verify` accepts the blanked row and still names any other change.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, delete, select, update
from sqlmodel import Session, SQLModel

from app.accounts.models import LoginAttempt
from app.assessment.models import Assessment, SubstituteApproval
from app.audit import binding
from app.audit import service as audit
from app.db import AppendOnly, Bound
from app.development.models import DevelopmentEntry, DevelopmentWithdrawal
from app.evidence.models import EvidenceLink, EvidenceVersion, SelfAssessment, Submission
from app.hours.models import HoursDecision
from app.privacy.models import AccessEvent
from app.readiness.models import ReadinessEvent
from app.signoff.models import SignOff

# Evidence text replaced by retention or erasure; the version row (number, dates, files) stays.
TOMBSTONE_TITLE = "Verwijderd bewijsstuk"
REMOVED_FILE_NAME = "verwijderd"

REDACTABLE: dict[type[SQLModel], frozenset[str]] = {
    EvidenceVersion: frozenset({"title", "reflection", "links"}),
    EvidenceLink: frozenset({"justification"}),
    Submission: frozenset({"message"}),
    SignOff: frozenset({"comment", "decided_by_name", "decided_by_email", "decided_by_function"}),
    Assessment: frozenset({"feedback"}),
    SubstituteApproval: frozenset({"description"}),
    SelfAssessment: frozenset({"motivation"}),
    ReadinessEvent: frozenset({"reason"}),
    HoursDecision: frozenset({"comment", "decided_by_name", "decided_by_email", "decided_by_function"}),
    DevelopmentEntry: frozenset({"title", "provider", "note"}),
    DevelopmentWithdrawal: frozenset({"reason"}),
}
# Append-only rows that may be deleted outright: failed logins (counted by hashed e-mail) and access-log rows
# past their retention. Never records of decisions or content.
DELETABLE: frozenset[type[SQLModel]] = frozenset({LoginAttempt, AccessEvent})


@dataclass
class Redactions:
    """What a redaction pass changed, per table: for the caller's report and audit row."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, count: int) -> None:
        if count:
            self.rows[table] = self.rows.get(table, 0) + count


def redact(
    session: Session,
    model: type[SQLModel],
    *,
    where: ColumnElement[bool],
    values: dict[str, Any],
    changes: Redactions | None = None,
) -> int:
    """Overwrite the listed personal columns of append-only rows matching `where`; returns the row count."""
    allowed = REDACTABLE.get(model)
    if allowed is None or not issubclass(model, AppendOnly):
        raise ValueError(f"{model.__name__} is not a redactable append-only model")
    if not values or not set(values) <= allowed:
        raise ValueError(f"{model.__name__}: only {sorted(allowed)} may be redacted, not {sorted(values)}")
    session.flush()
    table = model.__table__  # type: ignore[attr-defined]
    # The ids first: `where` may name a column that the update blanks.
    ids: list[int] = (
        list(session.execute(select(table.c.id).where(where)).scalars()) if issubclass(model, Bound) else []
    )
    result = session.execute(update(table).where(where).values(**values).execution_options(synchronize_session=False))
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if changes is not None:
        changes.add(table.name, count)
    if ids:
        audit.record(
            session,
            actor_id=None,
            action="audit.rows_rebound",
            object_type=table.name,
            data={"columns": sorted(values), binding.KEY: binding.bindings_for_ids(session, table, ids)},
        )
    # Loaded copies would still show the old text; reading them again shows the tombstone.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, model):
            session.expire(obj)
    return count


def delete_counted(
    session: Session, model: type[SQLModel], *, where: ColumnElement[bool], changes: Redactions | None = None
) -> int:
    """Delete append-only rows listed in `DELETABLE`."""
    if model not in DELETABLE:
        raise ValueError(f"{model.__name__} rows may not be deleted")
    session.flush()
    table = model.__table__  # type: ignore[attr-defined]
    result = session.execute(delete(table).where(where).execution_options(synchronize_session=False))
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if changes is not None:
        changes.add(table.name, count)
    return count
