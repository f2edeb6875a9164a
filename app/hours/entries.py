"""The student's own entries: log one (or the correction of a returned one), and remove a concept.

A new entry is a concept until the student submits its week (`app.hours.submission`). Field errors come all at
once, in Dutch; nothing is saved while there is one.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.cohorts import service as cohorts
from app.errors import Conflict, InvalidInput, NotFound
from app.framework.registry import FrameworkRegistry
from app.hours.models import HoursDecision, HoursDecisionKind, PracticeHours, format_hours
from app.hours.periods import ZERO, cents
from app.i18n import N_
from app.validation import fields

MAX_PER_DAY = Decimal(24)
STEP = Decimal("0.25")
MAX_ACTIVITY = 2000
MAX_WORKPLACE = 200
MAX_CLIENTS = 20
CLIENT_CODE_RE = re.compile(r"^[A-Za-z0-9-]{1,12}$")
NOT_YOURS = N_("Deze uren bestaan niet of staan niet (meer) voor u klaar.")


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
        return fields.parse_decimal(value)
    except ValueError:
        return None


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


def _line_hours(value: str) -> Decimal:
    """The hours of one line: a number of quarters, more than 0 and at most a day."""
    hours = fields.amount(value, invalid="Vul het aantal uren in als getal, bijvoorbeeld 7,5.", field="hours")
    fields.within(hours, above=0, message="Het aantal uren moet meer dan 0 zijn.", field="hours")
    fields.within(hours, at_most=MAX_PER_DAY, message="Per regel kunt u hoogstens 24 uur invullen.", field="hours")
    fields.multiple_of(hours, step=STEP, message="Vul uren in stappen van een kwartier in (0,25 uur).", field="hours")
    return hours


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
    if data.replaces_id is not None:
        replaceable(session, student_id=student_id, entry_id=data.replaces_id)
    problems = fields.Problems()
    work_date = problems.check(
        fields.past_date,
        data.work_date,
        missing="Vul de datum in waarop u gewerkt heeft.",
        today=today,
        field="work_date",
    )
    hours = problems.check(_line_hours, data.hours)
    if hours is not None and work_date is not None:
        already = _hours_on(session, student_id=student_id, day=work_date, except_id=data.replaces_id)
        if already + hours > MAX_PER_DAY:
            problems.add(
                "hours",
                f"Op {work_date:%d-%m-%Y} staat al {format_hours(already)} uur; "
                "samen meer dan 24 uur op één dag kan niet.",
            )
    activity = problems.check(
        fields.text,
        data.activity,
        required="Beschrijf kort wat u gedaan heeft.",
        max_length=MAX_ACTIVITY,
        too_long=fields.length_message("De omschrijving", MAX_ACTIVITY),
        field="activity",
    )
    workplace = data.workplace.strip() or default_workplace(session, student_id=student_id)
    problems.check(
        fields.text,
        workplace,
        strip=False,
        max_length=MAX_WORKPLACE,
        too_long=fields.length_message("De werkplek", MAX_WORKPLACE),
        field="workplace",
    )
    codes = list(dict.fromkeys(c.strip() for c in data.eindtermen if c.strip()))
    if codes:
        known = _framework_codes(session, student_id=student_id, registry=registry)
        problems.check(fields.eindterm_codes, codes, known=known, shown=5)
    clients = list(dict.fromkeys(split_codes(data.clients)))
    if any(not CLIENT_CODE_RE.fullmatch(c) for c in clients):
        problems.add(
            "clients",
            "Gebruik alleen cliëntcodes (letters, cijfers en streepjes, hoogstens 12 tekens, zoals K-017), geen namen.",
        )
    elif len(clients) > MAX_CLIENTS:
        problems.add("clients", f"Hoogstens {MAX_CLIENTS} cliëntcodes per regel.")
    if problems:
        raise HoursFormErrors(problems.errors)
    assert work_date is not None and hours is not None and activity is not None
    entry = PracticeHours(
        student_id=student_id,
        work_date=work_date,
        hours=cents(hours),
        activity=activity,
        workplace=workplace,
        eindterm_codes=codes,
        client_codes=clients,
        replaces_id=data.replaces_id,
    )
    audit.record_new(
        session,
        entry,
        once=N_("Deze uren zijn al gecorrigeerd."),
        actor_id=student_id,
        action="hours.logged",
        object_type="practice_hours",
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
