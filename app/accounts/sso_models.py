"""Sign-in identities from an OpenID Provider, and the short-lived state of a login in progress."""

from datetime import datetime

from sqlalchemy import Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import tz_column, utcnow


class SignInIdentity(SQLModel, table=True):
    """An (issuer, sub) pair linked to one user: who someone is at the school, never their e-mail address."""

    __tablename__ = "sign_in_identity"
    __table_args__ = (UniqueConstraint("issuer", "sub"),)

    id: int | None = Field(default=None, primary_key=True)
    issuer: str = Field(max_length=500)
    sub: str = Field(max_length=255)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    # Kept claims, refreshed at each sign-in: the institution (for the programme's list), the affiliation (shown
    # to the coordinator, never a role by itself), name and e-mail as the institution knows them.
    schac_home_organization: str | None = Field(default=None, max_length=255)
    eduperson_affiliation: str | None = Field(default=None, max_length=500)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    linked_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    last_login_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))


class SsoLoginState(SQLModel, table=True):
    """One login started at /login/sso/{name}: single use, bound to the browser that started it, minutes long."""

    __tablename__ = "sso_login_state"

    id: int | None = Field(default=None, primary_key=True)
    # SHA-256 of `state` and of the browser cookie: a database reader cannot finish someone else's login.
    state_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    browser_hash: str = Field(max_length=64)
    provider: str = Field(max_length=50)
    nonce: str = Field(max_length=100)
    code_verifier: str = Field(max_length=200)
    next: str = Field(default="/", max_length=2000)
    # Started from a welcome mail's activation link: the account to link on return (the token is taken then).
    activation_token_id: int | None = Field(default=None, foreign_key="password_reset_token.id")
    # Who started it (sessions.client_hash): a client's live logins are limited, each one is a row.
    client_hash: str = Field(default="", max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    expires_at: datetime = Field(sa_column=tz_column(index=True))
