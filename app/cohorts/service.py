"""Programmes, cohorts, enrolments, the CSV import, and who may see which student."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import Role, User, UserRole
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.audit import service as audit
from app.cohorts import account_rule
from app.cohorts.models import Cohort, Enrolment, Programme, ProgrammeCoordinator
from app.config import Settings
from app.errors import DomainError, InvalidInput, NotFound
from app.framework.registry import FrameworkRegistry
from app.framework.schema import Framework
from app.i18n import N_

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 10_000
IMPORTABLE_ROLES = {
    "student": Role.student,
    "praktijkbegeleider": Role.praktijkbegeleider,
    "werkbegeleider": Role.praktijkbegeleider,
    "supervisor": Role.praktijkbegeleider,
    "beoordelaar": Role.beoordelaar,
    "assessor": Role.beoordelaar,
}
# Header names as student information systems spell them, Dutch and English.
HEADER_ALIASES = {
    "naam": "name",
    "name": "name",
    "volledige naam": "name",
    "e-mail": "email",
    "email": "email",
    "e-mailadres": "email",
    "emailadres": "email",
    "mail": "email",
    "rol": "role",
    "role": "role",
    "studentnummer": "student_number",
    "student number": "student_number",
    "student_number": "student_number",
    "organisatie": "organisation",
    "werkplek": "organisation",
    "organisatie/werkplek": "organisation",
    "organisation": "organisation",
    "workplace": "organisation",
    "stagebedrijf": "organisation",
    "praktijkbegeleider": "supervisor",
    "supervisor": "supervisor",
    "praktijkbegeleider e-mail": "supervisor",
    "beoordelaar": "assessor",
    "assessor": "assessor",
    "beoordelaar e-mail": "assessor",
}
REQUIRED_COLUMNS = ("name", "email", "role")
# The column sizes in the database (PostgreSQL refuses longer values instead of storing them).
MAX_NAME_LENGTH = 200
MAX_STUDENT_NUMBER_LENGTH = 50
MAX_ORGANISATION_LENGTH = 200


# --- scope ----------------------------------------------------------------------------------------


def coordinated_programme_ids(session: Session, *, actor: Actor) -> list[int]:
    if not actor.can(Permission.cohort_view):
        return []
    return list(
        session.exec(select(ProgrammeCoordinator.programme_id).where(ProgrammeCoordinator.user_id == actor.id)).all()
    )


def _visible_student_statement(*, coordinator: bool):  # type: ignore[no-untyped-def]
    """The student if the actor supervises or assesses them, or (coordinator) coordinates their programme."""
    actor_id: Any = bindparam("actor_id")
    conditions = [col(Enrolment.supervisor_id) == actor_id, col(Enrolment.assessor_id) == actor_id]
    if coordinator:
        coordinated = select(ProgrammeCoordinator.programme_id).where(col(ProgrammeCoordinator.user_id) == actor_id)
        conditions.append(col(Cohort.programme_id).in_(coordinated))
    in_scope = (
        select(Enrolment.id)
        .join(Cohort, col(Cohort.id) == Enrolment.cohort_id)
        .where(col(Enrolment.student_id) == bindparam("student_id"), or_(*conditions))
        .exists()
    )
    return select(User).where(col(User.id) == bindparam("student_id"), in_scope)


# Built once: every student page asks this first, and building the statement cost more than running it.
_VISIBLE_STUDENT_STAFF = _visible_student_statement(coordinator=False)
_VISIBLE_STUDENT_COORDINATOR = _visible_student_statement(coordinator=True)


def visible_student(session: Session, *, actor: Actor, student_id: int) -> User:
    """The student, if this actor may see them: themself, assigned staff, or their programme's coordinator.

    One query: the user together with the scope check (every student page asks this first)."""
    if not actor.can(Permission.student_view):
        raise NotFound("Deze student bestaat niet of u heeft er geen toegang toe.")
    if actor.id == student_id and actor.has_role(Role.student):
        student = session.get(User, student_id)
        if student is None:
            raise NotFound("Deze student bestaat niet of u heeft er geen toegang toe.")
        return student
    statement = _VISIBLE_STUDENT_COORDINATOR if actor.can(Permission.cohort_view) else _VISIBLE_STUDENT_STAFF
    found = session.exec(statement, params={"student_id": student_id, "actor_id": actor.id}).first()
    if found is None:
        raise NotFound("Deze student bestaat niet of u heeft er geen toegang toe.")
    return found


def visible_cohort(session: Session, *, actor: Actor, cohort_id: int) -> Cohort:
    cohort = None
    if actor.can(Permission.cohort_view):  # one query: the cohort, if the actor coordinates its programme
        coordinated = select(ProgrammeCoordinator.programme_id).where(ProgrammeCoordinator.user_id == actor.id)
        cohort = session.exec(
            select(Cohort).where(col(Cohort.id) == cohort_id, col(Cohort.programme_id).in_(coordinated))
        ).first()
    if cohort is None:
        raise NotFound("Dit cohort bestaat niet of u heeft er geen toegang toe.")
    return cohort


# --- reading --------------------------------------------------------------------------------------


class FrameworkUnavailable(DomainError):
    """A cohort is pinned to a framework version whose file is no longer loaded: a set-up problem."""

    status_code = 500
    default_message = N_("Het eindtermenkader van dit cohort is niet geladen.")


def framework_of(registry: FrameworkRegistry, cohort: Cohort) -> Framework:
    """The framework version the cohort is pinned to."""
    try:
        return registry.get(cohort.framework_id, cohort.framework_version)
    except KeyError:
        raise FrameworkUnavailable(
            f"Het eindtermenkader {cohort.framework_id} versie {cohort.framework_version} van cohort "
            f"{cohort.name} is niet geladen. Vraag de beheerder om dat kaderbestand terug te zetten."
        ) from None


@dataclass(frozen=True)
class CohortSummary:
    cohort: Cohort
    programme: Programme
    student_count: int
    # Slot counts per status across the cohort (from the per-slot state table), for the summary row.
    statuses: dict[str, int] = field(default_factory=dict)
    eindterm_count: int = 0  # of the cohort's framework version

    def share(self, status: str) -> int:
        """Percentage of all the cohort's slots in this status."""
        total = self.student_count * self.eindterm_count
        return round(100 * self.statuses.get(status, 0) / total) if total else 0


