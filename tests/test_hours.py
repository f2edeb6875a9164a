"""Praktijkuren: totals (table-driven), the readiness minimum (1,400 hours), validation, scope and the API."""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from app.accounts.models import User
from app.cohorts.models import Cohort, Enrolment, Programme
from app.errors import Conflict, InvalidInput, NotFound
from app.framework.schema import Framework
from app.hours import service as hours
from app.hours.models import HoursDecision, PracticeHours
from app.readiness.service import SlotFacts, evaluate, readiness_of
from app.signoff.service import Decider
from tests.conftest import Browser, World, login

# Mondays of three past ISO weeks (fixed dates well before any day the tests run).
W1, W2, W3 = date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)


def _decider(user: User) -> Decider:
    return Decider(user_id=user.id or 0, name=user.name, email=user.email, function="Teamleider")


def _log(app: FastAPI, db: Session, student: User, day: date, amount: str, replaces: int | None = None) -> int:
    entry = hours.log_hours(
        db,
        student_id=student.id or 0,
        registry=app.state.frameworks,
        data=hours.HoursInput(work_date=day.isoformat(), hours=amount, activity="Coaching", replaces_id=replaces),
    )
    return entry.id or 0


def _approve(db: Session, supervisor: User, student: User, day: date) -> None:
    week = hours.week_key(day)
    pending = [w for w in hours.pending_weeks_for(db, supervisor_id=supervisor.id or 0) if w.key == week]
    assert pending, f"nothing pending in {week}"
    hours.approve_week(
        db,
        decider=_decider(supervisor),
        student_id=student.id,
        week=week,
        seen_total=str(pending[0].total),
        confirmed=True,
    )


def _run(app: FastAPI, db: Session, world: World, plan: list[tuple[str, date, str]]) -> None:
    """Play a plan of steps. Each step: (what, day, hours) with what one of
    log · submit · approve · return (the last logged entry) · correct (the last returned entry, with new hours) ·
    move (enrol the student in a second, newer cohort with another praktijkbegeleider)."""
    student, supervisor = world.student, world.supervisor
    last_logged: int | None = None
    last_returned: int | None = None
    for what, day, amount in plan:
        if what == "log":
            last_logged = _log(app, db, student, day, amount)
        elif what == "correct":
            assert last_returned is not None
            last_logged = _log(app, db, student, day, amount, replaces=last_returned)
        elif what == "submit":
            hours.submit_week(db, student_id=student.id or 0, week=hours.week_key(day), settings=None)
        elif what == "approve":
            _approve(db, supervisor, student, day)
        elif what == "return":
            assert last_logged is not None
            hours.return_entry(
                db, decider=_decider(supervisor), entry_id=last_logged, comment="Klopt niet.", settings=None
            )
            last_returned = last_logged
        elif what == "move":
            newer = Cohort(
                programme_id=world.programme.id or 0,
                name="2027-A",
                start_date=date(2027, 2, 1),
                framework_id="bvjn-eindtermen",
                framework_version="2012",
            )
            db.add(newer)
            db.flush()
            db.add(
                Enrolment(cohort_id=newer.id or 0, student_id=student.id or 0, supervisor_id=world.other_supervisor.id)
            )
            db.flush()
            supervisor = world.other_supervisor
        else:  # pragma: no cover
            raise AssertionError(what)
    db.commit()


