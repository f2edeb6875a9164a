"""Which institutions (SURFconext's schac_home_organization) may sign in for a programme's people.

A programme without a list lets any institution's account sign in for its people (when it is linked); a programme
with a list refuses the others. Matching a person by the import's student number needs the institution listed:
a student number means nothing outside the school that issued it.
"""

import re
from dataclasses import dataclass

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, delete, select

from app.accounts.models import User
from app.accounts.sso_models import SignInIdentity
from app.audit import service as audit
from app.cohorts.models import Cohort, Enrolment, ProgrammeCoordinator
from app.errors import InvalidInput
from app.i18n import N_


class ProgrammeInstitution(SQLModel, table=True):
    __tablename__ = "programme_institution"
    __table_args__ = (UniqueConstraint("programme_id", "institution"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    institution: str = Field(max_length=255)


# schac_home_organization is the institution's domain name (hogeschool.nl, eduid.nl): anything else could never
# match a claim, and the coordinator would believe a list that lets nobody in.
_DOMAIN = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def set_institutions(session: Session, *, programme_id: int, institutions: set[str], actor_id: int | None) -> None:
    """Replace the programme's list. Refused, before anything is written, when an entry is not a domain name."""
    chosen = sorted({i.strip().lower() for i in institutions if i.strip()})
    wrong = [i for i in chosen if not _DOMAIN.fullmatch(i)]
    if wrong:
        raise InvalidInput(
            N_("'%(entry)s' is geen instelling. Geef per regel de domeinnaam van de instelling, bijv. hogeschool.nl."),
            params={"entry": wrong[0][:80]},
            field="institutions",
        )
    session.exec(delete(ProgrammeInstitution).where(col(ProgrammeInstitution.programme_id) == programme_id))
    for institution in chosen:
        session.add(ProgrammeInstitution(programme_id=programme_id, institution=institution))
    audit.record(
        session,
        actor_id=actor_id,
        action="programme.institutions_set",
        object_type="programme",
        object_id=programme_id,
        data={"institutions": chosen},
    )
    session.flush()


def _programmes_of(session: Session, *, user_id: int) -> set[int]:
    enrolled = session.exec(
        select(Cohort.programme_id)
        .join(Enrolment, col(Enrolment.cohort_id) == Cohort.id)
        .where(
            (col(Enrolment.student_id) == user_id)
            | (col(Enrolment.supervisor_id) == user_id)
            | (col(Enrolment.assessor_id) == user_id)
        )
    ).all()
    coordinated = session.exec(
        select(ProgrammeCoordinator.programme_id).where(ProgrammeCoordinator.user_id == user_id)
    ).all()
    return set(enrolled) | set(coordinated)


def _lists(session: Session, *, user_id: int) -> tuple[set[int], dict[int, set[str]]]:
    programmes = _programmes_of(session, user_id=user_id)
    lists: dict[int, set[str]] = {}
    if programmes:
        rows = session.exec(
            select(ProgrammeInstitution).where(col(ProgrammeInstitution.programme_id).in_(programmes))
        ).all()
        for row in rows:
            lists.setdefault(row.programme_id, set()).add(row.institution)
    return programmes, lists


def institution_allowed(session: Session, *, user_id: int, institution: str | None) -> bool:
    """Whether one of the person's programmes lets this institution sign in (a programme without a list lets any;
    a person in no programme, such as a beheerder, is not restricted)."""
    programmes, lists = _lists(session, user_id=user_id)
    if not programmes:
        return True
    wanted = (institution or "").strip().lower()
    return any(p not in lists or wanted in lists[p] for p in programmes)


def institution_listed(session: Session, *, user_id: int, institution: str | None) -> bool:
    """Whether one of the person's programmes lists this institution explicitly (needed to match a student number)."""
    _, lists = _lists(session, user_id=user_id)
    wanted = (institution or "").strip().lower()
    return bool(wanted) and any(wanted in listed for listed in lists.values())


def institutions_of(session: Session, *, programme_id: int) -> list[str]:
    return sorted(
        session.exec(
            select(ProgrammeInstitution.institution).where(ProgrammeInstitution.programme_id == programme_id)
        ).all()
    )


@dataclass(frozen=True)
class LinkedAccount:
    user: User
    identities: list[SignInIdentity]


def linked_accounts(session: Session, *, programme_id: int) -> list[LinkedAccount]:
    """The programme's people (students, praktijkbegeleiders, beoordelaars, coordinators) and the school accounts
    linked to each: the coordinator sees who still needs an invitation, and the affiliation each institution gives."""
    rows = session.exec(
        select(Enrolment.student_id, Enrolment.supervisor_id, Enrolment.assessor_id)
        .join(Cohort, col(Cohort.id) == Enrolment.cohort_id)
        .where(Cohort.programme_id == programme_id)
    ).all()
    ids = {i for row in rows for i in row if i is not None}
    ids |= set(
        session.exec(
            select(ProgrammeCoordinator.user_id).where(ProgrammeCoordinator.programme_id == programme_id)
        ).all()
    )
    if not ids:
        return []
    users = session.exec(select(User).where(col(User.id).in_(ids)).order_by(col(User.name))).all()
    identities: dict[int, list[SignInIdentity]] = {}
    for identity in session.exec(select(SignInIdentity).where(col(SignInIdentity.user_id).in_(ids))).all():
        identities.setdefault(identity.user_id, []).append(identity)
    return [LinkedAccount(user=u, identities=identities.get(u.id or 0, [])) for u in users if u.erased_at is None]
