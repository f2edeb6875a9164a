"""Praktijkuren: log, submit per week, approve or return, and the totals others build on.

An entry's state is derived, never stored: concept (not submitted), ingediend (submitted, no decision),
goedgekeurd / terug (its one `HoursDecision`), vervangen (returned, and a newer entry replaces it). Hours belong to
the student, not to an enrolment: entries logged in any cohort count.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, Enrolment, Programme
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.framework.registry import FrameworkRegistry
from app.framework.schema import Framework
from app.hours.models import HoursDecision, HoursDecisionKind, HoursStatus, PracticeHours, format_hours
from app.i18n import N_
from app.notifications import service as notifications

if TYPE_CHECKING:
    from app.signoff.service import Decider  # the sign-off module builds on evidence; imported lazily

ZERO = Decimal("0.00")
MAX_PER_DAY = Decimal(24)
STEP = Decimal("0.25")
MAX_ACTIVITY = 2000
MAX_WORKPLACE = 200
MAX_CLIENTS = 20
CLIENT_CODE_RE = re.compile(r"^[A-Za-z0-9-]{1,12}$")
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
NOT_YOURS = N_("Deze uren bestaan niet of staan niet (meer) voor u klaar.")


def _q(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def parse_week(value: str) -> tuple[int, int]:
    match = WEEK_RE.fullmatch(value.strip())
    if match is None:
        raise InvalidInput(N_("Kies een week (jjjj-Wnn)."))
    year, week = int(match.group(1)), int(match.group(2))
    if not 1900 <= year <= 9998:  # the week after 9999-W52 is past date.max: nothing to look up there anyway
        raise InvalidInput(N_("Kies een week (jjjj-Wnn)."))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise InvalidInput(N_("Kies een week (jjjj-Wnn).")) from None
    return year, week


def week_number(key: str) -> int:
    return int(key.rsplit("W", 1)[1])


# --- reading: entries, states and totals ---------------------------------------------------------------


@dataclass(frozen=True)
class EntryView:
    entry: PracticeHours
    status: HoursStatus
    decision: HoursDecision | None
    replaced_by_id: int | None = None

    @property
    def week(self) -> str:
        return week_key(self.entry.work_date)


@dataclass
class PeriodTotals:
    key: str  # "2026-W47" or "2026-11"
    approved: Decimal = ZERO
    pending: Decimal = ZERO
    returned: Decimal = ZERO
    concept: Decimal = ZERO

    def add(self, status: HoursStatus, hours: Decimal) -> None:
        if status is HoursStatus.goedgekeurd:
            self.approved = _q(self.approved + hours)
        elif status is HoursStatus.ingediend:
            self.pending = _q(self.pending + hours)
        elif status is HoursStatus.terug:
            self.returned = _q(self.returned + hours)
        elif status is HoursStatus.concept:
            self.concept = _q(self.concept + hours)


@dataclass
class HoursTotals:
    """Approved, pending (submitted, undecided), returned (not yet corrected) and concept hours."""

    approved: Decimal = ZERO
    pending: Decimal = ZERO
    returned: Decimal = ZERO
    concept: Decimal = ZERO
    weeks: list[PeriodTotals] = field(default_factory=list)  # newest first
    months: list[PeriodTotals] = field(default_factory=list)  # newest first


def _status(decision: HoursDecision | None, entry: PracticeHours, replaced: bool) -> HoursStatus:
    if decision is not None:
        if decision.decision == HoursDecisionKind.goedgekeurd.value:
            return HoursStatus.goedgekeurd
        return HoursStatus.vervangen if replaced else HoursStatus.terug
    return HoursStatus.ingediend if entry.submitted_at is not None else HoursStatus.concept


def entries_of(session: Session, *, student_id: int) -> list[EntryView]:
    """All of a student's entries (every cohort), newest work date first, with their derived state."""
    rows = session.exec(
        select(PracticeHours, HoursDecision)
        .outerjoin(HoursDecision, col(HoursDecision.entry_id) == PracticeHours.id)
        .where(PracticeHours.student_id == student_id)
        .order_by(col(PracticeHours.work_date).desc(), col(PracticeHours.id).desc())
    ).all()
    replaced_by = {e.replaces_id: e.id for e, _ in rows if e.replaces_id is not None}
    return [
        EntryView(
            entry=e,
            status=_status(d, e, e.id in replaced_by),
            decision=d,
            replaced_by_id=replaced_by.get(e.id or 0),
        )
        for e, d in rows
    ]