TOTALS_CASES = [
    pytest.param([], ("0", "0", "0", "0"), id="nothing logged"),
    pytest.param([("log", W1, "7,5"), ("log", W1 + timedelta(days=1), "8")], ("0", "0", "0", "15.5"), id="concepts"),
    pytest.param(
        [("log", W1, "7,5"), ("log", W1 + timedelta(days=1), "8"), ("submit", W1, "")],
        ("0", "15.5", "0", "0"),
        id="submitted week is pending",
    ),
    pytest.param(
        [("log", W1, "7,5"), ("log", W1 + timedelta(days=1), "0,25"), ("submit", W1, ""), ("approve", W1, "")],
        ("7.75", "0", "0", "0"),
        id="approved week, quarter hours",
    ),
    pytest.param(
        [("log", W1, "6"), ("log", W1 + timedelta(days=2), "4"), ("submit", W1, ""), ("return", W1, "")],
        ("0", "6", "4", "0"),
        id="one entry returned, the rest still pending",
    ),
    pytest.param(
        [
            ("log", W1, "6"),
            ("log", W1 + timedelta(days=2), "4"),
            ("submit", W1, ""),
            ("return", W1, ""),
            ("approve", W1, ""),
            ("correct", W1 + timedelta(days=2), "3"),
        ],
        ("6", "0", "0", "3"),
        id="returned and corrected: the correction is a concept, the returned hours no longer count",
    ),
    pytest.param(
        [
            ("log", W1, "6"),
            ("log", W1 + timedelta(days=2), "4"),
            ("submit", W1, ""),
            ("return", W1, ""),
            ("approve", W1, ""),
            ("correct", W1 + timedelta(days=2), "3"),
            ("submit", W1, ""),
            ("approve", W1, ""),
        ],
        ("9", "0", "0", "0"),
        id="returned then re-approved counts once, with the corrected hours",
    ),
    pytest.param(
        [
            ("log", W1, "8"),
            ("submit", W1, ""),
            ("return", W1, ""),
            ("correct", W1, "8"),
            ("submit", W1, ""),
            ("return", W1, ""),
            ("correct", W1, "7"),
            ("submit", W1, ""),
            ("approve", W1, ""),
        ],
        ("7", "0", "0", "0"),
        id="returned twice, approved on the third version",
    ),
    pytest.param(
        [
            ("log", W1, "8"),
            ("submit", W1, ""),
            ("approve", W1, ""),
            ("log", W2, "5"),
            ("submit", W2, ""),
            ("move", W3, ""),
            ("log", W3, "6"),
            ("submit", W3, ""),
            ("approve", W3, ""),
            ("approve", W2, ""),
        ],
        ("19", "0", "0", "0"),
        id="across cohorts: hours belong to the student, all count",
    ),
]


@pytest.mark.parametrize(("plan", "expected"), TOTALS_CASES)
def test_totals(
    app: FastAPI, db: Session, world: World, plan: list[tuple[str, date, str]], expected: tuple[str, ...]
) -> None:
    _run(app, db, world, plan)
    totals = hours.hours_totals(db, student_id=world.student.id or 0)
    assert (totals.approved, totals.pending, totals.returned, totals.concept) == tuple(Decimal(x) for x in expected)
    assert hours.approved_hours(db, student_id=world.student.id or 0) == Decimal(expected[0])
    # Weeks and months add up to the overall totals.
    assert sum((w.approved for w in totals.weeks), Decimal(0)) == totals.approved
    assert sum((m.pending + m.returned + m.concept for m in totals.months), Decimal(0)) == (
        totals.pending + totals.returned + totals.concept
    )
    # Nobody else's totals move.
    assert hours.approved_hours(db, student_id=world.other_student.id or 0) == 0


def test_totals_per_week_and_month(app: FastAPI, db: Session, world: World) -> None:
    _run(
        app,
        db,
        world,
        [
            ("log", date(2026, 3, 30), "8"),  # ISO week 14, March
            ("log", date(2026, 4, 1), "6"),  # ISO week 14, April
            ("submit", date(2026, 3, 30), ""),
            ("approve", date(2026, 3, 30), ""),
            ("log", date(2026, 4, 7), "4,5"),  # week 15
            ("submit", date(2026, 4, 7), ""),
        ],
    )
    totals = hours.hours_totals(db, student_id=world.student.id or 0)
    assert [(w.key, w.approved, w.pending) for w in totals.weeks] == [
        ("2026-W15", 0, Decimal("4.5")),
        ("2026-W14", 14, 0),
    ]
    assert [(m.key, m.approved, m.pending) for m in totals.months] == [
        ("2026-04", 6, Decimal("4.5")),
        ("2026-03", 8, 0),
    ]


