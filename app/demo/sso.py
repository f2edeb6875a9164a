"""The school sign-in on top of the demo (`make run-sso`, docs/sso.md): the demo programme lists its institutions,
the import's student numbers and principal names match the demo provider's accounts, a new coordinator has a
welcome mail and a praktijkbegeleider is imported with one (each with an activation link).

`seed_sso` runs after `seed_if_empty` and may run again: it adds only what is missing.
"""

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.links import valid_token
from app.accounts.models import Role, TokenKind, User
from app.cohorts import people_import, sso_institutions
from app.cohorts.models import Cohort, Programme, ProgrammeCoordinator
from app.config import Settings
from app.demo.people import STUDENTS
from app.notifications.models import OutboxMessage

SCHOOL = "hmn.example"  # the school's schac_home_organization (Hogeschool Midden-Nederland)
GUEST = "eduid.nl"  # what eduID sends for guests without a school
INSTITUTIONS = {SCHOOL, GUEST}
STUDENT_CODE = f"urn:schac:personalUniqueCode:nl:local:{SCHOOL}:studentid:"
PROGRAMME = "Post-hbo Jobcoach (duaal)"

LOTTE, DAAN = STUDENTS[0], STUDENTS[1]
# Daan's school account is found by the principal name the import stored (his school sends no student number).
DAAN_PRINCIPAL = f"daan.jansen@{SCHOOL}"
# A coordinator who starts now: created by a beheerder, with a welcome mail (their school account is linked
# through its activation link).
NEW_COORDINATOR = ("Karin Smits", "k.smits@hmn.example")
# A praktijkbegeleider without a school: imported (welcome mail), signs in with eduID after activating.
GUEST_SUPERVISOR = ("Yvonne de Wit", "y.dewit@dehoeve.example", "Zorgboerderij De Hoeve")

# The demo provider's accounts: sub -> claims (tests/oidc/provider.mjs).
SCHOOL_ACCOUNTS: dict[str, dict[str, Any]] = {
    "hmn-lotte": {
        "name": LOTTE[0],
        "email": f"lotte.devries@{SCHOOL}",
        "schac_home_organization": SCHOOL,
        "eduperson_affiliation": ["student"],
        "eduperson_principal_name": f"lotte.devries@{SCHOOL}",
        "schac_personal_unique_code": STUDENT_CODE + LOTTE[2],
    },
    "hmn-daan": {
        "name": DAAN[0],
        "email": DAAN_PRINCIPAL,
        "schac_home_organization": SCHOOL,
        "eduperson_affiliation": ["student"],
        "eduperson_principal_name": DAAN_PRINCIPAL,
    },
    "hmn-karin": {
        "name": NEW_COORDINATOR[0],
        "email": NEW_COORDINATOR[1],
        "schac_home_organization": SCHOOL,
        "eduperson_affiliation": ["employee", "staff"],
        "eduperson_principal_name": f"karin.smits@{SCHOOL}",
    },
    # Nobody imported this student: "nog niet gekoppeld".
    "hmn-tim": {
        "name": "Tim Onbekend",
        "email": f"tim.onbekend@{SCHOOL}",
        "schac_home_organization": SCHOOL,
        "eduperson_affiliation": ["student"],
        "eduperson_principal_name": f"tim.onbekend@{SCHOOL}",
        "schac_personal_unique_code": STUDENT_CODE + "599999",
    },
}
GUEST_ACCOUNTS: dict[str, dict[str, Any]] = {
    "eduid-yvonne": {
        "name": GUEST_SUPERVISOR[0],
        "email": GUEST_SUPERVISOR[1],
        "schac_home_organization": GUEST,
        "eduperson_affiliation": ["affiliate"],
    },
}
SCOPES = [
    "openid",
    "profile",
    "email",
    "schac_home_organization",
    "eduperson_affiliation",
    "eduperson_principal_name",
    "schac_personal_unique_code",
]
_ACTIVATION = re.compile(r"https?://\S+/activeren/[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class SsoDemo:
    """The activation links still open (from the welcome mails the seeding queued); None once used or lost."""

    coordinator_link: str | None
    supervisor_link: str | None


def _programme(session: Session) -> tuple[Programme, Cohort]:
    programme = session.exec(select(Programme).where(Programme.name == PROGRAMME)).one()
    cohort = session.exec(select(Cohort).where(Cohort.programme_id == programme.id).order_by(col(Cohort.id))).first()
    assert cohort is not None, "seed_if_empty first"
    return programme, cohort


def _user(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email)).first()


