"""What waits for a praktijkbegeleider: their open requests (grouped per student, a page at a time), whom they
guide, and one request shown exactly as it was submitted."""

import math
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.cohorts.models import Cohort, Enrolment, Programme
from app.db import as_utc, utcnow
from app.errors import NotFound
from app.evidence import self_assessment
from app.evidence.models import SelfAssessment, Slot, SlotStatus, Submission
from app.evidence.reading import SubmittedVersion, submission_contents
from app.framework import service as framework_service
from app.framework.registry import FrameworkRegistry
from app.framework.service import Statement
from app.i18n import N_
from app.signoff.models import SignOff

NOT_YOURS = N_("Dit verzoek bestaat niet of staat niet (meer) voor u klaar.")


@dataclass(frozen=True)
class PendingItem:
    submission_id: int
    eindterm_code: str
    submitted_at: datetime
    student_id: int
    student_name: str
    statement: Statement | None  # None: the eindterm is not in the framework version it was submitted under
    waiting_days: int


def supervised_ids(supervisor_id: int):  # type: ignore[no-untyped-def]
    """Students whose current praktijkbegeleider this is: requests follow the student if the supervisor changes."""
    return select(Enrolment.student_id).where(Enrolment.supervisor_id == supervisor_id)


class OpenRequest(NamedTuple):
    submission_id: int
    eindterm_code: str
    submitted_at: datetime
    framework_id: str
    framework_version: str
    student_id: int
    student_name: str


# Built once, plain columns: a praktijkbegeleider may have a hundred requests waiting, and their list is the page
# they open on a phone.
_OPEN_REQUESTS = (
    sa_select(
        col(Submission.id),
        col(Submission.eindterm_code),
        col(Submission.submitted_at),
        col(Submission.framework_id),
        col(Submission.framework_version),
        col(User.id),
        col(User.name),
    )
    .join(Slot, col(Slot.submission_id) == Submission.id)
    .join(User, col(User.id) == Submission.student_id)
    .where(
        col(Submission.student_id).in_(
            sa_select(col(Enrolment.student_id)).where(col(Enrolment.supervisor_id) == bindparam("supervisor_id"))
        ),
        col(Slot.status) == SlotStatus.ter_aftekening.value,
    )
    .order_by(col(Submission.submitted_at), col(Submission.id))
)


def open_submissions(session: Session, *, supervisor_id: int) -> list[OpenRequest]:
    """Undecided submissions (the slot's current one) of this supervisor's trainees, oldest first."""
    rows = session.connection().execute(_OPEN_REQUESTS, {"supervisor_id": supervisor_id})
    return [OpenRequest._make(row) for row in rows]


def _statement(registry: FrameworkRegistry, framework_id: str, version: str, code: str) -> Statement | None:
    try:
        return framework_service.statement(registry.get(framework_id, version), code)
    except KeyError:
        return None


def pending_for(
    session: Session, *, supervisor_id: int, registry: FrameworkRegistry, now: datetime | None = None
) -> list[PendingItem]:
    now = now or utcnow()
    items = []
    for request in open_submissions(session, supervisor_id=supervisor_id):
        statement = _statement(registry, request.framework_id, request.framework_version, request.eindterm_code)
        items.append(
            PendingItem(
                submission_id=request.submission_id,
                eindterm_code=request.eindterm_code,
                submitted_at=request.submitted_at,
                student_id=request.student_id,
                student_name=request.student_name,
                statement=statement,
                waiting_days=(now - as_utc(request.submitted_at)).days,
            )
        )
    return items


STUDENTS_PER_PAGE = 10


@dataclass(frozen=True)
class StudentGroup:
    """One student's open requests, oldest first: the unit a praktijkbegeleider with many requests works through."""

    student_id: int
    student_name: str
    items: list[PendingItem]


@dataclass(frozen=True)
class PendingPage:
    groups: list[StudentGroup]
    page: int
    pages: int
    students: int
    total: int


def group_pending(items: list[PendingItem], *, page: int = 1, per_page: int = STUDENTS_PER_PAGE) -> PendingPage:
    """Requests grouped per student (the student whose request waits longest first), a page of students at a time.
    A page past the end shows the last one: after signing off a whole group the list may have become shorter."""
    by_student: dict[int, list[PendingItem]] = {}
    for item in items:  # oldest first, so a student's first appearance is their longest wait
        by_student.setdefault(item.student_id, []).append(item)
    groups = [StudentGroup(student_id=k, student_name=v[0].student_name, items=v) for k, v in by_student.items()]
    pages = max(1, math.ceil(len(groups) / per_page))
    page = min(max(page, 1), pages)
    return PendingPage(
        groups=groups[(page - 1) * per_page : page * per_page],
        page=page,
        pages=pages,
        students=len(groups),
        total=len(items),
    )


