"""Praktijkuren that wait for the praktijkbegeleider: what the daily digest lists and what reminders and escalations
are about. The mails themselves go out with the sign-off ones (`app.signoff.service.send_reminders` and
`send_digests`), so the thresholds, the recipients and the wording stay one rule.

Kept free of the sign-off module (which imports this one): no import cycle. A reminder is recorded per entry and
kind (`HoursReminder`), as `Reminder` is per submission, so a second run sends nothing again and hours submitted
later in the same week get their own reminder when they have waited as long.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.cohorts import service as cohorts
from app.db import as_utc
from app.hours.models import HoursDecision, HoursReminder, PracticeHours
from app.hours.service import PendingWeek, pending_weeks_for, week_key


@dataclass
class WaitingWeek(PendingWeek):
    """A student's submitted, undecided entries of one ISO week, with who should decide on them."""

    supervisor: User | None = None  # the student's current praktijkbegeleider

    @property
    def since(self) -> datetime:
        """When the oldest of these entries was submitted."""
        return min(as_utc(e.submitted_at) for e in self.entries if e.submitted_at is not None)


def waiting_weeks_for(session: Session, *, supervisor_id: int) -> list[WaitingWeek]:
    """What waits for this praktijkbegeleider's approval, per student and week (for the daily digest)."""
    return [
        WaitingWeek(student=w.student, key=w.key, entries=w.entries)
        for w in pending_weeks_for(session, supervisor_id=supervisor_id)
    ]


def waiting_weeks(session: Session, *, older_than: datetime, kind: str) -> list[WaitingWeek]:
    """Submitted, undecided entries submitted at or before the moment and without a `kind` reminder yet, per
    student and week, with the student's current praktijkbegeleider (requests follow the student, as for
    evidence)."""
    already = select(HoursReminder.entry_id).where(HoursReminder.kind == kind)
    rows = session.exec(
        select(PracticeHours, User)
        .join(User, col(User.id) == PracticeHours.student_id)
        .outerjoin(HoursDecision, col(HoursDecision.entry_id) == PracticeHours.id)
        .where(
            col(PracticeHours.submitted_at).is_not(None),
            col(PracticeHours.submitted_at) <= older_than,
            col(HoursDecision.id).is_(None),
            col(PracticeHours.id).not_in(already),
        )
        .order_by(col(PracticeHours.student_id), col(PracticeHours.work_date), col(PracticeHours.id))
    ).all()
    weeks: dict[tuple[int, str], WaitingWeek] = {}
    supervisors: dict[int, User | None] = {}
    for entry, student in rows:
        student_id = student.id or 0
        if student_id not in supervisors:
            enrolments = cohorts.enrolments_of_student(session, student_id=student_id)
            supervisor_id = enrolments[0][0].supervisor_id if enrolments else entry.supervisor_id
            supervisors[student_id] = session.get(User, supervisor_id) if supervisor_id else None
        key = (student_id, week_key(entry.work_date))
        week = weeks.setdefault(
            key, WaitingWeek(student=student, key=key[1], entries=[], supervisor=supervisors[student_id])
        )
        week.entries.append(entry)
    return sorted(weeks.values(), key=lambda w: (w.key, w.student.name, w.student.id or 0))


def record_sent(session: Session, *, week: WaitingWeek, kind: str, now: datetime) -> None:
    """This reminder (or escalation) went out for these entries: never again for them."""
    session.add_all([HoursReminder(entry_id=e.id or 0, kind=kind, sent_at=now) for e in week.entries])
