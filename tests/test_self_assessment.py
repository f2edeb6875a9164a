"""Zelfbeoordeling (issue #20, item 2): the slot page asks the student for their own level before submitting; the
praktijkbegeleider (also through the personal link) and the beoordelaar see it; the cohort's knelpunten list where
it and the score lie more than one level apart."""

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from app.accounts import service as accounts
from app.assessment import service as assessment
from app.audit.models import AuditEvent
from app.evidence.models import SelfAssessment, Submission
from app.signoff import service as signoff
from tests.conftest import Browser, World, login
from tests.test_assessment import decide
from tests.test_evidence import post_evidence
from tests.test_signoff import submit

HTMX = {"HX-Request": "true"}


def test_the_slot_page_asks_for_a_zelfbeoordeling_and_refuses_without_one(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    login(client, world.student.email)
    post_evidence(client, app, [])
    page = client.get(f"/studenten/{world.student.id}/eindtermen/IA-a").text
    assert 'name="zelfbeoordeling" value="voldoende"' in page and 'name="zelfmotivatie"' in page

    refused = client.post(
        "/portfolio/indienen",
        data={"eindterm": "IA-a", "terug": "slot", "zelfmotivatie": "Ik denk voldoende."},
        headers={**HTMX, "X-Form-Fout": "indienen-fout"},
    )
    assert refused.status_code == 422 and refused.headers["HX-Retarget"] == "#indienen-fout"
    assert "Kies bij uw zelfbeoordeling een niveau" in refused.text and 'data-veld="zelfbeoordeling"' in refused.text
    no_reason = client.post(
        "/portfolio/indienen",
        data={"eindterm": "IA-a", "terug": "slot", "zelfbeoordeling": "goed", "zelfmotivatie": "  "},
    )
    assert no_reason.status_code == 422 and "Motiveer uw zelfbeoordeling" in no_reason.text
    assert db.exec(select(Submission)).all() == [] and db.exec(select(SelfAssessment)).all() == []

    sent = client.post(
        "/portfolio/indienen",
        data={
            "eindterm": "IA-a",
            "terug": "slot",
            "zelfbeoordeling": "goed",
            "zelfmotivatie": "De cliënt bepaalde zelf de agenda.",
        },
    )
    assert sent.status_code == 303
    (submission,) = db.exec(select(Submission)).all()
    (rating,) = db.exec(select(SelfAssessment)).all()
    assert (rating.submission_id, rating.level, rating.eindterm_code) == (submission.id, "goed", "IA-a")
    assert (rating.framework_id, rating.framework_version) == ("bvjn-eindtermen", "2012")
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "self_assessment.recorded")).one()
    assert event.data["rijen"][0][:2] == ["self_assessment", rating.id]  # bound into the audit chain

    page = client.get(f"/studenten/{world.student.id}/eindtermen/IA-a").text
    assert "Zelfbeoordeling van de student" in page and "De cliënt bepaalde zelf de agenda." in page


