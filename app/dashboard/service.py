"""What a person's start page shows: the student's slots from the per-slot state table, in framework order."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.accounts.models import User
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, Enrolment
from app.errors import NotFound
from app.evidence.service import slots_of
from app.framework.registry import FrameworkRegistry
from app.framework.schema import Eindterm, Framework, FrameworkGroup


@dataclass(frozen=True)
class SlotView:
    eindterm: Eindterm
    status: str
    evidence_count: int
    last_activity_at: datetime | None = None
    score: str | None = None


@dataclass(frozen=True)
class GroupView:
    group: FrameworkGroup
    slots: list[SlotView]

    @property
    def done(self) -> int:
        return sum(1 for s in self.slots if s.status == "beoordeeld")

    @property
    def with_evidence(self) -> int:
        return sum(1 for s in self.slots if s.evidence_count)


@dataclass(frozen=True)
class PortfolioView:
    student: User
    enrolment: Enrolment
    cohort: Cohort
    framework: Framework
    groups: list[GroupView]
    supervisor: User | None = None

    @property
    def total(self) -> int:
        return sum(len(g.slots) for g in self.groups)

    @property
    def done(self) -> int:
        return sum(g.done for g in self.groups)


def portfolio(session: Session, *, student: User, registry: FrameworkRegistry) -> PortfolioView:
    """The student's slots in the framework version their current cohort is pinned to."""
    enrolments = cohorts.enrolments_of_student(session, student_id=student.id or 0)
    if not enrolments:
        raise NotFound("Deze student is (nog) niet ingeschreven in een cohort.")
    enrolment, cohort = enrolments[0]
    framework = cohorts.framework_of(registry, cohort)
    slots = slots_of(session, student_id=student.id or 0, framework=framework)

    def view(e: Eindterm) -> SlotView:
        slot = slots.get(e.code)
        if slot is None:  # no event yet for this eindterm
            return SlotView(eindterm=e, status="leeg", evidence_count=0)
        return SlotView(
            eindterm=e,
            status=slot.status,
            evidence_count=slot.evidence_count,
            last_activity_at=slot.last_activity_at,
            score=slot.score,
        )

    groups = [GroupView(group=g, slots=[view(e) for e in g.eindtermen]) for g in framework.groups]
    supervisor = session.get(User, enrolment.supervisor_id) if enrolment.supervisor_id else None
    return PortfolioView(
        student=student, enrolment=enrolment, cohort=cohort, framework=framework, groups=groups, supervisor=supervisor
    )
