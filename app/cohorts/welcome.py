"""Welcome mails again, for a cohort's students and staff whose account was made but never activated."""

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.service import Actor
from app.cohorts.members import cohort_member
from app.cohorts.models import Cohort, Enrolment
from app.config import Settings
from app.errors import NotFound


def resend_welcome(session: Session, *, actor: Actor, cohort: Cohort, student_id: int, settings: Settings) -> User:
    """A new welcome mail for a student of this cohort who has not activated their account; the previous
    activation link stops working."""
    member = cohort_member(session, cohort_id=cohort.id or 0, student_id=student_id)
    accounts.send_welcome(session, user=member.student, settings=settings, actor_id=actor.id)
    return member.student


def staff_not_activated(session: Session, *, cohort_id: int, limit: int = 50) -> list[User]:
    """The cohort's praktijkbegeleiders and beoordelaars whose account was made (e.g. by the import) but never
    activated: the coordinator sees them next to the students who have not, and can resend their welcome mail."""
    linked = (
        select(Enrolment.supervisor_id)
        .where(Enrolment.cohort_id == cohort_id)
        .union(select(Enrolment.assessor_id).where(Enrolment.cohort_id == cohort_id))
    )
    return list(
        session.exec(
            select(User)
            .where(
                col(User.id).in_(linked),
                col(User.activated_at).is_(None),
                col(User.erased_at).is_(None),
                col(User.is_active).is_(True),
            )
            .order_by(col(User.name), col(User.id))
            .limit(limit)
        ).all()
    )


def resend_welcome_staff(session: Session, *, actor: Actor, cohort: Cohort, user_id: int, settings: Settings) -> User:
    """A new welcome mail for a praktijkbegeleider or beoordelaar of this cohort's students who has not activated;
    anyone else answers 404 (not visible from this cohort)."""
    linked = session.exec(
        select(Enrolment.id).where(
            Enrolment.cohort_id == cohort.id,
            or_(col(Enrolment.supervisor_id) == user_id, col(Enrolment.assessor_id) == user_id),
        )
    ).first()
    user = session.get(User, user_id) if linked is not None else None
    if user is None:
        raise NotFound()
    accounts.send_welcome(session, user=user, settings=settings, actor_id=actor.id)
    return user
