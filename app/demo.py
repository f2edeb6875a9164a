"""A believable demo: one programme, one cohort of 14 students and one who left, their workplaces and school staff."""

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
from app.framework.registry import load_frameworks

if TYPE_CHECKING:
    from app.storage import SpooledFile, Storage

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

# A student who left the programme long enough ago that retention has something to show: their evidence file is due
# (`portfolio retention run --dry-run` lists it; the run itself deletes it).
LEFT_STUDENT = ("Willem Postma", "willem", "500115")


SEALED_STUDENT = 8  # the index in STUDENTS of the student whose portfolio the demo seals
WAITING_STUDENT = 2  # Sanne Bos: her open request waits longer than a week (the reminders have work)


def _email(login: str) -> str:
    return f"{login}@{DOMAIN}"


def seed_if_empty(session: Session, storage: "Storage | None" = None) -> bool:
    """Seed only an empty database, so a second `make run` keeps what people did.

    With a storage, students also get evidence at different stages (with a few real files)."""
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
                email=_email("ingrid.werkman"),
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
    _seed_hours(session)
    if storage is not None:
        students = session.exec(
            select(User).where(col(User.student_number).in_([n for _, _, n in STUDENTS])).order_by(User.student_number)
        ).all()
        _seed_evidence(session, students=list(students), storage=storage)
        _seed_development(session, students=list(students), storage=storage)
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
        email=_email(login),
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
        files=_demo_files(storage),
    )


def print_logins() -> None:
    rows = [
        ("opleidingscoördinator", COORDINATOR[0], _email(COORDINATOR[1])),
        ("beheerder", ADMIN[0], _email(ADMIN[1])),
        *[("beoordelaar", n, _email(login)) for n, login in ASSESSORS],
        *[("praktijkbegeleider", n, _email(login)) for n, login, _, _ in SUPERVISORS],
        *[("student", n, _email(login)) for n, login, _ in STUDENTS[:3]],
        ("student", LEFT_STUDENT[0], _email(LEFT_STUDENT[1])),
    ]
    print("\nDemo-logins (wachtwoord voor iedereen: " + DEMO_PASSWORD + ")")
    for role, name, email in rows:
        print(f"  {role:<22} {name:<20} {email}")
    print(f"  … en nog {len(STUDENTS) - 3} studenten (voornaam@{DOMAIN}).")
    print(
        f"  {LEFT_STUDENT[0]} is uitgeschreven, langer geleden dan de bewaartermijn voor bewijsbestanden: "
        "`portfolio retention run --dry-run` toont wat er verwijderd zou worden.\n"
    )


# (title, kind, eindtermen with onderbouwing, days before today) — texts a student would plausibly write.
EVIDENCE = [
    (
        "Intakegesprek met cliënt A",
        "verslag",
        {
            "M-1": "In het gesprek ging ik uit van de kracht en kwaliteiten van cliënt A.",
            "M-7": "Het traject sluit aan bij de competenties van cliënt A.",
            "IA-a": "Ik voerde de intake uit binnen de afspraken met de opdrachtgever (UWV) en mijn organisatie.",
            "IA-b": "Samen met cliënt A bracht ik in kaart wat hij wil, kan en wat hem beweegt.",
            "IA-i": "Het verslag van de intake is bijgevoegd, geanonimiseerd.",
        },
        60,
    ),
    (
        "Profiel met kern, kwaliteiten en aandachtspunten",
        "document",
        {
            "IA-f": "Het profiel is samen met cliënt A opgesteld; de kern staat bovenaan.",
            "JF-d": "Uit het profiel volgt het werknemersprofiel.",
        },
        52,
    ),
    (
        "Gesprek met werkgever over werkzaamheden",
        "observatie",
        {
            "JF-f": "Oriënterend gesprek over missie, visie en bedrijfscultuur van de bakkerij.",
            "JF-g": "Samen met de werkgever de mogelijke taken voor cliënt B benoemd.",
        },
        40,
    ),
    (
        "Jobcarving in de productie",
        "verslag",
        {"JF-j": "Een nieuwe functie gemaakt uit losse taken van drie collega's."},
        33,
    ),
    (
        "Inwerkplan cliënt C",
        "document",
        {
            "CJ-a": "Inwerkplan vanuit kern en kwaliteiten, rekening houdend met de ongeschreven regels.",
            "CJ-d": "Doelen SMART uitgewerkt, met aandacht voor de leerstijl van cliënt C.",
        },
        21,
    ),
    (
        "Reflectie op een crisismoment",
        "reflectie",
        {
            "M-6": "Kritische reflectie op mijn eigen handelen richting cliënt en werkgever.",
            "CJ-m": "Ingegrepen toen cliënt C dreigde uit te vallen; achteraf besproken met de werkgever.",
        },
        9,
    ),
]


