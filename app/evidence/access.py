"""Who may see a bewijsstuk or one of its files: its student always; staff in scope only what was submitted
(404 for everyone else, who may not learn that it exists); 410 Gone, with the date, for a file removed since."""

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.service import Actor
from app.cohorts import service as cohorts
from app.config import TIME_ZONE
from app.db import as_utc
from app.errors import Gone, NotFound
from app.evidence import hooks
from app.evidence.models import Blob, Evidence, EvidenceFile, EvidenceVersion
from app.evidence.reading import submitted_version_ids
from app.i18n import N_

NOT_VISIBLE = N_("Dit bewijsstuk bestaat niet of u heeft er geen toegang toe.")


def visible_evidence(session: Session, *, actor: Actor, evidence_id: int) -> tuple[Evidence, bool]:
    """The item and whether the actor sees drafts (only its owner does); 404 for everyone else."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound(NOT_VISIBLE)
    if evidence.student_id == actor.id:
        return evidence, True
    cohorts.visible_student(session, actor=actor, student_id=evidence.student_id)
    if not _in_a_submitted_version(
        session,
        student_id=evidence.student_id,
        match=EvidenceVersion.evidence_id == evidence.id,
        version=EvidenceVersion.id,
    ):
        raise NotFound(NOT_VISIBLE)
    return evidence, False


FILE_NOT_VISIBLE = N_("Dit bestand bestaat niet of u heeft er geen toegang toe.")
REMOVED_BY_RETENTION = N_("Dit bestand is verwijderd na de bewaartermijn op %(date)s.")
REMOVED_ON_REQUEST = N_("Dit bestand is verwijderd op %(date)s, op verzoek tot verwijdering van gegevens.")


def visible_blob(session: Session, *, actor: Actor, blob_id: int) -> Blob:
    """The file if the actor may see it: 404 for who may not (it may not exist), 410 Gone with the date for who
    could see it before retention or erasure removed it."""
    blob = session.get(Blob, blob_id)
    if blob is None:
        raise NotFound(FILE_NOT_VISIBLE)
    if blob.student_id != actor.id:
        cohorts.visible_student(session, actor=actor, student_id=blob.student_id)
        if not _in_a_submitted_version(
            session, student_id=blob.student_id, match=EvidenceFile.blob_id == blob.id, version=EvidenceFile.version_id
        ):
            raise NotFound(FILE_NOT_VISIBLE)
    if blob.removed_at is not None:
        retention = any(hooks.removed_by_retention.ask(session, blob=blob))  # privacy keeps why it went
        message = REMOVED_BY_RETENTION if retention else REMOVED_ON_REQUEST
        raise Gone(message, params={"date": as_utc(blob.removed_at).astimezone(TIME_ZONE).date()})
    return blob


def _in_a_submitted_version(session: Session, *, student_id: int, match: Any, version: Any) -> bool:
    """Whether a row matching `match` belongs to a version the student submitted: only then may staff see it."""
    submitted = submitted_version_ids(session, student_id=student_id)
    return bool(session.exec(select(func.count()).where(match, col(version).in_(submitted or {0}))).one())