def test_the_portfolio_list_still_submits_without_one(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    login(client, world.student.email)
    post_evidence(client, app, [])
    assert client.post("/portfolio/indienen", data={"eindterm": ["IA-a", "IA-c"]}).status_code == 303
    assert len(db.exec(select(Submission)).all()) == 2 and db.exec(select(SelfAssessment)).all() == []


def test_a_zelfbeoordeling_cannot_be_changed(app: FastAPI, db: Session, world: World) -> None:
    rating = _rated(app, db, world, "IA-b", "voldoende")
    rating.level = "goed"
    db.add(rating)
    with pytest.raises(RuntimeError, match="append-only"):
        db.flush()
    db.rollback()


def _rated(app: FastAPI, db: Session, world: World, code: str, level: str) -> SelfAssessment:
    from tests.test_signoff import student_actor

    (made,) = submit(app, db, world, [code])
    # submit() goes without a rating; a second round with one is what the slot page sends.
    decide(world, db, made.id or 0, decision="terug", comment="Meer.")
    from app.evidence import service as evidence

    actor = student_actor(world)
    evidence.save_evidence(
        db,
        actor=actor,
        registry=app.state.frameworks,
        storage=app.state.storage,
        data=evidence.EvidenceInput(
            title="Nieuw bewijs",
            activity_date="2026-03-05",
            kind="verslag",
            privacy_confirmed=True,
            reflection="STARR",
            eindtermen={code: "Onderbouwing"},
        ),
    )
    evidence.submit_slots(
        db,
        actor=actor,
        registry=app.state.frameworks,
        codes=[code],
        self_level=level,
        self_motivation=f"Ik schat mezelf {level} in.",
    )
    db.commit()
    return db.exec(select(SelfAssessment).where(SelfAssessment.eindterm_code == code)).one()


def test_the_praktijkbegeleider_sees_it_also_through_the_link(
    app: FastAPI, db: Session, world: World, client: Browser, client_factory: Callable[[], Browser]
) -> None:
    rating = _rated(app, db, world, "IA-c", "goed")
    login(client, world.supervisor.email)
    review = client.get(f"/aftekenen/{rating.submission_id}").text
    assert "Zelfbeoordeling van de student" in review and "Ik schat mezelf goed in." in review and "Goed" in review

    token = signoff.create_link(
        db, supervisor_id=world.supervisor.id or 0, created_by_id=None, settings=app.state.settings
    )
    db.commit()
    phone = client_factory()
    phone.post(f"/link/{token}/bevestigen", data={"naam": "Sandra Mulder", "functie": "Teamleider"})
    via_link = phone.get(f"/link/{token}/verzoeken/{rating.submission_id}").text
    assert "Ik schat mezelf goed in." in via_link


def test_the_beoordelaar_sees_it_and_the_knelpunten_list_a_gap_of_more_than_one_level(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    far = _rated(app, db, world, "IA-d", "goed")
    near = _rated(app, db, world, "IA-e", "goed")
    for rating in (far, near):
        decide(world, db, rating.submission_id or 0)
    me = accounts.actor_for(db, user_id=world.assessor.id or 0)
    for code, score in (("IA-d", "onvoldoende"), ("IA-e", "voldoende")):
        assessment.score(
            db,
            actor=me,
            registry=app.state.frameworks,
            student_id=world.student.id or 0,
            code=code,
            score=score,
            feedback="Zie toelichting.",
        )
    db.commit()
    login(client, world.assessor.email)
    slot_page = client.get(f"/studenten/{world.student.id}/eindtermen/IA-d").text
    assert "Zelfbeoordeling van de student" in slot_page and "Ik schat mezelf goed in." in slot_page

    coordinator = signed_in_as(client, world.coordinator.email)
    page = coordinator.get(f"/cohorten/{world.cohort.id}/knelpunten").text
    section = page.split('id="zelf-titel"', 1)[1].split("</section>", 1)[0]
    assert "(1)" in section and "IA-d" in section and "IA-e" not in section
    assert "zelf Goed, score Onvoldoende" in section


def signed_in_as(client: Browser, email: str) -> Browser:
    client.cookies.clear()
    login(client, email)
    return client


def test_the_api_submits_with_a_zelfbeoordeling_and_lists_them(
    app: FastAPI, db: Session, world: World, client: Browser, client_factory: Callable[[], Browser]
) -> None:
    login(client, world.student.email)
    post_evidence(client, app, [])
    wrong = client.post(
        "/api/v1/submissions",
        json={"eindtermen": ["IA-a"], "self_assessment": {"level": "uitstekend", "motivation": "x"}},
    )
    assert wrong.status_code == 422 and "zelfbeoordeling" in wrong.text
    made = client.post(
        "/api/v1/submissions",
        json={"eindtermen": ["IA-a"], "self_assessment": {"level": "voldoende", "motivation": "Binnen de kaders."}},
    )
    assert made.status_code == 201, made.text
    listed = client.get(f"/api/v1/students/{world.student.id}/eindtermen/IA-a/self-assessments").json()["items"]
    assert [(i["level"], i["motivation"]) for i in listed] == [("voldoende", "Binnen de kaders.")]
    other = client_factory()
    login(other, world.other_student.email)
    assert other.get(f"/api/v1/students/{world.student.id}/eindtermen/IA-a/self-assessments").status_code == 404


def test_erasure_blanks_the_motivation_and_keeps_the_level_and_the_chain(
    app: FastAPI, db: Session, world: World
) -> None:
    from app.audit.verify import verify_chain
    from app.privacy import erasure

    rating = _rated(app, db, world, "IA-f", "voldoende")
    erasure.erase_person(
        db,
        actor_id=world.admin.id,
        user_id=world.student.id or 0,
        reason="Verzoek van de student (AVG art. 17).",
        confirmation=world.student.email,
        storage=app.state.storage,
        settings=app.state.settings,
    )
    db.commit()
    db.expire_all()
    kept = db.get(SelfAssessment, rating.id)
    assert kept is not None and kept.motivation == "" and kept.level == "voldoende"
    assert verify_chain(db).ok
