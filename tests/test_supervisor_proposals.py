"""Who may change who judges (#15, High 1): a student only proposes a praktijkbegeleider; the coordinator of the
student's programme approves. Nothing a student sends changes who signs their work."""

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import Role, User, UserRole
from app.cohorts.models import Enrolment
from app.errors import InvalidInput, NotFound
from app.evidence.models import Slot, SlotStatus
from app.notifications.models import OutboxMessage
from app.signoff import service as signoff
from app.signoff.models import SignOff, SupervisorLink
from tests.conftest import Browser, World, login, make_user
from tests.test_signoff import mails_to, submit

NEW_ADDRESS = "kees@bakkerij.nl"


def enrolment_of(db: Session, world: World) -> Enrolment:
    db.expire_all()
    return db.exec(select(Enrolment).where(Enrolment.student_id == world.student.id)).one()


def roles_everywhere(db: Session) -> set[tuple[int, str]]:
    db.expire_all()
    return {(r.user_id, r.role) for r in db.exec(select(UserRole)).all()}


def snapshot(db: Session, world: World) -> tuple[object, ...]:
    """Who judges the student: the enrolment's praktijkbegeleider, every role, every link, the mail sent."""
    enrolment = enrolment_of(db, world)
    links = db.exec(select(SupervisorLink.id)).all()
    outbox = db.exec(select(OutboxMessage.to_address).order_by(col(OutboxMessage.id))).all()
    return enrolment.supervisor_id, roles_everywhere(db), sorted(links), list(outbox)


def approved_assignments(db: Session) -> set[tuple[int, int | None, str]]:
    from app.cohorts.models import SupervisorAssignment

    db.expire_all()
    return {
        (a.enrolment_id, a.supervisor_id, a.status)
        for a in db.exec(
            select(SupervisorAssignment).where(col(SupervisorAssignment.status).in_(["goedgekeurd", "beeindigd"]))
        ).all()
    }


def _has_table(db: Session, name: str) -> bool:
    from sqlalchemy import inspect

    return inspect(db.connection()).has_table(name)


def student_client(client_factory: Callable[[], Browser], world: World) -> Browser:
    browser = client_factory()
    login(browser, world.student.email)
    return browser


def propose(browser: Browser, email: str, name: str = "Kees Werkvloer") -> object:
    return browser.post(
        "/portfolio/praktijkbegeleider",
        data={"naam": name, "email": email, "functie": "Chef", "werkplek": "Bakkerij"},
    )


GUIDANCE_WORDS = ("praktijkbegeleider", "begeleiding", "uitnodigen", "koppelingen", "links-intrekken", "aftekenen")


