"""Retention: what is due is deleted, per data kind, by `portfolio retention run` (safe to run daily).

* Evidence files (and the evidence's text, replaced by a tombstone) go `retention_evidence_months_after_decision`
  months after the confirmed gereedheidsbesluit, or `retention_evidence_months_after_leaving` months after the
  student left the programme (`Enrolment.left_at`, every enrolment ended). The dossier ZIP goes with them (it
  holds copies of the files); the decision, the scores, the dossier PDF's hash and the manifest's hashes stay.
* After `retention_records_years` the record itself is due: the person is erased (pseudonymised, the dossier
  PDF deleted) exactly as on request, by `app.privacy.erasure`.
* Export ZIPs go after `retention_export_days`, access-log rows after `retention_access_log_months`.

`plan` only reads; `apply` does what a plan lists, writes an audit row per deletion and deletes the files from
storage last. What is done is marked (`Blob.removed_at`, tombstones, `User.erased_at`), so a second run is a no-op.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.cohorts.models import Enrolment
from app.config import Settings
from app.db import as_utc, utcnow
from app.errors import InvalidInput, NotFound
from app.evidence.models import Blob
from app.i18n import N_
from app.privacy import erasure, removal
from app.privacy.models import AccessEvent, PrivacyExport
from app.privacy.redaction import Redactions, delete_counted
from app.readiness import seal
from app.readiness.models import Dossier, ReadinessEvent
from app.storage import Storage

RETENTION_REASON = "Bewaartermijn verstreken"

# Readable Dutch labels for the report, in this order.
LABELS = {
    "bewijsbestanden": "bewijsbestanden verwijderd",
    "bewijsversies": "versies van bewijsstukken geleegd",
    "dossierbestanden": "dossierbestanden (ZIP) verwijderd",
    "personen": "personen gepseudonimiseerd (bewaartermijn dossier verstreken)",
    "exports": "exports (ZIP) verwijderd",
    "toegangslog": "regels uit het toegangslog verwijderd",
}


def months_before(moment: datetime, months: int) -> datetime:
    """The same day `months` calendar months earlier (clamped to the month's last day)."""
    year, month = divmod(moment.year * 12 + (moment.month - 1) - months, 12)
    month += 1
    days_in_month = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28, 31, 30, 31, 30]
    days_in_month += [31, 31, 30, 31, 30, 31]
    return moment.replace(year=year, month=month, day=min(moment.day, days_in_month[month - 1]))


@dataclass
class Due:
    student_id: int
    because: str  # besluit | uitgeschreven


@dataclass
class RetentionPlan:
    evidence: list[Due] = field(default_factory=list)  # students whose evidence files and text are due
    blobs: list[Blob] = field(default_factory=list)
    versions: int = 0
    dossier_zips: list[Dossier] = field(default_factory=list)
    erase: list[Due] = field(default_factory=list)  # students whose records' retention ended
    exports: list[PrivacyExport] = field(default_factory=list)
    access_log_before: datetime | None = None
    access_log_rows: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "bewijsbestanden": len(self.blobs),
            "bewijsversies": self.versions,
            "dossierbestanden": len(self.dossier_zips),
            "personen": len(self.erase),
            "exports": len(self.exports),
            "toegangslog": self.access_log_rows,
        }


def _decided_at(session: Session, *, student_id: int) -> datetime | None:
    """When the portfolio was sealed (the confirmation of the standing besluit), if it is sealed."""
    _, confirmation = seal.state(session, student_id=student_id)
    return as_utc(confirmation.created_at) if confirmation is not None else None


def _left_at(session: Session) -> dict[int, datetime]:
    """Students whose every enrolment has ended: the last leaving date."""
    rows = session.exec(
        select(
            Enrolment.student_id, func.count(), func.count(col(Enrolment.left_at)), func.max(Enrolment.left_at)
        ).group_by(col(Enrolment.student_id))
    ).all()
    return {sid: as_utc(last) for sid, total, ended, last in rows if total == ended and last is not None}


def plan(session: Session, *, settings: Settings, now: datetime | None = None) -> RetentionPlan:
    now = now or utcnow()
    result = RetentionPlan()
    erased = set(session.exec(select(User.id).where(col(User.erased_at).is_not(None))).all())
    decided_students = set(session.exec(select(ReadinessEvent.student_id).distinct()).all())
    decided = {sid: _decided_at(session, student_id=sid) for sid in decided_students}
    left = _left_at(session)
    records_cutoff = months_before(now, settings.retention_records_years * 12)
    after_decision = months_before(now, settings.retention_evidence_months_after_decision)
    after_leaving = months_before(now, settings.retention_evidence_months_after_leaving)
    for sid in sorted((decided_students | set(left)) - erased):
        decided_at, left_at = decided.get(sid), left.get(sid)
        if decided_at is not None and decided_at <= records_cutoff:
            result.erase.append(Due(sid, "besluit"))
        elif left_at is not None and left_at <= records_cutoff:
            result.erase.append(Due(sid, "uitgeschreven"))
        elif decided_at is not None and decided_at <= after_decision:
            result.evidence.append(Due(sid, "besluit"))
        elif left_at is not None and left_at <= after_leaving:
            result.evidence.append(Due(sid, "uitgeschreven"))
    for due in result.evidence + result.erase:
        result.blobs += removal.live_blobs(session, student_id=due.student_id)
        result.versions += len(removal.versions_to_blank(session, student_id=due.student_id))
    for due in result.evidence:
        result.dossier_zips += [
            d for d in session.exec(select(Dossier).where(Dossier.student_id == due.student_id)).all() if d.zip_key
        ]
    export_cutoff = now - timedelta(days=settings.retention_export_days)
    result.exports = list(
        session.exec(
            select(PrivacyExport).where(
                col(PrivacyExport.zip_key).is_not(None),
                or_(col(PrivacyExport.created_at) < export_cutoff, col(PrivacyExport.expires_at) < now),
            )
        ).all()
    )
    result.access_log_before = months_before(now, settings.retention_access_log_months)
    result.access_log_rows = session.exec(
        select(func.count()).select_from(AccessEvent).where(col(AccessEvent.at) < result.access_log_before)
    ).one()
    return result