def _demo_files(storage: "Storage") -> list["SpooledFile"]:
    """A small PDF, written to the spool the way an upload would be."""
    import hashlib
    import secrets

    from app.storage import SpooledFile

    pdf = (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\n"
        b"endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    path = storage.spool_dir() / f"{secrets.token_hex(8)}.part"
    path.write_bytes(pdf)
    return [
        SpooledFile(
            path=path,
            size=len(pdf),
            sha256=hashlib.sha256(pdf).hexdigest(),
            original_name="verslag (geanonimiseerd).pdf",
            field_name="files",
            declared_content_type="application/pdf",
            head=pdf[:8192],
        )
    ]


def _seed_evidence(session: Session, *, students: list[User], storage: "Storage") -> None:
    from datetime import timedelta

    from app.accounts.permissions import permissions_for
    from app.accounts.service import Actor
    from app.evidence import service as evidence

    registry = load_frameworks(get_settings().framework_dir)
    method_keys = registry.beroepsprofiel().method_keys
    # Stages: the first students are well under way, the middle ones have drafts, the last ones nothing yet.
    plan = {0: (6, 9), 1: (5, 3), 2: (4, 1), 3: (3, 0), 4: (2, 0), 5: (2, 1), 6: (1, 0), 7: (1, 0)}
    # Of those submitted: how many the praktijkbegeleider decided, and how many of those the beoordelaar scored.
    signed = {0: 4, 1: 2}
    scored = {0: 2, 1: 1}
    # The scores the beoordelaar gives, in order; the second student gets an onvoldoende, so that state shows.
    scores = {0: ["goed", "voldoende"], 1: ["onvoldoende"]}
    for index, student in enumerate(students):
        items, submitted = plan.get(index, (0, 0))
        if not items:
            continue
        actor = Actor(
            id=student.id or 0,
            name=student.name,
            email=student.email,
            locale="nl",
            roles=frozenset({Role.student}),
            permissions=permissions_for({Role.student}),
        )
        codes: list[str] = []
        for number, (title, kind, links, days) in enumerate(EVIDENCE[:items]):
            data = evidence.EvidenceInput(
                title=title,
                activity_date=(date.today() - timedelta(days=days + index)).isoformat(),
                kind=kind,
                reflection="Situatie, taak, actie, resultaat en reflectie staan in het bijgevoegde verslag.",
                privacy_confirmed=True,
                eindtermen=links,
                # Methods from the beroepsprofiel data, so the register overview has something to show.
                methods=[
                    method_keys[(number + index) % len(method_keys)],
                    method_keys[(number * 3) % len(method_keys)],
                ],
            )
            evidence.save_evidence(
                session,
                actor=actor,
                registry=registry,
                storage=storage,
                data=data,
                files=_demo_files(storage) if number == 0 else (),
            )
            codes.extend(links)
        if submitted:
            made = evidence.submit_slots(
                session, actor=actor, registry=registry, codes=codes[:submitted], message="Graag aftekenen."
            )
            _seed_decisions(
                session,
                student=student,
                submissions=made,
                signed=signed.get(index, 0),
                scored=scored.get(index, 0),
                scores=scores.get(index, []),
                registry=registry,
            )
    if len(students) > WAITING_STUDENT:
        _age_open_requests(session, student=students[WAITING_STUDENT], days=9)
    if len(students) > SEALED_STUDENT:
        _seed_sealed(session, student=students[SEALED_STUDENT], registry=registry, storage=storage)


def _age_open_requests(session: Session, *, student: User, days: int) -> None:
    """Back-date one student's open requests, so `make run` shows a praktijkbegeleider with requests older than a
    week (the reminder and the coordinator's escalation then have something to do). A Core UPDATE: demo seeding
    only; the application never edits a submission (`AppendOnly`, and not bound into the audit chain)."""
    from sqlalchemy import update

    from app.db import utcnow
    from app.evidence.models import Submission

    session.flush()
    session.execute(
        update(Submission)
        .where(col(Submission.student_id) == student.id)
        .values(submitted_at=utcnow() - timedelta(days=days))
    )


def _seed_decisions(
    session: Session,
    *,
    student: User,
    submissions: list[Any],
    signed: int,
    scored: int,
    scores: list[str],
    registry: Any,
) -> None:
    from app.accounts import service as accounts_service
    from app.assessment import service as assessment
    from app.signoff import service as signoff

    enrolment = session.exec(select(Enrolment).where(Enrolment.student_id == student.id)).one()
    if not enrolment.supervisor_id or not enrolment.assessor_id:
        return
    supervisor = session.get(User, enrolment.supervisor_id)
    assert supervisor is not None
    decider = signoff.Decider(
        user_id=supervisor.id or 0, name=supervisor.name, email=supervisor.email, function=supervisor.function
    )
    for number, submission in enumerate(submissions[:signed]):
        # One of them goes back: the demo shows a returned slot too.
        decision, comment = (
            ("terug", "Beschrijf ook hoe de cliënt zelf de regie nam.")
            if number == 1
            else ("afgetekend", "Goed gedaan op de werkvloer.")
        )
        signoff.decide(session, decider=decider, submission_id=submission.id or 0, decision=decision, comment=comment)
    assessor = accounts_service.actor_for(session, user_id=enrolment.assessor_id)
    signed_off = [s for number, s in enumerate(submissions[:signed]) if number != 1]
    for submission, score in zip(signed_off[:scored], scores, strict=False):
        assessment.score(
            session,
            actor=assessor,
            registry=registry,
            student_id=student.id or 0,
            code=submission.eindterm_code,
            score=score,
            feedback="Sterk onderbouwd met de praktijk.",
        )


def _seed_sealed(session: Session, *, student: User, registry: Any, storage: "Storage") -> None:
    """One student whose portfolio is complete and sealed: every eindterm signed off and scored voldoende, the
    gereedheidsbesluit recorded by the coordinator and confirmed by the beoordelaar (four eyes)."""
    from app.accounts import service as accounts_service
    from app.assessment import service as assessment
    from app.evidence import service as evidence
    from app.readiness import service as readiness
    from app.signoff import service as signoff

    actor = accounts_service.actor_for(session, user_id=student.id or 0)
    enrolment = session.exec(select(Enrolment).where(Enrolment.student_id == student.id)).one()
    cohort = session.get(Cohort, enrolment.cohort_id)
    assert cohort is not None
    framework = registry.get(cohort.framework_id, cohort.framework_version)  # the cohort's own framework
    codes = [e.code for e in framework.eindtermen]
    data = evidence.EvidenceInput(
        title="Eindverslag praktijkperiode",
        activity_date=(date.today() - timedelta(days=30)).isoformat(),
        kind="verslag",
        reflection="Het eindverslag laat per eindterm zien wat ik in de praktijk heb gedaan.",
        privacy_confirmed=True,
        eindtermen={code: f"Het verslag toont {code} aan met een casus uit de praktijk." for code in codes},
    )
    evidence.save_evidence(session, actor=actor, registry=registry, storage=storage, data=data)
    made = evidence.submit_slots(session, actor=actor, registry=registry, codes=codes, message="Mijn eindverslag.")
    supervisor = session.get(User, enrolment.supervisor_id or 0)
    assert supervisor is not None
    decider = signoff.Decider(
        user_id=supervisor.id or 0, name=supervisor.name, email=supervisor.email, function=supervisor.function
    )
    assessor = accounts_service.actor_for(session, user_id=enrolment.assessor_id or 0)
    for submission in made:
        signoff.decide(session, decider=decider, submission_id=submission.id or 0, decision="afgetekend")
        assessment.score(
            session,
            actor=assessor,
            registry=registry,
            student_id=student.id or 0,
            code=submission.eindterm_code,
            score=framework.readiness.minimum_score,  # the lowest score that counts: sealed, not a showcase
            feedback="Voldoende aangetoond in de praktijk.",
        )
    coordinator = session.exec(select(User).where(User.email == _email(COORDINATOR[1]))).one()
    readiness.record_decision(
        session,
        actor=accounts_service.actor_for(session, user_id=coordinator.id or 0),
        student=student,
        registry=registry,
    )
    readiness.confirm_decision(
        session,
        actor=assessor,
        student=student,
        registry=registry,
    )


def _seed_hours(session: Session) -> None:
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


def _seed_development(session: Session, *, students: list[User], storage: "Storage") -> None:
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
                files=[replace(f, original_name=f"certificaat {title}.pdf") for f in _demo_files(storage)]
                if certified
                else (),
            )