@pytest.mark.parametrize(
    ("approved", "minimum", "met", "still"),
    [
        (Decimal(0), 1400, False, "nog 1400 uur"),
        (Decimal("1399.75"), 1400, False, "nog 0,25 uur"),
        (Decimal(1400), 1400, True, None),
        (Decimal("1520.5"), 1400, True, None),
        (Decimal(0), 0, True, None),
        (Decimal(10), None, True, None),  # no programme minimum: the framework's (0 in the 2012 file)
    ],
)
def test_practice_hours_minimum_in_the_readiness_rule(
    framework: Framework, approved: Decimal, minimum: int | None, met: bool, still: str | None
) -> None:
    all_good = {
        e.code: SlotFacts(status="beoordeeld", score="voldoende", valid_signoff=True) for e in framework.eindtermen
    }
    verdict = evaluate(framework, all_good, approved_hours=approved, minimum_hours=minimum)
    assert verdict.ready is met
    if still is not None:
        (missing,) = verdict.missing
        assert missing.reason == "praktijkuren" and still in missing.text and "1400" in missing.text


def test_the_programme_minimum_takes_precedence_over_the_framework(
    app: FastAPI, db: Session, world: World, framework: Framework
) -> None:
    registry = app.state.frameworks
    student = db.get(User, world.student.id)
    assert student is not None
    assert not any(m.reason == "praktijkuren" for m in readiness_of(db, student=student, registry=registry)[1].missing)
    hours.set_programme_minimum(db, programme_id=world.programme.id or 0, hours=10, actor_id=None)
    _run(app, db, world, [("log", W1, "8"), ("submit", W1, ""), ("approve", W1, "")])
    (short,) = [
        m for m in readiness_of(db, student=student, registry=registry)[1].missing if m.reason == "praktijkuren"
    ]
    assert "8 van minimaal 10" in short.text and "nog 2 uur" in short.text
    _run(app, db, world, [("log", W2, "2"), ("submit", W2, ""), ("approve", W2, "")])
    assert not any(m.reason == "praktijkuren" for m in readiness_of(db, student=student, registry=registry)[1].missing)
    # Pending hours do not count.
    hours.set_programme_minimum(db, programme_id=world.programme.id or 0, hours=1400, actor_id=None)
    _run(app, db, world, [("log", W3, "24"), ("submit", W3, "")])
    (short,) = [
        m for m in readiness_of(db, student=student, registry=registry)[1].missing if m.reason == "praktijkuren"
    ]
    assert "nog 1390 uur" in short.text
    assert db.get(Programme, world.programme.id).minimum_practice_hours == 1400  # type: ignore[union-attr]


@pytest.fixture
def framework(app: FastAPI) -> Framework:
    framework: Framework = app.state.frameworks.get("bvjn-eindtermen", "2012")
    return framework


# --- validation ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("hours", "0", "meer dan 0"),
        ("hours", "-2", "meer dan 0"),
        ("hours", "24,25", "hoogstens 24"),
        ("hours", "1,3", "kwartier"),
        ("hours", "acht", "als getal"),
        ("hours", "NaN", "als getal"),
        ("work_date", "2999-01-01", "toekomst"),
        ("work_date", "gisteren", "datum"),
        ("activity", " ", "Beschrijf"),
        ("clients", "Jan Jansen", "geen namen"),
        ("clients", "K-017, 123456789012345", "geen namen"),
        ("eindtermen", "XX-x", "Onbekende eindterm"),
    ],
)
def test_invalid_input_is_refused_with_a_dutch_message(
    app: FastAPI, db: Session, world: World, field: str, value: str, error: str
) -> None:
    data = hours.HoursInput(work_date=W1.isoformat(), hours="4", activity="Coaching")
    if field == "eindtermen":
        data.eindtermen = [value]
    else:
        setattr(data, field, value)
    with pytest.raises(hours.HoursFormErrors) as caught:
        hours.log_hours(db, student_id=world.student.id or 0, data=data, registry=app.state.frameworks)
    assert error in caught.value.errors[field]
    assert db.exec(select(PracticeHours)).all() == []


def test_valid_codes_and_eindtermen_come_from_the_framework(app: FastAPI, db: Session, world: World) -> None:
    framework = app.state.frameworks.get("bvjn-eindtermen", "2012")
    codes = [framework.eindtermen[0].code, framework.eindtermen[-1].code]
    entry = hours.log_hours(
        db,
        student_id=world.student.id or 0,
        registry=app.state.frameworks,
        data=hours.HoursInput(
            work_date=W1.isoformat(), hours="2,75", activity="Intake", eindtermen=codes, clients="K-017; k-9"
        ),
    )
    assert entry.eindterm_codes == codes and entry.client_codes == ["K-017", "k-9"]
    assert entry.workplace == "Werkbedrijf"  # the enrolment's workplace by default
    assert entry.hours == Decimal("2.75")


