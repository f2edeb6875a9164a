"""Every table, imported in one place for Alembic and the tests."""

from app.accounts.models import LoginAttempt, PasswordResetToken, User, UserRole, UserSession
from app.accounts.second_factor_models import RecoveryCode, SecondFactor
from app.accounts.sso_models import SignInIdentity, SsoLoginState
from app.assessment.models import Assessment, SubstituteApproval
from app.audit.models import AuditChainHead, AuditEvent
from app.cohorts.models import Cohort, Enrolment, Programme, ProgrammeCoordinator, SupervisorAssignment
from app.cohorts.sso_institutions import ProgrammeInstitution
from app.development.models import DevelopmentEntry, DevelopmentWithdrawal, EvidenceMethod
from app.evidence.models import (
    Blob,
    Evidence,
    EvidenceFile,
    EvidenceLink,
    EvidenceVersion,
    SelfAssessment,
    Slot,
    Submission,
)
from app.hours.models import HoursDecision, HoursReminder, PracticeHours
from app.lti.models import LtiContext, LtiLaunchState, LtiPlatform, LtiToolKey
from app.notifications.models import OutboxMessage
from app.privacy.models import AccessEvent, PrivacyExport
from app.readiness.models import Dossier, ReadinessEvent
from app.signoff.models import Reminder, SignOff, SupervisorLink

__all__ = [
    "AccessEvent",
    "Assessment",
    "AuditChainHead",
    "AuditEvent",
    "Blob",
    "Cohort",
    "DevelopmentEntry",
    "DevelopmentWithdrawal",
    "Dossier",
    "Enrolment",
    "Evidence",
    "EvidenceFile",
    "EvidenceLink",
    "EvidenceMethod",
    "EvidenceVersion",
    "HoursDecision",
    "HoursReminder",
    "LoginAttempt",
    "LtiContext",
    "LtiLaunchState",
    "LtiPlatform",
    "LtiToolKey",
    "OutboxMessage",
    "PasswordResetToken",
    "PracticeHours",
    "PrivacyExport",
    "Programme",
    "ProgrammeCoordinator",
    "ProgrammeInstitution",
    "ReadinessEvent",
    "RecoveryCode",
    "Reminder",
    "SecondFactor",
    "SelfAssessment",
    "SignInIdentity",
    "SignOff",
    "Slot",
    "SsoLoginState",
    "Submission",
    "SubstituteApproval",
    "SupervisorAssignment",
    "SupervisorLink",
    "User",
    "UserRole",
    "UserSession",
]
