"""Who someone is: the `Actor` that routes and services see, and looking a user up by address or id."""

import hashlib
from dataclasses import dataclass, field

from sqlmodel import Session, select

from app.accounts.models import Role, User, UserRole
from app.accounts.permissions import Permission, permissions_for
from app.db import utcnow
from app.errors import NotFound


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
    # A password login waiting for its second factor ("code" or "enrol"): no permissions until it is given.
    pending_step: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def has_role(self, role: Role) -> bool:
        return role in self.roles


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def roles_of(session: Session, *, user_id: int) -> frozenset[Role]:
    rows = session.exec(select(UserRole.role).where(UserRole.user_id == user_id)).all()
    return frozenset(Role(r) for r in rows)


def get_user_by_email(session: Session, *, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


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


def mark_activated(session: Session, *, user: User) -> None:
    """The rule: an account is activated once its owner set a password through a mailed link or signed in.
    Only the first time counts; granting roles is no part of it (app/cohorts/account_rule.py decides those)."""
    if user.activated_at is None:
        user.activated_at = utcnow()
        session.add(user)