def totals_of(views: list[EntryView]) -> HoursTotals:
    totals = HoursTotals()
    weeks: dict[str, PeriodTotals] = {}
    months: dict[str, PeriodTotals] = {}
    overall = PeriodTotals(key="")
    for view in views:
        hours = Decimal(view.entry.hours)
        overall.add(view.status, hours)
        day = view.entry.work_date
        weeks.setdefault(week_key(day), PeriodTotals(key=week_key(day))).add(view.status, hours)
        months.setdefault(month_key(day), PeriodTotals(key=month_key(day))).add(view.status, hours)
    totals.approved, totals.pending, totals.returned, totals.concept = (
        overall.approved,
        overall.pending,
        overall.returned,
        overall.concept,
    )
    totals.weeks = [weeks[k] for k in sorted(weeks, reverse=True)]
    totals.months = [months[k] for k in sorted(months, reverse=True)]
    return totals


def hours_totals(session: Session, *, student_id: int) -> HoursTotals:
    return totals_of(entries_of(session, student_id=student_id))


# Built once: the readiness page asks this on every view.
_APPROVED_HOURS = (
    select(func.coalesce(func.sum(PracticeHours.hours), 0))
    .join(HoursDecision, col(HoursDecision.entry_id) == PracticeHours.id)
    .where(
        col(PracticeHours.student_id) == bindparam("student_id"),
        col(HoursDecision.decision) == HoursDecisionKind.goedgekeurd.value,
    )
)


def approved_hours(session: Session, *, student_id: int) -> Decimal:
    """Approved practice hours of the student over all cohorts (one query)."""
    total = session.exec(_APPROVED_HOURS, params={"student_id": student_id}).one()
    return _q(Decimal(str(total)))


def minimum_hours_for(session: Session, *, cohort_id: int, framework: Framework) -> int:
    """The programme's minimum if it sets one, else the framework's `readiness.minimum_practice_hours`."""
    own = session.exec(
        select(Programme.minimum_practice_hours)
        .join(Cohort, col(Cohort.programme_id) == Programme.id)
        .where(Cohort.id == cohort_id)
    ).first()
    return framework.readiness.minimum_practice_hours if own is None else own


# --- logging ------------------------------------------------------------------------------------------------


@dataclass
class HoursInput:
    """What the form or the API sends for one entry."""

    work_date: str = ""
    hours: str = ""
    activity: str = ""
    workplace: str = ""
    eindtermen: list[str] = field(default_factory=list)
    clients: str = ""
    replaces_id: int | None = None


