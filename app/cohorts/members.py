"""A cohort's members with their praktijkbegeleider and beoordelaar, staff by role, and a person's enrolments."""

from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.accounts.models import Role, User, UserRole
from app.accounts.service import Actor
from app.cohorts.models import Cohort, Enrolment
from app.errors import NotFound


@dataclass(frozen=True)
class Member:
    enrolment: Enrolment
    student: User
    supervisor: User | None
    assessor: User | None


def cohort_members(session: Session, *, cohort_id: int) -> list[Member]:
    enrolments = session.exec(select(Enrolment).where(Enrolment.cohort_id == cohort_id)).all()
    ids = (
        {e.student_id for e in enrolments}
        | {e.supervisor_id for e in enrolments if e.supervisor_id}
        | {e.assessor_id for e in enrolments if e.assessor_id}
    )
    people = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(ids))).all()} if ids else {}
    members = [
        Member(
            enrolment=e,
            student=people[e.student_id],
            supervisor=people.get(e.supervisor_id) if e.supervisor_id else None,
            assessor=people.get(e.assessor_id) if e.assessor_id else None,
        )
        for e in enrolments
    ]
    return sorted(members, key=lambda m: m.student.name.lower())


def _members_query(cohort_id: int):  # type: ignore[no-untyped-def]
    supervisor, assessor = aliased(User), aliased(User)
    return (
        select(Enrolment, User, supervisor, assessor, func.count().over())  # type: ignore[call-overload]
        .join(User, col(User.id) == Enrolment.student_id)
        .outerjoin(supervisor, col(supervisor.id) == col(Enrolment.supervisor_id))
        .outerjoin(assessor, col(assessor.id) == col(Enrolment.assessor_id))
        .where(Enrolment.cohort_id == cohort_id)
    )


def cohort_members_page(session: Session, *, cohort_id: int, page: int, size: int) -> tuple[list[Member], int]:
    """One page of the cohort's students by name, with their staff, and how many there are: one query."""
    rows = session.exec(
        _members_query(cohort_id)
        .order_by(func.lower(User.name), col(User.id))
        .limit(size)
        .offset((max(page, 1) - 1) * size)
    ).all()
    if rows:
        total = rows[0][4]
    else:
        total = session.exec(select(func.count()).select_from(Enrolment).where(Enrolment.cohort_id == cohort_id)).one()
    return [Member(enrolment=e, student=u, supervisor=s, assessor=a) for e, u, s, a, _ in rows], total


def cohort_member(session: Session, *, cohort_id: int, student_id: int) -> Member:
    row = session.exec(_members_query(cohort_id).where(Enrolment.student_id == student_id)).first()
    if row is None:
        raise NotFound("Deze student zit niet in dit cohort.")
    enrolment, student, supervisor, assessor, _ = row
    return Member(enrolment=enrolment, student=student, supervisor=supervisor, assessor=assessor)


def staff_with_role(session: Session, *, role: Role) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(UserRole, col(UserRole.user_id) == User.id)
            .where(UserRole.role == role.value, col(User.is_active).is_(True))
            .order_by(User.name)
        ).all()
    )


def assigned_students(session: Session, *, actor: Actor) -> list[tuple[Enrolment, User, Cohort]]:
    rows = session.exec(
        select(Enrolment, User, Cohort)
        .join(User, col(User.id) == Enrolment.student_id)
        .join(Cohort, col(Cohort.id) == Enrolment.cohort_id)
        .where(or_(col(Enrolment.supervisor_id) == actor.id, col(Enrolment.assessor_id) == actor.id))
        .order_by(User.name)
    ).all()
    return [(e, u, c) for e, u, c in rows]


def enrolments_of_student(session: Session, *, student_id: int) -> list[tuple[Enrolment, Cohort]]:
    rows = session.exec(
        select(Enrolment, Cohort)
        .join(Cohort, col(Cohort.id) == Enrolment.cohort_id)
        .where(Enrolment.student_id == student_id)
        .order_by(col(Cohort.start_date).desc(), col(Enrolment.id).desc())
    ).all()
    return [(e, c) for e, c in rows]
