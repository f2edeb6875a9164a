"""The demo's evidence: students at different stages, decided and scored requests, one sealed portfolio."""

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from app.accounts.models import Role, User
from app.cohorts.models import Cohort, Enrolment
from app.config import get_settings
from app.demo.people import COORDINATOR, SEALED_STUDENT, WAITING_STUDENT, email_of
from app.framework.registry import load_frameworks

if TYPE_CHECKING:
    from app.storage import SpooledFile, Storage

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


def demo_files(storage: "Storage") -> list["SpooledFile"]:
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


def seed_evidence(session: Session, *, students: list[User], storage: "Storage") -> None:
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
                files=demo_files(storage) if number == 0 else (),
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


def ticked(registry: Any, framework: Any, code: str, score: str) -> list[str]:
    """Where the eindterm has a rubric, the demo ticks the criteria of the levels up to the score given."""
    rubric = registry.rubric(framework.id, framework.version, code)
    return [
        c.key
        for level, c in (rubric.criteria if rubric else [])
        if framework.score_rank(level) <= framework.score_rank(score)
    ]


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
    from app.evidence import service as evidence_service
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
    framework, _ = evidence_service.student_framework(session, student_id=student.id or 0, registry=registry)
    for submission, score in zip(signed_off[:scored], scores, strict=False):
        assessment.score(
            session,
            actor=assessor,
            registry=registry,
            student_id=student.id or 0,
            code=submission.eindterm_code,
            score=score,
            feedback="Sterk onderbouwd met de praktijk.",
            criteria=ticked(registry, framework, submission.eindterm_code, score),
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
            criteria=ticked(registry, framework, submission.eindterm_code, framework.readiness.minimum_score),
        )
    coordinator = session.exec(select(User).where(User.email == email_of(COORDINATOR[1]))).one()
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
