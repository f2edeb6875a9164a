"""The daily digest: one mail a day, instead of one per request, for praktijkbegeleiders who chose it."""

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.config import Settings
from app.db import as_utc
from app.notifications import service as notifications
from app.signoff import hooks
from app.signoff.links import portal_line
from app.signoff.pending import open_submissions


def set_digest(session: Session, *, supervisor_id: int, daily: bool) -> None:
    user = session.get(User, supervisor_id)
    assert user is not None
    user.notify_daily_digest = daily
    session.add(user)
    session.flush()


def send_digests(session: Session, *, now: datetime, settings: Settings) -> int:
    """One mail a day for praktijkbegeleiders who chose the digest, listing what waits for them (requests to sign
    off, then what higher domains add through `hooks.digest`: weeks of praktijkuren to approve)."""
    sent = 0
    supervisors = session.exec(select(User).where(col(User.notify_daily_digest).is_(True), col(User.is_active))).all()
    for supervisor in supervisors:
        if supervisor.last_digest_at and now - as_utc(supervisor.last_digest_at) < timedelta(hours=23):
            continue
        waiting = open_submissions(session, supervisor_id=supervisor.id or 0)
        parts: list[hooks.DigestPart] = []
        if waiting:
            parts.append(
                hooks.DigestPart(
                    subject=f"{len(waiting)} verzoek(en) om af te tekenen",
                    heading="Dit wacht op uw aftekening",
                    lines=[
                        f"- {r.student_name}: {r.eindterm_code} (sinds {as_utc(r.submitted_at):%d-%m-%Y})"
                        for r in waiting
                    ],
                )
            )
        hooks.digest(session, supervisor, parts)
        if not parts:
            continue
        notifications.queue_mail(
            session,
            to=supervisor.email,
            subject=f"Dagoverzicht: {', '.join(p.subject for p in parts)}",
            body=(
                f"Beste {supervisor.name},\n\n"
                + "".join(p.text for p in parts)
                + f"{portal_line(session, supervisor=supervisor, settings=settings)}\n"
            ),
        )
        supervisor.last_digest_at = now
        session.add(supervisor)
        sent += 1
    session.flush()
    return sent
