"""Praktijkbegeleiders through a link confirm who they are once per person, keep one working link, and work through
many open requests grouped per student, a page of students at a time, with 'Alles van <student> aftekenen'."""

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi import FastAPI
from sqlmodel import Session, col, func, select

from app.accounts import service as accounts
from app.accounts.models import Role, User
from app.cohorts.models import Enrolment, Programme
from app.db import as_utc, utcnow
from app.evidence.models import Slot, Submission
from app.signoff import service as signoff
from app.signoff.models import SignOff, SupervisorLink
from tests.conftest import Browser, World, approve_supervisor, login, make_user
from tests.test_signoff import mails_to, submit

FRAMEWORK = ("bvjn-eindtermen", "2012")


def link_supervisor(db: Session, world: World) -> User:
    """A praktijkbegeleider without a password, approved for the world's student: mails carry a personal link."""
    supervisor = accounts.create_user(
        db, email="wim@werkbedrijf.nl", name="Wim Werkvloer", roles={Role.praktijkbegeleider}
    )
    enrolment = db.exec(select(Enrolment).where(Enrolment.student_id == world.student.id)).one()
    approve_supervisor(db, enrolment=enrolment, supervisor=supervisor, coordinator=world.coordinator)
    db.commit()
    return supervisor


def links_of(db: Session, supervisor: User) -> list[SupervisorLink]:
    db.expire_all()
    return list(
        db.exec(
            select(SupervisorLink).where(SupervisorLink.supervisor_id == supervisor.id).order_by(col(SupervisorLink.id))
        ).all()
    )


def mailed_link(body: str) -> str | None:
    match = re.search(r"http://testserver(/link/[A-Za-z0-9_-]+)", body)
    return match.group(1) if match else None


# --- one confirmation per person, a welcome that says for whom -------------------------------------------------


def test_a_second_link_of_the_same_person_does_not_ask_again(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    supervisor = link_supervisor(db, world)
    settings = app.state.settings
    first = signoff.create_link(db, supervisor_id=supervisor.id or 0, created_by_id=None, settings=settings)
    db.commit()
    phone = client_factory()
    assert "Bevestig eerst wie u bent" in phone.get(f"/link/{first}").text
    confirmed = phone.post(f"/link/{first}/bevestigen", data={"naam": "Wim de Vries", "functie": "Teamleider"})
    assert confirmed.status_code == 303
    # The opleiding ends the old link (say, it was forwarded) and a new one is mailed: the same person.
    signoff.revoke_links(db, supervisor_id=supervisor.id or 0, actor_id=world.coordinator.id or 0)
    second = signoff.create_link(db, supervisor_id=supervisor.id or 0, created_by_id=None, settings=settings)
    db.commit()
    other_phone = client_factory()
    page = other_phone.get(f"/link/{second}").text
    assert "Bevestig eerst wie u bent" not in page
    assert "<h1>Af te tekenen</h1>" in page and "Wim de Vries" in page and "Teamleider" in page
    # The confirmation is kept as before: in the audit trail, and on the link it was made through.
    db.expire_all()
    links = links_of(db, supervisor)
    assert links[0].confirmed_at is not None and links[1].confirmed_at is None
    from app.audit.models import AuditEvent

    assert (
        db.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "supervisor_link.confirmed")
        ).one()
        == 1
    )


