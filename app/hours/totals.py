"""Reading praktijkuren: a student's entries with their derived state, and the totals per week, month and overall.

An entry's state is derived, never stored: concept (not submitted), ingediend (submitted, no decision),
goedgekeurd / terug (its one `HoursDecision`), vervangen (returned, and a newer entry replaces it). Hours belong to
the student, not to an enrolment: entries logged in any cohort count.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from app.hours.models import HoursDecision, HoursDecisionKind, HoursStatus, PracticeHours
from app.hours.periods import ZERO, cents, month_key, week_key


@dataclass(frozen=True)
class EntryView:
    entry: PracticeHours
    status: HoursStatus
    decision: HoursDecision | None
    replaced_by_id: int | None = None

    @property
    def week(self) -> str:
        return week_key(self.entry.work_date)


@dataclass
class PeriodTotals:
    key: str  # "2026-W47" or "2026-11"
    approved: Decimal = ZERO
    pending: Decimal = ZERO
    returned: Decimal = ZERO
    concept: Decimal = ZERO

    def add(self, status: HoursStatus, hours: Decimal) -> None:
        if status is HoursStatus.goedgekeurd:
            self.approved = cents(self.approved + hours)
        elif status is HoursStatus.ingediend:
            self.pending = cents(self.pending + hours)
        elif status is HoursStatus.terug:
            self.returned = cents(self.returned + hours)
        elif status is HoursStatus.concept:
            self.concept = cents(self.concept + hours)


@dataclass
class HoursTotals:
    """Approved, pending (submitted, undecided), returned (not yet corrected) and concept hours."""

    approved: Decimal = ZERO
    pending: Decimal = ZERO
    returned: Decimal = ZERO
    concept: Decimal = ZERO
    weeks: list[PeriodTotals] = field(default_factory=list)  # newest first
    months: list[PeriodTotals] = field(default_factory=list)  # newest first


def _status(decision: HoursDecision | None, entry: PracticeHours, replaced: bool) -> HoursStatus:
    if decision is not None:
        if decision.decision == HoursDecisionKind.goedgekeurd.value:
            return HoursStatus.goedgekeurd
        return HoursStatus.vervangen if replaced else HoursStatus.terug
    return HoursStatus.ingediend if entry.submitted_at is not None else HoursStatus.concept


def entries_of(session: Session, *, student_id: int) -> list[EntryView]:
    """All of a student's entries (every cohort), newest work date first, with their derived state."""
    rows = session.exec(
        select(PracticeHours, HoursDecision)
        .outerjoin(HoursDecision, col(HoursDecision.entry_id) == PracticeHours.id)
        .where(PracticeHours.student_id == student_id)
        .order_by(col(PracticeHours.work_date).desc(), col(PracticeHours.id).desc())
    ).all()
    replaced_by = {e.replaces_id: e.id for e, _ in rows if e.replaces_id is not None}
    return [
        EntryView(
            entry=e,
            status=_status(d, e, e.id in replaced_by),
            decision=d,
            replaced_by_id=replaced_by.get(e.id or 0),
        )
        for e, d in rows
    ]


def totals_of(views: list[EntryView]) -> HoursTotals:
    totals = HoursTotals()
    weeks: dict[str, PeriodTotals] = {}
    months: dict[str, PeriodTotals] = {}
    overall = PeriodTotals(key="")
    for view in views:
        hours = Decimal(view.entry.hours)
        overall.add(view.status, hours)
        day = view.entry.work_date
        weeks.setdefault(week_key(day), PeriodTotals(key=week_key(day))).add(view.status, hours)
        months.setdefault(month_key(day), PeriodTotals(key=month_key(day))).add(view.status, hours)
    totals.approved, totals.pending, totals.returned, totals.concept = (
        overall.approved,
        overall.pending,
        overall.returned,
        overall.concept,
    )
    totals.weeks = [weeks[k] for k in sorted(weeks, reverse=True)]
    totals.months = [months[k] for k in sorted(months, reverse=True)]
    return totals


def hours_totals(session: Session, *, student_id: int) -> HoursTotals:
    return totals_of(entries_of(session, student_id=student_id))


# Built once: the readiness page asks this on every view.
_APPROVED_HOURS = (
    select(func.coalesce(func.sum(PracticeHours.hours), 0))
    .join(HoursDecision, col(HoursDecision.entry_id) == PracticeHours.id)
    .where(
        col(PracticeHours.student_id) == bindparam("student_id"),
        col(HoursDecision.decision) == HoursDecisionKind.goedgekeurd.value,
    )
)


def approved_hours(session: Session, *, student_id: int) -> Decimal:
    """Approved practice hours of the student over all cohorts (one query)."""
    total = session.exec(_APPROVED_HOURS, params={"student_id": student_id}).one()
    return cents(Decimal(str(total)))
