"""Who may see which student and which cohort: the scope every student and cohort page asks first."""

from typing import Any

from sqlalchemy import bindparam, or_
from sqlmodel import Session, col, select

from app.accounts.models import Role, User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.cohorts.models import Cohort, Enrolment, ProgrammeCoordinator
from app.errors import NotFound


def coordinated_programme_ids(session: Session, *, actor: Actor) -> list[int]:
    if not actor.can(Permission.cohort_view):
        return []
    return list(
        session.exec(select(ProgrammeCoordinator.programme_id).where(ProgrammeCoordinator.user_id == actor.id)).all()
    )


def _visible_student_statement(*, coordinator: bool):  # type: ignore[no-untyped-def]
    """The student if the actor supervises or assesses them, or (coordinator) coordinates their programme."""
    actor_id: Any = bindparam("actor_id")
    conditions = [col(Enrolment.supervisor_id) == actor_id, col(Enrolment.assessor_id) == actor_id]
    if coordinator:
        coordinated = select(ProgrammeCoordinator.programme_id).where(col(ProgrammeCoordinator.user_id) == actor_id)
        conditions.append(col(Cohort.programme_id).in_(coordinated))
    in_scope = (
        select(Enrolment.id)
        .join(Cohort, col(Cohort.id) == Enrolment.cohort_id)
        .where(col(Enrolment.student_id) == bindparam("student_id"), or_(*conditions))
        .exists()
    )
    return select(User).where(col(User.id) == bindparam("student_id"), in_scope)


# Built once: every student page asks this first, and building the statement cost more than running it.
_VISIBLE_STUDENT_STAFF = _visible_student_statement(coordinator=False)
_VISIBLE_STUDENT_COORDINATOR = _visible_student_statement(coordinator=True)


def visible_student(session: Session, *, actor: Actor, student_id: int) -> User:
    """The student, if this actor may see them: themself, assigned staff, or their programme's coordinator.

    One query: the user together with the scope check (every student page asks this first)."""
    if not actor.can(Permission.student_view):
        raise NotFound("Deze student bestaat niet of u heeft er geen toegang toe.")
    if actor.id == student_id and actor.has_role(Role.student):
        student = session.get(User, student_id)
        if student is None:
            raise NotFound("Deze student bestaat niet of u heeft er geen toegang toe.")
        return student
    statement = _VISIBLE_STUDENT_COORDINATOR if actor.can(Permission.cohort_view) else _VISIBLE_STUDENT_STAFF
    found = session.exec(statement, params={"student_id": student_id, "actor_id": actor.id}).first()
    if found is None:
        raise NotFound("Deze student bestaat niet of u heeft er geen toegang toe.")
    return found


def visible_cohort(session: Session, *, actor: Actor, cohort_id: int) -> Cohort:
    cohort = None
    if actor.can(Permission.cohort_view):  # one query: the cohort, if the actor coordinates its programme
        coordinated = select(ProgrammeCoordinator.programme_id).where(ProgrammeCoordinator.user_id == actor.id)
        cohort = session.exec(
            select(Cohort).where(col(Cohort.id) == cohort_id, col(Cohort.programme_id).in_(coordinated))
        ).first()
    if cohort is None:
        raise NotFound("Dit cohort bestaat niet of u heeft er geen toegang toe.")
    return cohort