def apply(session: Session, *, plan: RetentionPlan, storage: Storage, settings: Settings) -> Counter[str]:
    """Do what the plan lists. Only flushes; files are deleted from storage after the rows are marked."""
    done: Counter[str] = Counter()
    keys: list[str] = []
    for due in plan.erase:
        result = erasure.erase_person(
            session,
            actor_id=None,
            user_id=due.student_id,
            reason=f"{RETENTION_REASON} ({due.because})",
            storage=storage,
            settings=settings,
        )
        done["personen"] += 1
        done["bewijsbestanden"] += result.files_deleted
        done["bewijsversies"] += result.rows.get("evidence_version", 0)
    for due in plan.evidence:
        for blob in removal.live_blobs(session, student_id=due.student_id):
            keys.append(removal.mark_blob_removed(session, blob))
            _audit(session, "evidence_file", blob.id, student_id=due.student_id, because=due.because)
            done["bewijsbestanden"] += 1
        changes = Redactions()
        blanked = removal.blank_evidence_text(session, student_id=due.student_id, changes=changes)
        if blanked:
            _audit(
                session, "evidence_text", due.student_id, student_id=due.student_id, because=due.because, rows=blanked
            )
            done["bewijsversies"] += blanked
        for dossier in session.exec(select(Dossier).where(Dossier.student_id == due.student_id)).all():
            if dossier.zip_key:
                keys += removal.drop_dossier_files(session, dossier, pdf=False)
                _audit(session, "dossier_zip", dossier.id, student_id=due.student_id, because=due.because)
                done["dossierbestanden"] += 1
    for export in plan.exports:
        if export.zip_key is None:
            continue
        keys.append(removal.expire_export(session, export))
        _audit(session, "export", export.id, student_id=export.subject_id, because="termijn")
        done["exports"] += 1
    if plan.access_log_before is not None and plan.access_log_rows:
        removed = delete_counted(session, AccessEvent, where=col(AccessEvent.at) < plan.access_log_before)
        if removed:
            _audit(session, "access_log", None, student_id=None, because="termijn", rows=removed)
            done["toegangslog"] += removed
    session.flush()
    removal.delete_files(storage, keys)
    return done


def removed_by_retention(session: Session, *, blob: Blob) -> bool:
    """Whether a removed file went because its term ended (its own audit row, or the erasure of the whole record
    when the records' term ended), not on a request to erase."""
    own_row = session.exec(
        select(AuditEvent.id).where(
            AuditEvent.action == "retention.deleted",
            AuditEvent.object_type == "evidence_file",
            AuditEvent.object_id == str(blob.id),
        )
    ).first()
    if own_row is not None:
        return True
    erasures = session.exec(
        select(AuditEvent.data).where(
            AuditEvent.action == "person.erased",
            AuditEvent.object_type == "user",
            AuditEvent.object_id == str(blob.student_id),
        )
    ).all()
    return any(str(data.get("reason", "")).startswith(RETENTION_REASON) for data in erasures)


def _audit(
    session: Session, kind: str, object_id: int | None, *, student_id: int | None, because: str, rows: int = 0
) -> None:
    data: dict[str, object] = {"kind": kind, "because": because}
    if student_id is not None:
        data["student_id"] = student_id
    if rows:
        data["rows"] = rows
    audit.record(session, actor_id=None, action="retention.deleted", object_type=kind, object_id=object_id, data=data)


def report_lines(counts: dict[str, int], *, dry_run: bool) -> list[str]:
    head = "Proefdraai: er is niets gewijzigd. Dit zou verwijderd worden:" if dry_run else "Bewaartermijnen toegepast:"
    lines = [head]
    for key, label in LABELS.items():
        lines.append(f"  {label:<66} {counts.get(key, 0)}")
    if not any(counts.values()):
        lines.append("Niets te doen: er is geen bewaartermijn verstreken.")
    return lines


def set_left(
    session: Session, *, actor_id: int, cohort_id: int, student_id: int, left_at: datetime | None
) -> Enrolment:
    """The coordinator records that a student left the programme (or, with None, that they did not)."""
    enrolment = session.exec(
        select(Enrolment).where(Enrolment.cohort_id == cohort_id, Enrolment.student_id == student_id)
    ).first()
    if enrolment is None:
        raise NotFound()
    if left_at is not None and left_at > utcnow():
        raise InvalidInput(N_("De datum van uitschrijving kan niet in de toekomst liggen."))
    enrolment.left_at = left_at
    session.add(enrolment)
    audit.record(
        session,
        actor_id=actor_id,
        action="enrolment.left" if left_at is not None else "enrolment.left_undone",
        object_type="enrolment",
        object_id=enrolment.id,
        data={"student_id": student_id, "left_at": left_at.date().isoformat() if left_at else None},
    )
    session.flush()
    return enrolment
