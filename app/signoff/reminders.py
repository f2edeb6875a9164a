"""Mails about what waits: to the praktijkbegeleider on submission, a reminder after N days, and an escalation
to the opleiding's coordinators after M days; once each per request. Higher domains add their own waiting work
to the same run through `app.signoff.hooks`."""

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, Enrolment, ProgrammeCoordinator
from app.config import Settings
from app.db import as_utc
from app.evidence.models import Slot, SlotStatus, Submission
from app.notifications import service as notifications
from app.signoff import hooks
from app.signoff.links import portal_line
from app.signoff.models import Reminder


def notify_submitted(session: Session, submissions: list[Submission], settings: Settings) -> None:
    """Mail the praktijkbegeleider now, unless they chose the daily digest. A listener of evidence's submission
    (connected in `app.wiring`): the arguments may come by position or by name."""
    if not submissions:
        return
    supervisor = session.get(User, submissions[0].supervisor_id) if submissions[0].supervisor_id else None
    student = session.get(User, submissions[0].student_id)
    if supervisor is None or student is None or supervisor.notify_daily_digest:
        return
    codes = ", ".join(s.eindterm_code for s in submissions)
    notifications.queue_mail(
        session,
        to=supervisor.email,
        subject=f"Af te tekenen: {student.name} ({codes})",
        body=(
            f"Beste {supervisor.name},\n\n{student.name} vraagt u om af te tekenen: {codes}.\n"
            f"Bekijk en beslis hier:\n{portal_line(session, supervisor=supervisor, settings=settings)}\n"
        ),
    )


def coordinators_of(session: Session, *, student_id: int) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(ProgrammeCoordinator, col(ProgrammeCoordinator.user_id) == User.id)
            .join(Cohort, col(Cohort.programme_id) == ProgrammeCoordinator.programme_id)
            .join(Enrolment, col(Enrolment.cohort_id) == Cohort.id)
            .where(Enrolment.student_id == student_id, col(User.is_active).is_(True))
            .distinct()
        ).all()
    )


def _waiting(session: Session, *, older_than: datetime, kind: str) -> list[tuple[Submission, User, User | None]]:
    """Undecided current submissions older than the moment, without a `kind` reminder yet."""
    already = select(Reminder.submission_id).where(Reminder.kind == kind)
    rows = session.exec(
        select(Submission, User)
        .join(Slot, col(Slot.submission_id) == Submission.id)
        .join(User, col(User.id) == Submission.student_id)
        .where(
            Slot.status == SlotStatus.ter_aftekening.value,
            col(Submission.submitted_at) <= older_than,
            col(Submission.id).not_in(already),
        )
        .order_by(col(Submission.id))
    ).all()
    result = []
    for submission, student in rows:
        enrolments = cohorts.enrolments_of_student(session, student_id=student.id or 0)
        supervisor_id = enrolments[0][0].supervisor_id if enrolments else submission.supervisor_id
        result.append((submission, student, session.get(User, supervisor_id) if supervisor_id else None))
    return result


def send_reminders(session: Session, *, now: datetime, settings: Settings) -> tuple[int, int]:
    """Remind the praktijkbegeleider after N days, escalate to the coordinators after M days; once each.

    Submitted praktijkuren get the same through `hooks.remind` and `hooks.escalate` (one reminder and one
    escalation per student and week, counted with the requests)."""
    remind = hooks.ReminderRound(
        older_than=now - timedelta(days=settings.reminder_after_days), now=now, settings=settings
    )
    for submission, student, supervisor in _waiting(session, older_than=remind.older_than, kind="herinnering"):
        if supervisor is None:
            continue
        notifications.queue_mail(
            session,
            to=supervisor.email,
            subject=f"Herinnering: {student.name} wacht op uw aftekening ({submission.eindterm_code})",
            body=(
                f"Beste {supervisor.name},\n\n{student.name} wacht sinds "
                f"{as_utc(submission.submitted_at):%d-%m-%Y} op uw aftekening van {submission.eindterm_code}.\n"
                f"{portal_line(session, supervisor=supervisor, settings=settings)}\n"
            ),
        )
        session.add(Reminder(submission_id=submission.id or 0, kind="herinnering", sent_at=now))
        remind.sent += 1
    hooks.remind(session, remind)
    escalate = hooks.ReminderRound(
        older_than=now - timedelta(days=settings.escalate_after_days), now=now, settings=settings
    )
    for submission, student, supervisor in _waiting(session, older_than=escalate.older_than, kind="escalatie"):
        for coordinator in coordinators_of(session, student_id=student.id or 0):
            notifications.queue_mail(
                session,
                to=coordinator.email,
                subject=f"Aftekening loopt vast: {student.name} ({submission.eindterm_code})",
                body=(
                    f"Beste {coordinator.name},\n\n{student.name} wacht sinds "
                    f"{as_utc(submission.submitted_at):%d-%m-%Y} op aftekening van {submission.eindterm_code} "
                    f"door {supervisor.name if supervisor else 'een praktijkbegeleider'}.\n"
                    f"{settings.base_url.rstrip('/')}/studenten/{student.id}/eindtermen/{submission.eindterm_code}\n"
                ),
            )
        session.add(Reminder(submission_id=submission.id or 0, kind="escalatie", sent_at=now))
        escalate.sent += 1
    hooks.escalate(session, escalate)
    session.flush()
    return remind.sent, escalate.sent
