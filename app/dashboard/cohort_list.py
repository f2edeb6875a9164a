"""The coordinator's list of cohorts: per cohort its programme, its students and its slots per status.

Above cohorts and evidence: the counts come from evidence's per-slot state table.
"""

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.service import Actor
from app.cohorts.models import Cohort, Enrolment, Programme
from app.cohorts.scope import coordinated_programme_ids
from app.evidence.models import Slot
from app.framework.registry import FrameworkRegistry


@dataclass(frozen=True)
class CohortSummary:
    cohort: Cohort
    programme: Programme
    student_count: int
    # Slot counts per status across the cohort (from the per-slot state table), for the summary row.
    statuses: dict[str, int] = field(default_factory=dict)
    eindterm_count: int = 0  # of the cohort's framework version

    def share(self, status: str) -> int:
        """Percentage of all the cohort's slots in this status."""
        total = self.student_count * self.eindterm_count
        return round(100 * self.statuses.get(status, 0) / total) if total else 0


def list_cohorts(session: Session, *, actor: Actor, registry: FrameworkRegistry | None = None) -> list[CohortSummary]:
    programme_ids = coordinated_programme_ids(session, actor=actor)
    if not programme_ids:
        return []
    counts = select(Enrolment.cohort_id, func.count().label("n")).group_by(col(Enrolment.cohort_id)).subquery()
    rows = session.exec(
        select(Cohort, Programme, func.coalesce(counts.c.n, 0))
        .join(Programme, col(Programme.id) == Cohort.programme_id)
        .outerjoin(counts, counts.c.cohort_id == Cohort.id)
        .where(col(Cohort.programme_id).in_(programme_ids))
        .order_by(col(Cohort.start_date).desc(), Cohort.name)
    ).all()
    per_status: dict[int, dict[str, int]] = {}
    for cohort_id, status, count in session.exec(
        select(Enrolment.cohort_id, Slot.status, func.count())
        .join(Slot, col(Slot.student_id) == Enrolment.student_id)
        .join(Cohort, col(Cohort.id) == Enrolment.cohort_id)
        .where(
            col(Cohort.programme_id).in_(programme_ids),
            col(Slot.framework_id) == Cohort.framework_id,
            col(Slot.framework_version) == Cohort.framework_version,
        )
        .group_by(col(Enrolment.cohort_id), col(Slot.status))
    ).all():
        per_status.setdefault(cohort_id, {})[status] = count
    return [
        CohortSummary(
            cohort=c,
            programme=p,
            student_count=n,
            statuses=per_status.get(c.id or 0, {}),
            eindterm_count=_eindterm_count(registry, c),
        )
        for c, p, n in rows
    ]


def _eindterm_count(registry: FrameworkRegistry | None, cohort: Cohort) -> int:
    if registry is None or (cohort.framework_id, cohort.framework_version) not in registry:
        return 0
    return len(registry.get(cohort.framework_id, cohort.framework_version).eindtermen)
