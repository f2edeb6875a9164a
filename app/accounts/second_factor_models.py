"""A second factor for password logins: the TOTP secret (encrypted) and the single-use recovery codes (hashed)."""

from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from app.db import tz_column, utcnow


class SecondFactor(SQLModel, table=True):
    """One authenticator app per person. Unconfirmed until a code from it was entered once; only a confirmed
    factor is asked for at login."""

    __tablename__ = "second_factor"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", unique=True)
    # AES-GCM under a key derived from SECRET_KEY, the user's id bound in: a leaked database yields no secrets.
    secret: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    confirmed_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    # The 30-second step of the last accepted code: the same code (or an older one) is not accepted twice.
    last_step: int | None = Field(default=None)


class RecoveryCode(SQLModel, table=True):
    """Ten per person, shown once; stored as SHA-256, each works once."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    code_hash: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    used_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
