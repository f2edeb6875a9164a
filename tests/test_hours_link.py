"""A praktijkbegeleider without an account approves a week of praktijkuren from the e-mailed link."""

import html
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from fastapi import FastAPI
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import Role, User
from app.audit.models import AuditEvent
from app.cohorts.models import Enrolment
from app.hours import service as hours
from app.hours.models import HoursDecision
from app.notifications.models import OutboxMessage
from tests.conftest import Browser, World, login


def _last_week() -> date:
    """Monday of last week: always in the past, so the dates are valid on any day the tests run."""
    today = date.today()
    return today - timedelta(days=today.weekday(), weeks=1)


def _linked_supervisor(db: Session, world: World) -> User:
    """A praktijkbegeleider without a password: the mail must carry a personal link, not the login page."""
    supervisor = accounts.create_user(
        db, email="wim@werkbedrijf.nl", name="Wim Werkvloer", roles={Role.praktijkbegeleider}
    )
    enrolment = db.exec(select(Enrolment).where(Enrolment.student_id == world.student.id)).one()
    enrolment.supervisor_id = supervisor.id
    db.add(enrolment)
    db.commit()
    return supervisor


def _mails_to(db: Session, address: str) -> list[OutboxMessage]:
    db.expire_all()
    return list(
        db.exec(select(OutboxMessage).where(OutboxMessage.to_address == address).order_by(col(OutboxMessage.id))).all()
    )


def _log(student: Browser, day: date, amount: str, activity: str) -> None:
    response = student.post(
        "/praktijkuren",
        data={"datum": day.isoformat(), "uren": amount, "activiteit": activity, "clienten": "K-017"},
    )
    assert response.status_code == 303, response.text


def _hidden(form_html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', form_html)
    assert match, f"no hidden field {name}"
    return html.unescape(match.group(1))


def test_supervisor_approves_a_week_from_the_mailed_link(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    supervisor = _linked_supervisor(db, world)
    monday = _last_week()
    week = hours.week_key(monday)
    number = int(week.split("W")[1])

    # The student logs hours and submits the week.
    student = client_factory()
    login(student, world.student.email)
    _log(student, monday, "7,5", "Intake met cliënt en werkgever")
    _log(student, monday + timedelta(days=1), "8", "Coaching on the job")
    assert _mails_to(db, supervisor.email) == []  # logging alone mails nobody
    assert student.post("/praktijkuren/week", data={"week": week}).status_code == 303

    # The supervisor's mail carries a personal link (they have no account).
    mails = _mails_to(db, supervisor.email)
    assert len(mails) == 1 and f"week {number}" in mails[0].subject
    match = re.search(r"http://testserver(/link/[A-Za-z0-9_-]+)", mails[0].body)
    assert match, mails[0].body
    link = match.group(1)

    # A fresh browser without any session follows it, confirms who they are, and sees the week.
    browser = client_factory()
    first = browser.get(link)
    assert first.status_code == 200 and 'action="' + link + '/bevestigen"' in first.text
    confirmed = browser.post(f"{link}/bevestigen", data={"naam": "Wim Werkvloer", "functie": "Teamleider"})
    assert confirmed.status_code == 303
    page = browser.get(link)
    assert page.status_code == 200
    sentence = f"Ik bevestig dat {world.student.name} in week {number} 15,5 uur praktijk heeft gewerkt"
    assert sentence in html.unescape(page.text)
    form = page.text[page.text.index(f'action="{link}/uren/week"') :]
    fields = {name: _hidden(form, name) for name in ("student", "week", "totaal", "regels")}
    assert fields["week"] == week and Decimal(fields["totaal"]) == Decimal("15.5")

    # Without the confirmation tick nothing is approved.
    refused = browser.post(f"{link}/uren/week", data=fields)
    assert refused.status_code == 422
    assert hours.hours_totals(db, student_id=world.student.id or 0).approved == 0

    approved = browser.post(f"{link}/uren/week", data={**fields, "bevestig": "ja"})
    assert approved.status_code == 303 and approved.headers["location"] == link, approved.text
    assert "Week goedgekeurd: 2 regels praktijkuren." in browser.get(link).text  # #16 items 2+3: said once
    assert "Week goedgekeurd" not in browser.get(link).text

    db.expire_all()
    totals = hours.hours_totals(db, student_id=world.student.id or 0)
    assert (totals.approved, totals.pending, totals.returned) == (Decimal("15.5"), 0, 0)
    assert [(w.key, w.approved) for w in totals.weeks] == [(week, Decimal("15.5"))]
    assert hours.approved_hours(db, student_id=world.student.id or 0) == Decimal("15.5")
    decisions = db.exec(select(HoursDecision)).all()
    assert len(decisions) == 2
    assert all(d.via_link_id is not None and d.decided_by_function == "Teamleider" for d in decisions)
    assert all(d.confirmed == f"{week}: 15.50" for d in decisions)
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "hours.week_approved")).one()
    assert audit.actor_id == supervisor.id and audit.data["via_link"] is True

    # The week is gone from the link page; a second POST (another tab) changes nothing.
    assert sentence not in html.unescape(browser.get(link).text)
    again = browser.post(f"{link}/uren/week", data={**fields, "bevestig": "ja"})
    assert again.status_code == 409
    assert len(db.exec(select(HoursDecision)).all()) == 2

    # The student sees the approved total on their page.
    own = student.get("/praktijkuren")
    assert own.status_code == 200 and "15,5" in own.text and "goedgekeurd" in own.text


