"""The demo's praktijkuren and deskundigheidsbevordering, for the first three students."""

from datetime import date
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.cohorts.models import Enrolment
from app.config import get_settings
from app.demo.evidence import demo_files
from app.framework.registry import load_frameworks

if TYPE_CHECKING:
    from app.storage import Storage


def seed_hours(session: Session) -> None:
    """Praktijkuren for the first three students: approved weeks, one returned entry, the last week pending."""
    from datetime import timedelta

    from app.hours import service as hours
    from app.signoff import service as signoff

    registry = load_frameworks(get_settings().framework_dir)
    monday = date.today() - timedelta(days=date.today().weekday())
    day_plan = [
        (0, "7,5", "Intake met cliënt en werkgever", "K-017"),
        (1, "8", "Coaching on the job", "K-017"),
        (3, "6,25", "Werkplekanalyse en jobfinding", "K-021"),
    ]
    for student_number in ("500101", "500102", "500103"):
        student = session.exec(select(User).where(User.student_number == student_number)).one()
        enrolment = session.exec(select(Enrolment).where(Enrolment.student_id == student.id)).one()
        supervisor = session.get(User, enrolment.supervisor_id) if enrolment.supervisor_id else None
        if supervisor is None:
            continue
        decider = signoff.Decider(
            user_id=supervisor.id or 0, name=supervisor.name, email=supervisor.email, function=supervisor.function
        )
        for weeks_ago in (4, 3, 2, 1):
            start = monday - timedelta(weeks=weeks_ago)
            for offset, amount, activity, client in day_plan:
                hours.log_hours(
                    session,
                    student_id=student.id or 0,
                    registry=registry,
                    data=hours.HoursInput(
                        work_date=(start + timedelta(days=offset)).isoformat(),
                        hours=amount,
                        activity=activity,
                        clients=client,
                    ),
                )
            week = hours.week_key(start)
            submitted = hours.submit_week(session, student_id=student.id or 0, week=week, settings=None)
            if weeks_ago == 1:
                continue  # the last week waits for the praktijkbegeleider
            if weeks_ago == 2:
                # One entry goes back with a reason; the rest of the week is approved.
                hours.return_entry(
                    session,
                    decider=decider,
                    entry_id=submitted[-1].id or 0,
                    comment="Dit was een teamoverleg, geen jobcoaching. Pas de omschrijving of de uren aan.",
                    settings=None,
                )
            open_total = sum((e.hours for e in submitted if weeks_ago != 2 or e.id != submitted[-1].id), hours.ZERO)
            hours.approve_week(
                session,
                decider=decider,
                student_id=student.id,
                week=week,
                seen_total=str(open_total),
                confirmed=True,
            )


def seed_development(session: Session, *, students: list[User], storage: "Storage") -> None:
    """Deskundigheidsbevordering and diplomas for the first three students (certificates are small PDFs)."""
    from dataclasses import replace
    from datetime import timedelta

    from app.accounts.permissions import permissions_for
    from app.accounts.service import Actor
    from app.development import service as development

    # (kind, title, provider, days ago, hours, EC, with certificate)
    plan = {
        0: [
            ("hbo_diploma", "Bachelor Toegepaste Psychologie", "Hogeschool Windesheim", 2900, "", "", True),
            ("cursus", "Motivational Interviewing, basistraining", "MI Academie", 400, "24", "", True),
            ("cursus", "Supported Employment in de praktijk", "Hogeschool Utrecht", 200, "", "1,5", True),
            ("cursus", "Oplossingsgericht coachen", "Coachacademie Noord", 30, "16", "", False),
        ],
        1: [
            ("evc", "EVC-procedure HBO werk- en denkniveau", "EVC Centrum Nederland", 1500, "", "", True),
            ("cursus", "Deelopleiding arbeidsdeskundige kennis", "Saxion", 600, "", "2", True),
            ("cursus", "Individual Placement and Support (IPS)", "Kenniscentrum Phrenos", 300, "42", "", True),
        ],
        2: [("cursus", "Transactionele Analyse 101", "TA Instituut", 90, "12", "", True)],
    }
    for index, student in enumerate(students[: len(plan)]):
        actor = Actor(
            id=student.id or 0,
            name=student.name,
            email=student.email,
            locale="nl",
            roles=frozenset({Role.student}),
            permissions=permissions_for({Role.student}),
        )
        for kind, title, provider, days, hours, ec, certified in plan[index]:
            development.add_entry(
                session,
                actor=actor,
                storage=storage,
                data=development.EntryInput(
                    kind=kind,
                    title=title,
                    provider=provider,
                    entry_date=(date.today() - timedelta(days=days)).isoformat(),
                    hours=hours,
                    ec=ec,
                ),
                files=[replace(f, original_name=f"certificaat {title}.pdf") for f in demo_files(storage)]
                if certified
                else (),
            )
