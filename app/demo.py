"""A believable demo: one programme, one cohort of 14 students, their workplaces and school staff."""

from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from app.accounts import service as accounts
from app.accounts.models import Role, User
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, Enrolment
from app.config import get_settings
from app.framework.registry import load_frameworks

DEMO_PASSWORD = "demo-jobcoach-2026"  # noqa: S105 - printed on purpose for the demo
DOMAIN = "demo.jobcoach.nl"

COORDINATOR = ("Marieke van Dijk", "coordinator")
ADMIN = ("Ruud Hendriks", "beheer")
ASSESSORS = [("Anouk Visser", "a.visser"), ("Henk de Groot", "h.degroot")]
# (name, login, function, workplace)
SUPERVISORS = [
    ("Sandra Mulder", "s.mulder", "Teamleider productie", "Werkbedrijf Lelystad"),
    ("Peter Bakker", "p.bakker", "Bedrijfsleider", "Bakkerij De Korenschoof"),
    ("Fatima El Amrani", "f.elamrani", "Coördinator jobcoaching", "Zorggroep Het Baken"),
    ("Jeroen Smit", "j.smit", "Manager facilitair", "Hotel De Wadden"),
]
STUDENTS = [
    ("Lotte de Vries", "lotte", "500101"),
    ("Daan Jansen", "daan", "500102"),
    ("Sanne Bos", "sanne", "500103"),
    ("Bram Meijer", "bram", "500104"),
    ("Noor Yilmaz", "noor", "500105"),
    ("Thomas van Leeuwen", "thomas", "500106"),
    ("Emma de Boer", "emma", "500107"),
    ("Youssef Haddou", "youssef", "500108"),
    ("Femke Dekker", "femke", "500109"),
    ("Joris Brouwer", "joris", "500110"),
    ("Iris Koster", "iris", "500111"),
    ("Mohamed Aydin", "mohamed", "500112"),
    ("Julia Vermeulen", "julia", "500113"),
    ("Sven Hoekstra", "sven", "500114"),
]


def _email(login: str) -> str:
    return f"{login}@{DOMAIN}"


def seed_if_empty(session: Session) -> bool:
    """Seed only an empty database, so a second `make run` keeps what people did."""
    if session.exec(select(func.count()).select_from(User)).one() > 0:
        return False
    framework = load_frameworks(get_settings().framework_dir).latest("bvjn-eindtermen")

    def person(name: str, login: str, roles: set[Role], **extra: Any) -> User:
        return accounts.create_user(
            session, email=_email(login), name=name, roles=roles, password=DEMO_PASSWORD, **extra
        )

    coordinator = person(*COORDINATOR, {Role.coordinator})
    person(*ADMIN, {Role.beheerder})
    assessors = [
        person(n, login, {Role.beoordelaar}, organisation="Hogeschool Midden-Nederland") for n, login in ASSESSORS
    ]
    supervisors = [
        person(n, login, {Role.praktijkbegeleider}, function=f, organisation=w) for n, login, f, w in SUPERVISORS
    ]
    programme = cohorts.create_programme(
        session,
        name="Post-hbo Jobcoach (duaal)",
        institution="Hogeschool Midden-Nederland",
        coordinator_ids=[coordinator.id or 0],
    )
    cohort = Cohort(
        programme_id=programme.id or 0,
        name="Jobcoach 2026-A",
        start_date=date(2026, 2, 2),
        planned_end_date=date(2027, 1, 29),
        framework_id=framework.id,
        framework_version=framework.version,
    )
    session.add(cohort)
    session.flush()
    for i, (name, login, number) in enumerate(STUDENTS):
        student = person(name, login, {Role.student}, student_number=number)
        supervisor = supervisors[i % len(supervisors)]
        # The last student has just started: no supervisor or assessor assigned yet.
        newcomer = i == len(STUDENTS) - 1
        session.add(
            Enrolment(
                cohort_id=cohort.id or 0,
                student_id=student.id or 0,
                workplace=supervisor.organisation,
                supervisor_id=None if newcomer else supervisor.id,
                assessor_id=None if newcomer else assessors[i % len(assessors)].id,
            )
        )
    session.flush()
    return True


def print_logins() -> None:
    rows = [
        ("opleidingscoördinator", COORDINATOR[0], _email(COORDINATOR[1])),
        ("beheerder", ADMIN[0], _email(ADMIN[1])),
        *[("beoordelaar", n, _email(login)) for n, login in ASSESSORS],
        *[("praktijkbegeleider", n, _email(login)) for n, login, _, _ in SUPERVISORS],
        *[("student", n, _email(login)) for n, login, _ in STUDENTS[:3]],
    ]
    print("\nDemo-logins (wachtwoord voor iedereen: " + DEMO_PASSWORD + ")")
    for role, name, email in rows:
        print(f"  {role:<22} {name:<20} {email}")
    print(f"  … en nog {len(STUDENTS) - 3} studenten (voornaam@{DOMAIN}).\n")
