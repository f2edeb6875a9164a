"""Saving a bewijsstuk: create it, or save a new version (every save is one), with its files, koppelingen and
method tags; and the latest version as the form for the next one.

Services flush only; the request's session commits. Files are published to storage before their rows are
written (app.evidence.files).
"""

from collections.abc import Sequence

from sqlmodel import Session

from app import events
from app.accounts.service import Actor
from app.audit import service as audit
from app.db import utcnow
from app.evidence import hooks
from app.evidence.files import check_files, publish_files
from app.evidence.forms import EvidenceInput, FieldErrors, validate_input
from app.evidence.models import Blob, Evidence, EvidenceFile, EvidenceLink, EvidenceVersion
from app.evidence.reading import (
    current_files,
    files_of_versions,
    latest_version_of,
    links_of_versions,
    methods_of_versions,
    student_framework,
)
from app.evidence.slots import refresh_slots
from app.framework.registry import FrameworkRegistry
from app.storage import SpooledFile, Storage


def checked_uploads(files: Sequence[SpooledFile], *, errors: dict[str, str]) -> list[tuple[SpooledFile, str, str]]:
    """The uploads checked by content once the form's own fields passed (a bewijsstuk, a certificate): either kind
    of refusal goes back to the form as `FieldErrors`, before anything is written."""
    if errors:
        raise FieldErrors(errors)
    return check_files(files)


def save_evidence(
    session: Session,
    *,
    actor: Actor,
    registry: FrameworkRegistry,
    storage: Storage,
    data: EvidenceInput,
    files: Sequence[SpooledFile] = (),
    evidence: Evidence | None = None,
) -> EvidenceVersion:
    """Create a bewijsstuk, or save a new version of `evidence`. Validates everything before writing."""
    events.before_portfolio_change(session, student_id=actor.id)
    framework, _ = student_framework(session, student_id=actor.id, registry=registry)
    errors, activity = validate_input(data, framework)
    for answer in hooks.method_errors.ask(data.methods, registry):
        errors.update(answer)
    previous_blobs: list[Blob] = []
    previous_version_id = 0
    if evidence is not None:
        previous_version_id = latest_version_of(session, evidence=evidence).id or 0
        previous_blobs = files_of_versions(session, version_ids=[previous_version_id]).get(previous_version_id, [])
        unknown = set(data.keep_blob_ids) - {b.id for b in previous_blobs}
        if unknown:
            errors["files"] = "Een bestand om te bewaren hoort niet bij dit bewijsstuk."
    checked = checked_uploads(files, errors=errors)
    assert activity is not None
    now = utcnow()
    if evidence is None:
        evidence = Evidence(student_id=actor.id, latest_version=1, created_at=now, updated_at=now)
        session.add(evidence)
        session.flush()
        number = 1
    else:
        number = evidence.latest_version + 1
        evidence.latest_version = number
        evidence.updated_at = now
        session.add(evidence)
    version = EvidenceVersion(
        evidence_id=evidence.id or 0,
        number=number,
        title=data.title.strip(),
        activity_date=activity,
        kind=data.kind,
        reflection=data.reflection.strip(),
        links=data.links,
        privacy_confirmed=True,
        created_by=actor.id,
        created_at=now,
    )
    session.add(version)
    session.flush()
    kept = [b for b in previous_blobs if b.id in set(data.keep_blob_ids)]
    new_blobs = publish_files(session, storage=storage, student_id=actor.id, files=checked)
    for position, blob in enumerate([*kept, *new_blobs]):
        session.add(EvidenceFile(version_id=version.id or 0, blob_id=blob.id or 0, position=position))
    for code, justification in sorted(data.eindtermen.items()):
        session.add(EvidenceLink(version_id=version.id or 0, eindterm_code=code, justification=justification.strip()))
    hooks.methods_chosen(session, version_id=version.id or 0, keys=data.methods)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="evidence.created" if number == 1 else "evidence.revised",
        object_type="evidence",
        object_id=evidence.id,
        data={
            "version": number,
            "files": len(kept) + len(new_blobs),
            "eindtermen": sorted(data.eindtermen),
            "methoden": list(dict.fromkeys(data.methods)),
        },
    )
    # A link dropped in this version changes that slot too.
    previous_codes = {link.eindterm_code for link in links_of_versions(session, version_ids=[previous_version_id])}
    refresh_slots(session, student_id=actor.id, framework=framework, codes=previous_codes | set(data.eindtermen))
    return version


def form_of(session: Session, *, evidence: Evidence) -> EvidenceInput:
    """The latest version as form input: the starting point of the next version."""
    version = latest_version_of(session, evidence=evidence)
    links = links_of_versions(session, version_ids=[version.id or 0])
    return EvidenceInput(
        title=version.title,
        activity_date=version.activity_date.isoformat(),
        kind=version.kind,
        reflection=version.reflection,
        links=list(version.links),
        privacy_confirmed=False,  # confirmed again for every version
        eindtermen={link.eindterm_code: link.justification for link in links},
        keep_blob_ids=[b.id or 0 for b in current_files(session, evidence=evidence)],
        methods=methods_of_versions(session, version_ids=[version.id or 0]).get(version.id or 0, []),
    )