def test_no_more_than_24_hours_on_one_day(app: FastAPI, db: Session, world: World) -> None:
    _run(app, db, world, [("log", W1, "16"), ("log", W1, "6")])
    with pytest.raises(hours.HoursFormErrors) as caught:
        _log(app, db, world.student, W1, "2,25")
    assert "22 uur" in caught.value.errors["hours"] and "24 uur" in caught.value.errors["hours"]
    _log(app, db, world.student, W1, "2")  # exactly 24 is fine
    _log(app, db, world.student, W1 + timedelta(days=1), "24")  # another day is another day


def test_a_returned_entry_frees_its_day(app: FastAPI, db: Session, world: World) -> None:
    _run(app, db, world, [("log", W1, "20"), ("submit", W1, ""), ("return", W1, ""), ("correct", W1, "12")])
    _log(app, db, world.student, W1, "12")
    with pytest.raises(hours.HoursFormErrors):
        _log(app, db, world.student, W1, "0,25")


def test_the_form_keeps_the_input_on_errors(app: FastAPI, world: World, client_factory: Callable[[], Browser]) -> None:
    student = client_factory()
    login(student, world.student.email)
    response = student.post(
        "/praktijkuren",
        data={"datum": W1.isoformat(), "uren": "30", "activiteit": "Werkplekbezoek bij Bakkerij", "clienten": "K-4"},
    )
    assert response.status_code == 422
    assert "Werkplekbezoek bij Bakkerij" in response.text and 'value="30"' in response.text
    assert 'value="K-4"' in response.text and "hoogstens 24 uur" in response.text
    assert "nooit namen" in response.text  # the privacy hint at the client codes


# --- the week, decisions and scope ------------------------------------------------------------------------


def test_submitting_needs_a_supervisor_and_concepts(app: FastAPI, db: Session, world: World) -> None:
    with pytest.raises(InvalidInput):
        hours.submit_week(db, student_id=world.student.id or 0, week=hours.week_key(W1), settings=None)
    with pytest.raises(InvalidInput):
        hours.submit_week(db, student_id=world.student.id or 0, week="2026-W99", settings=None)
    enrolment = db.exec(select(Enrolment).where(Enrolment.student_id == world.student.id)).one()
    enrolment.supervisor_id = None
    db.add(enrolment)
    _log(app, db, world.student, W1, "3")
    with pytest.raises(InvalidInput, match="praktijkbegeleider"):
        hours.submit_week(db, student_id=world.student.id or 0, week=hours.week_key(W1), settings=None)


def test_only_the_students_supervisor_decides(app: FastAPI, db: Session, world: World) -> None:
    _run(app, db, world, [("log", W1, "5"), ("submit", W1, "")])
    entry_id = db.exec(select(PracticeHours.id)).one() or 0
    assert hours.pending_weeks_for(db, supervisor_id=world.other_supervisor.id or 0) == []
    with pytest.raises(NotFound):
        hours.approve_week(
            db,
            decider=_decider(world.other_supervisor),
            student_id=world.student.id,
            week=hours.week_key(W1),
            seen_total="5",
            confirmed=True,
        )
    with pytest.raises(NotFound):
        hours.return_entry(
            db, decider=_decider(world.other_supervisor), entry_id=entry_id, comment="Nee.", settings=None
        )
    assert db.exec(select(HoursDecision)).all() == []


def test_submitted_hours_cannot_be_removed_but_concepts_can(app: FastAPI, db: Session, world: World) -> None:
    concept = _log(app, db, world.student, W2, "3")
    hours.remove_concept(db, student_id=world.student.id or 0, entry_id=concept)
    assert db.get(PracticeHours, concept) is None
    _run(app, db, world, [("log", W1, "5"), ("submit", W1, "")])
    submitted = db.exec(select(PracticeHours.id)).one() or 0
    with pytest.raises(Conflict):
        hours.remove_concept(db, student_id=world.student.id or 0, entry_id=submitted)
    with pytest.raises(NotFound):
        hours.remove_concept(db, student_id=world.other_student.id or 0, entry_id=submitted)


