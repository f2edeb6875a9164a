"""Praktijkuren waiting for approval: in the praktijkbegeleider's daily digest, one reminder after N days and one
escalation to the programme's coordinators after M days, exactly as for requests to sign off (#16 item 21)."""

from datetime import date, timedelta

from fastapi import FastAPI
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.db import utcnow
from app.hours import service as hours
from app.hours.models import HoursReminder
from app.notifications.models import OutboxMessage
from app.signoff import service as signoff
from app.signoff.service import Decider
from tests.conftest import World

W1 = date(2026, 3, 2)  # a Monday of ISO week 10
W2 = date(2026, 3, 9)  # week 11


def mails_to(db: Session, address: str) -> list[OutboxMessage]:
    db.expire_all()
    return list(
        db.exec(select(OutboxMessage).where(OutboxMessage.to_address == address).order_by(col(OutboxMessage.id))).all()
    )


def submit_week(app: FastAPI, db: Session, world: World, *days_and_hours: tuple[date, str]) -> None:
    for day, amount in days_and_hours:
        hours.log_hours(
            db,
            student_id=world.student.id or 0,
            registry=app.state.frameworks,
            data=hours.HoursInput(work_date=day.isoformat(), hours=amount, activity="Coaching"),
        )
    hours.submit_week(
        db, student_id=world.student.id or 0, week=hours.week_key(days_and_hours[0][0]), settings=app.state.settings
    )
    db.commit()


def test_digest_of_a_supervisor_with_only_pending_hours_lists_the_weeks(
    app: FastAPI, db: Session, world: World
) -> None:
    signoff.set_digest(db, supervisor_id=world.supervisor.id or 0, daily=True)
    db.commit()
    submit_week(app, db, world, (W1, "7,5"), (W1 + timedelta(days=1), "8"))
    submit_week(app, db, world, (W2, "4"))
    assert mails_to(db, world.supervisor.email) == []  # they chose the digest: no mail per week
    now = utcnow()
    assert signoff.send_digests(db, now=now, settings=app.state.settings) == 1
    assert signoff.send_digests(db, now=now + timedelta(hours=2), settings=app.state.settings) == 0  # once a day
    (mail,) = mails_to(db, world.supervisor.email)
    assert mail.subject == "Dagoverzicht: 2 weken praktijkuren om goed te keuren"
    assert f"{world.student.name}: week 10, 15,5 uur" in mail.body
    assert f"{world.student.name}: week 11, 4 uur" in mail.body
    assert "http://testserver/aftekenen" in mail.body


def test_approved_hours_leave_the_digest(app: FastAPI, db: Session, world: World) -> None:
    signoff.set_digest(db, supervisor_id=world.supervisor.id or 0, daily=True)
    submit_week(app, db, world, (W1, "6"))
    supervisor = db.get(User, world.supervisor.id)
    assert supervisor is not None
    decider = Decider(user_id=supervisor.id or 0, name=supervisor.name, email=supervisor.email)
    hours.approve_week(
        db, decider=decider, student_id=world.student.id, week=hours.week_key(W1), seen_total="6", confirmed=True
    )
    db.commit()
    assert signoff.send_digests(db, now=utcnow(), settings=app.state.settings) == 0
    assert mails_to(db, world.supervisor.email) == []


def test_one_reminder_after_n_days_and_one_escalation_after_m_days(app: FastAPI, db: Session, world: World) -> None:
    settings = app.state.settings
    submit_week(app, db, world, (W1, "7,5"), (W1 + timedelta(days=2), "8"))
    before = len(mails_to(db, world.supervisor.email))  # the mail on submitting
    now = utcnow()
    assert signoff.send_reminders(db, now=now, settings=settings) == (0, 0)
    later = now + timedelta(days=settings.reminder_after_days, minutes=1)
    assert signoff.send_reminders(db, now=later, settings=settings) == (1, 0)  # one mail for the whole week
    db.commit()
    assert signoff.send_reminders(db, now=later + timedelta(hours=1), settings=settings) == (0, 0)  # not twice
    reminders = mails_to(db, world.supervisor.email)[before:]
    assert len(reminders) == 1
    assert "Herinnering" in reminders[0].subject and "week 10" in reminders[0].subject
    assert "15,5 uur praktijk in week 10" in reminders[0].body
    assert mails_to(db, world.coordinator.email) == []
    much_later = now + timedelta(days=settings.escalate_after_days, minutes=1)
    assert signoff.send_reminders(db, now=much_later, settings=settings) == (0, 1)
    db.commit()
    assert signoff.send_reminders(db, now=much_later + timedelta(days=1), settings=settings) == (0, 0)
    (escalation,) = mails_to(db, world.coordinator.email)
    assert "loopt vast" in escalation.subject and world.student.name in escalation.subject
    assert f"/studenten/{world.student.id}/praktijkuren" in escalation.body and world.supervisor.name in escalation.body
    assert mails_to(db, world.other_coordinator.email) == []  # another programme's coordinator hears nothing
    kinds = sorted(r.kind for r in db.exec(select(HoursReminder)).all())
    assert kinds == ["escalatie", "escalatie", "herinnering", "herinnering"]  # per entry: two entries


def test_decided_hours_get_no_reminder(app: FastAPI, db: Session, world: World) -> None:
    settings = app.state.settings
    submit_week(app, db, world, (W1, "3"))
    decider = Decider(user_id=world.supervisor.id or 0, name=world.supervisor.name, email=world.supervisor.email)
    hours.approve_week(
        db, decider=decider, student_id=world.student.id, week=hours.week_key(W1), seen_total="3", confirmed=True
    )
    db.commit()
    much_later = utcnow() + timedelta(days=settings.escalate_after_days, minutes=1)
    assert signoff.send_reminders(db, now=much_later, settings=settings) == (0, 0)


def test_one_digest_lists_requests_and_hours_together(app: FastAPI, db: Session, world: World) -> None:
    from tests.test_signoff import submit

    signoff.set_digest(db, supervisor_id=world.supervisor.id or 0, daily=True)
    db.commit()
    submit(app, db, world, ["JF-d"])
    submit_week(app, db, world, (W1, "5"))
    assert signoff.send_digests(db, now=utcnow(), settings=app.state.settings) == 1
    (mail,) = mails_to(db, world.supervisor.email)
    assert mail.subject == "Dagoverzicht: 1 verzoek(en) om af te tekenen, 1 week praktijkuren om goed te keuren"
    assert "JF-d" in mail.body and f"{world.student.name}: week 10, 5 uur" in mail.body
