"""Accounts: passwords, creating and blocking users, and the password reset.

Who someone is (`Actor`, lookups) lives in `app.accounts.identity`, signing in and sessions in
`app.accounts.sessions`, the mailed links' tokens and the welcome mail in `app.accounts.links`; they are
re-exported here, so callers keep `from app.accounts import service as accounts`. The password hasher stays in
this module (tests swap `_hasher` for a fast one), and so does everything that hashes or checks a password.
"""

import secrets
from datetime import timedelta

from pwdlib import PasswordHash
from sqlmodel import Session, col, delete, select, update

from app.accounts.identity import Actor as Actor
from app.accounts.identity import actor_for as actor_for
from app.accounts.identity import digest as _digest  # this name: a test counts its calls
from app.accounts.identity import get_user_by_email as get_user_by_email
from app.accounts.identity import mark_activated as mark_activated
from app.accounts.identity import normalise_email as normalise_email
from app.accounts.identity import roles_of as roles_of
from app.accounts.links import INVALID_TOKEN, take_token, valid_token
from app.accounts.links import check_reset_token as check_reset_token
from app.accounts.links import send_welcome as send_welcome
from app.accounts.models import PasswordResetToken, Role, TokenKind, User, UserRole, UserSession
from app.accounts.sessions import LINK_FAILURE_EMAIL as LINK_FAILURE_EMAIL
from app.accounts.sessions import authenticate_limit_reached as authenticate_limit_reached
from app.accounts.sessions import client_hash as client_hash
from app.accounts.sessions import end_session as end_session
from app.accounts.sessions import record_failed_attempt as record_failed_attempt
from app.accounts.sessions import resolve_session as resolve_session
from app.accounts.sessions import start_session as start_session
from app.audit import service as audit
from app.config import Settings
from app.db import utcnow
from app.errors import Forbidden, InvalidInput, NotFound, TooManyRequests
from app.i18n import N_
from app.notifications import service as notifications

_hasher = PasswordHash.recommended()  # argon2id
# Verifying against a dummy hash when the e-mail is unknown keeps login timing uniform.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Het wachtwoord moet minstens {MIN_PASSWORD_LENGTH} tekens lang zijn.")


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    roles: set[Role],
    password: str | None = None,
    student_number: str | None = None,
    organisation: str | None = None,
    function: str | None = None,
    actor_id: int | None = None,
) -> User:
    email = normalise_email(email)
    if get_user_by_email(session, email=email):
        raise InvalidInput(f"Er bestaat al een account met e-mailadres {email}.")
    if password is not None:
        check_password_rules(password)
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password) if password else None,
        # Whoever made it with a password handed it over themselves (CLI, demo): nothing left to activate.
        activated_at=utcnow() if password else None,
        student_number=student_number,
        organisation=organisation,
        function=function,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    for role in sorted(roles):
        session.add(UserRole(user_id=user.id, role=role.value))
    audit.record(
        session,
        actor_id=actor_id,
        action="user.created",
        object_type="user",
        object_id=user.id,
        data={"roles": sorted(r.value for r in roles)},
    )
    session.flush()
    return user


def add_role(session: Session, *, user_id: int, role: Role, actor_id: int | None = None) -> None:
    if role not in roles_of(session, user_id=user_id):
        session.add(UserRole(user_id=user_id, role=role.value))
        audit.record(
            session,
            actor_id=actor_id,
            action="user.role_added",
            object_type="user",
            object_id=user_id,
            data={"role": role.value},
        )
        session.flush()


def list_users(session: Session) -> list[tuple[User, frozenset[Role]]]:
    users = session.exec(select(User).order_by(User.name)).all()
    roles: dict[int, set[Role]] = {}
    for user_id, role in session.exec(select(UserRole.user_id, UserRole.role)).all():
        roles.setdefault(user_id, set()).add(Role(role))
    return [(u, frozenset(roles.get(u.id or 0, set()))) for u in users]


# --- login ---------------------------------------------------------------------------------------------


class AccountBlocked(Forbidden):
    default_message = N_("Uw account is geblokkeerd. Neem contact op met de beheerder van uw opleiding.")