def list_cohorts(session: Session, *, actor: Actor, registry: FrameworkRegistry | None = None) -> list[CohortSummary]:
    programme_ids = coordinated_programme_ids(session, actor=actor)
    if not programme_ids:
        return []
    counts = select(Enrolment.cohort_id, func.count().label("n")).group_by(col(Enrolment.cohort_id)).subquery()
    rows = session.exec(
        select(Cohort, Programme, func.coalesce(counts.c.n, 0))
        .join(Programme, col(Programme.id) == Cohort.programme_id)
        .outerjoin(counts, counts.c.cohort_id == Cohort.id)
        .where(col(Cohort.programme_id).in_(programme_ids))
        .order_by(col(Cohort.start_date).desc(), Cohort.name)
    ).all()
    from app.evidence.models import Slot  # models only: the evidence services build on this module

    per_status: dict[int, dict[str, int]] = {}
    for cohort_id, status, count in session.exec(
        select(Enrolment.cohort_id, Slot.status, func.count())
        .join(Slot, col(Slot.student_id) == Enrolment.student_id)
        .join(Cohort, col(Cohort.id) == Enrolment.cohort_id)
        .where(
            col(Cohort.programme_id).in_(programme_ids),
            col(Slot.framework_id) == Cohort.framework_id,
            col(Slot.framework_version) == Cohort.framework_version,
        )
        .group_by(col(Enrolment.cohort_id), col(Slot.status))
    ).all():
        per_status.setdefault(cohort_id, {})[status] = count
    return [
        CohortSummary(
            cohort=c,
            programme=p,
            student_count=n,
            statuses=per_status.get(c.id or 0, {}),
            eindterm_count=_eindterm_count(registry, c),
        )
        for c, p, n in rows
    ]


