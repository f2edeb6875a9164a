"""Queue mail in the request's transaction; deliver it after commit (or from `portfolio worker`)."""

import logging
from email.message import EmailMessage

import aiosmtplib
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import utcnow
from app.notifications.models import OutboxMessage

log = logging.getLogger(__name__)


def queue_mail(session: Session, *, to: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(to_address=to, subject=subject, body=body)
    session.add(message)
    session.flush()
    return message


async def deliver_pending(session: Session, *, settings: Settings, limit: int = 50) -> int:
    """Send unsent messages; without SMTP configured they stay queued (development)."""
    if not settings.smtp_host:
        return 0
    pending = session.exec(
        select(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None)).order_by(col(OutboxMessage.id)).limit(limit)
    ).all()
    sent = 0
    for message in pending:
        email = EmailMessage()
        email["From"] = settings.mail_from
        email["To"] = message.to_address
        email["Subject"] = message.subject
        email.set_content(message.body)
        message.attempts += 1
        try:
            await aiosmtplib.send(
                email,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_user,
                password=settings.smtp_password,
                start_tls=settings.smtp_starttls,
                timeout=20,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Never log the body: it may hold a one-time link.
            message.last_error = type(exc).__name__
            log.warning("mail %s not delivered: %s", message.id, type(exc).__name__)
        else:
            message.sent_at = utcnow()
            sent += 1
        session.add(message)
    session.commit()
    return sent
