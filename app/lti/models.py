"""What LTI 1.3 stores: the registered platforms, the tool's own signing keys, the logins in progress and which
course (context) belongs to which cohort. Who someone is at a platform lives in `sign_in_identity` (issuer, sub),
shared with the school sign-in."""

from datetime import datetime

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import tz_column, utcnow


class LtiPlatform(SQLModel, table=True):
    """A learning environment (Brightspace, Canvas, Moodle) registered by the beheerder."""

    __tablename__ = "lti_platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, sa_column_kwargs={"info": {"personal": False}})
    issuer: str = Field(max_length=500)
    # The id the platform gave this tool; not a person ("client" is flagged by the register's name rules).
    client_id: str = Field(max_length=255, sa_column_kwargs={"info": {"personal": False}})
    # One per line: the platform's deployments of this tool that may launch.
    deployment_ids: str = Field(sa_column=Column(Text, nullable=False, info={"personal": False}))
    auth_login_url: str = Field(max_length=1000)
    token_url: str = Field(max_length=1000)
    jwks_url: str = Field(max_length=1000)
    # The origin (scheme://host[:port]) whose pages may frame the LTI pages.
    frame_origin: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())

    def deployments(self) -> list[str]:
        return [line.strip() for line in self.deployment_ids.splitlines() if line.strip()]


class LtiToolKey(SQLModel, table=True):
    """One of the tool's RSA signing keys. The private key is stored encrypted (AES-GCM under a key derived from
    SECRET_KEY); every key that is not retired is published at /lti/jwks, so two live side by side during a
    rotation and the newest signs."""

    __tablename__ = "lti_tool_key"

    id: int | None = Field(default=None, primary_key=True)
    kid: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    private_key_encrypted: str = Field(sa_column=Column(Text, nullable=False, info={"personal": False}))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    retired_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))


class LtiLaunchState(SQLModel, table=True):
    """One OIDC login started at /lti/login: single use, bound to the browser by a cookie, minutes long."""

    __tablename__ = "lti_launch_state"

    id: int | None = Field(default=None, primary_key=True)
    # SHA-256 of `state` and of the browser cookie: a database reader cannot finish someone else's launch.
    state_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    browser_hash: str = Field(max_length=64)
    nonce: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    platform_id: int = Field(foreign_key="lti_platform.id", index=True)
    # Who started it (sessions.client_hash): a client's launches in progress are limited, each one is a row.
    client_hash: str = Field(default="", max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    expires_at: datetime = Field(sa_column=tz_column(index=True))
    used_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))


class LtiContext(SQLModel, table=True):
    """A course (LTI context) at a platform, and the cohort it belongs to: chosen once, empty until then."""

    __tablename__ = "lti_context"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform_id: int = Field(foreign_key="lti_platform.id", index=True)
    context_id: str = Field(max_length=255)
    title: str | None = Field(default=None, max_length=300)
    cohort_id: int | None = Field(default=None, foreign_key="cohort.id", index=True)
    first_launch_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    linked_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