def _eindterm_count(registry: FrameworkRegistry | None, cohort: Cohort) -> int:
    if registry is None or (cohort.framework_id, cohort.framework_version) not in registry:
        return 0
    return len(registry.get(cohort.framework_id, cohort.framework_version).eindtermen)


def programmes_for(session: Session, *, actor: Actor) -> list[Programme]:
    ids = coordinated_programme_ids(session, actor=actor)
    if not ids:
        return []
    return list(session.exec(select(Programme).where(col(Programme.id).in_(ids)).order_by(Programme.name)).all())


def coordinated_programme(session: Session, *, actor: Actor, programme_id: int) -> Programme:
    """The programme if this actor coordinates it; any other (or none) does not exist for them."""
    if programme_id not in coordinated_programme_ids(session, actor=actor):
        raise NotFound(N_("Deze opleiding bestaat niet."))
    programme = session.get(Programme, programme_id)
    if programme is None:  # pragma: no cover - a coordinator row always names an existing programme
        raise NotFound(N_("Deze opleiding bestaat niet."))
    return programme


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


# --- writing --------------------------------------------------------------------------------------


def create_programme(
    session: Session, *, name: str, institution: str | None = None, coordinator_ids: list[int] | None = None
) -> Programme:
    programme = Programme(name=name, institution=institution)
    session.add(programme)
    session.flush()
    assert programme.id is not None
    for user_id in coordinator_ids or []:
        session.add(ProgrammeCoordinator(programme_id=programme.id, user_id=user_id))
    session.flush()
    return programme


def create_cohort(
    session: Session,
    *,
    actor: Actor,
    registry: FrameworkRegistry,
    programme_id: int,
    name: str,
    start_date: date | None,
    planned_end_date: date | None,
    framework_key: str,
) -> Cohort:
    errors: list[str] = []
    if programme_id not in coordinated_programme_ids(session, actor=actor):
        errors.append(N_("Kies een opleiding die u coördineert."))
    if not name.strip():
        errors.append(N_("Geef het cohort een naam."))
    elif len(name.strip()) > MAX_NAME_LENGTH:
        errors.append(f"De naam mag hoogstens {MAX_NAME_LENGTH} tekens lang zijn.")
    if start_date is None:
        errors.append(N_("Vul een startdatum in."))
    if start_date and planned_end_date and planned_end_date <= start_date:
        errors.append(N_("De geplande einddatum moet na de startdatum liggen."))
    framework_id, _, version = framework_key.partition("@")
    if (framework_id, version) not in registry:
        errors.append(N_("Kies een bestaande versie van het eindtermenkader."))
    if (
        not errors
        and session.exec(
            select(Cohort.id).where(Cohort.programme_id == programme_id, Cohort.name == name.strip())
        ).first()
    ):
        errors.append(f"Er bestaat al een cohort met de naam '{name.strip()}' in deze opleiding.")
    if errors:
        raise InvalidInput("Het cohort is niet aangemaakt.", details=errors)
    assert start_date is not None
    cohort = Cohort(
        programme_id=programme_id,
        name=name.strip(),
        start_date=start_date,
        planned_end_date=planned_end_date,
        framework_id=framework_id,
        framework_version=version,
    )
    session.add(cohort)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="cohort.created",
        object_type="cohort",
        object_id=cohort.id,
        data={"framework": framework_key},
    )
    return cohort


# --- CSV import -----------------------------------------------------------------------------------


@dataclass
class ImportRow:
    line: int
    name: str
    email: str
    role: Role
    student_number: str | None
    organisation: str | None
    supervisor: str | None
    assessor: str | None


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    enrolled: int = 0
    assigned: int = 0
    rows: int = 0
    changes: list[str] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated or self.enrolled or self.assigned)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows still saves CSV as Windows-1252.
        return data.decode("cp1252", errors="replace")


