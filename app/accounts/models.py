"""People, their roles and their server-side sessions."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import AppendOnly, utcnow
from app.db import tz_column as tz_column  # re-exported: the domain models import it from here


class Role(StrEnum):
    student = "student"
    praktijkbegeleider = "praktijkbegeleider"
    beoordelaar = "beoordelaar"
    coordinator = "opleidingscoordinator"
    beheerder = "beheerder"


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(320), nullable=False, unique=True))
    name: str = Field(max_length=200)
    password_hash: str | None = Field(default=None, max_length=255)
    student_number: str | None = Field(default=None, max_length=50, index=True)
    # eduPersonPrincipalName from the import (user@domain, lower-cased): links a school account (sso_link.py).
    principal_name: str | None = Field(default=None, max_length=255, index=True)
    organisation: str | None = Field(default=None, max_length=200)
    function: str | None = Field(default=None, max_length=200)
    locale: str = Field(default="nl", max_length=5)
    is_active: bool = Field(default=True)
    # Praktijkbegeleiders choose: a mail per submitted item, or one daily digest.
    notify_daily_digest: bool = Field(default=False)
    last_digest_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    # A praktijkbegeleider without an account confirms name and function once, whichever of their links they use.
    identity_confirmed_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    # Activated: the person set a password through a mailed link (welcome or reset) or signed in once. An account
    # made with a password (CLI, demo, tests) counts as activated from the start; an imported one is not, until then.
    activated_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    # Erased on request (or when the records' retention ended): the row stays, pseudonymised.
    erased_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    role: str = Field(max_length=40)


class UserSession(SQLModel, table=True):
    """A row per login: deleting or revoking it ends the session at once, on every instance."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    # SHA-256 of the cookie value: a leaked database does not yield usable cookies.
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    user_id: int = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    expires_at: datetime = Field(sa_column=tz_column())
    revoked_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    # A password login that still owes its second factor: "code" (enter it) or "enrol" (set one up first). Such a
    # session grants nothing but the second-factor pages (app/accounts/second_factor.py).
    pending_step: str | None = Field(default=None, max_length=10)


class TokenKind(StrEnum):
    reset = "reset"  # "Wachtwoord vergeten": a new password, valid for hours
    activation = "activation"  # the welcome mail after an import: the first password, valid for days


class PasswordResetToken(SQLModel, table=True):
    """A single-use link that sets a password; stored as SHA-256 of the token, like sessions."""

    __tablename__ = "password_reset_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    user_id: int = Field(foreign_key="user_account.id", index=True)
    kind: str = Field(default=TokenKind.reset.value, max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    expires_at: datetime = Field(sa_column=tz_column())
    used_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))


class LoginAttempt(SQLModel, AppendOnly, table=True):
    """Failed logins, counted in the database so that the limit holds across instances."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    # Hashed: the table is for counting, not for reading back who tried.
    email_hash: str = Field(max_length=64, index=True)
    client_hash: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=tz_column(index=True))
