"""What a person's start page shows: the student's slots from the per-slot state table, in framework order."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, Enrolment
from app.errors import NotFound
from app.evidence.models import Slot
from app.evidence.status import shown_status
from app.framework import service as framework_service
from app.framework.registry import FrameworkRegistry
from app.framework.schema import Eindterm, Framework, FrameworkGroup
from app.framework.service import Statement


@dataclass(frozen=True)
class SlotView:
    eindterm: Eindterm
    statement: Statement
    status: str
    evidence_count: int
    last_activity_at: datetime | None = None
    score: str | None = None
    shown: str | None = None  # the status as shown (app.evidence.status.shown_status); None: the status itself

    @property
    def shown_status(self) -> str:
        return self.shown or self.status


@dataclass(frozen=True)
class GroupView:
    group: FrameworkGroup
    slots: list[SlotView]

    @property
    def done(self) -> int:
        """Beoordeeld with a score at the framework's minimum or better: an onvoldoende is not done."""
        return sum(1 for s in self.slots if s.shown_status == "beoordeeld")

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
    # Everything the slot list shows, as plain values: the key under which its rendered HTML may be reused.
    state: tuple[object, ...] = ()

    @property
    def total(self) -> int:
        return sum(len(g.slots) for g in self.groups)

    @property
    def done(self) -> int:
        return sum(g.done for g in self.groups)


# Built once (statement construction costs more than SQLite needs to run them); the page every student opens.
_supervisor_user = aliased(User)
_CURRENT_ENROLMENT = (
    select(Enrolment, Cohort, _supervisor_user)
    .join(Cohort, col(Cohort.id) == Enrolment.cohort_id)
    .outerjoin(_supervisor_user, col(_supervisor_user.id) == col(Enrolment.supervisor_id))
    .where(col(Enrolment.student_id) == bindparam("student_id"))
    .order_by(col(Cohort.start_date).desc(), col(Enrolment.id).desc())
    .limit(1)
)
_SLOT_STATES = sa_select(
    col(Slot.eindterm_code), col(Slot.status), col(Slot.evidence_count), col(Slot.last_activity_at), col(Slot.score)
).where(
    col(Slot.student_id) == bindparam("student_id"),
    col(Slot.framework_id) == bindparam("framework_id"),
    col(Slot.framework_version) == bindparam("framework_version"),
)


def portfolio(session: Session, *, student: User, registry: FrameworkRegistry) -> PortfolioView:
    """The student's slots in the framework version their current cohort is pinned to.

    Two queries whatever the portfolio holds: the current enrolment with its cohort and praktijkbegeleider, and
    the slot rows (the per-slot state table: evidence items are counted there, not here)."""
    current = session.exec(_CURRENT_ENROLMENT, params={"student_id": student.id}).first()
    if current is None:
        raise NotFound("Deze student is (nog) niet ingeschreven in een cohort.")
    enrolment, cohort, supervisor = current
    framework = cohorts.framework_of(registry, cohort)
    # Plain rows, not Slot objects: this page is the one every student opens first, and often.
    slots = {
        code: (status, evidence_count, last_activity_at, score)
        for code, status, evidence_count, last_activity_at, score in session.connection().execute(
            _SLOT_STATES,
            {"student_id": student.id, "framework_id": framework.id, "framework_version": framework.version},
        )
    }

    statements = framework_service.statements(framework)

    def view(e: Eindterm) -> SlotView:
        slot = slots.get(e.code)
        if slot is None:  # no event yet for this eindterm
            return SlotView(eindterm=e, statement=statements[e.code], status="leeg", evidence_count=0)
        status, evidence_count, last_activity_at, score = slot
        return SlotView(
            eindterm=e,
            statement=statements[e.code],
            status=status,
            evidence_count=evidence_count,
            last_activity_at=last_activity_at,
            score=score,
            shown=shown_status(framework, status, score),
        )

    groups = [GroupView(group=g, slots=[view(e) for e in g.eindtermen]) for g in framework.groups]
    return PortfolioView(
        student=student,
        enrolment=enrolment,
        cohort=cohort,
        framework=framework,
        groups=groups,
        supervisor=supervisor,
        state=(student.id, framework.id, framework.version, tuple(sorted(slots.items()))),
    )
