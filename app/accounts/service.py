"""Accounts: passwords, server-side sessions, login limits, password reset and the welcome mail's activation."""

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pwdlib import PasswordHash
from sqlalchemy import bindparam, case, func
from sqlmodel import Session, col, delete, select, update

from app.accounts.models import LoginAttempt, PasswordResetToken, Role, TokenKind, User, UserRole, UserSession
from app.accounts.permissions import Permission, permissions_for
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


@dataclass(frozen=True)
class Actor:
    """The signed-in person as routes and services see them."""

    id: int
    name: str
    email: str
    locale: str
    roles: frozenset[Role]
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    session_id: int | None = None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def has_role(self, role: Role) -> bool:
        return role in self.roles


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Het wachtwoord moet minstens {MIN_PASSWORD_LENGTH} tekens lang zijn.")


def roles_of(session: Session, *, user_id: int) -> frozenset[Role]:
    rows = session.exec(select(UserRole.role).where(UserRole.user_id == user_id)).all()
    return frozenset(Role(r) for r in rows)


def get_user_by_email(session: Session, *, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


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


# --- login and sessions ---------------------------------------------------------------------------


def client_hash(client: str) -> str:
    """What the per-client limits count under: the address, and for IPv6 its /64 network (one connection usually
    holds a whole /64, so counting single addresses would let a client step around its limit)."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return _digest(client)
    if address.version == 6:
        return _digest(str(ipaddress.ip_network(f"{address}/64", strict=False)))
    return _digest(str(address))


# Signoff's wrong link tokens are counted in the same table under this pseudo address; they are not logins.
LINK_FAILURE_EMAIL = "supervisor-link"


def authenticate_limit_reached(session: Session, *, email: str, client: str, settings: Settings) -> bool:
    """Too many recent failures for this e-mail address from this client, or from this client for any addresses
    (password spraying: one guess for each of many accounts)."""
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    email_hash = _digest(normalise_email(email))
    for_client, for_account = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(case((col(LoginAttempt.email_hash) == email_hash, 1), else_=0)), 0),
        )
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.client_hash == client_hash(client),
            LoginAttempt.email_hash != _digest(LINK_FAILURE_EMAIL),
            col(LoginAttempt.at) >= since,
        )
    ).one()
    return for_account >= settings.login_max_failures or for_client >= settings.login_client_max_failures


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


def record_failed_attempt(session: Session, *, email: str, client: str) -> None:
    session.add(LoginAttempt(email_hash=_digest(normalise_email(email)), client_hash=client_hash(client)))
    session.flush()


def start_session(session: Session, *, user: User, settings: Settings, previous_token: str | None) -> str:
    """Create a new session row and return the cookie value; any previous session is ended (rotation)."""
    assert user.id is not None
    if previous_token:
        end_session(session, token=previous_token)
    mark_activated(session, user=user)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            token_hash=_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_max_hours),
        )
    )
    audit.record(session, actor_id=user.id, action="user.login", object_type="user", object_id=user.id)
    session.flush()
    return token


def end_session(session: Session, *, token: str) -> None:
    session.exec(delete(UserSession).where(col(UserSession.token_hash) == _digest(token)))


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we store is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


# Built once: constructing the statement costs more than SQLite needs to run it.
_SESSION_LOOKUP = (
    select(UserSession, User, UserRole.role)
    .join(User, col(User.id) == UserSession.user_id)
    .outerjoin(UserRole, col(UserRole.user_id) == User.id)
    .where(col(UserSession.token_hash) == bindparam("token_hash"))
)


def resolve_session(session: Session, *, token: str, settings: Settings) -> Actor | None:
    """The actor behind a session cookie, or None when it is unknown, expired, idle or its user disabled."""
    # One query on every signed-in request: the session, its user and their roles (a row per role).
    rows = session.exec(_SESSION_LOOKUP, params={"token_hash": _digest(token)}).all()
    if not rows:
        return None
    user_session, user, _ = rows[0]
    now = utcnow()
    idle_limit = timedelta(minutes=settings.session_idle_minutes)
    if (
        not user.is_active
        or user_session.revoked_at is not None
        or _aware(user_session.expires_at) <= now
        or now - _aware(user_session.last_seen_at) > idle_limit
    ):
        return None
    # Touch at most once a minute: a write per request would serialise page loads on SQLite.
    if now - _aware(user_session.last_seen_at) > timedelta(minutes=1):
        user_session.last_seen_at = now
        session.add(user_session)
    assert user.id is not None
    # The identity map holds objects weakly: keep the signed-in user for the rest of the request, so that a page
    # about the actor themself (a student's own portfolio) finds them there instead of loading them again.
    session.info["signed_in_user"] = user
    roles = frozenset(Role(role) for _, _, role in rows if role is not None)
    return Actor(
        id=user.id,
        name=user.name,
        email=user.email,
        locale=user.locale,
        roles=roles,
        permissions=permissions_for(set(roles)),
        session_id=user_session.id,
    )


def actor_for(session: Session, *, user_id: int) -> Actor:
    """An Actor for a user who acts without a session (a praktijkbegeleider's link)."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound()
    roles = roles_of(session, user_id=user_id)
    return Actor(
        id=user_id,
        name=user.name,
        email=user.email,
        locale=user.locale,
        roles=roles,
        permissions=permissions_for(set(roles)),
    )


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


_INVALID_LINK = "Deze link is ongeldig, verlopen of al gebruikt. Vraag een nieuwe aan."
_INVALID_ACTIVATION = N_(
    "Deze activatielink is ongeldig, verlopen of al gebruikt. Vraag de opleidingscoördinator om een nieuwe "
    "welkomstmail, of stel een wachtwoord in via 'Wachtwoord vergeten'."
)
_INVALID = {TokenKind.reset: _INVALID_LINK, TokenKind.activation: _INVALID_ACTIVATION}


def _valid_reset(session: Session, *, token: str, kind: TokenKind = TokenKind.reset) -> PasswordResetToken | None:
    reset = session.exec(select(PasswordResetToken).where(PasswordResetToken.token_hash == _digest(token))).first()
    if reset is None or reset.kind != kind.value or reset.used_at is not None or _aware(reset.expires_at) <= utcnow():
        return None
    return reset


def check_reset_token(session: Session, *, token: str, kind: TokenKind = TokenKind.reset) -> None:
    """Looking at the link changes nothing (mail scanners prefetch links)."""
    if _valid_reset(session, token=token, kind=kind) is None:
        raise NotFound(_INVALID[kind])


def _consume_reset(session: Session, *, token: str, kind: TokenKind) -> PasswordResetToken:
    """Mark the token used with one conditional UPDATE: of two concurrent uses exactly one changes the row (the
    other waits for the row or write lock, then finds `used_at` set). Reading first and writing later would let
    both see an unused token."""
    now = utcnow()
    consumed = session.exec(
        update(PasswordResetToken)
        .where(
            col(PasswordResetToken.token_hash) == _digest(token),
            col(PasswordResetToken.kind) == kind.value,
            col(PasswordResetToken.used_at).is_(None),
        )
        .values(used_at=now)
    )
    reset = session.exec(select(PasswordResetToken).where(PasswordResetToken.token_hash == _digest(token))).first()
    # An expired token is refused; the request rolls back, so the UPDATE above does not stick.
    if consumed.rowcount != 1 or reset is None or _aware(reset.expires_at) <= now:
        raise NotFound(_INVALID[kind])
    return reset


def reset_password(session: Session, *, token: str, password: str, kind: TokenKind = TokenKind.reset) -> None:
    """Set the password through a mailed link (a reset, or with `kind=activation` the welcome mail's)."""
    if _valid_reset(session, token=token, kind=kind) is None:
        raise NotFound(_INVALID[kind])
    check_password_rules(password)
    # Hashed before the token is taken, so the write lock is held only for the short updates.
    new_hash = hash_password(password)
    reset = _consume_reset(session, token=token, kind=kind)
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


# --- activation (the welcome mail after an import) -------------------------------------------------------------


def mark_activated(session: Session, *, user: User) -> None:
    """The rule: an account is activated once its owner set a password through a mailed link or signed in.
    Only the first time counts; granting roles is no part of it (app/cohorts/account_rule.py decides those)."""
    if user.activated_at is None:
        user.activated_at = utcnow()
        session.add(user)


def _welcome_mail(*, name: str, email: str, token: str, settings: Settings) -> str:
    link = f"{settings.base_url.rstrip('/')}/activeren/{token}"
    return (
        f"Beste {name},\n\nDe opleiding heeft een account voor u aangemaakt in het jobcoach-portfolio "
        f"(e-mailadres: {email}).\n\nVia deze link activeert u uw account en stelt u uw wachtwoord in:\n{link}\n\n"
        f"De link werkt één keer en is {settings.activation_link_days} dagen geldig. Is hij verlopen? Vraag de "
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
            token_hash=_digest(token),
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
