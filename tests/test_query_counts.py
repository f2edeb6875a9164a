"""SQL statements per request for the pages of issue #7: an upper bound, and no growth with the data.

Each test measures the same request twice, with little data and with a lot more (evidence items, submissions,
students), in one test: an N+1 query (one per evidence item, per submission, per student) makes the second count
larger and fails here. The count includes the session lookup of the signed-in user. Timings are not tested here
(the machine running the suite is not the benchmark machine): `make bench` measures them.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import event, func
from sqlmodel import Session, col, select

from app.assessment.models import SubstituteApproval
from app.cohorts.models import Enrolment, SupervisorAssignment
from app.db import utcnow
from app.evidence.models import Evidence, EvidenceLink, EvidenceVersion, Slot, Submission
from app.readiness.models import Dossier
from tests.conftest import Browser, World, login
from tests.test_cohort_overview import add_students, add_students_more

STUDENT_PAGE_LIMIT = 8  # the bound for the portfolio and readiness pages
PAGE_LIMIT = 8  # the other pages: small, and the same whatever the data
# The sign-off POST writes the decision, moves the slot, appends an audit row to the hash chain and queues the
# student's e-mail: writes included.
SIGN_OFF_LIMIT = 15
FRAMEWORK = ("bvjn-eindtermen", "2012")
CYCLE = ["concept", "ter_aftekening", "terug", "afgetekend", "beoordeeld", "niet_mogelijk", "beoordeeld"]


@contextmanager
def counting(app: FastAPI) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(app.state.engine, "before_cursor_execute", count)


def listing(statements: list[str]) -> str:
    """For failure messages: one line per statement."""
    return "\n" + "\n".join(" ".join(s.split())[:150] for s in statements)


def queries(app: FastAPI, request: Callable[[], object]) -> list[str]:
    with counting(app) as statements:
        request()
    return list(statements)


def codes(app: FastAPI) -> list[str]:
    return [e.code for e in app.state.frameworks.get(*FRAMEWORK).eindtermen]


def add_evidence(app: FastAPI, db: Session, world: World, student_id: int, items: int, supervisor_id: int) -> None:
    """`items` more bewijsstukken for the student, each linked to two eindtermen, and slots in every status;
    submitted slots get a submission (and so wait in the praktijkbegeleider's list)."""
    all_codes = codes(app)
    start = db.exec(select(func.count()).select_from(Evidence)).one()
    now = utcnow()
    for n in range(start, start + items):
        evidence = Evidence(student_id=student_id)
        db.add(evidence)
        db.flush()
        version = EvidenceVersion(
            evidence_id=evidence.id or 0,
            number=1,
            title=f"Bewijs {n}",
            activity_date=date(2026, 3, 1),
            kind="verslag",
            created_by=student_id,
            privacy_confirmed=True,
        )
        db.add(version)
        db.flush()
        for code in {all_codes[n % len(all_codes)], all_codes[(n * 7 + 3) % len(all_codes)]}:
            db.add(EvidenceLink(version_id=version.id or 0, eindterm_code=code, justification="Omdat."))
    db.flush()
    linked = dict(
        db.exec(
            select(EvidenceLink.eindterm_code, func.count())
            .join(EvidenceVersion, col(EvidenceVersion.id) == EvidenceLink.version_id)
            .join(Evidence, col(Evidence.id) == EvidenceVersion.evidence_id)
            .where(Evidence.student_id == student_id)
            .group_by(col(EvidenceLink.eindterm_code))
        ).all()
    )
    existing = {s.eindterm_code: s for s in db.exec(select(Slot).where(Slot.student_id == student_id)).all()}
    substitutes = set(
        db.exec(select(SubstituteApproval.eindterm_code).where(SubstituteApproval.student_id == student_id)).all()
    )
    for k, (code, count) in enumerate(sorted(linked.items())):
        slot = existing.get(code) or Slot(
            student_id=student_id, framework_id=FRAMEWORK[0], framework_version=FRAMEWORK[1], eindterm_code=code
        )
        slot.status = CYCLE[k % len(CYCLE)]
        if slot.submission_id is None and slot.status not in {"concept", "niet_mogelijk"}:
            submission = Submission(
                student_id=student_id,
                framework_id=FRAMEWORK[0],
                framework_version=FRAMEWORK[1],
                eindterm_code=code,
                supervisor_id=supervisor_id,
                submitted_at=now - timedelta(days=k),
            )
            db.add(submission)
            db.flush()
            slot.submission_id = submission.id
        slot.evidence_count = count
        slot.score = "voldoende" if slot.status == "beoordeeld" else None
        slot.last_activity_at = now
        db.add(slot)
        if slot.status == "niet_mogelijk" and code not in substitutes:
            substitutes.add(code)
            approval = SubstituteApproval(
                student_id=student_id,
                eindterm_code=code,
                description="Vervangende opdracht.",
                approved_by_id=world.coordinator.id or 0,
            )
            db.add(approval)
    db.add(Dossier(student_id=student_id, requested_by_id=world.coordinator.id or 0, status="klaar", progress=100))
    db.commit()


def test_student_portfolio_and_readiness_pages(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    student_id, supervisor_id = world.student.id or 0, world.supervisor.id or 0
    own, supervisor, coordinator = client_factory(), client_factory(), client_factory()
    login(own, world.student.email)
    login(supervisor, world.supervisor.email)
    login(coordinator, world.coordinator.email)
    pages = {
        "own portfolio": (own, "/portfolio"),
        "portfolio, staff": (supervisor, f"/studenten/{student_id}"),
        "portfolio, coordinator": (coordinator, f"/studenten/{student_id}"),
        "readiness, coordinator": (coordinator, f"/studenten/{student_id}/gereedheid"),
        "readiness, own": (own, f"/studenten/{student_id}/gereedheid"),
    }
    add_evidence(app, db, world, student_id, 2, supervisor_id)
    small: dict[str, int] = {}
    for name, (client, url) in pages.items():
        assert client.get(url).status_code == 200  # warm: templates, framework
        small[name] = len(queries(app, lambda client=client, url=url: client.get(url)))
    add_evidence(app, db, world, student_id, 60, supervisor_id)
    for name, (client, url) in pages.items():
        statements = queries(app, lambda client=client, url=url: client.get(url))
        assert len(statements) <= STUDENT_PAGE_LIMIT, f"{name}: {len(statements)}{listing(statements)}"
        assert len(statements) == small[name], f"{name}: {small[name]} → {len(statements)}{listing(statements)}"


def _open_submission(db: Session, supervisor_id: int) -> int:
    return (
        db.exec(
            select(Submission.id)
            .join(Slot, col(Slot.submission_id) == Submission.id)
            .where(Slot.status == "ter_aftekening", Submission.supervisor_id == supervisor_id)
            .order_by(col(Submission.id))
        ).first()
        or 0
    )


def _decide(client: Browser, submission_id: int) -> None:
    response = client.post(f"/aftekenen/{submission_id}", data={"besluit": "afgetekend"})
    assert response.status_code == 303, response.text


def test_pending_list_and_sign_off(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    supervisor_id = world.supervisor.id or 0
    client = client_factory()
    login(client, world.supervisor.email)
    add_evidence(app, db, world, world.student.id or 0, 8, supervisor_id)
    assert client.get("/aftekenen").status_code == 200
    small_list = queries(app, lambda: client.get("/aftekenen"))
    first = _open_submission(db, supervisor_id)
    small_post = queries(
        app,
        lambda: _decide(client, first),
    )
    # More of the supervisor's students (add_students gives every other one to world.supervisor), each with
    # more open requests.
    add_students(app, db, world, 6)
    others = db.exec(
        select(Enrolment.student_id).where(
            Enrolment.supervisor_id == supervisor_id, col(Enrolment.student_id) != world.student.id
        )
    ).all()
    assert len(others) == 3
    for other in others:
        db.execute(Slot.__table__.delete().where(Slot.__table__.c.student_id == other))  # type: ignore[attr-defined]
        db.commit()
        add_evidence(app, db, world, other, 12, supervisor_id)
    large_list = queries(app, lambda: client.get("/aftekenen"))
    second = _open_submission(db, supervisor_id)
    large_post = queries(
        app,
        lambda: _decide(client, second),
    )
    assert len(large_list) <= PAGE_LIMIT, listing(large_list)
    assert len(large_list) == len(small_list), listing(small_list) + "\n→" + listing(large_list)
    assert len(large_post) <= SIGN_OFF_LIMIT, listing(large_post)
    assert len(large_post) == len(small_post), listing(small_post) + "\n→" + listing(large_post)


COHORT_PAGES = [
    "/cohorten/{id}/overzicht",
    "/cohorten/{id}/overzicht?niveau=groep",
    "/cohorten/{id}/overzicht?sorteer=naam&pagina=2",
    "/cohorten/{id}/overzicht.csv",
    "/cohorten/{id}/overzicht.xlsx",
    "/api/v1/cohorts/{id}/progress",
    "/api/v1/cohorts/{id}/progress?niveau=groep&size=20&page=2",
    "/cohorten/{id}",
]


@pytest.mark.parametrize("path", COHORT_PAGES)
def test_cohort_pages(app: FastAPI, db: Session, world: World, client: Browser, path: str) -> None:
    login(client, world.coordinator.email)
    url = path.format(id=world.cohort.id)
    add_students(app, db, world, 5)
    assert client.get(url).status_code == 200
    small = queries(app, lambda: client.get(url).raise_for_status())
    db.execute(Slot.__table__.delete())  # type: ignore[attr-defined]
    # Assignments point at enrolments: they go first.
    db.execute(
        SupervisorAssignment.__table__.delete().where(SupervisorAssignment.__table__.c.student_id != world.student.id)
    )  # type: ignore[attr-defined]
    db.execute(Enrolment.__table__.delete().where(Enrolment.__table__.c.student_id != world.student.id))  # type: ignore[attr-defined]
    db.commit()
    add_students_more(app, db, world)  # 200 students
    large = queries(app, lambda: client.get(url).raise_for_status())
    assert len(large) <= PAGE_LIMIT, listing(large)
    assert len(large) == len(small), listing(small) + "\n→" + listing(large)
