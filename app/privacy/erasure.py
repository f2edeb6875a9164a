"""Erasure on request (AVG art. 17): a person's personal data removed or pseudonymised, their files deleted.

What stays: the rows that make up the record — evidence versions (with their numbers, dates and files' hashes),
submissions, sign-offs, scores, readiness decisions, the dossier's hash manifest, the audit chain — so that a
sealed decision can still be shown to have been taken properly. What goes: names, e-mail addresses, passwords,
sessions, links and reset tokens, free text about the person, and every stored file.

The audit chain is not touched: its payloads hold ids and facts, never names or e-mail addresses (see
`AuditEvent.data`), so pseudonymising the `user_account` row is enough; the erasure's own audit row names the
pseudonym. What erasure shares with retention (`app.privacy.retention`) is in `app.privacy.removal`.
"""

import hashlib
import hmac
from dataclasses import dataclass, field

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import LoginAttempt, PasswordResetToken, Role, User, UserSession
from app.accounts.second_factor_models import RecoveryCode, SecondFactor
from app.accounts.sso_models import SignInIdentity, SsoLoginState
from app.assessment.models import Assessment, SubstituteApproval
from app.audit import service as audit
from app.cohorts.models import Enrolment, SupervisorAssignment
from app.config import Settings
from app.db import utcnow
from app.development.models import DevelopmentEntry, DevelopmentWithdrawal
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.evidence.models import SelfAssessment, Submission
from app.hours.models import HoursDecision, PracticeHours
from app.i18n import N_
from app.notifications.models import OutboxMessage
from app.privacy import ledger
from app.privacy.redaction import Redactions, delete_counted, redact
from app.privacy.removal import (
    blank_evidence_text,
    delete_files,
    drop_dossier_files,
    expire_exports,
    live_blobs,
    mark_blob_removed,
    versions_to_blank,
)
from app.readiness import seal
from app.readiness.models import Dossier, ReadinessEvent
from app.signoff.models import SignOff, SupervisorLink
from app.storage import Storage

ERASED_EMAIL_DOMAIN = "verwijderd.invalid"  # RFC 2606: never routable
REMOVED_TITLE = "Verwijderd"