@dataclass(frozen=True)
class Supervised:
    student_id: int
    student_name: str
    programme: str
    institution: str | None
    open_requests: int


def supervised_students(session: Session, *, supervisor_id: int) -> list[Supervised]:
    """Whom this praktijkbegeleider guides and for which opleiding, with their open requests: the link's welcome
    page names them, so that a praktijkbegeleider knows what the mail is about before confirming who they are."""
    rows = session.exec(
        select(User.id, User.name, Programme.name, Programme.institution)
        .select_from(Enrolment)
        .join(User, col(User.id) == Enrolment.student_id)
        .join(Cohort, col(Cohort.id) == Enrolment.cohort_id)
        .join(Programme, col(Programme.id) == Cohort.programme_id)
        .where(Enrolment.supervisor_id == supervisor_id, col(Enrolment.left_at).is_(None))
        .order_by(col(User.name), col(User.id))
    ).all()
    open_counts: dict[int, int] = {}
    for request in open_submissions(session, supervisor_id=supervisor_id):
        open_counts[request.student_id] = open_counts.get(request.student_id, 0) + 1
    return [
        Supervised(
            student_id=sid or 0,
            student_name=name,
            programme=programme,
            institution=institution,
            open_requests=open_counts.get(sid or 0, 0),
        )
        for sid, name, programme, institution in rows
    ]


ReviewItem = SubmittedVersion  # one submitted version: its files and onderbouwing


@dataclass(frozen=True)
class Review:
    submission: Submission
    student: User
    statement: Statement | None
    items: list[ReviewItem]
    decision: SignOff | None
    # The student's zelfbeoordeling sent with this submission, with the label of its level on the scale.
    self_assessment: SelfAssessment | None = None
    self_level_label: str | None = None


def own_submission(session: Session, *, supervisor_id: int, submission_id: int) -> Submission:
    return own_submission_and_student(session, supervisor_id=supervisor_id, submission_id=submission_id)[0]


def own_submission_and_student(session: Session, *, supervisor_id: int, submission_id: int) -> tuple[Submission, User]:
    """The submission if it waits for this supervisor, with its student: one query."""
    row = session.exec(
        select(Submission, User)
        .join(User, col(User.id) == Submission.student_id)
        .where(Submission.id == submission_id, col(Submission.student_id).in_(supervised_ids(supervisor_id)))
    ).first()
    if row is None:
        raise NotFound(NOT_YOURS)
    return row[0], row[1]


def review(session: Session, *, supervisor_id: int, submission_id: int, registry: FrameworkRegistry) -> Review:
    """Exactly the versions that were submitted: the eindterm, evidence, files, reflection and onderbouwing."""
    submission = own_submission(session, supervisor_id=supervisor_id, submission_id=submission_id)
    student = session.get(User, submission.student_id)
    assert student is not None
    items = submission_contents(session, submission=submission)
    statement = _statement(registry, submission.framework_id, submission.framework_version, submission.eindterm_code)
    decision = session.exec(select(SignOff).where(SignOff.submission_id == submission.id)).first()
    rating = self_assessment.of_submission(session, submission_id=submission.id or 0)
    return Review(
        submission=submission,
        student=student,
        statement=statement,
        items=items,
        decision=decision,
        self_assessment=rating,
        self_level_label=_level_label(registry, submission, rating.level) if rating else None,
    )


def _level_label(registry: FrameworkRegistry, submission: Submission, level: str) -> str:
    try:
        return registry.get(submission.framework_id, submission.framework_version).scale_level(level).label
    except KeyError:
        return level


def current_supervisor_id(session: Session, *, cohort_id: int, student_id: int) -> int:
    enrolment = session.exec(
        select(Enrolment).where(Enrolment.cohort_id == cohort_id, Enrolment.student_id == student_id)
    ).first()
    if enrolment is None or enrolment.supervisor_id is None:
        raise NotFound(N_("Deze student heeft geen praktijkbegeleider in dit cohort."))
    return enrolment.supervisor_id
