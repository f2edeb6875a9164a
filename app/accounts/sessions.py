"""Signing in and staying signed in: login limits per client, server-side sessions and resolving the cookie."""

import ipaddress
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, case, func
from sqlmodel import Session, col, delete, select

from app.accounts.identity import Actor, digest, mark_activated, normalise_email
from app.accounts.models import LoginAttempt, Role, User, UserRole, UserSession
from app.accounts.permissions import permissions_for
from app.audit import service as audit
from app.config import Settings
from app.db import as_utc, utcnow


def client_hash(client: str) -> str:
    """What the per-client limits count under: the address, and for IPv6 its /64 network (one connection usually
    holds a whole /64, so counting single addresses would let a client step around its limit)."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return digest(client)
    if address.version == 6:
        return digest(str(ipaddress.ip_network(f"{address}/64", strict=False)))
    return digest(str(address))


# Signoff's wrong link tokens are counted in the same table under this pseudo address; they are not logins.
LINK_FAILURE_EMAIL = "supervisor-link"


def authenticate_limit_reached(session: Session, *, email: str, client: str, settings: Settings) -> bool:
    """Too many recent failures for this e-mail address from this client, or from this client for any addresses
    (password spraying: one guess for each of many accounts)."""
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    email_hash = digest(normalise_email(email))
    for_client, for_account = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(case((col(LoginAttempt.email_hash) == email_hash, 1), else_=0)), 0),
        )
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.client_hash == client_hash(client),
            LoginAttempt.email_hash != digest(LINK_FAILURE_EMAIL),
            col(LoginAttempt.at) >= since,
        )
    ).one()
    return for_account >= settings.login_max_failures or for_client >= settings.login_client_max_failures


def record_failed_attempt(session: Session, *, email: str, client: str) -> None:
    session.add(LoginAttempt(email_hash=digest(normalise_email(email)), client_hash=client_hash(client)))
    session.flush()


def start_session(
    session: Session, *, user: User, settings: Settings, previous_token: str | None, pending_step: str | None = None
) -> str:
    """Create a new session row and return the cookie value; any previous session is ended (rotation).
    `pending_step`: the login still owes its second factor (app/accounts/second_factor.py)."""
    assert user.id is not None
    if previous_token:
        end_session(session, token=previous_token)
    mark_activated(session, user=user)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            token_hash=digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_max_hours),
            pending_step=pending_step,
        )
    )
    data = {"pending_step": pending_step} if pending_step else None
    audit.record(session, actor_id=user.id, action="user.login", object_type="user", object_id=user.id, data=data)
    session.flush()
    return token


def end_session(session: Session, *, token: str) -> None:
    session.exec(delete(UserSession).where(col(UserSession.token_hash) == digest(token)))


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
    rows = session.exec(_SESSION_LOOKUP, params={"token_hash": digest(token)}).all()
    if not rows:
        return None
    user_session, user, _ = rows[0]
    now = utcnow()
    idle_limit = timedelta(minutes=settings.session_idle_minutes)
    if (
        not user.is_active
        or user_session.revoked_at is not None
        or as_utc(user_session.expires_at) <= now
        or now - as_utc(user_session.last_seen_at) > idle_limit
        # A login waiting for its second factor lasts as long as the login limit's window, no longer.
        or (
            user_session.pending_step is not None
            and now - as_utc(user_session.created_at) > timedelta(minutes=settings.login_window_minutes)
        )
    ):
        return None
    # Touch at most once a minute: a write per request would serialise page loads on SQLite.
    if now - as_utc(user_session.last_seen_at) > timedelta(minutes=1):
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
        # A pending second factor grants nothing: only the second-factor pages take such an actor.
        permissions=frozenset() if user_session.pending_step else permissions_for(set(roles)),
        session_id=user_session.id,
        pending_step=user_session.pending_step,
    )