def test_link_returns_an_entry_with_a_reason_and_the_student_corrects_it(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    supervisor = _linked_supervisor(db, world)
    monday = _last_week()
    week = hours.week_key(monday)
    student = client_factory()
    login(student, world.student.email)
    _log(student, monday, "4", "Teamoverleg")
    _log(student, monday + timedelta(days=2), "6", "Jobfinding bij werkgever")
    student.post("/praktijkuren/week", data={"week": week})
    link = re.search(r"http://testserver(/link/[A-Za-z0-9_-]+)", _mails_to(db, supervisor.email)[0].body)
    assert link
    base = link.group(1)
    browser = client_factory()
    browser.post(f"{base}/bevestigen", data={"naam": "Wim Werkvloer", "functie": "Teamleider"})
    entry = db.exec(select(hours.PracticeHours).where(hours.PracticeHours.activity == "Teamoverleg")).one()

    no_reason = browser.post(f"{base}/uren/{entry.id}/terug", data={"toelichting": "  "})
    assert no_reason.status_code == 422
    returned = browser.post(f"{base}/uren/{entry.id}/terug", data={"toelichting": "Overleg telt niet mee."})
    assert returned.status_code == 303 and returned.headers["location"] == base
    assert "De uren zijn teruggestuurd naar de student." in browser.get(base).text
    mail = _mails_to(db, world.student.email)[-1]
    assert "Overleg telt niet mee." in mail.body and f"/praktijkuren?corrigeer={entry.id}" in mail.body

    # The rest of the week is now 6 hours: approving with the old total of 10 is refused.
    page = browser.get(base).text
    form = page[page.index(f'action="{base}/uren/week"') :]
    fields = {name: _hidden(form, name) for name in ("student", "week", "totaal", "regels")}
    assert Decimal(fields["totaal"]) == 6
    stale = browser.post(f"{base}/uren/week", data={**fields, "totaal": "10", "bevestig": "ja"})
    assert stale.status_code == 409

    # The student corrects the returned entry: a new row that replaces it; the old one stays as history.
    form_page = student.get(f"/praktijkuren?corrigeer={entry.id}")
    assert form_page.status_code == 200 and "Teamoverleg" in form_page.text
    corrected = student.post(
        "/praktijkuren",
        data={"datum": monday.isoformat(), "uren": "3", "activiteit": "Coachgesprek met cliënt", "vervangt": entry.id},
    )
    assert corrected.status_code == 303
    twice = student.post(
        "/praktijkuren",
        data={"datum": monday.isoformat(), "uren": "3", "activiteit": "Nog eens", "vervangt": entry.id},
    )
    assert twice.status_code == 409
    student.post("/praktijkuren/week", data={"week": week})
    page = browser.get(base).text
    form = page[page.index(f'action="{base}/uren/week"') :]
    fields = {name: _hidden(form, name) for name in ("student", "week", "totaal", "regels")}
    assert Decimal(fields["totaal"]) == 9
    assert browser.post(f"{base}/uren/week", data={**fields, "bevestig": "ja"}).status_code == 303
    db.expire_all()
    totals = hours.hours_totals(db, student_id=world.student.id or 0)
    assert (totals.approved, totals.pending, totals.returned) == (9, 0, 0)
    states = {v.entry.activity: v.status.value for v in hours.entries_of(db, student_id=world.student.id or 0)}
    assert states == {
        "Teamoverleg": "vervangen",
        "Jobfinding bij werkgever": "goedgekeurd",
        "Coachgesprek met cliënt": "goedgekeurd",
    }
