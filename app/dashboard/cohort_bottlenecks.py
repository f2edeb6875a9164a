"""What holds a cohort up (eindtermen that lag, requests that wait, students who stopped) and its weekly progress.

Counted by SQL with the readiness rule of `cohort_queries.met_condition`, so a cohort of 2,000 costs about what one
of 20 does.
"""

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.assessment.models import Assessment
from app.cohorts.models import Cohort, Enrolment
from app.dashboard.cohort_queries import met_condition
from app.db import utcnow
from app.evidence.models import SelfAssessment, Slot, SlotStatus, Submission
from app.framework.schema import Framework
from app.signoff.models import SignOff


class StudentRef(NamedTuple):
    id: int
    name: str


@dataclass
class Bottlenecks:
    total_students: int
    lagging: list[tuple[str, int, int]]  # (code, met, students)
    waiting_signoff: list[tuple[str, int, datetime]]  # (supervisor, count, oldest)
    waiting_score: list[tuple[str, int, datetime]]  # (assessor, count, oldest)
    inactive: list[tuple[StudentRef, datetime | None]]
    not_possible: list[tuple[StudentRef, str]]


def bottlenecks(
    session: Session,
    *,
    cohort: Cohort,
    framework: Framework,
    inactive_days: int = 21,
    now: datetime | None = None,
) -> Bottlenecks:
    """What holds the cohort up, counted and listed by SQL: no query loads every student's slots, so the page
    costs about the same at 2,000 students as at 20 (apart from the names it lists)."""
    now = now or utcnow()
    codes = [e.code for e in framework.eindtermen]
    in_cohort = col(Slot.student_id).in_(select(Enrolment.student_id).where(Enrolment.cohort_id == cohort.id))
    in_version = (
        col(Slot.framework_id) == cohort.framework_id,
        col(Slot.framework_version) == cohort.framework_version,
        col(Slot.eindterm_code).in_(codes),
    )
    total = session.exec(
        select(func.count())
        .select_from(Enrolment)
        .join(User, col(User.id) == Enrolment.student_id)
        .where(Enrolment.cohort_id == cohort.id)
    ).one()
    # Eindtermen that lag: met by the fewest students (the readiness rule), in framework order among equals.
    met = dict(
        session.connection()
        .execute(
            sa_select(col(Slot.eindterm_code), func.count())
            .where(in_cohort, *in_version, met_condition(framework))
            .group_by(col(Slot.eindterm_code))
        )
        .all()
    )
    lagging = sorted(((c, met.get(c, 0), total) for c in codes), key=lambda x: x[1])[:5]
    supervisor, assessor = aliased(User), aliased(User)
    waiting_signoff = session.exec(
        select(supervisor.name, func.count(), func.min(Submission.submitted_at))
        .select_from(Slot)
        .join(Submission, col(Submission.id) == Slot.submission_id)
        .join(Enrolment, col(Enrolment.student_id) == Slot.student_id)
        .join(supervisor, col(supervisor.id) == col(Enrolment.supervisor_id))
        .where(Enrolment.cohort_id == cohort.id, Slot.status == SlotStatus.ter_aftekening.value)
        .group_by(supervisor.name)
        .order_by(func.min(Submission.submitted_at))
    ).all()
    waiting_score = session.exec(
        select(assessor.name, func.count(), func.min(SignOff.decided_at))
        .select_from(Slot)
        .join(SignOff, col(SignOff.submission_id) == Slot.submission_id)
        .join(Enrolment, col(Enrolment.student_id) == Slot.student_id)
        .join(assessor, col(assessor.id) == col(Enrolment.assessor_id))
        .where(Enrolment.cohort_id == cohort.id, Slot.status == SlotStatus.afgetekend.value)
        .group_by(assessor.name)
        .order_by(func.min(SignOff.decided_at))
    ).all()
    # Students without activity for `inactive_days` (or none at all), by name.
    last_activity = (
        sa_select(col(Slot.student_id).label("student_id"), func.max(col(Slot.last_activity_at)).label("last"))
        .where(in_cohort, *in_version[:2])
        .group_by(col(Slot.student_id))
        .subquery("activity")
    )
    threshold = now - timedelta(days=inactive_days)
    inactive = [
        (StudentRef(student_id, name), last)
        for student_id, name, last in session.connection().execute(
            sa_select(col(User.id), col(User.name), last_activity.c.last)
            .select_from(Enrolment)
            .join(User, col(User.id) == Enrolment.student_id)
            .outerjoin(last_activity, last_activity.c.student_id == Enrolment.student_id)
            .where(col(Enrolment.cohort_id) == cohort.id)
            .where(or_(last_activity.c.last.is_(None), last_activity.c.last < threshold))
            .order_by(func.lower(User.name), col(User.id))
        )
    ]
    position = {code: n for n, code in enumerate(codes)}
    not_possible_rows = session.connection().execute(
        sa_select(col(User.id), col(User.name), col(Slot.eindterm_code))
        .join(User, col(User.id) == Slot.student_id)
        .where(in_cohort, *in_version, col(Slot.status) == SlotStatus.niet_mogelijk.value)
        .order_by(func.lower(User.name), col(User.id))
    )
    not_possible = sorted(
        ((StudentRef(student_id or 0, name), code) for student_id, name, code in not_possible_rows),
        key=lambda x: (x[0].name.lower(), x[0].id, position[x[1]]),
    )
    return Bottlenecks(
        total_students=total,
        lagging=lagging,
        waiting_signoff=[(n, c, o) for n, c, o in waiting_signoff],
        waiting_score=[(n, c, o) for n, c, o in waiting_score],
        inactive=inactive,
        not_possible=not_possible,
    )


