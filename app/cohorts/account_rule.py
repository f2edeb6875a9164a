"""Which accounts belong to which programme, and whether an existing account may be linked as praktijkbegeleider.

Part of the one rule in `app.cohorts.guidance` (who may change who judges): an invitation, an approval or an import
never gives a role to an existing account with another role, or of another programme, without the coordinator's
explicit confirmation, and never to a beheerder.
"""

from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import Role, User
from app.accounts.service import Actor
from app.audit import service as audit
from app.cohorts.models import Cohort, Enrolment, ProgrammeCoordinator, SupervisorAssignment
from app.errors import InvalidInput
from app.i18n import N_

BEHEERDER_REFUSED = N_(
    "Dit e-mailadres hoort bij een beheerder. Een beheerder kan geen praktijkbegeleider worden; "
    "vraag de student een ander adres."
)
NEEDS_CONFIRMATION = N_(
    "Dit e-mailadres hoort bij een bestaand account met een andere rol of van een andere opleiding. Vink aan dat u "
    "dit account bewust de rol praktijkbegeleider geeft, of kies een ander adres."
)


# --- the rule: which accounts belong where, and who may receive a role ------------------------------------------


def _members(session: Session, *, programme_id: int, user_ids: set[int], inside: bool) -> set[int]:
    """Of these people, who is enrolled, guiding, assessing or coordinating in this programme (inside) or in any
    other programme (not inside)."""
    if not user_ids:
        return set()
    same = (col(Cohort.programme_id) == programme_id) if inside else (col(Cohort.programme_id) != programme_id)
    coordinates = (
        (col(ProgrammeCoordinator.programme_id) == programme_id)
        if inside
        else (col(ProgrammeCoordinator.programme_id) != programme_id)
    )
    rows = session.exec(
        select(Enrolment.student_id, Enrolment.supervisor_id, Enrolment.assessor_id).where(
            col(Enrolment.cohort_id).in_(select(Cohort.id).where(same)),
            or_(
                col(Enrolment.student_id).in_(user_ids),
                col(Enrolment.supervisor_id).in_(user_ids),
                col(Enrolment.assessor_id).in_(user_ids),
            ),
        )
    ).all()
    found = {i for row in rows for i in row if i in user_ids}
    found |= set(
        session.exec(
            select(ProgrammeCoordinator.user_id).where(coordinates, col(ProgrammeCoordinator.user_id).in_(user_ids))
        ).all()
    )
    return found


def programme_members(session: Session, *, programme_id: int, user_ids: set[int]) -> set[int]:
    """Of these people, who belongs to the programme."""
    return _members(session, programme_id=programme_id, user_ids=user_ids, inside=True)


def other_programme_members(session: Session, *, programme_id: int, user_ids: set[int]) -> set[int]:
    """Of these people, who belongs to any *other* programme."""
    return _members(session, programme_id=programme_id, user_ids=user_ids, inside=False)


@dataclass(frozen=True)
class AccountCheck:
    """What linking this existing account as praktijkbegeleider would mean."""

    user: User
    roles: frozenset[Role]
    other_programme: bool

    @property
    def refused(self) -> bool:
        return Role.beheerder in self.roles

    @property
    def needs_confirmation(self) -> bool:
        """Granting a role it does not have, or touching an account of another programme, needs a tick."""
        return Role.praktijkbegeleider not in self.roles or self.other_programme


def check_account(session: Session, *, user: User, programme_id: int) -> AccountCheck:
    user_id = user.id or 0
    return AccountCheck(
        user=user,
        roles=accounts.roles_of(session, user_id=user_id),
        other_programme=bool(other_programme_members(session, programme_id=programme_id, user_ids={user_id})),
    )


def ensure_may_link(check: AccountCheck, *, confirmed: bool) -> None:
    if check.refused:
        raise InvalidInput(BEHEERDER_REFUSED)
    if check.needs_confirmation and not confirmed:
        raise InvalidInput(NEEDS_CONFIRMATION)


def account_for(
    session: Session, *, actor: Actor | None, assignment: SupervisorAssignment, cohort: Cohort, confirmed: bool
) -> User:
    """The approved person's account: made new with the praktijkbegeleider role, or an existing one under the rule."""
    if assignment.email == (session.get(User, assignment.student_id) or User(email="", name="")).email:
        raise InvalidInput(N_("Een student kan niet zijn eigen praktijkbegeleider zijn."))
    user = accounts.get_user_by_email(session, email=assignment.email)
    if user is None:
        return accounts.create_user(
            session,
            email=assignment.email,
            name=assignment.name,
            roles={Role.praktijkbegeleider},
            function=assignment.function,
            actor_id=actor.id if actor else None,
        )
    check = check_account(session, user=user, programme_id=cohort.programme_id)
    ensure_may_link(check, confirmed=confirmed)
    if Role.praktijkbegeleider not in check.roles:
        accounts.add_role(session, user_id=user.id or 0, role=Role.praktijkbegeleider)
        audit.record(
            session,
            actor_id=actor.id if actor else None,
            action="user.role_granted",
            object_type="user",
            object_id=user.id,
            data={"role": Role.praktijkbegeleider.value, "confirmed_by_coordinator": True},
        )
    return user