def test_the_welcome_page_names_the_students_and_the_school(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    supervisor = link_supervisor(db, world)
    programme = db.get(Programme, world.programme.id)
    assert programme is not None
    programme.institution = "Hogeschool Midden"
    db.add(programme)
    db.commit()
    submit(app, db, world, ["IA-a", "IA-b"])
    token = mailed_link(mails_to(db, supervisor.email)[-1].body)
    assert token
    page = client_factory().get(token).text
    assert "<h1>Welkom</h1>" in page and "Bevestig eerst wie u bent" in page
    assert world.student.name in page
    assert "Jobcoach duaal" in page and "Hogeschool Midden" in page
    assert "2 verzoeken wachten op u" in page
    # Another programme's student of someone else is not named.
    assert world.other_student.name not in page


# --- one working link per person -------------------------------------------------------------------------------


def test_a_second_request_reuses_the_link_instead_of_mailing_another(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    supervisor = link_supervisor(db, world)
    submit(app, db, world, ["IA-a"])
    (link,) = links_of(db, supervisor)
    first_mail = mails_to(db, supervisor.email)[-1].body
    token = mailed_link(first_mail)
    assert token
    # Nearly expired: the next request mail keeps it alive rather than making a second one.
    link.expires_at = utcnow() + timedelta(days=1)
    db.add(link)
    db.commit()
    submit(app, db, world, ["IA-b"], title="Tweede bewijs")
    assert len(links_of(db, supervisor)) == 1
    second_mail = mails_to(db, supervisor.email)[-1].body
    assert mailed_link(second_mail) is None
    assert "Gebruik de persoonlijke link uit uw eerdere e-mail" in second_mail
    assert "http://testserver/aftekenlink" in second_mail
    (link,) = links_of(db, supervisor)
    days = app.state.settings.supervisor_link_days
    assert as_utc(link.expires_at) > utcnow() + timedelta(days=days - 1)
    assert f"{as_utc(link.expires_at):%d-%m-%Y}" in second_mail
    # The first mail's link still works and shows both requests.
    phone = client_factory()
    phone.post(f"{token}/bevestigen", data={"naam": "Wim Werkvloer", "functie": "Teamleider"})
    listing = phone.get(token).text
    assert "IA-a" in listing and "IA-b" in listing
    # Revoked, the links are gone: the next request mails a new one.
    signoff.revoke_links(db, supervisor_id=supervisor.id or 0, actor_id=world.coordinator.id or 0)
    db.commit()
    gone = phone.get(token)
    assert gone.status_code == 404 and "/aftekenlink" in gone.text  # where to ask for a new one
    submit(app, db, world, ["IA-c"], title="Derde bewijs")
    links = links_of(db, supervisor)
    assert len(links) == 2 and [x.revoked_at is None for x in links] == [False, True]
    fresh = mailed_link(mails_to(db, supervisor.email)[-1].body)
    assert fresh and fresh != token
    page = client_factory().get(fresh).text
    assert "Bevestig eerst wie u bent" not in page  # confirmed once, as a person


def test_using_a_link_extends_it(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    supervisor = link_supervisor(db, world)
    (made,) = submit(app, db, world, ["IA-a"])
    (link,) = links_of(db, supervisor)
    link.expires_at = utcnow() + timedelta(days=2)
    db.add(link)
    db.commit()
    token = mailed_link(mails_to(db, supervisor.email)[-1].body)
    assert token
    phone = client_factory()
    phone.post(f"{token}/bevestigen", data={"naam": "Wim Werkvloer", "functie": "Teamleider"})
    assert phone.post(f"{token}/verzoeken/{made.id}", data={"besluit": "afgetekend"}).status_code == 303
    (link,) = links_of(db, supervisor)
    assert as_utc(link.expires_at) > utcnow() + timedelta(days=app.state.settings.supervisor_link_days - 1)


def test_a_lost_link_can_be_asked_for_again(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    supervisor = link_supervisor(db, world)
    submit(app, db, world, ["IA-a"])
    anonymous = client_factory()
    assert anonymous.get("/aftekenlink").status_code == 200
    known = anonymous.post("/aftekenlink", data={"email": supervisor.email})
    unknown = anonymous.post("/aftekenlink", data={"email": "niemand@nergens.nl"})
    assert known.status_code == unknown.status_code == 200
    assert "ontvangt u binnen enkele minuten" in known.text and "ontvangt u binnen enkele minuten" in unknown.text
    assert mails_to(db, "niemand@nergens.nl") == []
    new = mailed_link(mails_to(db, supervisor.email)[-1].body)
    assert new and client_factory().get(new).status_code == 200
    assert len(links_of(db, supervisor)) == 2  # the earlier one keeps working: losing a mail ends nothing
    # Someone who guides nobody gets nothing.
    before = len(mails_to(db, world.bystander.email))
    anonymous.post("/aftekenlink", data={"email": world.bystander.email})
    assert len(mails_to(db, world.bystander.email)) == before


# --- many requests: grouped per student, paged, all of one student at once --------------------------------------


def many_requests(app: FastAPI, db: Session, world: World, students: int = 15, per_student: int = 8) -> list[User]:
    """`students` trainees of the world's supervisor, each with `per_student` open requests; student 0 has waited
    longest. Rows are written directly: the list reads slots and submissions, not evidence."""
    codes = [e.code for e in app.state.frameworks.get(*FRAMEWORK).eindtermen][:per_student]
    now = utcnow()
    made = []
    for n in range(students):
        student = make_user(db, f"Student {n:02d}", f"student{n:02d}@student.nl", Role.student)
        enrolment = Enrolment(cohort_id=world.cohort.id or 0, student_id=student.id or 0)
        db.add(enrolment)
        db.flush()
        approve_supervisor(db, enrolment=enrolment, supervisor=world.supervisor, coordinator=world.coordinator)
        for k, code in enumerate(codes):
            submission = Submission(
                student_id=student.id or 0,
                framework_id=FRAMEWORK[0],
                framework_version=FRAMEWORK[1],
                eindterm_code=code,
                supervisor_id=world.supervisor.id,
                submitted_at=now - timedelta(hours=1000 - n * 10 - k),
            )
            db.add(submission)
            db.flush()
            db.add(
                Slot(
                    student_id=student.id or 0,
                    framework_id=FRAMEWORK[0],
                    framework_version=FRAMEWORK[1],
                    eindterm_code=code,
                    status="ter_aftekening",
                    submission_id=submission.id,
                    last_activity_at=now,
                )
            )
        made.append(student)
    db.commit()
    return made


def group_names(page: str) -> list[str]:
    return re.findall(
        r'<h2 id="student-\d+" class="h4 group-head">([^<]+?) <span class="count">\((\d+) verzoeken\)', page
    )


def test_many_requests_are_grouped_per_student_and_paged(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    students = many_requests(app, db, world)
    items = signoff.pending_for(db, supervisor_id=world.supervisor.id or 0, registry=app.state.frameworks)
    assert len(items) == 120
    listing = signoff.group_pending(items, page=1)
    assert (listing.pages, listing.students, listing.total) == (2, 15, 120)
    assert [g.student_name for g in listing.groups] == [s.name for s in students[:10]]
    assert all(len(g.items) == 8 for g in listing.groups)
    login(client, world.supervisor.email)
    first = client.get("/aftekenen").text
    assert group_names(first) == [(s.name, "8") for s in students[:10]]
    assert "120 verzoeken · 15 studenten · pagina 1 van 2" in first
    assert 'aria-label="Pagina 2"' in first and 'aria-label="Volgende pagina"' in first
    assert 'aria-current="page"' in first and "Alles van Student 00 aftekenen (8)" in first
    second = client.get("/aftekenen?pagina=2").text
    assert group_names(second) == [(s.name, "8") for s in students[10:]]
    assert 'aria-label="Vorige pagina"' in second and 'aria-label="Volgende pagina"' not in second
    # A page past the end (the list got shorter) or nonsense shows a real page.
    assert group_names(client.get("/aftekenen?pagina=99").text) == group_names(second)
    assert group_names(client.get("/aftekenen?pagina=abc").text) == group_names(first)


def test_all_of_one_student_asks_first_and_signs_only_that_students_requests(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    students = many_requests(app, db, world, students=3, per_student=4)
    target, other = students[1], students[2]
    own_ids = list(db.exec(select(Submission.id).where(Submission.student_id == target.id)).all())
    other_id = db.exec(select(Submission.id).where(Submission.student_id == other.id)).first()
    login(client, world.supervisor.email)
    # Step one: the list of what will be signed off, nothing decided yet.
    ask = client.post(f"/aftekenen/studenten/{target.id}/alles", data={"verzoek": [str(other_id)]})
    assert ask.status_code == 200 and "Alles van Student 01 aftekenen" in ask.text
    assert "al deze 4 verzoeken van Student 01" in ask.text
    assert db.exec(select(SignOff)).all() == []
    # Without the tick: nothing.
    data = {"stap": "bevestigen", "verzoek": [str(i) for i in own_ids] + [str(other_id)]}
    refused = client.post(f"/aftekenen/studenten/{target.id}/alles", data=data)
    assert refused.status_code == 422 and "Er is niets afgetekend" in refused.text
    assert db.exec(select(SignOff)).all() == []
    # With it: exactly this student's four, even with another student's id slipped into the form.
    done = client.post(f"/aftekenen/studenten/{target.id}/alles", data={**data, "bevestig_alle": "ja"})
    assert done.status_code == 200 and "4 verzoeken afgetekend" in done.text
    db.expire_all()
    decided = db.exec(select(SignOff)).all()
    assert sorted(d.submission_id for d in decided) == sorted(own_ids)
    assert {d.student_id for d in decided} == {target.id}
    assert [name for name, _ in group_names(done.text)] == ["Student 00", "Student 02"]
    # Someone else's praktijkbegeleider learns nothing about this student.
    login(client, world.other_supervisor.email)
    assert client.post(f"/aftekenen/studenten/{other.id}/alles").status_code == 404


def test_all_of_one_student_through_a_link(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    supervisor = link_supervisor(db, world)
    made = submit(app, db, world, ["IA-a", "IA-b"])
    token = mailed_link(mails_to(db, supervisor.email)[-1].body)
    assert token
    phone = client_factory()
    # Not before they confirmed who they are.
    early = phone.post(
        f"{token}/studenten/{world.student.id}/alles",
        data={"stap": "bevestigen", "verzoek": [str(m.id) for m in made], "bevestig_alle": "ja"},
    )
    assert early.status_code == 303 and db.exec(select(SignOff)).all() == []
    phone.post(f"{token}/bevestigen", data={"naam": "Wim Werkvloer", "functie": "Teamleider"})
    assert "Alles van Lotte de Vries aftekenen (2)" in phone.get(token).text
    done = phone.post(
        f"{token}/studenten/{world.student.id}/alles",
        data={"stap": "bevestigen", "verzoek": [str(m.id) for m in made], "bevestig_alle": "ja"},
    )
    assert done.status_code == 200 and "2 verzoeken afgetekend" in done.text
    db.expire_all()
    assert {(d.decided_by_name, d.via_link_id is not None) for d in db.exec(select(SignOff)).all()} == {
        ("Wim Werkvloer", True)
    }
    assert "Er staat niets voor u klaar" in phone.get(token).text
