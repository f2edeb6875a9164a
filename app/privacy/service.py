"""The access log (one INSERT per view) and requesting, finding and expiring exports."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import Session, col, or_, select

from app.accounts.models import User
from app.db import as_utc, utcnow
from app.errors import InvalidInput, NotFound
from app.i18n import N_
from app.privacy.models import AccessEvent, PrivacyExport
from app.readiness import builds

# What was viewed, as the student reads it on the inzage page.
ACCESS_KINDS: dict[str, str] = {
    "portfolio": N_("Portfolio"),
    "eindterm": N_("Eindterm"),
    "bewijsstuk": N_("Bewijsstuk"),
    "bestand": N_("Bestand"),
    "aftekenverzoek": N_("Aftekenverzoek"),
    "gereedheid": N_("Diplomagereedheid"),
    "dossier": N_("Dossier"),
    "uren": N_("Praktijkuren"),
    "ontwikkeling": N_("Deskundigheidsbevordering"),
    "register": N_("Registeroverzicht"),
    "export": N_("Export van al uw gegevens"),
}
PAGE_SIZE = 50
EXPORT_ACTIVE = ("wacht", "bezig")


def record_view(
    session: Session,
    *,
    viewer_id: int,
    student_id: int,
    kind: str,
    object_id: Any = None,
    viewer_roles: str = "",
    via_link: bool = False,
) -> None:
    """One INSERT, no reads: the student's own views are not logged."""
    if viewer_id == student_id:
        return
    table = AccessEvent.__table__  # type: ignore[attr-defined]
    session.execute(
        insert(table).values(
            at=utcnow(),
            viewer_id=viewer_id,
            student_id=student_id,
            kind=kind,
            object_id=None if object_id is None else str(object_id)[:64],
            viewer_roles=viewer_roles[:200],
            via_link=via_link,
        )
    )


@dataclass(frozen=True)
class AccessRow:
    event: AccessEvent
    viewer_name: str
    roles: list[str]


def access_log(session: Session, *, student_id: int, page: int = 1) -> tuple[list[AccessRow], int]:
    """Most recent first; (rows of this page, total count)."""
    total = session.exec(
        select(func.count()).select_from(AccessEvent).where(AccessEvent.student_id == student_id)
    ).one()
    page = max(page, 1)
    rows = session.exec(
        select(AccessEvent, User.name)
        .join(User, col(User.id) == AccessEvent.viewer_id)
        .where(AccessEvent.student_id == student_id)
        .order_by(col(AccessEvent.at).desc(), col(AccessEvent.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return [
        AccessRow(event=event, viewer_name=name, roles=[r for r in event.viewer_roles.split(",") if r])
        for event, name in rows
    ], int(total)


# --- exports ---------------------------------------------------------------------------------------------


def request_export(session: Session, *, actor_id: int, subject_id: int) -> PrivacyExport:
    """A new export, or the one for the same person and requester that is still being built."""
    running = session.exec(
        select(PrivacyExport).where(
            PrivacyExport.subject_id == subject_id,
            PrivacyExport.requested_by_id == actor_id,
            col(PrivacyExport.status).in_(EXPORT_ACTIVE),
        )
    ).first()
    if running is not None:
        return running
    export = PrivacyExport(subject_id=subject_id, requested_by_id=actor_id)
    return builds.requested(session, export, "privacy.export.requested", about=("user", subject_id), key="export_id")


def find_person(session: Session, *, query: str) -> User:
    """A person by e-mail address or student number (the beheerder's export on request)."""
    query = query.strip()
    if not query:
        raise InvalidInput(N_("Vul het e-mailadres of studentnummer in."))
    user = session.exec(
        select(User).where(or_(func.lower(User.email) == query.lower(), User.student_number == query))
    ).first()
    if user is None:
        raise NotFound(N_("Er is geen persoon met dit e-mailadres of studentnummer."))
    return user


def exports_requested_by(session: Session, *, actor_id: int) -> list[tuple[PrivacyExport, str]]:
    rows = session.exec(
        select(PrivacyExport, User.name)
        .join(User, col(User.id) == PrivacyExport.subject_id)
        .where(PrivacyExport.requested_by_id == actor_id)
        .order_by(col(PrivacyExport.id).desc())
        .limit(50)
    ).all()
    return [(export, name) for export, name in rows]


def own_export(session: Session, *, actor_id: int, export_id: int) -> PrivacyExport:
    """Only the requester sees an export (and its ZIP); everyone else gets 404."""
    export = session.get(PrivacyExport, export_id)
    if export is None or export.requested_by_id != actor_id:
        raise NotFound()
    return export


def is_downloadable(export: PrivacyExport, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        export.status == "klaar"
        and export.zip_key is not None
        and (export.expires_at is None or as_utc(export.expires_at) > now)
    )


def export_expiry(finished_at: datetime, settings: Any) -> datetime:
    return finished_at + timedelta(days=int(getattr(settings, "retention_export_days", 7)))
