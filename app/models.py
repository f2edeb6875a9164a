"""Every table, imported in one place for Alembic and the tests."""

from app.accounts.models import LoginAttempt, PasswordResetToken, User, UserRole, UserSession
from app.audit.models import AuditEvent
from app.cohorts.models import Cohort, Enrolment, Programme, ProgrammeCoordinator
from app.notifications.models import OutboxMessage

__all__ = [
    "AuditEvent",
    "Cohort",
    "Enrolment",
    "LoginAttempt",
    "OutboxMessage",
    "PasswordResetToken",
    "Programme",
    "ProgrammeCoordinator",
    "User",
    "UserRole",
    "UserSession",
]
