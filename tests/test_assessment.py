"""Beoordeling and diplomagereedheid: the readiness rule table-driven per slot status, the whole-portfolio rule,
and scoring guarded by aftekening, assignment and separation of duties."""

from datetime import datetime

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import Role
from app.assessment import service as assessment
from app.assessment.models import Assessment
from app.cohorts.models import Enrolment
from app.errors import Forbidden, InvalidInput, NotFound
from app.framework.schema import Framework
from app.readiness.service import SlotFacts, evaluate, slot_verdict
from app.signoff import service as signoff
from tests.conftest import Browser, World, login
from tests.test_signoff import student_actor, submit

SINCE = datetime(2026, 3, 2, 10, 0)


@pytest.fixture
def framework(app: FastAPI) -> Framework:
    found: Framework = app.state.frameworks.get("bvjn-eindtermen", "2012")
    return found


@pytest.mark.parametrize(
    ("facts", "reason", "text"),
    [
        (SlotFacts(), "geen_bewijs", "geen bewijs"),
        (SlotFacts(status="concept"), "niet_ingediend", "bewijs nog niet ingediend"),
        (
            SlotFacts(status="ter_aftekening", submitted_at=SINCE, supervisor_name="Sandra Mulder"),
            "wacht_op_aftekening",
            "wacht op aftekening sinds 02-03-2026 bij Sandra Mulder",
        ),
        (SlotFacts(status="terug"), "terug_voor_aanpassing", "terug voor aanpassing"),
        (
            SlotFacts(status="niet_mogelijk"),
            "niet_mogelijk",
            "niet mogelijk op deze werkplek, nog geen vervangende opdracht",
        ),
        (SlotFacts(status="niet_mogelijk", has_substitute=True), None, None),
        (SlotFacts(status="afgetekend"), "wacht_op_beoordeling", "wacht op beoordeling"),
        (
            SlotFacts(status="beoordeeld", score="onvoldoende", valid_signoff=True),
            "onvoldoende",
            "beoordeeld als onvoldoende",
        ),
        (SlotFacts(status="beoordeeld", score="voldoende", valid_signoff=True), None, None),
        (SlotFacts(status="beoordeeld", score="goed", valid_signoff=True), None, None),
        (
            SlotFacts(status="beoordeeld", score="goed"),
            "aftekening_niet_geldig",
            "niet afgetekend door een goedgekeurde praktijkbegeleider",
        ),
        (SlotFacts(status="beoordeeld", score=None, valid_signoff=True), "onvoldoende", "beoordeeld als ?"),
        (
            SlotFacts(status="beoordeeld", score="uitmuntend", valid_signoff=True),
            "onvoldoende",
            "beoordeeld als uitmuntend",
        ),
    ],
)
def test_slot_rule_for_every_status(
    framework: Framework, facts: SlotFacts, reason: str | None, text: str | None
) -> None:
    verdict = slot_verdict(framework, "IA-a", facts)
    if reason is None:
        assert verdict is None
    else:
        assert verdict is not None and verdict.reason == reason and verdict.text == text and verdict.next_action


def test_substitute_counts_only_when_the_framework_says_so(framework: Framework) -> None:
    strict = framework.model_copy(
        update={"readiness": framework.readiness.model_copy(update={"substitute_counts": False})}
    )
    assert slot_verdict(strict, "IA-a", SlotFacts(status="niet_mogelijk", has_substitute=True)) is not None


def test_a_higher_minimum_score_changes_the_verdict(framework: Framework) -> None:
    strict = framework.model_copy(
        update={"readiness": framework.readiness.model_copy(update={"minimum_score": "goed"})}
    )
    assert (
        slot_verdict(strict, "IA-a", SlotFacts(status="beoordeeld", score="voldoende", valid_signoff=True)) is not None
    )
    assert slot_verdict(strict, "IA-a", SlotFacts(status="beoordeeld", score="goed", valid_signoff=True)) is None