def weekly_progress(session: Session, *, cohort: Cohort) -> list[tuple[date, int, int]]:
    """Cumulative signed-off and assessed eindtermen per week since the cohort's start."""
    students = select(Enrolment.student_id).where(Enrolment.cohort_id == cohort.id)
    # Plain rows, sorted once: a cohort of 2,000 has tens of thousands of them.
    signed = sorted(
        d.date()
        for (d,) in session.connection().execute(
            sa_select(col(SignOff.decided_at)).where(
                col(SignOff.student_id).in_(students), col(SignOff.decision) == "afgetekend"
            )
        )
    )
    scored = sorted(
        d.date()
        for (d,) in session.connection().execute(
            sa_select(col(Assessment.created_at)).where(col(Assessment.student_id).in_(students))
        )
    )
    start = cohort.start_date - timedelta(days=cohort.start_date.weekday())
    end = max([*signed[-1:], *scored[-1:], date.today()])
    weeks: list[tuple[date, int, int]] = []
    week = start
    while week <= end:
        upto = week + timedelta(days=7)
        weeks.append((week, bisect_left(signed, upto), bisect_left(scored, upto)))
        week = upto
    return weeks


@dataclass(frozen=True)
class SelfAssessmentGap:
    student: StudentRef
    code: str
    self_level: str
    score: str


def self_assessment_gaps(session: Session, *, cohort: Cohort, framework: Framework) -> list[SelfAssessmentGap]:
    """Scored slots whose latest zelfbeoordeling lies more than one level of the scale from the score: worth a
    conversation (a student who over- or underrates themselves). One query for the latest rating per slot."""
    latest = (
        select(func.max(SelfAssessment.id))
        .join(Enrolment, col(Enrolment.student_id) == SelfAssessment.student_id)
        .where(
            Enrolment.cohort_id == cohort.id,
            SelfAssessment.framework_id == cohort.framework_id,
            SelfAssessment.framework_version == cohort.framework_version,
        )
        .group_by(col(SelfAssessment.student_id), col(SelfAssessment.eindterm_code))
    )
    rows = session.execute(
        sa_select(
            col(SelfAssessment.student_id),
            col(User.name),
            col(SelfAssessment.eindterm_code),
            col(SelfAssessment.level),
            col(Slot.score),
        )
        .join(User, col(User.id) == SelfAssessment.student_id)
        .join(
            Slot,
            (col(Slot.student_id) == SelfAssessment.student_id)
            & (col(Slot.eindterm_code) == SelfAssessment.eindterm_code)
            & (col(Slot.framework_id) == SelfAssessment.framework_id)
            & (col(Slot.framework_version) == SelfAssessment.framework_version),
        )
        .where(col(SelfAssessment.id).in_(latest), col(Slot.status) == SlotStatus.beoordeeld.value)
        .order_by(col(User.name), col(SelfAssessment.eindterm_code))
    ).all()
    rank = {code: index for index, code in enumerate(framework.scale_codes)}
    return [
        SelfAssessmentGap(StudentRef(student_id, name), code, level, score)
        for student_id, name, code, level, score in rows
        if score in rank and level in rank and abs(rank[score] - rank[level]) > 1
    ]
