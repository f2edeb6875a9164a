"""Who may change who judges: the one place that proposes, approves, rejects, assigns and ends a praktijkbegeleider
(and assigns a beoordelaar), and that decides whether an existing account may be given a role.

A student only *proposes* (a `SupervisorAssignment` in `voorgesteld`: no account, no link, no mail, no requests;
`proposals` holds the voorstel, the coordinator's pending list and the rejection, named here too).
The coordinator of the student's programme approves; only then does `Enrolment.supervisor_id` (which routes
requests) change. The coordinator's own invitation, assignment form and the CSV import go through `_install`.
The mails that follow an approval belong to sign-off, which listens to `supervisor_approved`.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import Role, User
from app.accounts.service import Actor
from app.audit import service as audit
from app.cohorts import account_rule
from app.cohorts.models import AssignmentStatus, Cohort, Enrolment, SupervisorAssignment
from app.cohorts.proposals import PROPOSAL_GONE as PROPOSAL_GONE
from app.cohorts.proposals import Proposal as Proposal
from app.cohorts.proposals import clean, proposal_in_scope
from app.cohorts.proposals import pending_of_student as pending_of_student
from app.cohorts.proposals import pending_proposals as pending_proposals
from app.cohorts.proposals import propose as propose
from app.cohorts.proposals import reject as reject
from app.db import utcnow
from app.errors import InvalidInput, NotFound
from app.events import Hook
from app.i18n import N_

if TYPE_CHECKING:
    from app.config import Settings


# After a praktijkbegeleider is approved, with settings to mail them: sign-off sends the new one their personal link
# and tells the previous one. Required: an approval that mails nobody because a script forgot to wire is a bug.
supervisor_approved: Hook[...] = Hook("cohorts.supervisor_approved", required=True)

# --- approving a voorstel -------------------------------------------------------------------------------------------


def approve(
    session: Session, *, actor: Actor, assignment_id: int, workplace: str, confirm_role: bool, settings: "Settings"
) -> SupervisorAssignment:
    """Koppeling goedkeuren: the proposed person becomes the praktijkbegeleider (after the account rule)."""
    assignment, enrolment, cohort = proposal_in_scope(session, actor=actor, assignment_id=assignment_id)
    assignment.workplace = clean(workplace, 200) or assignment.workplace
    supervisor = account_rule.account_for(
        session, actor=actor, assignment=assignment, cohort=cohort, confirmed=confirm_role
    )
    _install(
        session, actor_id=actor.id, enrolment=enrolment, assignment=assignment, supervisor=supervisor, settings=settings
    )
    return assignment


def _install(
    session: Session,
    *,
    actor_id: int | None,
    enrolment: Enrolment,
    assignment: SupervisorAssignment,
    supervisor: User,
    settings: "Settings | None",
) -> None:
    """Approve `assignment` for `supervisor`: end the previous one, route requests to the new one, tell both."""
    previous_id = enrolment.supervisor_id
    now = utcnow()
    _end_current(session, actor_id=actor_id, enrolment=enrolment, now=now)
    assignment.status, assignment.supervisor_id = AssignmentStatus.goedgekeurd.value, supervisor.id
    assignment.decided_by_id, assignment.decided_at = actor_id, now
    enrolment.supervisor_id = supervisor.id
    if assignment.workplace:
        enrolment.workplace = assignment.workplace
    session.add_all([assignment, enrolment])
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="supervisor.approved",
        object_type="supervisor_assignment",
        object_id=assignment.id,
        data={"enrolment_id": enrolment.id, "supervisor_id": supervisor.id, "previous_supervisor_id": previous_id},
    )
    if settings is not None:
        supervisor_approved(
            session,
            enrolment=enrolment,
            supervisor=supervisor,
            previous_id=previous_id,
            actor_id=actor_id,
            settings=settings,
        )


def _end_current(session: Session, *, actor_id: int | None, enrolment: Enrolment, now: datetime) -> None:
    for current in session.exec(
        select(SupervisorAssignment).where(
            SupervisorAssignment.enrolment_id == enrolment.id,
            SupervisorAssignment.status == AssignmentStatus.goedgekeurd.value,
        )
    ).all():
        current.status, current.ended_by_id, current.ended_at = AssignmentStatus.beeindigd.value, actor_id, now
        session.add(current)


def active_assignment_id(session: Session, *, student_id: int, supervisor_id: int) -> int | None:
    """The approved, not ended assignment under which this supervisor judges this student, if any."""
    return session.exec(
        select(SupervisorAssignment.id)
        .join(Enrolment, col(Enrolment.id) == SupervisorAssignment.enrolment_id)
        .where(
            SupervisorAssignment.student_id == student_id,
            SupervisorAssignment.supervisor_id == supervisor_id,
            SupervisorAssignment.status == AssignmentStatus.goedgekeurd.value,
            col(Enrolment.supervisor_id) == supervisor_id,
        )
        .order_by(col(SupervisorAssignment.id).desc())
    ).first()


# --- the coordinator's own invitation, assignment form and the import ----------------------------------------------


def _enrolment_in(session: Session, *, cohort: Cohort, student_id: int) -> Enrolment:
    enrolment = session.exec(
        select(Enrolment).where(Enrolment.cohort_id == cohort.id, Enrolment.student_id == student_id)
    ).first()
    if enrolment is None:
        raise NotFound("Deze student zit niet in dit cohort.")
    return enrolment


def invite(
    session: Session,
    *,
    actor: Actor,
    cohort: Cohort,
    student_id: int,
    name: str,
    email: str,
    function: str,
    confirm_role: bool,
    settings: "Settings",
) -> User:
    """The coordinator names a praktijkbegeleider directly: a voorstel and its approval in one step."""
    enrolment = _enrolment_in(session, cohort=cohort, student_id=student_id)
    email = accounts.normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise InvalidInput(N_("Vul een geldig e-mailadres in."))
    if not name.strip() and accounts.get_user_by_email(session, email=email) is None:
        raise InvalidInput(N_("Vul de naam van de praktijkbegeleider in."))
    assignment = SupervisorAssignment(
        enrolment_id=enrolment.id or 0,
        student_id=student_id,
        status=AssignmentStatus.voorgesteld.value,
        name=clean(name, 200),
        email=email,
        function=clean(function, 200) or None,
        workplace=enrolment.workplace,
        proposed_by_id=actor.id,
    )
    supervisor = account_rule.account_for(
        session, actor=actor, assignment=assignment, cohort=cohort, confirmed=confirm_role
    )
    assignment.name = assignment.name or supervisor.name
    session.add(assignment)
    _install(
        session, actor_id=actor.id, enrolment=enrolment, assignment=assignment, supervisor=supervisor, settings=settings
    )
    return supervisor


def link_existing(
    session: Session,
    *,
    actor_id: int | None,
    enrolment: Enrolment,
    supervisor: User,
    settings: "Settings | None",
) -> None:
    """Link someone who already is a praktijkbegeleider (the assignment form, the import): the caller checked
    the role and the programme; a change of person is an approval by the coordinator."""
    if enrolment.supervisor_id == supervisor.id:
        return
    assignment = SupervisorAssignment(
        enrolment_id=enrolment.id or 0,
        student_id=enrolment.student_id,
        status=AssignmentStatus.voorgesteld.value,
        name=supervisor.name,
        email=supervisor.email,
        function=supervisor.function,
        proposed_by_id=actor_id,
    )
    session.add(assignment)
    _install(
        session, actor_id=actor_id, enrolment=enrolment, assignment=assignment, supervisor=supervisor, settings=settings
    )


def end_supervision(session: Session, *, actor_id: int | None, enrolment: Enrolment) -> None:
    if enrolment.supervisor_id is None:
        return
    _end_current(session, actor_id=actor_id, enrolment=enrolment, now=utcnow())
    audit.record(
        session,
        actor_id=actor_id,
        action="supervisor.ended",
        object_type="enrolment",
        object_id=enrolment.id,
        data={"supervisor_id": enrolment.supervisor_id},
    )
    enrolment.supervisor_id = None
    session.add(enrolment)


def assign_guidance(
    session: Session,
    *,
    actor: Actor,
    cohort: Cohort,
    student_id: int,
    supervisor_id: int | None,
    assessor_id: int | None,
    settings: "Settings | None" = None,
) -> Enrolment:
    """The coordinator's form: people who already hold the role, in this programme or not yet in any other."""
    enrolment = _enrolment_in(session, cohort=cohort, student_id=student_id)
    chosen: dict[str, User] = {}
    for user_id, current, role, label in (
        (supervisor_id, enrolment.supervisor_id, Role.praktijkbegeleider, "praktijkbegeleider"),
        (assessor_id, enrolment.assessor_id, Role.beoordelaar, "beoordelaar"),
    ):
        if user_id is None:
            continue
        person = session.get(User, user_id)
        roles = accounts.roles_of(session, user_id=user_id) if person else set()
        if person is None or role not in roles or Role.beheerder in roles:
            raise InvalidInput(f"De gekozen {label} heeft die rol niet.")
        # The selection lists only active staff; a stale form must not link a blocked account anew.
        if not person.is_active and user_id != current:
            raise InvalidInput(f"De gekozen {label} is geblokkeerd en kan niet worden gekoppeld.")
        if user_id == student_id:
            raise InvalidInput(f"Een student kan niet zijn eigen {label} zijn.")
        # A praktijkbegeleider who only works for another programme is linked by the invitation, with the tick.
        if (
            role is Role.praktijkbegeleider
            and user_id != current
            and account_rule.other_programme_members(session, programme_id=cohort.programme_id, user_ids={user_id})
            - account_rule.programme_members(session, programme_id=cohort.programme_id, user_ids={user_id})
        ):
            raise InvalidInput(
                "De gekozen praktijkbegeleider hoort bij een andere opleiding. Koppel die persoon via 'Uitnodigen' "
                "op de portfoliopagina van de student, met de bevestiging."
            )
        chosen[label] = person
    if "praktijkbegeleider" in chosen:
        link_existing(
            session, actor_id=actor.id, enrolment=enrolment, supervisor=chosen["praktijkbegeleider"], settings=settings
        )
    else:
        end_supervision(session, actor_id=actor.id, enrolment=enrolment)
    enrolment.assessor_id = assessor_id
    session.add(enrolment)
    audit.record(
        session,
        actor_id=actor.id,
        action="enrolment.guidance_assigned",
        object_type="enrolment",
        object_id=enrolment.id,
        data={"supervisor_id": supervisor_id, "assessor_id": assessor_id},
    )
    session.flush()
    return enrolment