def _activation_link(session: Session, email: str) -> str | None:
    """The link in the newest welcome mail to `email`, while it still works (not used, not expired)."""
    user = _user(session, email)
    if user is None or user.activated_at is not None:
        return None
    mail = session.exec(
        select(OutboxMessage).where(OutboxMessage.to_address == email).order_by(col(OutboxMessage.id).desc())
    ).first()
    found = _ACTIVATION.search(mail.body) if mail else None
    if (
        found is None
        or valid_token(session, token=found.group(0).rsplit("/", 1)[-1], kind=TokenKind.activation) is None
    ):
        return None
    return found.group(0)


def seed_sso(session: Session, *, settings: Settings) -> SsoDemo:
    """Add the school sign-in to the seeded demo (flush only). A second run adds nothing and queues no mail."""
    programme, cohort = _programme(session)
    assert programme.id is not None
    if set(sso_institutions.institutions_of(session, programme_id=programme.id)) != INSTITUTIONS:
        sso_institutions.set_institutions(session, programme_id=programme.id, institutions=INSTITUTIONS, actor_id=None)
    daan = session.exec(select(User).where(User.student_number == DAAN[2])).one()
    if daan.principal_name != DAAN_PRINCIPAL:
        daan.principal_name = DAAN_PRINCIPAL
        session.add(daan)
        session.flush()
    name, email = NEW_COORDINATOR
    if _user(session, email) is None:
        coordinator = accounts.create_user(session, email=email, name=name, roles={Role.coordinator})
        session.add(ProgrammeCoordinator(programme_id=programme.id, user_id=coordinator.id or 0))
        session.flush()
        accounts.send_welcome(session, user=coordinator, settings=settings, actor_id=None)
    name, email, workplace = GUEST_SUPERVISOR
    if _user(session, email) is None:
        people_import.import_people(
            session,
            actor=None,
            cohort=cohort,
            data=f"naam;e-mail;rol;organisatie\n{name};{email};praktijkbegeleider;{workplace}\n".encode(),
            settings=settings,
        )
    session.flush()
    return SsoDemo(
        coordinator_link=_activation_link(session, NEW_COORDINATOR[1]),
        supervisor_link=_activation_link(session, GUEST_SUPERVISOR[1]),
    )


# The loopback demo providers' client secret: public on purpose, never a real registration's.
DEMO_SECRET = "demo-secret"  # noqa: S105


def providers_setting(urls: dict[str, str]) -> list[dict[str, Any]]:
    """OIDC_PROVIDERS (as a list) for the demo's two issuers: {"school": url, "eduid": url}."""
    names = {"school": "SURFconext", "eduid": "eduID"}
    return [
        {
            "name": name,
            "display_name": names[name],
            "issuer": url,
            "client_id": f"portfolio-{name}",
            "client_secret": f"{DEMO_SECRET}-{name}",
            "scopes": SCOPES,
        }
        for name, url in urls.items()
    ]


def provider_config(name: str, *, base_url: str, port: int = 0) -> dict[str, Any]:
    """tests/oidc/provider.mjs's configuration for one of the demo's issuers ("school" or "eduid")."""
    return {
        "client_id": f"portfolio-{name}",
        "client_secret": f"{DEMO_SECRET}-{name}",
        "redirect_uris": [f"{base_url.rstrip('/')}/login/sso/{name}/callback"],
        "accounts": SCHOOL_ACCOUNTS if name == "school" else GUEST_ACCOUNTS,
        "port": port,
        "title": "SURFconext (demo)" if name == "school" else "eduID (demo)",
    }
