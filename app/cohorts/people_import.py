"""The people import: a checked file applied to a cohort, all or nothing, within the cohort's programme."""

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import Role, User
from app.accounts.service import Actor
from app.audit import service as audit
from app.cohorts import account_rule, guidance
from app.cohorts.models import Cohort, Enrolment
from app.cohorts.people_csv import ImportRow, parse_people_csv
from app.config import Settings
from app.errors import InvalidInput


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


def _would_change(user: User, row: ImportRow) -> bool:
    return (
        user.name != row.name
        or bool(row.student_number and user.student_number != row.student_number)
        or bool(row.principal_name and user.principal_name != row.principal_name)
        or bool(row.role is not Role.student and row.organisation and user.organisation != row.organisation)
    )


def _owners(session: Session, field: str, values: list[str]) -> dict[str, str]:
    """Who already holds each of these imported identifiers (student number, principal name): value -> e-mail."""
    if not values:
        return {}
    column = getattr(User, field)
    return {getattr(u, field): u.email for u in session.exec(select(User).where(col(column).in_(values))).all()}


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
    number_owner = _owners(session, "student_number", [r.student_number for r in rows if r.student_number])
    principal_owner = _owners(session, "principal_name", [r.principal_name for r in rows if r.principal_name])
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
        owner = principal_owner.get(row.principal_name) if row.principal_name else None
        if owner and owner != row.email:
            errors.append(
                f"Rij {row.line}: eduPersonPrincipalName {row.principal_name} hoort al bij een andere persoon."
            )
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
                    "het studentnummer, de eduPersonPrincipalName of de organisatie daarvan niet; laat een beheerder "
                    "dit aanpassen."
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
            if row.principal_name:
                user.principal_name = row.principal_name
                session.add(user)
            accounts.send_welcome(session, user=user, settings=settings, actor_id=actor.id if actor else None)
            result.created += 1
        else:
            assert user.id is not None
            changed = False
            if user.name != row.name:
                user.name, changed = row.name, True
            if row.student_number and user.student_number != row.student_number:
                user.student_number, changed = row.student_number, True
            if row.principal_name and user.principal_name != row.principal_name:
                user.principal_name, changed = row.principal_name, True
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
