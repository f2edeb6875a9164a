"""The praktijkbegeleider's side: the weeks waiting for them, approving a whole week, returning one entry.

A decision is its own append-only row, one per entry: a double click or a second tab gets a 409, never a second
decision. Nobody decides on their own hours.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.cohorts.models import Enrolment
from app.config import Settings
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.hours.entries import NOT_YOURS, parse_hours
from app.hours.models import HoursDecision, HoursDecisionKind, PracticeHours, format_hours
from app.hours.periods import ZERO, cents, parse_week, week_key, week_number
from app.i18n import N_
from app.notifications import service as notifications
from app.validation import fields

if TYPE_CHECKING:
    from app.signoff.service import Decider  # the sign-off module builds on evidence; imported lazily

ALREADY_DECIDED = N_("Over deze uren is al besloten (misschien in een ander venster of door een collega).")
MAX_COMMENT = 4000


@dataclass
class PendingWeek:
    student: User
    key: str  # "2026-W47"
    entries: list[PracticeHours]

    @property
    def number(self) -> int:
        return week_number(self.key)

    @property
    def total(self) -> Decimal:
        return cents(sum((Decimal(e.hours) for e in self.entries), ZERO))

    @property
    def total_text(self) -> str:
        return format_hours(self.total)

    @property
    def ids(self) -> str:
        return ",".join(str(e.id) for e in self.entries)


def _supervised(supervisor_id: int):  # type: ignore[no-untyped-def]
    """Students whose praktijkbegeleider this is (as for evidence: requests follow the student's enrolment)."""
    return select(Enrolment.student_id).where(Enrolment.supervisor_id == supervisor_id)


def _open_entries(
    session: Session, *, supervisor_id: int, student_id: int | None = None
) -> list[tuple[PracticeHours, User]]:
    query = (
        select(PracticeHours, User)
        .join(User, col(User.id) == PracticeHours.student_id)
        .outerjoin(HoursDecision, col(HoursDecision.entry_id) == PracticeHours.id)
        .where(
            col(PracticeHours.student_id).in_(_supervised(supervisor_id)),
            col(PracticeHours.submitted_at).is_not(None),
            col(HoursDecision.id).is_(None),
        )
        .order_by(col(User.name), col(User.id), col(PracticeHours.work_date), col(PracticeHours.id))
    )
    if student_id is not None:
        query = query.where(PracticeHours.student_id == student_id)
    return [(e, u) for e, u in session.exec(query).all()]


def pending_weeks_for(session: Session, *, supervisor_id: int) -> list[PendingWeek]:
    """Submitted, undecided entries of this supervisor's students, per student and ISO week (one query)."""
    weeks: dict[tuple[int, str], PendingWeek] = {}
    for entry, student in _open_entries(session, supervisor_id=supervisor_id):
        key = (student.id or 0, week_key(entry.work_date))
        weeks.setdefault(key, PendingWeek(student=student, key=key[1], entries=[])).entries.append(entry)
    return sorted(weeks.values(), key=lambda w: (w.key, w.student.name))


def _check_decider(decider_user_id: int, student_id: int) -> None:
    if decider_user_id == student_id:
        # Separation of duties: nobody approves their own hours.
        raise Forbidden(N_("U kunt uw eigen uren niet goedkeuren."))


def _decision(
    entry: PracticeHours, decider: "Decider", kind: HoursDecisionKind, comment: str = "", confirmed: str | None = None
) -> HoursDecision:
    return HoursDecision(
        entry_id=entry.id or 0,
        student_id=entry.student_id,
        decision=kind.value,
        comment=comment,
        confirmed=confirmed,
        decided_by_id=decider.user_id,
        decided_by_name=decider.name,
        decided_by_email=decider.email,
        decided_by_function=decider.function,
        via_link_id=decider.via_link_id,
    )


def _store(
    session: Session,
    decisions: list[HoursDecision],
    *,
    decider: "Decider",
    action: str,
    about: tuple[str, int | None],
    data: dict[str, object],
) -> None:
    """Write the decisions with their audit event, which binds them and says whether a link was used; the first
    decision on an entry wins, a second one is a 409."""
    object_type, object_id = about
    audit.record_new(
        session,
        *decisions,
        once=ALREADY_DECIDED,
        actor_id=decider.user_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data={**data, "via_link": decider.via_link_id is not None},
        bind=True,
    )


def approve_week(
    session: Session,
    *,
    decider: "Decider",
    student_id: int | None,
    week: str,
    seen_total: str,
    seen_ids: str = "",
    confirmed: bool,
) -> list[HoursDecision]:
    """Approve every pending entry of one student's week at once, after the supervisor confirmed the total.

    The total (and entry ids) the supervisor saw ride along: if the week changed since, nothing is approved."""
    if student_id is None:
        raise InvalidInput(N_("Kies de week die u wilt goedkeuren."))
    year, number = parse_week(week)
    key = f"{year}-W{number:02d}"
    # Whose week it is comes first: someone else learns nothing, not even that the input was wrong.
    if student_id not in session.exec(_supervised(decider.user_id)).all():
        raise NotFound(NOT_YOURS)
    _check_decider(decider.user_id, student_id)
    entries = [
        e
        for e, _ in _open_entries(session, supervisor_id=decider.user_id, student_id=student_id)
        if week_key(e.work_date) == key
    ]
    if not entries:
        raise Conflict(N_("In deze week staan geen uren (meer) ter goedkeuring."))
    if not confirmed:
        raise InvalidInput(
            N_("Bevestig eerst het aantal uren van deze week. Er is niets goedgekeurd."), field="bevestig"
        )
    total = cents(sum((Decimal(e.hours) for e in entries), ZERO))
    seen = parse_hours(seen_total)
    ids_seen = {int(i) for i in seen_ids.split(",") if i.strip().isdecimal()} if seen_ids.strip() else None
    if seen is None or cents(seen) != total or (ids_seen is not None and ids_seen != {e.id for e in entries}):
        raise Conflict(
            N_("De uren van deze week zijn intussen veranderd. Bekijk de week opnieuw; er is niets goedgekeurd.")
        )
    confirmation = f"{key}: {total}"
    made = [_decision(e, decider, HoursDecisionKind.goedgekeurd, confirmed=confirmation) for e in entries]
    _store(
        session,
        made,
        decider=decider,
        action="hours.week_approved",
        about=("student", student_id),
        data={"week": key, "hours": str(total), "entries": [e.id for e in entries]},
    )
    return made


def return_entry(
    session: Session, *, decider: "Decider", entry_id: int, comment: str, settings: Settings | None
) -> HoursDecision:
    """Send one entry back with a reason; the student corrects it with a new entry."""
    entry = session.get(PracticeHours, entry_id)
    if entry is None or entry.student_id not in session.exec(_supervised(decider.user_id)).all():
        raise NotFound(NOT_YOURS)
    comment = fields.text(
        comment,
        required=N_("Schrijf erbij waarom u deze uren terugstuurt."),
        max_length=MAX_COMMENT,
        too_long=N_("De toelichting is te lang (hoogstens 4000 tekens)."),
        field="toelichting",
    )
    _check_decider(decider.user_id, entry.student_id)
    if entry.submitted_at is None:
        raise Conflict(NOT_YOURS)
    decision = _decision(entry, decider, HoursDecisionKind.terug, comment=comment)
    _store(
        session,
        [decision],
        decider=decider,
        action="hours.returned",
        about=("practice_hours", entry.id),
        data={"student_id": entry.student_id},
    )
    if settings is not None:
        _notify_student(session, entry=entry, decider=decider, comment=comment, settings=settings)
    session.flush()
    return decision


def _notify_student(
    session: Session, *, entry: PracticeHours, decider: "Decider", comment: str, settings: Settings
) -> None:
    """The student hears why, with a link straight to the correction."""
    student = session.get(User, entry.student_id)
    assert student is not None
    notifications.queue_mail(
        session,
        to=student.email,
        subject=f"Praktijkuren terug voor aanpassing ({entry.work_date:%d-%m-%Y})",
        body=(
            f"Beste {student.name},\n\n{decider.name} heeft uw {format_hours(Decimal(entry.hours))} uur op "
            f"{entry.work_date:%d-%m-%Y} teruggestuurd.\n\nToelichting:\n{comment}\n\n"
            f"Corrigeer het hier: {settings.base_url.rstrip('/')}/praktijkuren?corrigeer={entry.id}\n"
        ),
    )