def authenticate(session: Session, *, email: str, password: str, client: str, settings: Settings) -> User | None:
    """Return the user for valid credentials; record a failure otherwise.

    Raises TooManyRequests once the failures for this e-mail from this client, or from this client for any
    addresses, pass their limit, before the password is even checked.
    """
    if authenticate_limit_reached(session, email=email, client=client, settings=settings):
        raise TooManyRequests(
            f"Te veel mislukte inlogpogingen. Probeer het over {settings.login_window_minutes} minuten opnieuw."
        )
    user = get_user_by_email(session, email=email)
    valid = _hasher.verify(password, user.password_hash if user and user.password_hash else _DUMMY_HASH)
    if user is None or user.password_hash is None or not valid:
        record_failed_attempt(session, email=email, client=client)
        return None
    if not user.is_active:
        # Only after the right password: a wrong one gets the same answer as for any account (no enumeration).
        raise AccountBlocked()
    return user


def set_active(session: Session, *, user_id: int, active: bool, actor_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Deze gebruiker bestaat niet.")
    if user_id == actor_id and not active:
        raise InvalidInput("U kunt uw eigen account niet blokkeren.")
    user.is_active = active
    session.add(user)
    if not active:
        # Disabling ends every session at once, not at the next expiry.
        session.exec(delete(UserSession).where(col(UserSession.user_id) == user_id))
    audit.record(
        session,
        actor_id=actor_id,
        action="user.enabled" if active else "user.disabled",
        object_type="user",
        object_id=user_id,
    )
    session.flush()
    return user


def set_locale(session: Session, *, user_id: int, locale: str) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.locale = locale
        session.add(user)
        session.flush()


# --- password reset -------------------------------------------------------------------------------


def _reset_mail(*, name: str, token: str, settings: Settings) -> str:
    link = f"{settings.base_url.rstrip('/')}/wachtwoord-herstellen/{token}"
    return (
        f"Beste {name},\n\nVia deze link stelt u een nieuw wachtwoord in voor het jobcoach-portfolio:\n"
        f"{link}\n\nDe link werkt één keer en verloopt na {settings.password_reset_hours} uur. "
        "Heeft u dit niet aangevraagd? Dan kunt u dit bericht negeren.\n"
    )


def request_password_reset(session: Session, *, email: str, settings: Settings) -> None:
    """Mail a single-use link if the account exists; the caller says the same thing either way.

    An unknown address goes through the same steps (token, digest, mail text, a lookup of the digest), so that
    the answer's timing does not tell which addresses have an account; only the rows are not written.
    """
    user = get_user_by_email(session, email=email)
    known = user is not None and user.is_active
    token = secrets.token_urlsafe(32)
    token_hash = _digest(token)
    body = _reset_mail(name=user.name if user else "", token=token, settings=settings)
    # The same indexed read on both paths (a collision of 256 random bits does not happen; this is for timing).
    session.exec(select(PasswordResetToken.id).where(PasswordResetToken.token_hash == token_hash)).first()
    if not known:
        return
    assert user is not None and user.id is not None
    session.add(
        PasswordResetToken(
            token_hash=token_hash,
            user_id=user.id,
            expires_at=utcnow() + timedelta(hours=settings.password_reset_hours),
        )
    )
    notifications.queue_mail(session, to=user.email, subject="Nieuw wachtwoord instellen", body=body)
    audit.record(session, actor_id=None, action="user.password_reset_requested", object_type="user", object_id=user.id)
    session.flush()


def reset_password(session: Session, *, token: str, password: str, kind: TokenKind = TokenKind.reset) -> None:
    """Set the password through a mailed link (a reset, or with `kind=activation` the welcome mail's)."""
    if valid_token(session, token=token, kind=kind) is None:
        raise NotFound(INVALID_TOKEN[kind])
    check_password_rules(password)
    # Hashed before the token is taken, so the write lock is held only for the short updates.
    new_hash = hash_password(password)
    reset = take_token(session, token=token, kind=kind)
    user = session.get(User, reset.user_id)
    assert user is not None
    user.password_hash = new_hash
    session.add(user)
    mark_activated(session, user=user)
    # Every other link of this account dies with it: an older mail in someone's inbox no longer works.
    session.exec(
        update(PasswordResetToken)
        .where(col(PasswordResetToken.user_id) == user.id, col(PasswordResetToken.used_at).is_(None))
        .values(used_at=reset.used_at)
    )
    # A new password ends every open session: whoever knew the old one is out.
    session.exec(delete(UserSession).where(col(UserSession.user_id) == user.id))
    action = "user.activated" if kind is TokenKind.activation else "user.password_reset"
    audit.record(session, actor_id=user.id, action=action, object_type="user", object_id=user.id)
    session.flush()
