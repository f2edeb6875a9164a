"""Seeding the demo: the programme, its cohort and enrolments, the student who left, and (with storage) evidence."""

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import Role, User
from app.cohorts import guidance
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, Enrolment
from app.config import get_settings
from app.demo.evidence import EVIDENCE, demo_files, seed_evidence
from app.demo.people import (
    ADMIN,
    ASSESSORS,
    COORDINATOR,
    DEMO_PASSWORD,
    LEFT_STUDENT,
    STUDENTS,
    SUPERVISORS,
    email_of,
)
from app.demo.records import seed_development, seed_hours
from app.framework.registry import load_frameworks

if TYPE_CHECKING:
    from app.storage import Storage


def seed_if_empty(session: Session, storage: "Storage | None" = None) -> bool:
    """Seed only an empty database, so a second `make run` keeps what people did.

    With a storage, students also get evidence at different stages (with a few real files)."""
    if session.exec(select(func.count()).select_from(User)).one() > 0:
        return False
    framework = load_frameworks(get_settings().framework_dir).latest("bvjn-eindtermen")

    def person(name: str, login: str, roles: set[Role], **extra: Any) -> User:
        return accounts.create_user(
            session, email=email_of(login), name=name, roles=roles, password=DEMO_PASSWORD, **extra
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
        enrolment = Enrolment(
            cohort_id=cohort.id or 0,
            student_id=student.id or 0,
            workplace=supervisor.organisation,
            assessor_id=None if newcomer else assessors[i % len(assessors)].id,
        )
        session.add(enrolment)
        session.flush()
        if newcomer:
            # Their voorstel waits on the coordinator's "Voorstellen praktijkbegeleider" page.
            guidance.propose(
                session,
                actor=accounts.actor_for(session, user_id=student.id or 0),
                name="Ingrid Werkman",
                email=email_of("ingrid.werkman"),
                function="Teamleider",
                workplace="Kringloopbedrijf De Ruil",
            )
        else:
            # The coordinator approved these praktijkbegeleiders (an approved assignment each).
            guidance.link_existing(
                session, actor_id=coordinator.id, enrolment=enrolment, supervisor=supervisor, settings=None
            )
    session.flush()
    _seed_left(session, coordinator=coordinator, cohort=cohort, supervisor=supervisors[0], assessor=assessors[0])
    seed_hours(session)
    if storage is not None:
        students = session.exec(
            select(User).where(col(User.student_number).in_([n for _, _, n in STUDENTS])).order_by(User.student_number)
        ).all()
        seed_evidence(session, students=list(students), storage=storage)
        seed_development(session, students=list(students), storage=storage)
        _seed_left_evidence(session, storage=storage)
    return True


def _left_on() -> datetime:
    """A month past the term after which a leaver's evidence files go: due whenever the demo is seeded."""
    from app.privacy.retention import months_before

    today = datetime.combine(date.today(), time(0, 0), tzinfo=UTC)
    return months_before(today, get_settings().retention_evidence_months_after_leaving + 1)


def _seed_left(session: Session, *, coordinator: User, cohort: Cohort, supervisor: User, assessor: User) -> None:
    """The student who left: enrolled with guidance like the others, then the coordinator recorded the leaving."""
    from app.privacy import retention

    name, login, number = LEFT_STUDENT
    student = accounts.create_user(
        session,
        email=email_of(login),
        name=name,
        roles={Role.student},
        password=DEMO_PASSWORD,
        student_number=number,
    )
    enrolment = Enrolment(
        cohort_id=cohort.id or 0,
        student_id=student.id or 0,
        workplace=supervisor.organisation,
        assessor_id=assessor.id,
    )
    session.add(enrolment)
    session.flush()
    guidance.link_existing(session, actor_id=coordinator.id, enrolment=enrolment, supervisor=supervisor, settings=None)
    retention.set_left(
        session, actor_id=coordinator.id or 0, cohort_id=cohort.id or 0, student_id=student.id or 0, left_at=_left_on()
    )


def _seed_left_evidence(session: Session, *, storage: "Storage") -> None:
    """A draft with a file from before the leaving: what retention deletes."""
    from app.evidence import service as evidence

    student = session.exec(select(User).where(User.student_number == LEFT_STUDENT[2])).one()
    title, kind, links, _ = EVIDENCE[0]
    evidence.save_evidence(
        session,
        actor=accounts.actor_for(session, user_id=student.id or 0),
        registry=load_frameworks(get_settings().framework_dir),
        storage=storage,
        data=evidence.EvidenceInput(
            title=title,
            activity_date=(_left_on().date() - timedelta(days=30)).isoformat(),
            kind=kind,
            reflection="Mijn eerste intake, voordat ik met de opleiding stopte.",
            privacy_confirmed=True,
            eindtermen=links,
        ),
        files=demo_files(storage),
    )
