"""Personal links for praktijkbegeleiders without an account: one per person, found by its hashed token, extended
on use, asked for again, revoked; confirming who they are through one, and turning one into an account."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import LoginAttempt, User
from app.audit import service as audit
from app.cohorts.models import Enrolment
from app.config import Settings
from app.db import as_utc, utcnow
from app.errors import InvalidInput, TooManyRequests
from app.i18n import N_
from app.notifications import service as notifications
from app.signoff.decisions import Decider
from app.signoff.models import SupervisorLink

LINK_GONE = N_(
    "Deze link is ongeldig, verlopen of ingetrokken. Vraag een nieuwe aan op /aftekenlink, of vraag de student of de "
    "opleiding erom."
)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def create_link(session: Session, *, supervisor_id: int, created_by_id: int | None, settings: Settings) -> str:
    token = secrets.token_urlsafe(32)  # 256 bits: not guessable, and only its hash is stored
    session.add(
        SupervisorLink(
            token_hash=_digest(token),
            supervisor_id=supervisor_id,
            created_by_id=created_by_id,
            expires_at=utcnow() + timedelta(days=settings.supervisor_link_days),
        )
    )
    session.flush()
    return token


def active_link(session: Session, *, supervisor_id: int) -> SupervisorLink | None:
    """The supervisor's newest link that still works (not revoked, not expired), if any."""
    return session.exec(
        select(SupervisorLink)
        .where(
            SupervisorLink.supervisor_id == supervisor_id,
            col(SupervisorLink.revoked_at).is_(None),
            col(SupervisorLink.expires_at) > utcnow(),
        )
        .order_by(col(SupervisorLink.expires_at).desc(), col(SupervisorLink.id).desc())
    ).first()


def _extend(link: SupervisorLink, settings: Settings) -> None:
    link.expires_at = max(as_utc(link.expires_at), utcnow() + timedelta(days=settings.supervisor_link_days))


def link_or_reuse(
    session: Session, *, supervisor_id: int, created_by_id: int | None, settings: Settings
) -> str | SupervisorLink:
    """One active link per praktijkbegeleider. Tokens are stored hashed, so an existing link's address cannot be
    put in a new mail; rather than mail a fresh link for every request (which would pile up live links, and make
    the praktijkbegeleider wonder which one counts), a mail points to the link they already have and extends it
    by the usual term; it is extended on use too. Only when none works any more is a new one made (the raw token
    is returned, to be mailed). A lost link is asked for again at /aftekenlink; revoking still ends them all."""
    existing = active_link(session, supervisor_id=supervisor_id)
    if existing is None:
        return create_link(session, supervisor_id=supervisor_id, created_by_id=created_by_id, settings=settings)
    _extend(existing, settings)
    session.add(existing)
    session.flush()
    return existing


def reuse_text(settings: Settings, link: SupervisorLink) -> str:
    """The mail's line for a praktijkbegeleider who already has a working link (mails are Dutch, like the rest)."""
    return (
        f"Gebruik de persoonlijke link uit uw eerdere e-mail van ons; die is nu geldig tot "
        f"{as_utc(link.expires_at):%d-%m-%Y}.\n"
        f"Kunt u die e-mail niet meer vinden? Vraag hier een nieuwe link aan: "
        f"{settings.base_url.rstrip('/')}/aftekenlink"
    )


def link_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/link/{token}"


def find_link(session: Session, *, token: str) -> tuple[SupervisorLink, User] | None:
    """The link and its supervisor if valid. Reading only: opening a link (GET/HEAD) changes nothing."""
    if len(token) > 200:
        return None
    row = session.exec(
        select(SupervisorLink, User)
        .join(User, col(User.id) == SupervisorLink.supervisor_id)
        .where(SupervisorLink.token_hash == _digest(token))
    ).first()
    if row is None:
        return None
    link, user = row
    if link.revoked_at is not None or as_utc(link.expires_at) <= utcnow() or not user.is_active:
        return None
    return link, user


def link_failures_exceeded(session: Session, *, client: str, settings: Settings) -> bool:
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    count = session.exec(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.email_hash == _digest(accounts.LINK_FAILURE_EMAIL),
            LoginAttempt.client_hash == accounts.client_hash(client),
            col(LoginAttempt.at) >= since,
        )
    ).one()
    return count >= settings.link_max_failures


def record_link_failure(session: Session, *, client: str) -> None:
    session.add(LoginAttempt(email_hash=_digest(accounts.LINK_FAILURE_EMAIL), client_hash=accounts.client_hash(client)))
    session.flush()