def test_decisions_are_append_only(app: FastAPI, db: Session, world: World) -> None:
    _run(app, db, world, [("log", W1, "5"), ("submit", W1, ""), ("approve", W1, "")])
    decision = db.exec(select(HoursDecision)).one()
    decision.decision = "terug"
    db.add(decision)
    with pytest.raises(RuntimeError, match="append-only"):
        db.flush()
    db.rollback()


def test_week_mail_and_pages(app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]) -> None:
    from app.notifications.models import OutboxMessage

    _run(app, db, world, [("log", W1, "7,5"), ("log", W1 + timedelta(days=1), "8"), ("log", W2, "4")])
    student = client_factory()
    login(student, world.student.email)
    assert student.post("/praktijkuren/week", data={"week": hours.week_key(W1)}).status_code == 303
    mail = db.exec(select(OutboxMessage).where(OutboxMessage.to_address == world.supervisor.email)).one()
    assert "15,5 uur" in mail.body and "http://testserver/aftekenen" in mail.body  # they have an account
    supervisor = client_factory()
    login(supervisor, world.supervisor.email)
    page = supervisor.get("/aftekenen").text
    assert f"Ik bevestig dat {world.student.name} in week 10 15,5 uur praktijk heeft gewerkt" in page
    assert "Er staat niets voor u klaar" not in page
    # Staff in scope see the totals; the coordinator of another programme does not see the student at all.
    coordinator = client_factory()
    login(coordinator, world.coordinator.email)
    staff = coordinator.get(f"/studenten/{world.student.id}/praktijkuren")
    assert staff.status_code == 200 and "15,5" in staff.text and "Uren invullen" not in staff.text
    other = client_factory()
    login(other, world.other_coordinator.email)
    assert other.get(f"/studenten/{world.student.id}/praktijkuren").status_code == 404


def test_api_lists_entries_and_totals_and_logs_hours(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    _run(app, db, world, [("log", W1, "6"), ("submit", W1, ""), ("approve", W1, ""), ("log", W2, "2,5")])
    student = client_factory()
    login(student, world.student.email)
    created = student.post(
        f"/api/v1/students/{world.student.id}/hours",
        json={"date": W2.isoformat(), "hours": "1.25", "activity": "Netwerken", "clients": ["K-1"]},
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "concept" and created.json()["hours"] == "1.25"
    refused = student.post(
        f"/api/v1/students/{world.student.id}/hours", json={"date": W2.isoformat(), "hours": "1", "activity": ""}
    )
    assert refused.status_code == 422
    elsewhere = student.post(
        f"/api/v1/students/{world.other_student.id}/hours",
        json={"date": W2.isoformat(), "hours": "1", "activity": "x"},
    )
    assert elsewhere.status_code == 404
    assessor = client_factory()
    login(assessor, world.assessor.email)
    data = assessor.get(f"/api/v1/students/{world.student.id}/hours").json()
    assert data["totals"] == {"approved": "6.00", "pending": "0.00", "returned": "0.00", "concept": "3.75"}
    assert [w["week"] for w in data["weeks"]] == ["2026-W11", "2026-W10"]
    assert len(data["entries"]) == 3 and data["entries"][-1]["decision"]["decided_by"] == world.supervisor.name
    other = client_factory()
    login(other, world.other_assessor.email)
    assert other.get(f"/api/v1/students/{world.student.id}/hours").status_code == 404


def test_the_programme_minimum_is_set_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from app.cli import cli
    from app.config import get_settings
    from app.db import make_engine

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(cli, ["migrate"]).exit_code == 0
        engine = make_engine(url)
        with Session(engine) as session:
            session.add(Programme(name="Jobcoach"))
            session.commit()
        done = runner.invoke(cli, ["programme-hours", "1", "1400"])
        assert done.exit_code == 0, done.output
        assert runner.invoke(cli, ["programme-hours", "99", "10"]).exit_code == 1
        with Session(engine) as session:
            assert session.exec(select(Programme.minimum_practice_hours)).one() == 1400
        assert runner.invoke(cli, ["programme-hours", "1"]).exit_code == 0
        with Session(engine) as session:
            assert session.exec(select(Programme.minimum_practice_hours)).one() is None
        engine.dispose()
    finally:
        get_settings.cache_clear()