def parse_people_csv(data: bytes) -> list[ImportRow]:
    """Parse and check every row; raise one InvalidInput listing every problem, row by row."""
    if not data.strip():
        raise InvalidInput("Het bestand is leeg.")
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"Het bestand is groter dan {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    text = _decode(data)
    first_line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise InvalidInput("Het bestand heeft geen kopregel.") from None
    columns = [HEADER_ALIASES.get(h.strip().lower()) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        names = {"name": "naam", "email": "e-mail", "role": "rol"}
        raise InvalidInput(
            f"De kopregel mist verplichte kolommen: {', '.join(names[m] for m in missing)}.",
            details=[f"Gevonden kolommen: {', '.join(h.strip() for h in header)}"],
        )
    errors: list[str] = []
    rows: list[ImportRow] = []
    seen_emails: dict[str, int] = {}
    seen_numbers: dict[str, int] = {}
    try:
        for line_no, raw in enumerate(reader, start=2):
            if not any(cell.strip() for cell in raw):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise InvalidInput(f"Het bestand heeft meer dan {MAX_IMPORT_ROWS} rijen.")
            values = {c: raw[i].strip() for i, c in enumerate(columns) if c and i < len(raw)}
            problems: list[str] = []
            name = values.get("name", "")
            if not name:
                problems.append("naam ontbreekt")
            elif len(name) > MAX_NAME_LENGTH:
                problems.append(f"naam is langer dan {MAX_NAME_LENGTH} tekens")
            email = values.get("email", "").lower()
            try:
                email = validate_email(email, check_deliverability=False).normalized.lower()
            except EmailNotValidError:
                problems.append(f"e-mailadres '{values.get('email', '')}' is ongeldig")
            role = IMPORTABLE_ROLES.get(values.get("role", "").lower())
            if role is None:
                problems.append(
                    f"rol '{values.get('role', '')}' is onbekend (gebruik student, praktijkbegeleider of beoordelaar)"
                )
            number = values.get("student_number") or None
            if role is Role.student and not number:
                problems.append("studentnummer ontbreekt")
            if number and len(number) > MAX_STUDENT_NUMBER_LENGTH:
                problems.append(f"studentnummer is langer dan {MAX_STUDENT_NUMBER_LENGTH} tekens")
            if len(values.get("organisation", "")) > MAX_ORGANISATION_LENGTH:
                problems.append(f"organisatie/werkplek is langer dan {MAX_ORGANISATION_LENGTH} tekens")
            if email in seen_emails:
                problems.append(f"e-mailadres {email} staat ook op rij {seen_emails[email]}")
            if number and role is Role.student:
                if number in seen_numbers:
                    problems.append(f"studentnummer {number} staat ook op rij {seen_numbers[number]}")
                seen_numbers.setdefault(number, line_no)
            seen_emails.setdefault(email, line_no)
            if problems:
                errors.append(f"Rij {line_no}: " + "; ".join(problems) + ".")
                continue
            assert role is not None
            rows.append(
                ImportRow(
                    line=line_no,
                    name=name,
                    email=email,
                    role=role,
                    student_number=number if role is Role.student else None,
                    organisation=values.get("organisation") or None,
                    supervisor=(values.get("supervisor") or "").lower() or None,
                    assessor=(values.get("assessor") or "").lower() or None,
                )
            )
    except csv.Error as exc:
        raise InvalidInput(f"Het bestand is geen geldige CSV: {exc}.") from None
    if errors:
        raise InvalidInput("Er is niets geïmporteerd: los eerst deze fouten op.", details=errors)
    if not rows:
        raise InvalidInput("Het bestand bevat geen personen.")
    return rows


def _would_change(user: User, row: ImportRow) -> bool:
    return (
        user.name != row.name
        or bool(row.student_number and user.student_number != row.student_number)
        or bool(row.role is not Role.student and row.organisation and user.organisation != row.organisation)
    )


def import_people(
    session: Session, *, actor: Actor | None, cohort: Cohort, data: bytes, settings: Settings
) -> ImportResult:
    """All or nothing: every row is checked against the file and the database before anything is written.

    Each account the import creates gets a welcome mail with an activation link, queued in the same transaction:
    a failed import sends nothing. People who already had an account get no mail."""
    rows = parse_people_csv(data)
    errors: list[str] = []
    existing = {
        u.email: u for u in session.exec(select(User).where(col(User.email).in_([r.email for r in rows]))).all()
    }
    numbers = [r.student_number for r in rows if r.student_number]
    number_owner = (
        {
            u.student_number: u.email
            for u in session.exec(select(User).where(col(User.student_number).in_(numbers))).all()
        }
        if numbers
        else {}
    )
    staff_in_file = {r.email: r.role for r in rows if r.role is not Role.student}
    referenced = {e for r in rows for e in (r.supervisor, r.assessor) if e}
    referenced_users = (
        {u.email: u for u in session.exec(select(User).where(col(User.email).in_(referenced))).all()}
        if referenced
        else {}
    )
    # Whom this import may touch: only people who already belong to the cohort's programme (`account_rule`);
    # anyone else, and any beheerder, is linked by a beheerder.
    known_ids = {u.id or 0 for u in [*existing.values(), *referenced_users.values()]}
    members = account_rule.programme_members(session, programme_id=cohort.programme_id, user_ids=known_ids)
    elsewhere = account_rule.other_programme_members(session, programme_id=cohort.programme_id, user_ids=known_ids)
    roles = {i: accounts.roles_of(session, user_id=i) for i in known_ids}

    def in_programme(user: User) -> bool:
        return (user.id or 0) in members and Role.beheerder not in roles[user.id or 0]

    for row in rows:
        owner = number_owner.get(row.student_number) if row.student_number else None
        if owner and owner != row.email:
            errors.append(f"Rij {row.line}: studentnummer {row.student_number} hoort al bij een andere persoon.")
        user = existing.get(row.email)
        if user is not None:
            if not in_programme(user):
                errors.append(
                    f"Rij {row.line}: {row.email} hoort bij een account buiten deze opleiding (of bij een beheerder). "
                    "Een import wijzigt dat account niet; laat een beheerder deze persoon koppelen."
                )
            elif row.role not in roles[user.id or 0]:
                errors.append(
                    f"Rij {row.line}: {row.email} heeft nog niet de rol {row.role.value}. Een import geeft een "
                    "bestaand account geen nieuwe rol; koppel een praktijkbegeleider met bevestiging op de "
                    "portfoliopagina van de student, of vraag een beheerder de rol toe te voegen."
                )
            elif (user.id or 0) in elsewhere and _would_change(user, row):
                errors.append(
                    f"Rij {row.line}: {row.email} hoort ook bij een andere opleiding. Een import wijzigt de naam, "
                    "het studentnummer of de organisatie daarvan niet; laat een beheerder dit aanpassen."
                )
        for ref, role, label in (
            (row.supervisor, Role.praktijkbegeleider, "praktijkbegeleider"),
            (row.assessor, Role.beoordelaar, "beoordelaar"),
        ):
            if not ref:
                continue
            if row.role is not Role.student:
                errors.append(f"Rij {row.line}: alleen een student kan een {label} krijgen.")
                continue
            in_file = staff_in_file.get(ref) == role
            ref_user = referenced_users.get(ref)
            in_db = ref_user is not None and role in roles[ref_user.id or 0] and in_programme(ref_user)
            if not (in_file or in_db):
                errors.append(
                    f"Rij {row.line}: {label} {ref} staat niet in het bestand en is geen {label} binnen deze "
                    "opleiding. Laat een beheerder iemand van buiten de opleiding koppelen."
                )
    if errors:
        raise InvalidInput("Er is niets geïmporteerd: los eerst deze fouten op.", details=errors)

    result = ImportResult(rows=len(rows))
    by_email: dict[str, User] = {}
    # Staff first, so that student rows can point at them.
    for row in sorted(rows, key=lambda r: r.role is Role.student):
        user = existing.get(row.email)
        if user is None:
            user = accounts.create_user(
                session,
                email=row.email,
                name=row.name,
                roles={row.role},
                student_number=row.student_number,
                organisation=row.organisation if row.role is not Role.student else None,
                actor_id=actor.id if actor else None,
            )
            accounts.send_welcome(session, user=user, settings=settings, actor_id=actor.id if actor else None)
            result.created += 1
        else:
            assert user.id is not None
            changed = False
            if user.name != row.name:
                user.name, changed = row.name, True
            if row.student_number and user.student_number != row.student_number:
                user.student_number, changed = row.student_number, True
            if row.role is not Role.student and row.organisation and user.organisation != row.organisation:
                user.organisation, changed = row.organisation, True
            if changed:
                session.add(user)
                result.updated += 1
            else:
                result.unchanged += 1
        by_email[row.email] = user
    session.flush()

    for row in rows:
        if row.role is not Role.student:
            continue
        student = by_email[row.email]
        enrolment = session.exec(
            select(Enrolment).where(Enrolment.cohort_id == cohort.id, Enrolment.student_id == student.id)
        ).first()
        if enrolment is None:
            assert cohort.id is not None and student.id is not None
            enrolment = Enrolment(cohort_id=cohort.id, student_id=student.id, workplace=row.organisation)
            result.enrolled += 1
        elif row.organisation and enrolment.workplace != row.organisation:
            enrolment.workplace = row.organisation
            result.updated += 1
        session.add(enrolment)
        session.flush()
        if row.supervisor:
            target = by_email.get(row.supervisor) or referenced_users[row.supervisor]
            if enrolment.supervisor_id != target.id:
                # An approved assignment by the importing coordinator, like the assignment form.
                from app.cohorts import guidance  # the rule module builds on this one

                guidance.link_existing(
                    session, actor_id=actor.id if actor else None, enrolment=enrolment, supervisor=target, settings=None
                )
                result.assigned += 1
        if row.assessor:
            target = by_email.get(row.assessor) or referenced_users[row.assessor]
            if enrolment.assessor_id != target.id:
                enrolment.assessor_id = target.id
                result.assigned += 1
        session.add(enrolment)
    session.flush()
    if result.changed_anything:
        audit.record(
            session,
            actor_id=actor.id if actor else None,
            action="cohort.people_imported",
            object_type="cohort",
            object_id=cohort.id,
            data={
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "enrolled": result.enrolled,
                "assigned": result.assigned,
            },
        )
    return result


def resend_welcome(session: Session, *, actor: Actor, cohort: Cohort, student_id: int, settings: Settings) -> User:
    """A new welcome mail for a student of this cohort who has not activated their account; the previous
    activation link stops working."""
    member = cohort_member(session, cohort_id=cohort.id or 0, student_id=student_id)
    accounts.send_welcome(session, user=member.student, settings=settings, actor_id=actor.id)
    return member.student


def staff_not_activated(session: Session, *, cohort_id: int, limit: int = 50) -> list[User]:
    """The cohort's praktijkbegeleiders and beoordelaars whose account was made (e.g. by the import) but never
    activated: the coordinator sees them next to the students who have not, and can resend their welcome mail."""
    linked = (
        select(Enrolment.supervisor_id)
        .where(Enrolment.cohort_id == cohort_id)
        .union(select(Enrolment.assessor_id).where(Enrolment.cohort_id == cohort_id))
    )
    return list(
        session.exec(
            select(User)
            .where(
                col(User.id).in_(linked),
                col(User.activated_at).is_(None),
                col(User.erased_at).is_(None),
                col(User.is_active).is_(True),
            )
            .order_by(col(User.name), col(User.id))
            .limit(limit)
        ).all()
    )


def resend_welcome_staff(session: Session, *, actor: Actor, cohort: Cohort, user_id: int, settings: Settings) -> User:
    """A new welcome mail for a praktijkbegeleider or beoordelaar of this cohort's students who has not activated;
    anyone else answers 404 (not visible from this cohort)."""
    linked = session.exec(
        select(Enrolment.id).where(
            Enrolment.cohort_id == cohort.id,
            or_(col(Enrolment.supervisor_id) == user_id, col(Enrolment.assessor_id) == user_id),
        )
    ).first()
    user = session.get(User, user_id) if linked is not None else None
    if user is None:
        raise NotFound()
    accounts.send_welcome(session, user=user, settings=settings, actor_id=actor.id)
    return user
