"""What erasure and retention both do to a person's data: files marked removed and deleted, evidence text
blanked, dossier files and export ZIPs forgotten (the rows and their hashes stay)."""

from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.db import utcnow
from app.evidence.models import Blob, Evidence, EvidenceLink, EvidenceVersion
from app.privacy.models import PrivacyExport
from app.privacy.redaction import REMOVED_FILE_NAME, TOMBSTONE_TITLE, Redactions, redact
from app.readiness.models import Dossier
from app.storage import Storage


def live_blobs(session: Session, *, student_id: int) -> list[Blob]:
    return list(
        session.exec(
            select(Blob).where(Blob.student_id == student_id, col(Blob.removed_at).is_(None)).order_by(col(Blob.id))
        ).all()
    )


def mark_blob_removed(session: Session, blob: Blob) -> str:
    """The row stays (size and sha256 for the manifest); the file name may be personal, so it goes too."""
    blob.removed_at = utcnow()
    blob.original_name = REMOVED_FILE_NAME
    blob.download_name = REMOVED_FILE_NAME
    session.add(blob)
    return blob.key


def versions_to_blank(session: Session, *, student_id: int) -> list[int]:
    evidence_ids = select(Evidence.id).where(Evidence.student_id == student_id)
    return [
        version_id
        for version_id in session.exec(
            select(EvidenceVersion.id).where(
                col(EvidenceVersion.evidence_id).in_(evidence_ids),
                or_(col(EvidenceVersion.title) != TOMBSTONE_TITLE, col(EvidenceVersion.reflection) != ""),
            )
        ).all()
        if version_id is not None
    ]


def blank_evidence_text(session: Session, *, student_id: int, changes: Redactions) -> int:
    """Title, reflection, links and onderbouwingen replaced by a tombstone; versions and their hashes stay."""
    evidence_ids = select(Evidence.id).where(Evidence.student_id == student_id)
    version_ids = select(EvidenceVersion.id).where(col(EvidenceVersion.evidence_id).in_(evidence_ids))
    count = redact(
        session,
        EvidenceVersion,
        where=col(EvidenceVersion.evidence_id).in_(evidence_ids)
        & or_(col(EvidenceVersion.title) != TOMBSTONE_TITLE, col(EvidenceVersion.reflection) != ""),
        values={"title": TOMBSTONE_TITLE, "reflection": "", "links": []},
        changes=changes,
    )
    redact(
        session,
        EvidenceLink,
        where=col(EvidenceLink.version_id).in_(version_ids) & (col(EvidenceLink.justification) != ""),
        values={"justification": ""},
        changes=changes,
    )
    return count


def drop_dossier_files(session: Session, dossier: Dossier, *, pdf: bool) -> list[str]:
    """Forget the stored files; `pdf_sha256` and the manifest's hashes stay as the record of what was handed over."""
    keys = [k for k in (dossier.zip_key, dossier.pdf_key if pdf else None) if k]
    dossier.zip_key = None
    if pdf:
        dossier.pdf_key = None
    dossier.manifest = [_pseudonymised_entry(entry) for entry in dossier.manifest]
    session.add(dossier)
    return keys


def _pseudonymised_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """'bestanden/IA-a/12-Verslag Jan Jansen.pdf' → 'bestanden/IA-a/12-verwijderd': hashes and sizes stay."""
    name = str(entry.get("bestand", ""))
    folder, _, base = name.rpartition("/")
    blob_id = base.split("-", 1)[0]
    return {**entry, "bestand": f"{folder}/{blob_id}-{REMOVED_FILE_NAME}" if folder else REMOVED_FILE_NAME}


def delete_files(storage: Storage, keys: list[str]) -> None:
    """Last step, after the rows are marked: a failure leaves rows that the next retention run finishes."""
    for key in keys:
        storage.delete(key)


def expire_export(session: Session, export: PrivacyExport) -> str:
    """Mark an export ZIP 'verlopen' and return its storage key (for `delete_files`)."""
    key = export.zip_key or ""
    export.zip_key, export.status = None, "verlopen"
    session.add(export)
    return key


def expire_exports(session: Session, *, subject_id: int) -> list[str]:
    """Every stored export ZIP about one person."""
    statement = select(PrivacyExport).where(
        col(PrivacyExport.zip_key).is_not(None), PrivacyExport.subject_id == subject_id
    )
    return [expire_export(session, export) for export in session.exec(statement).all()]