def check_link_rate(session: Session, *, client: str, settings: Settings) -> None:
    if link_failures_exceeded(session, client=client, settings=settings):
        raise TooManyRequests(N_("Te veel ongeldige links geprobeerd. Probeer het later opnieuw."))


def identity_confirmed(user: User) -> bool:
    """Name and function are confirmed once per person: a second link of the same praktijkbegeleider does not ask."""
    return user.identity_confirmed_at is not None


def confirm_identity(session: Session, *, link: SupervisorLink, name: str, function: str) -> None:
    name, function = name.strip(), function.strip()
    if not name or len(name) > 200:
        raise InvalidInput(N_("Vul uw naam in."))
    if not function or len(function) > 200:
        raise InvalidInput(N_("Vul uw functie in."))
    user = session.get(User, link.supervisor_id)
    assert user is not None
    now = utcnow()
    user.name, user.function = name, function
    user.identity_confirmed_at = now
    link.confirmed_at = now  # through which link they confirmed
    session.add_all([user, link])
    audit.record(
        session, actor_id=user.id, action="supervisor_link.confirmed", object_type="supervisor_link", object_id=link.id
    )
    session.flush()


def mark_used(session: Session, *, link: SupervisorLink, settings: Settings | None = None) -> None:
    """A decision through the link: noted, and the link extended by the usual term (a link in use stays valid)."""
    link.last_used_at = utcnow()
    if settings is not None:
        _extend(link, settings)
    session.add(link)


def link_decider(link: SupervisorLink, user: User) -> Decider:
    return Decider(user_id=user.id or 0, name=user.name, email=user.email, function=user.function, via_link_id=link.id)


def revoke_links(session: Session, *, supervisor_id: int, actor_id: int) -> int:
    links = session.exec(
        select(SupervisorLink).where(
            SupervisorLink.supervisor_id == supervisor_id, col(SupervisorLink.revoked_at).is_(None)
        )
    ).all()
    for link in links:
        link.revoked_at = utcnow()
        session.add(link)
    audit.record(
        session,
        actor_id=actor_id,
        action="supervisor_link.revoked",
        object_type="user",
        object_id=supervisor_id,
        data={"links": len(links)},
    )
    session.flush()
    return len(links)


def request_new_link(session: Session, *, email: str, settings: Settings) -> None:
    """A praktijkbegeleider who lost the mail with their link asks for a new one: mailed if the address belongs
    to someone who currently guides a student; the caller answers the same either way. Earlier links keep working
    (losing a mail is no reason to end them; the opleiding can revoke them)."""
    user = accounts.get_user_by_email(session, email=email)
    if user is None or not user.is_active or user.id is None:
        return
    guides = session.exec(
        select(Enrolment.id).where(Enrolment.supervisor_id == user.id, col(Enrolment.left_at).is_(None))
    ).first()
    if guides is None:
        return
    token = create_link(session, supervisor_id=user.id, created_by_id=None, settings=settings)
    notifications.queue_mail(
        session,
        to=user.email,
        subject="Uw nieuwe persoonlijke link om af te tekenen",
        body=(
            f"Beste {user.name},\n\nU vroeg om een nieuwe persoonlijke link. Hiermee ziet u wat er voor u "
            f"klaarstaat:\n{link_url(settings, token)}\n\nDe link is {settings.supervisor_link_days} dagen geldig. "
            "Deel hem niet met anderen. Vroeg u hier niet om, dan kunt u deze e-mail negeren.\n"
        ),
    )
    audit.record(session, actor_id=None, action="supervisor_link.requested", object_type="user", object_id=user.id)
    session.flush()


def turn_into_account(session: Session, *, link: SupervisorLink, password: str) -> User:
    accounts.check_password_rules(password)
    user = session.get(User, link.supervisor_id)
    assert user is not None
    user.password_hash = accounts.hash_password(password)
    session.add(user)
    audit.record(
        session, actor_id=user.id, action="supervisor_link.account_created", object_type="user", object_id=user.id
    )
    session.flush()
    return user


def portal_line(session: Session, *, supervisor: User, settings: Settings) -> str:
    """Where the supervisor acts: their list if they can log in, else their personal link (a new one only when
    they have none that works; see `link_or_reuse`)."""
    if supervisor.password_hash:
        return f"{settings.base_url.rstrip('/')}/aftekenen"
    made = link_or_reuse(session, supervisor_id=supervisor.id or 0, created_by_id=None, settings=settings)
    return link_url(settings, made) if isinstance(made, str) else reuse_text(settings, made)