def pseudonym_for(*, user_id: int, secret_key: str) -> str:
    """'Verwijderde persoon 7F3A': stable per person (the confirmation page shows it before erasing)."""
    digest = hmac.new(secret_key.encode(), f"erasure:{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"Verwijderde persoon {digest[:4].upper()}"


def pseudonym_email(user_id: int) -> str:
    """Unique (the id) and non-routable."""
    return f"verwijderd-{user_id}@{ERASED_EMAIL_DOMAIN}"


# --- erasure --------------------------------------------------------------------------------------------------


@dataclass
class ErasurePreview:
    user: User
    roles: frozenset[Role]
    pseudonym: str
    files: int
    evidence_versions: int
    sealed: bool
    signoffs_as_supervisor: int


@dataclass
class ErasureResult:
    user_id: int
    pseudonym: str
    files_deleted: int = 0
    dossier_files_deleted: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def erasable_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def preview(session: Session, *, user_id: int, settings: Settings) -> ErasurePreview:
    user = erasable_user(session, user_id=user_id)
    signoffs = session.exec(select(SignOff.id).where(SignOff.decided_by_id == user_id)).all()
    return ErasurePreview(
        user=user,
        roles=accounts.roles_of(session, user_id=user_id),
        pseudonym=pseudonym_for(user_id=user_id, secret_key=settings.secret_key),
        files=len(live_blobs(session, student_id=user_id)),
        evidence_versions=len(versions_to_blank(session, student_id=user_id)),
        sealed=seal.is_sealed(session, student_id=user_id),
        signoffs_as_supervisor=len(signoffs),
    )


def check_request(*, user: User, pseudonym: str, confirmation: str, reason: str) -> str:
    """The typed confirmation (pseudonym or e-mail) and a reason that does not itself name the person."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput(N_("Geef een reden voor het verwijderen."))
    lowered = reason.lower()
    if user.email.lower() in lowered or (len(user.name.strip()) >= 3 and user.name.strip().lower() in lowered):
        raise InvalidInput(
            N_("Noem in de reden niet de naam of het e-mailadres van de persoon: de reden wordt bewaard.")
        )
    typed = confirmation.strip().lower()
    if not typed or typed not in {pseudonym.lower(), accounts.normalise_email(user.email)}:
        raise InvalidInput(N_("Typ ter bevestiging het pseudoniem of het e-mailadres van de persoon over."))
    return reason


def erase_person(
    session: Session,
    *,
    actor_id: int | None,
    user_id: int,
    reason: str,
    storage: Storage,
    settings: Settings,
    confirmation: str | None = None,
) -> ErasureResult:
    """Erase a person. `confirmation` is required from the web page; retention passes None (no person typing).

    Only flushes; the files are deleted from storage at the end (after the rows), so the caller's commit follows.
    """
    user = erasable_user(session, user_id=user_id)
    if user.erased_at is not None:
        raise Conflict(N_("Deze persoon is al verwijderd."))
    if actor_id is not None and actor_id == user_id:
        raise Forbidden(N_("U kunt uw eigen gegevens hier niet verwijderen; vraag een andere beheerder."))
    pseudonym = pseudonym_for(user_id=user_id, secret_key=settings.secret_key)
    if confirmation is not None:
        reason = check_request(user=user, pseudonym=pseudonym, confirmation=confirmation, reason=reason)
    elif not reason.strip():
        raise InvalidInput(N_("Geef een reden voor het verwijderen."))
    old_email, old_name = user.email, user.name.strip()
    new_email = pseudonym_email(user_id)
    changes = Redactions()
    keys: list[str] = []

    # The account: pseudonymised, locked, every way in revoked.
    user.name, user.email = pseudonym, new_email
    user.password_hash = None
    user.student_number = user.principal_name = user.organisation = user.function = None
    user.is_active = False
    user.notify_daily_digest = False
    user.erased_at = utcnow()
    session.add(user)
    # A school-account login in progress from this person's welcome mail points at their activation token: it goes
    # first (the foreign key), and with it that way in.
    in_progress = session.execute(
        delete(SsoLoginState).where(
            col(SsoLoginState.activation_token_id).in_(
                select(PasswordResetToken.id).where(PasswordResetToken.user_id == user_id)
            )
        )
    )
    changes.add(SsoLoginState.__tablename__, int(in_progress.rowcount or 0))  # type: ignore[attr-defined]
    # A linked school account and a second factor are ways in, too.
    for model in (UserSession, PasswordResetToken, SignInIdentity, RecoveryCode, SecondFactor):
        table = model.__table__  # type: ignore[union-attr]
        result = session.execute(delete(table).where(table.c.user_id == user_id))
        changes.add(table.name, int(result.rowcount or 0))  # type: ignore[attr-defined]
    links = session.exec(
        select(SupervisorLink).where(SupervisorLink.supervisor_id == user_id, col(SupervisorLink.revoked_at).is_(None))
    ).all()
    for link in links:
        link.revoked_at = utcnow()
        session.add(link)
    changes.add("supervisor_link", len(links))
    delete_counted(
        session,
        LoginAttempt,
        where=col(LoginAttempt.email_hash) == hashlib.sha256(accounts.normalise_email(old_email).encode()).hexdigest(),
        changes=changes,
    )
    # Mail to or about them (queued or sent): the bodies hold names and links.
    about = [col(OutboxMessage.to_address) == old_email, col(OutboxMessage.body).contains(old_email)]
    if len(old_name) >= 3:
        about.append(col(OutboxMessage.body).contains(old_name))
    outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
    result = session.execute(delete(outbox).where(or_(*about)))
    changes.add("outbox_message", int(result.rowcount or 0))  # type: ignore[attr-defined]

    # As a praktijkbegeleider: the sign-offs they gave keep the decision, not their name.
    redact(
        session,
        SignOff,
        where=or_(col(SignOff.decided_by_id) == user_id, col(SignOff.decided_by_email) == old_email),
        values={"decided_by_name": pseudonym, "decided_by_email": new_email, "decided_by_function": None},
        changes=changes,
    )

    # As a (proposed) praktijkbegeleider: the assignment keeps who decided, not their name or address; as a
    # student: the reasons written about their voorstellen. (Not append-only: a plain update.)
    assignments = SupervisorAssignment.__table__  # type: ignore[attr-defined]
    for where, values in (
        (
            or_(col(SupervisorAssignment.supervisor_id) == user_id, col(SupervisorAssignment.email) == old_email),
            {"name": pseudonym, "email": new_email, "function": None},
        ),
        (
            (col(SupervisorAssignment.student_id) == user_id) & (col(SupervisorAssignment.reason) != ""),
            {"reason": ""},
        ),
    ):
        result = session.execute(update(assignments).where(where).values(**values))
        changes.add("supervisor_assignment", int(result.rowcount or 0))  # type: ignore[attr-defined]

    # As a student: free text about them blanked, files deleted; decisions, scores and hashes stay.
    blank_evidence_text(session, student_id=user_id, changes=changes)
    redact(
        session,
        Submission,
        where=(col(Submission.student_id) == user_id) & (col(Submission.message) != ""),
        values={"message": ""},
        changes=changes,
    )
    redact(
        session,
        SignOff,
        where=(col(SignOff.student_id) == user_id) & (col(SignOff.comment) != ""),
        values={"comment": ""},
        changes=changes,
    )
    redact(
        session,
        Assessment,
        where=(col(Assessment.student_id) == user_id) & (col(Assessment.feedback) != ""),
        values={"feedback": ""},
        changes=changes,
    )
    redact(
        session,
        SubstituteApproval,
        where=(col(SubstituteApproval.student_id) == user_id) & (col(SubstituteApproval.description) != ""),
        values={"description": ""},
        changes=changes,
    )
    redact(
        session,
        SelfAssessment,
        where=(col(SelfAssessment.student_id) == user_id) & (col(SelfAssessment.motivation) != ""),
        values={"motivation": ""},
        changes=changes,
    )
    redact(
        session,
        ReadinessEvent,
        where=(col(ReadinessEvent.student_id) == user_id) & (col(ReadinessEvent.reason) != ""),
        values={"reason": ""},
        changes=changes,
    )
    # Praktijkuren and deskundigheidsbevordering: the hours, dates and decisions stay, the text about them goes.
    hours = PracticeHours.__table__  # type: ignore[attr-defined]
    result = session.execute(
        update(hours)
        .where(hours.c.student_id == user_id)
        .values(activity="", workplace="", client_codes=[])
        .execution_options(synchronize_session=False)
    )
    changes.add("practice_hours", int(result.rowcount or 0))  # type: ignore[attr-defined]
    redact(
        session,
        HoursDecision,
        where=(col(HoursDecision.student_id) == user_id) & (col(HoursDecision.comment) != ""),
        values={"comment": ""},
        changes=changes,
    )
    redact(
        session,
        HoursDecision,
        where=or_(col(HoursDecision.decided_by_id) == user_id, col(HoursDecision.decided_by_email) == old_email),
        values={"decided_by_name": pseudonym, "decided_by_email": new_email, "decided_by_function": None},
        changes=changes,
    )
    redact(
        session,
        DevelopmentEntry,
        where=col(DevelopmentEntry.student_id) == user_id,
        values={"title": REMOVED_TITLE, "provider": "", "note": ""},
        changes=changes,
    )
    redact(
        session,
        DevelopmentWithdrawal,
        where=(col(DevelopmentWithdrawal.student_id) == user_id) & (col(DevelopmentWithdrawal.reason) != ""),
        values={"reason": ""},
        changes=changes,
    )
    for enrolment in session.exec(select(Enrolment).where(Enrolment.student_id == user_id)).all():
        if enrolment.workplace:
            enrolment.workplace = None
            session.add(enrolment)
            changes.add("enrolment", 1)
    blobs = live_blobs(session, student_id=user_id)
    keys += [mark_blob_removed(session, blob) for blob in blobs]
    dossier_keys: list[str] = []
    for dossier in session.exec(select(Dossier).where(Dossier.student_id == user_id)).all():
        dossier_keys += drop_dossier_files(session, dossier, pdf=True)
    export_keys = expire_exports(session, subject_id=user_id)

    audit.record(
        session,
        actor_id=actor_id,
        action="person.erased",
        object_type="user",
        object_id=user_id,
        data={
            "pseudonym": pseudonym,
            "reason": reason.strip(),
            "files": len(keys),
            "dossier_files": len(dossier_keys),
            "exports": len(export_keys),
            "rows": dict(sorted(changes.rows.items())),
        },
    )
    session.flush()
    ledger.record_erasure(settings=settings, user=user)  # outside the database: survives a restore
    delete_files(storage, keys + dossier_keys + export_keys)
    return ErasureResult(
        user_id=user_id,
        pseudonym=pseudonym,
        files_deleted=len(keys),
        dossier_files_deleted=len(dossier_keys),
        rows=dict(changes.rows),
    )
