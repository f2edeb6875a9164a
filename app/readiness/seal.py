"""Whether a student's portfolio is sealed. Kept apart so every mutating service can ask without import cycles."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.errors import Conflict
from app.i18n import N_
from app.readiness.models import ReadinessEvent

SEALED = N_("Dit portfolio is verzegeld na het gereedheidsbesluit. Een coördinator kan het heropenen, met een reden.")


def state(session: Session, *, student_id: int) -> tuple[ReadinessEvent | None, ReadinessEvent | None]:
    """The latest besluit (if any) and its confirmation (if any), unless a heropening came after it."""
    events = session.exec(
        select(ReadinessEvent).where(ReadinessEvent.student_id == student_id).order_by(col(ReadinessEvent.id))
    ).all()
    return state_of(events)


def state_of(events: Iterable[ReadinessEvent]) -> tuple[ReadinessEvent | None, ReadinessEvent | None]:
    """`state` from a student's readiness events in order (for a page that lists them anyway)."""
    decision: ReadinessEvent | None = None
    confirmation: ReadinessEvent | None = None
    for event in events:
        if event.kind == "besluit":
            decision, confirmation = event, None
        elif event.kind == "bevestiging" and decision is not None and event.decision_id == decision.id:
            confirmation = event
        elif event.kind == "heropening":
            decision, confirmation = None, None
    return decision, confirmation


def is_sealed(session: Session, *, student_id: int) -> bool:
    decision, confirmation = state(session, student_id=student_id)
    return decision is not None and confirmation is not None


def ensure_not_sealed(session: Session, *, student_id: int) -> None:
    if is_sealed(session, student_id=student_id):
        raise Conflict(SEALED)


@dataclass(frozen=True)
class SealInfo:
    """What a sealed portfolio's banner says: when the gereedheidsbesluit was taken, and by whom."""

    decided_at: datetime
    decided_by: str


def seal_info(session: Session, *, student_id: int) -> SealInfo | None:
    decision, confirmation = state(session, student_id=student_id)
    if decision is None or confirmation is None:
        return None
    from app.accounts.models import User  # here: accounts must not be imported when this module is

    decider = session.get(User, decision.actor_id)
    return SealInfo(decided_at=decision.created_at, decided_by=decider.name if decider else "")
