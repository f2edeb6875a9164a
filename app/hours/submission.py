"""Submitting a week: the student's concept entries of one ISO week go to their praktijkbegeleider, who gets a mail."""

from datetime import date
from decimal import Decimal

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.cohorts import service as cohorts
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, InvalidInput
from app.hours.models import PracticeHours, format_hours
from app.hours.periods import ZERO, cents, parse_week
from app.i18n import N_
from app.notifications import service as notifications


def submit_week(session: Session, *, student_id: int, week: str, settings: Settings | None) -> list[PracticeHours]:
    """Send the week's concept entries to the student's current praktijkbegeleider, who gets a mail."""
    year, number = parse_week(week)
    enrolments = cohorts.enrolments_of_student(session, student_id=student_id)
    supervisor_id = enrolments[0][0].supervisor_id if enrolments else None
    if supervisor_id is None:
        raise InvalidInput(N_("Er is nog geen praktijkbegeleider aan u gekoppeld. Vraag uw opleidingscoördinator."))
    first = date.fromisocalendar(year, number, 1)
    last = date.fromisocalendar(year, number, 7)
    concepts = session.exec(
        select(PracticeHours).where(
            PracticeHours.student_id == student_id,
            col(PracticeHours.submitted_at).is_(None),
            col(PracticeHours.work_date) >= first,
            col(PracticeHours.work_date) <= last,
        )
    ).all()
    if not concepts:
        raise InvalidInput(N_("In deze week staan geen uren klaar om in te dienen."))
    ids = [e.id for e in concepts]
    now = utcnow()
    moved = session.execute(
        update(PracticeHours)
        .where(col(PracticeHours.id).in_(ids), col(PracticeHours.submitted_at).is_(None))
        .values(submitted_at=now, supervisor_id=supervisor_id)
    )
    if moved.rowcount != len(ids):  # type: ignore[attr-defined]
        raise Conflict(N_("Deze week is intussen al ingediend."))
    for entry in concepts:
        session.refresh(entry)
    total = sum((Decimal(e.hours) for e in concepts), ZERO)
    audit.record(
        session,
        actor_id=student_id,
        action="hours.submitted",
        object_type="student",
        object_id=student_id,
        data={"week": f"{year}-W{number:02d}", "entries": ids, "hours": str(cents(total))},
    )
    if settings is not None:
        _notify_supervisor(
            session, student_id=student_id, supervisor_id=supervisor_id, week=number, total=total, settings=settings
        )
    session.flush()
    return list(concepts)


def _notify_supervisor(
    session: Session, *, student_id: int, supervisor_id: int, week: int, total: Decimal, settings: Settings
) -> None:
    """Like an evidence submission: mail the praktijkbegeleider now, unless they chose the daily digest."""
    from app.signoff.service import _portal_line  # where they act: their list, or a fresh personal link

    supervisor = session.get(User, supervisor_id)
    student = session.get(User, student_id)
    if supervisor is None or student is None or supervisor.notify_daily_digest or not supervisor.is_active:
        return
    notifications.queue_mail(
        session,
        to=supervisor.email,
        subject=f"Praktijkuren goedkeuren: {student.name} (week {week})",
        body=(
            f"Beste {supervisor.name},\n\n{student.name} heeft {format_hours(total)} uur praktijk in week {week} "
            "ingediend en vraagt u die goed te keuren.\n"
            f"Bekijk en beslis hier:\n{_portal_line(session, supervisor=supervisor, settings=settings)}\n"
        ),
    )
