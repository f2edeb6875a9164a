"""Praktijkuren in the sign-off reminder run and daily digest: the listeners of `app.signoff.hooks`.

The sign-off run keeps the rule (thresholds, recipients, once each, one digest mail a day); this module adds the
weeks of praktijkuren that wait for the praktijkbegeleider (`app.hours.reminders`), in the run's order and counts.
Connected in `app.wiring`.
"""

from sqlmodel import Session

from app.accounts.models import User
from app.hours import reminders as hours_reminders
from app.notifications import service as notifications
from app.signoff.hooks import DigestPart, ReminderRound
from app.signoff.links import portal_line
from app.signoff.reminders import coordinators_of


def remind(session: Session, run: ReminderRound) -> None:
    """A reminder to the praktijkbegeleider per student and week that has waited long enough."""
    for week in hours_reminders.waiting_weeks(session, older_than=run.older_than, kind="herinnering"):
        if week.supervisor is None:
            continue
        notifications.queue_mail(
            session,
            to=week.supervisor.email,
            subject=f"Herinnering: {week.student.name} wacht op goedkeuring van praktijkuren (week {week.number})",
            body=(
                f"Beste {week.supervisor.name},\n\n{week.student.name} wacht sinds {week.since:%d-%m-%Y} op uw "
                f"goedkeuring van {week.total_text} uur praktijk in week {week.number}.\n"
                f"{portal_line(session, supervisor=week.supervisor, settings=run.settings)}\n"
            ),
        )
        hours_reminders.record_sent(session, week=week, kind="herinnering", now=run.now)
        run.sent += 1


def escalate(session: Session, run: ReminderRound) -> None:
    """An escalation to the coordinators per student and week that has waited too long."""
    for week in hours_reminders.waiting_weeks(session, older_than=run.older_than, kind="escalatie"):
        for coordinator in coordinators_of(session, student_id=week.student.id or 0):
            notifications.queue_mail(
                session,
                to=coordinator.email,
                subject=f"Goedkeuring praktijkuren loopt vast: {week.student.name} (week {week.number})",
                body=(
                    f"Beste {coordinator.name},\n\n{week.student.name} wacht sinds {week.since:%d-%m-%Y} op "
                    f"goedkeuring van {week.total_text} uur praktijk in week {week.number} door "
                    f"{week.supervisor.name if week.supervisor else 'een praktijkbegeleider'}.\n"
                    f"{run.settings.base_url.rstrip('/')}/studenten/{week.student.id}/praktijkuren\n"
                ),
            )
        hours_reminders.record_sent(session, week=week, kind="escalatie", now=run.now)
        run.sent += 1


def digest(session: Session, supervisor: User, parts: list[DigestPart]) -> None:
    """The weeks that wait for this praktijkbegeleider's approval, after the requests to sign off."""
    weeks = hours_reminders.waiting_weeks_for(session, supervisor_id=supervisor.id or 0)
    if weeks:
        parts.append(
            DigestPart(
                subject=f"{len(weeks)} {'week' if len(weeks) == 1 else 'weken'} praktijkuren om goed te keuren",
                heading="Deze praktijkuren wachten op uw goedkeuring",
                lines=[
                    f"- {w.student.name}: week {w.number}, {w.total_text} uur (sinds {w.since:%d-%m-%Y})" for w in weeks
                ],
            )
        )
