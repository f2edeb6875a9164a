"""A voorstel: the student proposes a praktijkbegeleider; the coordinator of their programme sees the pending
ones and may reject one. Approving it installs the person, and lives with the rest of the rule in `guidance`.
"""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.service import Actor
from app.audit import service as audit
from app.cohorts.members import enrolments_of_student
from app.cohorts.models import AssignmentStatus, Cohort, Enrolment, SupervisorAssignment
from app.cohorts.scope import coordinated_programme_ids
from app.db import utcnow
from app.errors import InvalidInput, NotFound
from app.i18n import N_

PROPOSAL_GONE = N_("Dit voorstel bestaat niet, is al besloten of hoort niet bij uw opleiding.")
# --- the student's voorstel ---------------------------------------------------------------------------------------


def clean(value: str, limit: int) -> str:
    return value.strip()[:limit]


def propose(
    session: Session, *, actor: Actor, name: str, email: str, function: str, workplace: str
) -> SupervisorAssignment:
    """The student proposes; nothing else happens. The address is not looked up, so the answer is the same for
    known and unknown addresses."""
    student = session.get(User, actor.id)
    assert student is not None
    email = accounts.normalise_email(email)
    name = name.strip()
    if "@" not in email or len(email) > 320:
        raise InvalidInput(N_("Vul een geldig e-mailadres in."))
    if not name or len(name) > 200:
        raise InvalidInput(N_("Vul de naam van de praktijkbegeleider in."))
    if email == student.email:
        raise InvalidInput(N_("U kunt uzelf niet als praktijkbegeleider voorstellen."))
    enrolments = enrolments_of_student(session, student_id=actor.id)
    if not enrolments:
        raise InvalidInput(N_("U bent (nog) niet ingeschreven in een cohort."))
    enrolment = enrolments[0][0]
    for earlier in session.exec(
        select(SupervisorAssignment).where(
            SupervisorAssignment.enrolment_id == enrolment.id,
            SupervisorAssignment.status == AssignmentStatus.voorgesteld.value,
        )
    ).all():
        earlier.status, earlier.decided_at = AssignmentStatus.ingetrokken.value, utcnow()
        earlier.reason = "Vervangen door een nieuw voorstel van de student"
        session.add(earlier)
    proposal = SupervisorAssignment(
        enrolment_id=enrolment.id or 0,
        student_id=actor.id,
        status=AssignmentStatus.voorgesteld.value,
        name=name,
        email=email,
        function=clean(function, 200) or None,
        workplace=clean(workplace, 200) or enrolment.workplace,
        proposed_by_id=actor.id,
    )
    audit.record_new(
        session,
        proposal,
        actor_id=actor.id,
        action="supervisor.proposed",
        object_type="supervisor_assignment",
        data={"enrolment_id": enrolment.id},
    )
    return proposal


def pending_of_student(session: Session, *, student_id: int) -> SupervisorAssignment | None:
    return session.exec(
        select(SupervisorAssignment)
        .where(
            SupervisorAssignment.student_id == student_id,
            SupervisorAssignment.status == AssignmentStatus.voorgesteld.value,
        )
        .order_by(col(SupervisorAssignment.id).desc())
    ).first()


# --- the coordinator: pending proposals, reject -----------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    assignment: SupervisorAssignment
    student: User
    cohort: Cohort


def pending_proposals(session: Session, *, actor: Actor) -> list[Proposal]:
    programme_ids = coordinated_programme_ids(session, actor=actor)
    if not programme_ids:
        return []
    rows = session.exec(
        select(SupervisorAssignment, User, Cohort)
        .join(Enrolment, col(Enrolment.id) == SupervisorAssignment.enrolment_id)
        .join(Cohort, col(Cohort.id) == Enrolment.cohort_id)
        .join(User, col(User.id) == SupervisorAssignment.student_id)
        .where(
            SupervisorAssignment.status == AssignmentStatus.voorgesteld.value,
            col(Cohort.programme_id).in_(programme_ids),
        )
        .order_by(col(SupervisorAssignment.proposed_at), col(SupervisorAssignment.id))
    ).all()
    return [Proposal(assignment=a, student=u, cohort=c) for a, u, c in rows]


def proposal_in_scope(
    session: Session, *, actor: Actor, assignment_id: int
) -> tuple[SupervisorAssignment, Enrolment, Cohort]:
    programme_ids = coordinated_programme_ids(session, actor=actor)
    row = session.exec(
        select(SupervisorAssignment, Enrolment, Cohort)
        .join(Enrolment, col(Enrolment.id) == SupervisorAssignment.enrolment_id)
        .join(Cohort, col(Cohort.id) == Enrolment.cohort_id)
        .where(
            SupervisorAssignment.id == assignment_id,
            SupervisorAssignment.status == AssignmentStatus.voorgesteld.value,
            col(Cohort.programme_id).in_(programme_ids or [0]),
        )
    ).first()
    if row is None:
        raise NotFound(PROPOSAL_GONE)
    return row[0], row[1], row[2]


def reject(session: Session, *, actor: Actor, assignment_id: int, reason: str) -> SupervisorAssignment:
    assignment, _, _ = proposal_in_scope(session, actor=actor, assignment_id=assignment_id)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(N_("Schrijf waarom u dit voorstel afwijst; de student ziet de reden."))
    assignment.status, assignment.reason = AssignmentStatus.afgewezen.value, reason[:2000]
    assignment.decided_by_id, assignment.decided_at = actor.id, utcnow()
    session.add(assignment)
    audit.record(
        session,
        actor_id=actor.id,
        action="supervisor.rejected",
        object_type="supervisor_assignment",
        object_id=assignment.id,
    )
    session.flush()
    return assignment