class HoursFormErrors(InvalidInput):
    """Form errors per field, in Dutch; nothing was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(N_("Controleer de ingevulde uren."), details=list(errors.values()))
        self.errors = errors


def parse_hours(value: str) -> Decimal | None:
    try:
        hours = Decimal(value.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return hours if hours.is_finite() else None


def split_codes(value: str) -> list[str]:
    return [c.strip() for c in re.split(r"[,;\n]+", value) if c.strip()]


def default_workplace(session: Session, *, student_id: int) -> str:
    enrolments = cohorts.enrolments_of_student(session, student_id=student_id)
    return (enrolments[0][0].workplace or "") if enrolments else ""


def _framework_codes(session: Session, *, student_id: int, registry: FrameworkRegistry) -> set[str] | None:
    enrolments = cohorts.enrolments_of_student(session, student_id=student_id)
    if not enrolments:
        return None
    try:
        return {e.code for e in cohorts.framework_of(registry, enrolments[0][1]).eindtermen}
    except cohorts.FrameworkUnavailable:
        return None


def _hours_on(session: Session, *, student_id: int, day: date, except_id: int | None) -> Decimal:
    """Hours already logged on this day that still count or may count (not returned)."""
    rows = session.exec(
        select(col(PracticeHours.id), col(PracticeHours.hours), col(HoursDecision.decision))
        .outerjoin(HoursDecision, col(HoursDecision.entry_id) == PracticeHours.id)
        .where(PracticeHours.student_id == student_id, PracticeHours.work_date == day)
    ).all()
    return sum(
        (Decimal(h) for i, h, d in rows if d != HoursDecisionKind.terug.value and i != except_id),
        ZERO,
    )


def replaceable(session: Session, *, student_id: int, entry_id: int) -> PracticeHours:
    old = session.get(PracticeHours, entry_id)
    if old is None or old.student_id != student_id:
        raise NotFound(NOT_YOURS)
    decision = session.exec(select(HoursDecision).where(HoursDecision.entry_id == entry_id)).first()
    if decision is None or decision.decision != HoursDecisionKind.terug.value:
        raise Conflict(N_("Alleen uren die terug zijn gestuurd kunt u corrigeren."))
    if session.exec(select(PracticeHours.id).where(PracticeHours.replaces_id == entry_id)).first() is not None:
        raise Conflict(N_("Deze uren zijn al gecorrigeerd."))
    return old


def log_hours(
    session: Session, *, student_id: int, data: HoursInput, registry: FrameworkRegistry, today: date | None = None
) -> PracticeHours:
    """A new concept entry (or the correction of a returned one). Field errors come all at once, in Dutch."""
    today = today or date.today()
    if data.replaces_id is not None:
        replaceable(session, student_id=student_id, entry_id=data.replaces_id)
    errors: dict[str, str] = {}
    work_date: date | None = None
    try:
        work_date = date.fromisoformat(data.work_date.strip())
    except ValueError:
        errors["work_date"] = "Vul de datum in waarop u gewerkt heeft."
    if work_date is not None and work_date > today:
        errors["work_date"] = "De datum ligt in de toekomst."
    hours = parse_hours(data.hours)
    if hours is None:
        errors["hours"] = "Vul het aantal uren in als getal, bijvoorbeeld 7,5."
    elif hours <= 0:
        errors["hours"] = "Het aantal uren moet meer dan 0 zijn."
    elif hours > MAX_PER_DAY:
        errors["hours"] = "Per regel kunt u hoogstens 24 uur invullen."
    elif hours % STEP != 0:
        errors["hours"] = "Vul uren in stappen van een kwartier in (0,25 uur)."
    elif work_date is not None:
        already = _hours_on(session, student_id=student_id, day=work_date, except_id=data.replaces_id)
        if already + hours > MAX_PER_DAY:
            errors["hours"] = (
                f"Op {work_date:%d-%m-%Y} staat al {format_hours(already)} uur; "
                "samen meer dan 24 uur op één dag kan niet."
            )
    activity = data.activity.strip()
    if not activity:
        errors["activity"] = "Beschrijf kort wat u gedaan heeft."
    elif len(activity) > MAX_ACTIVITY:
        errors["activity"] = f"De omschrijving mag hoogstens {MAX_ACTIVITY} tekens lang zijn."
    workplace = data.workplace.strip() or default_workplace(session, student_id=student_id)
    if len(workplace) > MAX_WORKPLACE:
        errors["workplace"] = f"De werkplek mag hoogstens {MAX_WORKPLACE} tekens lang zijn."
    codes = list(dict.fromkeys(c.strip() for c in data.eindtermen if c.strip()))
    if codes:
        known = _framework_codes(session, student_id=student_id, registry=registry)
        unknown = [c for c in codes if known is None or c not in known]
        if unknown:
            errors["eindtermen"] = f"Onbekende eindterm: {', '.join(unknown[:5])}."
    clients = list(dict.fromkeys(split_codes(data.clients)))
    bad = [c for c in clients if not CLIENT_CODE_RE.fullmatch(c)]
    if bad:
        errors["clients"] = (
            "Gebruik alleen cliëntcodes (letters, cijfers en streepjes, hoogstens 12 tekens, zoals K-017), geen namen."
        )
    elif len(clients) > MAX_CLIENTS:
        errors["clients"] = f"Hoogstens {MAX_CLIENTS} cliëntcodes per regel."
    if errors:
        raise HoursFormErrors(errors)
    assert work_date is not None and hours is not None
    entry = PracticeHours(
        student_id=student_id,
        work_date=work_date,
        hours=_q(hours),
        activity=activity,
        workplace=workplace,
        eindterm_codes=codes,
        client_codes=clients,
        replaces_id=data.replaces_id,
    )
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        raise Conflict(N_("Deze uren zijn al gecorrigeerd.")) from None
    audit.record(
        session,
        actor_id=student_id,
        action="hours.logged",
        object_type="practice_hours",
        object_id=entry.id,
        data={"date": work_date.isoformat(), "hours": str(entry.hours), "replaces": data.replaces_id},
    )
    return entry


def own_entry(session: Session, *, student_id: int, entry_id: int) -> PracticeHours:
    entry = session.get(PracticeHours, entry_id)
    if entry is None or entry.student_id != student_id:
        raise NotFound(NOT_YOURS)
    return entry


def remove_concept(session: Session, *, student_id: int, entry_id: int) -> None:
    """A concept (never submitted) may go; anything submitted stays as history."""
    entry = own_entry(session, student_id=student_id, entry_id=entry_id)
    if entry.submitted_at is not None:
        raise Conflict(N_("Ingediende uren kunt u niet meer verwijderen."))
    removed = session.execute(
        PracticeHours.__table__.delete().where(  # type: ignore[attr-defined]
            PracticeHours.__table__.c.id == entry_id,  # type: ignore[attr-defined]
            PracticeHours.__table__.c.submitted_at.is_(None),  # type: ignore[attr-defined]
        )
    )
    if removed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(N_("Ingediende uren kunt u niet meer verwijderen."))
    session.expunge(entry)
    audit.record(
        session,
        actor_id=student_id,
        action="hours.removed",
        object_type="practice_hours",
        object_id=entry_id,
        data={"date": entry.work_date.isoformat(), "hours": str(entry.hours)},
    )


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
        data={"week": f"{year}-W{number:02d}", "entries": ids, "hours": str(_q(total))},
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


# --- the praktijkbegeleider: pending weeks, approving a week, returning an entry ------------------------------


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
        return _q(sum((Decimal(e.hours) for e in self.entries), ZERO))

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


ALREADY_DECIDED = N_("Over deze uren is al besloten (misschien in een ander venster of door een collega).")


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
    total = _q(sum((Decimal(e.hours) for e in entries), ZERO))
    seen = parse_hours(seen_total)
    ids_seen = {int(i) for i in seen_ids.split(",") if i.strip().isdecimal()} if seen_ids.strip() else None
    if seen is None or _q(seen) != total or (ids_seen is not None and ids_seen != {e.id for e in entries}):
        raise Conflict(
            N_("De uren van deze week zijn intussen veranderd. Bekijk de week opnieuw; er is niets goedgekeurd.")
        )
    confirmation = f"{key}: {total}"
    made = [_decision(e, decider, HoursDecisionKind.goedgekeurd, confirmed=confirmation) for e in entries]
    try:
        with session.begin_nested():
            session.add_all(made)
            session.flush()
    except IntegrityError:
        raise Conflict(ALREADY_DECIDED) from None
    audit.record(
        session,
        actor_id=decider.user_id,
        action="hours.week_approved",
        object_type="student",
        object_id=student_id,
        data={
            "week": key,
            "hours": str(total),
            "entries": [e.id for e in entries],
            "via_link": decider.via_link_id is not None,
        },
        bind=made,
    )
    return made


def return_entry(
    session: Session, *, decider: "Decider", entry_id: int, comment: str, settings: Settings | None
) -> HoursDecision:
    """Send one entry back with a reason; the student corrects it with a new entry."""
    entry = session.get(PracticeHours, entry_id)
    if entry is None or entry.student_id not in session.exec(_supervised(decider.user_id)).all():
        raise NotFound(NOT_YOURS)
    comment = comment.strip()
    if not comment:
        raise InvalidInput(N_("Schrijf erbij waarom u deze uren terugstuurt."), field="toelichting")
    if len(comment) > 4000:
        raise InvalidInput(N_("De toelichting is te lang (hoogstens 4000 tekens)."), field="toelichting")
    _check_decider(decider.user_id, entry.student_id)
    if entry.submitted_at is None:
        raise Conflict(NOT_YOURS)
    decision = _decision(entry, decider, HoursDecisionKind.terug, comment=comment)
    try:
        with session.begin_nested():
            session.add(decision)
            session.flush()
    except IntegrityError:
        raise Conflict(ALREADY_DECIDED) from None
    audit.record(
        session,
        actor_id=decider.user_id,
        action="hours.returned",
        object_type="practice_hours",
        object_id=entry.id,
        data={"student_id": entry.student_id, "via_link": decider.via_link_id is not None},
        bind=[decision],
    )
    if settings is not None:
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
    session.flush()
    return decision


MINIMUM_FORMAT = N_(
    "Vul het minimum in als een heel aantal uren (0 of meer), of laat het veld leeg voor het minimum van het kader."
)


def parse_minimum(value: str) -> int | None:
    """What the coordinator typed as the programme's minimum: empty is None (the framework's), else whole hours."""
    text = value.strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,9}", text):  # ASCII digits only: no sign, decimals or other scripts' digits
        raise InvalidInput(MINIMUM_FORMAT)
    return int(text)


def framework_minimums(
    session: Session, *, programme_id: int, registry: FrameworkRegistry
) -> list[tuple[Framework, int]]:
    """The frameworks of the programme's cohorts with their own `readiness.minimum_practice_hours`: what applies
    when the programme sets no minimum."""
    keys = session.exec(
        select(Cohort.framework_id, Cohort.framework_version)
        .where(Cohort.programme_id == programme_id)
        .distinct()
        .order_by(col(Cohort.framework_id), col(Cohort.framework_version))
    ).all()
    found = []
    for framework_id, version in keys:
        if (framework_id, version) in registry:
            framework = registry.get(framework_id, version)
            found.append((framework, framework.readiness.minimum_practice_hours))
    return found


def set_programme_minimum(session: Session, *, programme_id: int, hours: int | None, actor_id: int | None) -> Programme:
    """The programme's own minimum of approved hours for readiness (None: follow the framework)."""
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise NotFound(N_("Deze opleiding bestaat niet."))
    if hours is not None and not 0 <= hours <= 100_000:
        raise InvalidInput(N_("Vul een aantal uren van 0 tot 100000 in."))
    programme.minimum_practice_hours = hours
    session.add(programme)
    audit.record(
        session,
        actor_id=actor_id,
        action="programme.minimum_practice_hours",
        object_type="programme",
        object_id=programme_id,
        data={"hours": hours},
    )
    session.flush()
    return programme
