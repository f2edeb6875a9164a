"""Every table, imported in one place for Alembic and the tests."""

from app.accounts.models import LoginAttempt, PasswordResetToken, User, UserRole, UserSession
from app.assessment.models import Assessment, SubstituteApproval
from app.audit.models import AuditChainHead, AuditEvent
from app.cohorts.models import Cohort, Enrolment, Programme, ProgrammeCoordinator
from app.evidence.models import Blob, Evidence, EvidenceFile, EvidenceLink, EvidenceVersion, Slot, Submission
from app.notifications.models import OutboxMessage
from app.readiness.models import Dossier, ReadinessEvent
from app.signoff.models import Reminder, SignOff, SupervisorLink

__all__ = [
    "Assessment",
    "AuditChainHead",
    "AuditEvent",
    "Blob",
    "Cohort",
    "Dossier",
    "Enrolment",
    "Evidence",
    "EvidenceFile",
    "EvidenceLink",
    "EvidenceVersion",
    "LoginAttempt",
    "OutboxMessage",
    "PasswordResetToken",
    "Programme",
    "ProgrammeCoordinator",
    "ReadinessEvent",
    "Reminder",
    "SignOff",
    "Slot",
    "Submission",
    "SubstituteApproval",
    "SupervisorLink",
    "User",
    "UserRole",
    "UserSession",
]