def test_whole_portfolio_rule(framework: Framework) -> None:
    all_good = {
        e.code: SlotFacts(status="beoordeeld", score="voldoende", valid_signoff=True) for e in framework.eindtermen
    }
    verdict = evaluate(framework, all_good)
    assert verdict.ready and len(verdict.met) == 56 and verdict.missing == []
    assert [(g.group.code, g.met, g.total) for g in verdict.groups] == [
        ("M", 16, 16),
        ("IA", 9, 9),
        ("JF", 17, 17),
        ("CJ", 14, 14),
    ]
    one_short = dict(all_good, **{"JF-q": SlotFacts(status="afgetekend")})
    verdict = evaluate(framework, one_short)
    assert not verdict.ready and [m.code for m in verdict.missing] == ["JF-q"]
    assert evaluate(framework, {}).missing[0].reason == "geen_bewijs" and len(evaluate(framework, {}).missing) == 56
    hours = framework.model_copy(
        update={"readiness": framework.readiness.model_copy(update={"minimum_practice_hours": 400})}
    )
    assert [m.reason for m in evaluate(hours, all_good).missing] == ["praktijkuren"]


def test_a_new_framework_version_is_judged_by_its_own_eindtermen(framework: Framework) -> None:
    groups = list(framework.groups)
    extra = groups[0].eindtermen[0].model_copy(update={"code": "M-17", "text": "Nieuw in 2027."})
    groups[0] = groups[0].model_copy(update={"eindtermen": [*groups[0].eindtermen, extra]})
    newer = framework.model_copy(update={"version": "2027", "groups": groups})
    all_old_good = {
        e.code: SlotFacts(status="beoordeeld", score="goed", valid_signoff=True) for e in framework.eindtermen
    }
    verdict = evaluate(newer, all_old_good)
    assert not verdict.ready and [m.code for m in verdict.missing] == ["M-17"]


def decide(world: World, db: Session, submission_id: int, decision: str = "afgetekend", comment: str = "") -> None:
    decider = signoff.Decider(user_id=world.supervisor.id or 0, name="Sandra Mulder", email=world.supervisor.email)
    signoff.decide(db, decider=decider, submission_id=submission_id, decision=decision, comment=comment)
    db.commit()


def test_scoring_needs_aftekening_assignment_and_another_person(app: FastAPI, db: Session, world: World) -> None:
    (pending,) = submit(app, db, world, ["IA-g"])
    me = accounts.actor_for(db, user_id=world.assessor.id or 0)
    with pytest.raises(InvalidInput, match="pas beoordeeld worden na aftekening"):
        assessment.score(
            db,
            actor=me,
            registry=app.state.frameworks,
            student_id=world.student.id or 0,
            code="IA-g",
            score="goed",
            feedback="Mooi.",
        )
    db.rollback()
    other = accounts.actor_for(db, user_id=world.other_assessor.id or 0)
    with pytest.raises(NotFound):
        assessment.score(
            db,
            actor=other,
            registry=app.state.frameworks,
            student_id=world.student.id or 0,
            code="IA-g",
            score="goed",
            feedback="Mooi.",
        )
    db.rollback()
    # The praktijkbegeleider is also made this student's beoordelaar: they may not score what they signed off.
    accounts.add_role(db, user_id=world.supervisor.id or 0, role=Role.beoordelaar)
    enrolment = db.exec(select(Enrolment).where(Enrolment.student_id == world.student.id)).one()
    enrolment.assessor_id = world.supervisor.id
    db.add(enrolment)
    db.commit()
    decide(world, db, pending.id or 0)
    both = accounts.actor_for(db, user_id=world.supervisor.id or 0)
    with pytest.raises(Forbidden, match="zelf afgetekend"):
        assessment.score(
            db,
            actor=both,
            registry=app.state.frameworks,
            student_id=world.student.id or 0,
            code="IA-g",
            score="goed",
            feedback="Mooi.",
        )


