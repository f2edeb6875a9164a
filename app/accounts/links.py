"""Mailed single-use links: checking and taking a reset or activation token, and the welcome mail that sends one."""

import secrets
from datetime import timedelta

from sqlmodel import Session, col, select, update

from app.accounts import sso
from app.accounts.identity import digest
from app.accounts.models import PasswordResetToken, TokenKind, User
from app.audit import service as audit
from app.config import Settings
from app.db import as_utc, utcnow
from app.errors import InvalidInput, NotFound
from app.i18n import N_
from app.notifications import service as notifications

_INVALID_LINK = "Deze link is ongeldig, verlopen of al gebruikt. Vraag een nieuwe aan."
_INVALID_ACTIVATION = N_(
    "Deze activatielink is ongeldig, verlopen of al gebruikt. Vraag de opleidingscoördinator om een nieuwe "
    "welkomstmail, of stel een wachtwoord in via 'Wachtwoord vergeten'."
)
INVALID_TOKEN = {TokenKind.reset: _INVALID_LINK, TokenKind.activation: _INVALID_ACTIVATION}


def valid_token(session: Session, *, token: str, kind: TokenKind = TokenKind.reset) -> PasswordResetToken | None:
    reset = session.exec(select(PasswordResetToken).where(PasswordResetToken.token_hash == digest(token))).first()
    if reset is None or reset.kind != kind.value or reset.used_at is not None or as_utc(reset.expires_at) <= utcnow():
        return None
    return reset


def check_reset_token(session: Session, *, token: str, kind: TokenKind = TokenKind.reset) -> None:
    """Looking at the link changes nothing (mail scanners prefetch links)."""
    if valid_token(session, token=token, kind=kind) is None:
        raise NotFound(INVALID_TOKEN[kind])


def take_token(session: Session, *, token: str, kind: TokenKind) -> PasswordResetToken:
    """Mark the token used with one conditional UPDATE: of two concurrent uses exactly one changes the row (the
    other waits for the row or write lock, then finds `used_at` set). Reading first and writing later would let
    both see an unused token."""
    now = utcnow()
    consumed = session.exec(
        update(PasswordResetToken)
        .where(
            col(PasswordResetToken.token_hash) == digest(token),
            col(PasswordResetToken.kind) == kind.value,
            col(PasswordResetToken.used_at).is_(None),
        )
        .values(used_at=now)
    )
    reset = session.exec(select(PasswordResetToken).where(PasswordResetToken.token_hash == digest(token))).first()
    # An expired token is refused; the request rolls back, so the UPDATE above does not stick.
    if consumed.rowcount != 1 or reset is None or as_utc(reset.expires_at) <= now:
        raise NotFound(INVALID_TOKEN[kind])
    return reset


def _welcome_mail(*, name: str, email: str, token: str, settings: Settings) -> str:
    link = f"{settings.base_url.rstrip('/')}/activeren/{token}"
    # The activation page offers each configured school account (sso_routes); say so only when there is one.
    names = [p.display_name for p in sso.providers(settings).values()]
    school = (
        f"U kunt ook inloggen met {' of '.join(names)}: kies dat op de pagina achter de link, dan koppelt u uw "
        "schoolaccount aan dit account.\n\n"
        if names
        else ""
    )
    return (
        f"Beste {name},\n\nDe opleiding heeft een account voor u aangemaakt in het jobcoach-portfolio "
        f"(e-mailadres: {email}).\n\nVia deze link activeert u uw account en stelt u uw wachtwoord in:\n{link}\n\n"
        f"{school}De link werkt één keer en is {settings.activation_link_days} dagen geldig. Is hij verlopen? Vraag de "
        "opleidingscoördinator om een nieuwe welkomstmail, of stel een wachtwoord in via 'Wachtwoord vergeten' op "
        "de inlogpagina.\n"
    )


def send_welcome(session: Session, *, user: User, settings: Settings, actor_id: int | None) -> None:
    """Queue the welcome mail with a new single-use activation link, in the caller's transaction (a failed import
    rolls it back with everything else). Any earlier activation link of this account stops working."""
    assert user.id is not None
    if user.activated_at is not None:
        raise InvalidInput(N_("Dit account is al geactiveerd. Vergeten wachtwoord? Gebruik 'Wachtwoord vergeten'."))
    if not user.is_active or user.erased_at is not None:
        raise InvalidInput(N_("Dit account is geblokkeerd of gewist; er gaat geen welkomstmail naartoe."))
    now = utcnow()
    session.exec(
        update(PasswordResetToken)
        .where(
            col(PasswordResetToken.user_id) == user.id,
            col(PasswordResetToken.kind) == TokenKind.activation.value,
            col(PasswordResetToken.used_at).is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordResetToken(
            token_hash=digest(token),
            user_id=user.id,
            kind=TokenKind.activation.value,
            created_at=now,
            expires_at=now + timedelta(days=settings.activation_link_days),
        )
    )
    notifications.queue_mail(
        session,
        to=user.email,
        subject="Welkom bij het jobcoach-portfolio: activeer uw account",
        body=_welcome_mail(name=user.name, email=user.email, token=token, settings=settings),
    )
    audit.record(session, actor_id=actor_id, action="user.welcome_sent", object_type="user", object_id=user.id)
    session.flush()