def test_no_request_a_student_can_make_changes_who_signs_their_work(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    student = student_client(client_factory, world)
    before = snapshot(db, world)
    # Their own voorstel, for a new address and for every kind of existing account.
    for email in (
        NEW_ADDRESS,
        world.other_supervisor.email,
        world.bystander.email,
        world.admin.email,
        world.assessor.email,
        world.student.email,
    ):
        assert propose(student, email).status_code in {303, 422}
    # The voorstel ids (if the app keeps them) as route parameters too; read by table name so the walk itself
    # does not depend on the new model.
    proposals = (
        [
            row[0]
            for row in db.connection().exec_driver_sql(
                "SELECT id FROM supervisor_assignment WHERE status = 'voorgesteld'"
            )
        ]
        if _has_table(db, "supervisor_assignment")
        else []
    )
    # Every write route about supervision, with the student's cohort, themself, a foreign supervisor and their
    # own proposals as the ids: none changes who judges them.
    form = {
        "supervisor_id": str(world.other_supervisor.id),
        "assessor_id": str(world.assessor.id),
        "naam": "Peter",
        "email": world.other_supervisor.email,
        "bevestig_rol": "ja",
        "werkplek": "Elders",
    }
    from fastapi.routing import iter_route_contexts

    paths = sorted(
        {
            ctx.path
            for ctx in iter_route_contexts(app.routes)
            if isinstance(ctx.original_route, APIRoute)
            and set(ctx.methods or ()) & {"POST", "PUT", "PATCH", "DELETE"}
            and any(w in ctx.path for w in GUIDANCE_WORDS)
        }
    )
    assert "/portfolio/praktijkbegeleider" in paths
    for path in paths:
        for assignment_id in [*proposals, 1]:
            url = (
                path.replace("{cohort_id}", str(world.cohort.id))
                .replace("{student_id}", str(world.student.id))
                .replace("{assignment_id}", str(assignment_id))
            )
            if "{" in url:
                continue
            response = student.post(url, data=form)
            assert response.status_code < 500, url
    after = snapshot(db, world)
    assert after[0] == before[0] == world.supervisor.id  # still the approved praktijkbegeleider
    assert after[1] == before[1]  # no role added to anyone
    assert after[2] == before[2]  # no link made
    assert after[3] == before[3]  # no mail to anyone
    assert "/koppelingen/{assignment_id}/goedkeuren" in paths  # the approval was walked too
    enrolment_id = enrolment_of(db, world).id
    assert {a for a in approved_assignments(db) if a[0] == enrolment_id} == {
        (enrolment_id, world.supervisor.id, "goedgekeurd")
    }
    assert accounts.get_user_by_email(db, email=NEW_ADDRESS) is None  # a voorstel makes no account


def test_the_same_answer_for_known_and_unknown_addresses(
    db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    student = student_client(client_factory, world)
    # With and without a name (without one, the old form answered 422 for unknown and 303 for known addresses).
    for name in ("", "Kees Werkvloer"):
        answers = set()
        unknown = f"niemand-{len(name)}@nergens.nl"
        for email in (unknown, world.other_supervisor.email, world.admin.email, world.coordinator.email):
            response = propose(student, email, name=name)
            answers.add((response.status_code, response.headers.get("location"), response.text))
        assert len(answers) == 1, (name, answers)


def test_an_unapproved_proposal_receives_no_requests_links_or_mail(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    student = student_client(client_factory, world)
    known = make_user(db, "Kees Werkvloer", NEW_ADDRESS, Role.praktijkbegeleider)
    db.commit()
    assert propose(student, NEW_ADDRESS).status_code == 303
    made = submit(app, db, world, ["CJ-a"])
    assert mails_to(db, NEW_ADDRESS) == []
    assert db.exec(select(SupervisorLink).where(SupervisorLink.supervisor_id == known.id)).all() == []
    assert signoff.pending_for(db, supervisor_id=known.id or 0, registry=app.state.frameworks) == []
    decider = signoff.Decider(user_id=known.id or 0, name=known.name, email=known.email)
    with pytest.raises(NotFound):
        signoff.decide(db, decider=decider, submission_id=made[0].id or 0, decision="afgetekend")
    # The request still waits for the approved praktijkbegeleider.
    assert [
        p.submission_id
        for p in signoff.pending_for(db, supervisor_id=world.supervisor.id or 0, registry=app.state.frameworks)
    ] == [made[0].id]


def test_without_an_approved_praktijkbegeleider_submitting_is_refused(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    enrolment = enrolment_of(db, world)
    enrolment.supervisor_id = None
    db.add(enrolment)
    db.commit()
    assert propose(student_client(client_factory, world), NEW_ADDRESS).status_code == 303
    with pytest.raises(InvalidInput, match="voorstel eerst goedkeuren"):
        submit(app, db, world, ["CJ-a"])


def approve(coordinator: Browser, db: Session, *, tick: bool = False, werkplek: str = "") -> object:
    from app.cohorts.models import SupervisorAssignment

    db.expire_all()
    proposal = db.exec(
        select(SupervisorAssignment)
        .where(SupervisorAssignment.status == "voorgesteld")
        .order_by(col(SupervisorAssignment.id).desc())
    ).first()
    assert proposal is not None
    data = {"werkplek": werkplek, **({"bevestig_rol": "ja"} if tick else {})}
    return coordinator.post(f"/koppelingen/{proposal.id}/goedkeuren", data=data)


def coordinator_client(client_factory: Callable[[], Browser], world: World) -> Browser:
    browser = client_factory()
    login(browser, world.coordinator.email)
    return browser


def test_an_invitation_redirects_to_the_student_and_the_notice_shows_once(
    db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    """#16 items 2+3: the invitation answers 303 to the student's page, whose notice says it was sent, once."""
    coordinator = coordinator_client(client_factory, world)
    invited = coordinator.post(
        f"/cohorten/{world.cohort.id}/studenten/{world.student.id}/uitnodigen",
        data={"naam": "Nieuwe Begeleider", "email": "nieuw.begeleider@werkplek.nl", "functie": "chef"},
    )
    assert invited.status_code == 303 and invited.headers["location"] == f"/studenten/{world.student.id}"
    page = coordinator.get(invited.headers["location"]).text
    assert "Uitnodiging verstuurd naar nieuw.begeleider@werkplek.nl." in page
    assert "Uitnodiging verstuurd" not in coordinator.get(invited.headers["location"]).text


def test_a_beheerder_never_becomes_praktijkbegeleider(
    db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    before = snapshot(db, world)
    coordinator = coordinator_client(client_factory, world)
    # Not by the student's voorstel, even with the coordinator's tick...
    assert propose(student_client(client_factory, world), world.admin.email).status_code == 303
    refused = approve(coordinator, db, tick=True)
    assert refused.status_code == 422 and "beheerder" in refused.text
    # ...nor by the coordinator's own invitation.
    invited = coordinator.post(
        f"/cohorten/{world.cohort.id}/studenten/{world.student.id}/uitnodigen",
        data={"naam": "Ruud", "email": world.admin.email, "bevestig_rol": "ja"},
    )
    assert invited.status_code == 422 and "beheerder" in invited.text
    assert snapshot(db, world)[:3] == before[:3]
    assert accounts.roles_of(db, user_id=world.admin.id or 0) == {Role.beheerder}


@pytest.mark.parametrize("who", ["other-role", "other-programme"])
def test_an_existing_account_needs_the_coordinators_confirmation(
    db: Session, world: World, client_factory: Callable[[], Browser], who: str
) -> None:
    if who == "other-role":
        person = make_user(db, "Bert Docent", "bert@school.nl", Role.beoordelaar)
        db.commit()
    else:
        person = world.other_supervisor  # a praktijkbegeleider of the other programme
    roles_before = accounts.roles_of(db, user_id=person.id or 0)
    coordinator = coordinator_client(client_factory, world)
    assert propose(student_client(client_factory, world), person.email).status_code == 303
    screen = coordinator.get("/koppelingen").text
    assert person.email in screen
    refused = approve(coordinator, db)
    assert refused.status_code == 422 and "Vink aan" in refused.text
    assert enrolment_of(db, world).supervisor_id == world.supervisor.id
    assert accounts.roles_of(db, user_id=person.id or 0) == roles_before
    assert approve(coordinator, db, tick=True).status_code == 303
    assert enrolment_of(db, world).supervisor_id == person.id
    assert Role.praktijkbegeleider in accounts.roles_of(db, user_id=person.id or 0)


def test_the_previous_supervisor_is_told_and_their_open_requests_move_only_on_approval(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    (made,) = submit(app, db, world, ["CJ-a"])
    assert propose(student_client(client_factory, world), NEW_ADDRESS).status_code == 303
    registry = app.state.frameworks
    waiting = [
        p.submission_id for p in signoff.pending_for(db, supervisor_id=world.supervisor.id or 0, registry=registry)
    ]
    assert waiting == [made.id]
    coordinator = coordinator_client(client_factory, world)
    from app.cohorts.models import SupervisorAssignment

    proposal = db.exec(select(SupervisorAssignment).where(SupervisorAssignment.status == "voorgesteld")).one()
    screen = coordinator.get(f"/koppelingen/{proposal.id}").text
    assert "CJ-a" in screen and world.supervisor.name in screen  # listed before the coordinator confirms
    before_mails = len(mails_to(db, world.supervisor.email))
    assert approve(coordinator, db, werkplek="Bakkerij De Korst").status_code == 303
    kees = accounts.get_user_by_email(db, email=NEW_ADDRESS)
    assert kees is not None and accounts.roles_of(db, user_id=kees.id or 0) == {Role.praktijkbegeleider}
    assert enrolment_of(db, world).supervisor_id == kees.id
    assert enrolment_of(db, world).workplace == "Bakkerij De Korst"
    assert signoff.pending_for(db, supervisor_id=world.supervisor.id or 0, registry=registry) == []
    assert [p.submission_id for p in signoff.pending_for(db, supervisor_id=kees.id or 0, registry=registry)] == [
        made.id
    ]
    told = mails_to(db, world.supervisor.email)[before_mails:]
    assert len(told) == 1 and "niet langer" in told[0].subject
    assert "/link/" in mails_to(db, NEW_ADDRESS)[-1].body
    # The previous praktijkbegeleider can no longer decide it.
    old = signoff.Decider(user_id=world.supervisor.id or 0, name="Sandra", email=world.supervisor.email)
    with pytest.raises(NotFound):
        signoff.decide(db, decider=old, submission_id=made.id or 0, decision="afgetekend")


def test_sign_offs_record_their_assignment_and_readiness_ignores_others(
    app: FastAPI, db: Session, world: World
) -> None:
    from app.cohorts.models import SupervisorAssignment
    from app.readiness import service as readiness

    first, second = submit(app, db, world, ["CJ-a", "CJ-b"])
    sandra = signoff.Decider(user_id=world.supervisor.id or 0, name="Sandra", email=world.supervisor.email)
    made = signoff.decide(db, decider=sandra, submission_id=first.id or 0, decision="afgetekend")
    approved = db.exec(
        select(SupervisorAssignment).where(
            SupervisorAssignment.supervisor_id == world.supervisor.id, SupervisorAssignment.status == "goedgekeurd"
        )
    ).one()
    assert made.assignment_id == approved.id
    # Someone put on the enrolment past the rule (the old invitation did exactly this) cannot decide.
    enrolment = enrolment_of(db, world)
    enrolment.supervisor_id = world.bystander.id
    db.add(enrolment)
    db.flush()
    bystander = signoff.Decider(user_id=world.bystander.id or 0, name="Bea", email=world.bystander.email)
    with pytest.raises(NotFound):
        signoff.decide(db, decider=bystander, submission_id=second.id or 0, decision="afgetekend")
    # A sign-off row without an assignment (legacy or forged) does not count, even when scored.
    db.add(
        SignOff(
            submission_id=second.id or 0,
            student_id=world.student.id or 0,
            eindterm_code="CJ-b",
            decision="afgetekend",
            decided_by_id=world.bystander.id,
            decided_by_name="Bea",
            decided_by_email=world.bystander.email,
        )
    )
    for slot in db.exec(select(Slot).where(Slot.student_id == world.student.id)).all():
        if slot.eindterm_code in {"CJ-a", "CJ-b"}:
            slot.status, slot.score = SlotStatus.beoordeeld.value, "goed"
            db.add(slot)
    db.commit()
    student = db.get(User, world.student.id)
    assert student is not None
    _, verdict = readiness.readiness_of(db, student=student, registry=app.state.frameworks)
    assert "CJ-a" in verdict.met and "CJ-b" not in verdict.met
    (missing,) = [m for m in verdict.missing if m.code == "CJ-b"]
    assert missing.reason == "aftekening_niet_geldig"


def test_only_the_coordinator_of_the_students_programme_decides(
    db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    assert propose(student_client(client_factory, world), NEW_ADDRESS).status_code == 303
    other = client_factory()
    login(other, world.other_coordinator.email)
    assert NEW_ADDRESS not in other.get("/koppelingen").text
    assert approve(other, db).status_code == 404
    assert enrolment_of(db, world).supervisor_id == world.supervisor.id
    # Nor does the assignment form link someone who only works for another programme (that needs the tick).
    coordinator = coordinator_client(client_factory, world)
    response = coordinator.post(
        f"/cohorten/{world.cohort.id}/studenten/{world.student.id}/begeleiding",
        data={"supervisor_id": str(world.other_supervisor.id), "assessor_id": str(world.assessor.id)},
    )
    assert response.status_code == 422 and "andere opleiding" in response.text
    assert enrolment_of(db, world).supervisor_id == world.supervisor.id