def test_rescore_is_a_new_record_and_the_latest_counts(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    (submission,) = submit(app, db, world, ["IA-h"])
    decide(world, db, submission.id or 0)
    me = accounts.actor_for(db, user_id=world.assessor.id or 0)
    assessment.score(
        db,
        actor=me,
        registry=app.state.frameworks,
        student_id=world.student.id or 0,
        code="IA-h",
        score="goed",
        feedback="Sterk.",
    )
    db.commit()
    assessment.score(
        db,
        actor=me,
        registry=app.state.frameworks,
        student_id=world.student.id or 0,
        code="IA-h",
        score="onvoldoende",
        feedback="Bij nader inzien te mager.",
    )
    db.commit()
    rows = db.exec(select(Assessment).order_by(col(Assessment.id))).all()
    assert [r.score for r in rows] == ["goed", "onvoldoende"]
    assert {(r.framework_id, r.framework_version) for r in rows} == {("bvjn-eindtermen", "2012")}
    login(client, world.student.email)
    readiness = client.get(f"/api/v1/students/{world.student.id}/readiness").json()
    reasons = {m["eindterm"]: m["reason"] for m in readiness["missing"]}
    assert reasons["IA-h"] == "onvoldoende" and reasons["IA-a"] == "geen_bewijs"
    page = client.get(f"/studenten/{world.student.id}/eindtermen/IA-h").text
    assert "Sterk." in page and "Bij nader inzien te mager." in page


def test_returned_then_resubmitted_waits_for_aftekening_again(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    (first,) = submit(app, db, world, ["IA-i"])
    decide(world, db, first.id or 0, decision="terug", comment="Aanvullen.")
    login(client, world.student.email)
    reasons = {
        m["eindterm"]: m["reason"]
        for m in client.get(f"/api/v1/students/{world.student.id}/readiness").json()["missing"]
    }
    assert reasons["IA-i"] == "terug_voor_aanpassing"
    submit(app, db, world, ["IA-i"], title="Aangevuld bewijs")  # a new evidence item: a new version in the round
    missing = client.get(f"/api/v1/students/{world.student.id}/readiness").json()["missing"]
    item = next(m for m in missing if m["eindterm"] == "IA-i")
    assert item["reason"] == "wacht_op_aftekening" and "bij Sandra Mulder" in item["text"]
    page = client.get(f"/studenten/{world.student.id}/gereedheid").text
    assert "wacht op aftekening sinds" in page and "Pas het bewijs aan" not in page.split("IA-i")[1][:300]


def test_substitute_assignment_makes_niet_mogelijk_count(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    (submission,) = submit(app, db, world, ["CJ-k"])
    decide(world, db, submission.id or 0, decision="niet_mogelijk", comment="Geen werkvloer.")
    login(client, world.coordinator.email)
    before = {m["eindterm"] for m in client.get(f"/api/v1/students/{world.student.id}/readiness").json()["missing"]}
    assert "CJ-k" in before
    approved = client.post(
        f"/studenten/{world.student.id}/eindtermen/CJ-k/vervangende-opdracht",
        data={"omschrijving": "Meelopen bij een andere werkgever."},
    )
    assert approved.status_code == 303
    after = {m["eindterm"] for m in client.get(f"/api/v1/students/{world.student.id}/readiness").json()["missing"]}
    assert "CJ-k" not in after


def test_assessor_list_and_scoring_through_the_page(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    (submission,) = submit(app, db, world, ["JF-h"])
    decide(world, db, submission.id or 0)
    login(client, world.assessor.email)
    assert "JF-h" in client.get("/te-beoordelen").text
    refused = client.post(
        f"/studenten/{world.student.id}/eindtermen/JF-h/beoordeling", data={"score": "voldoende", "feedback": ""}
    )
    assert refused.status_code == 422 and "Schrijf feedback" in refused.text
    ok = client.post(
        f"/studenten/{world.student.id}/eindtermen/JF-h/beoordeling",
        data={"score": "voldoende", "feedback": "Goed onderbouwd."},
    )
    assert ok.status_code == 303
    assert "JF-h" not in client.get("/te-beoordelen").text
    assert student_actor(world).id == world.student.id


def test_to_assess_leaves_out_own_signoffs_and_says_so(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    """#16 item 11: a beoordelaar cannot score what they signed off, so their list does not offer it."""
    (submission,) = submit(app, db, world, ["JF-h"])
    accounts.add_role(db, user_id=world.supervisor.id or 0, role=Role.beoordelaar)
    enrolment = db.exec(select(Enrolment).where(Enrolment.student_id == world.student.id)).one()
    enrolment.assessor_id = world.supervisor.id
    db.add(enrolment)
    db.commit()
    decide(world, db, submission.id or 0)
    login(client, world.supervisor.email)
    page = client.get("/te-beoordelen").text
    assert "JF-h" not in page
    assert "1 afgetekende eindterm staat hier niet: u hebt hem zelf afgetekend" in page
    assert assessment.to_assess(db, assessor_id=world.supervisor.id or 0) == []
