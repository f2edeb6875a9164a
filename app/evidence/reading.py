"""Reading bewijsstukken: a student's framework, the latest versions, their files and koppelingen, what was
submitted, and the evidence behind one slot. Staff see submitted versions only; drafts stay the student's."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.cohorts import service as cohorts
from app.cohorts.models import Enrolment
from app.errors import NotFound
from app.evidence import hooks
from app.evidence.models import Blob, Evidence, EvidenceFile, EvidenceLink, EvidenceVersion, Submission
from app.framework.registry import FrameworkRegistry
from app.framework.schema import Framework
from app.i18n import N_


def student_framework(session: Session, *, student_id: int, registry: FrameworkRegistry) -> tuple[Framework, Enrolment]:
    enrolments = cohorts.enrolments_of_student(session, student_id=student_id)
    if not enrolments:
        raise NotFound(N_("Deze student is (nog) niet ingeschreven in een cohort."))
    enrolment, cohort = enrolments[0]
    return cohorts.framework_of(registry, cohort), enrolment


def latest_version_of(session: Session, *, evidence: Evidence) -> EvidenceVersion:
    version = session.exec(
        select(EvidenceVersion).where(
            EvidenceVersion.evidence_id == evidence.id, EvidenceVersion.number == evidence.latest_version
        )
    ).one()
    return version


def files_of_versions(session: Session, *, version_ids: Iterable[int]) -> dict[int, list[Blob]]:
    ids = list(version_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(EvidenceFile.version_id, Blob)
        .join(Blob, col(Blob.id) == EvidenceFile.blob_id)
        .where(col(EvidenceFile.version_id).in_(ids))
        .order_by(col(EvidenceFile.version_id), col(EvidenceFile.position))
    ).all()
    result: dict[int, list[Blob]] = {}
    for version_id, blob in rows:
        result.setdefault(version_id, []).append(blob)
    return result


def links_of_versions(session: Session, *, version_ids: Iterable[int]) -> list[EvidenceLink]:
    ids = list(version_ids)
    if not ids:
        return []
    return list(
        session.exec(
            select(EvidenceLink).where(col(EvidenceLink.version_id).in_(ids)).order_by(EvidenceLink.eindterm_code)
        ).all()
    )


@dataclass(frozen=True)
class LinkedEvidence:
    evidence: Evidence
    version: EvidenceVersion
    justification: str
    files: list[Blob]
    submitted: bool


def submitted_version_ids(session: Session, *, student_id: int) -> set[int]:
    ids: set[int] = set()
    for version_ids in session.exec(select(Submission.version_ids).where(Submission.student_id == student_id)).all():
        ids.update(version_ids)
    return ids


def evidence_for_slot(session: Session, *, student_id: int, code: str, include_drafts: bool) -> list[LinkedEvidence]:
    """Latest versions linked to this eindterm; staff see only versions that were submitted (drafts stay private)."""
    submitted = submitted_version_ids(session, student_id=student_id)
    latest = session.exec(
        select(Evidence, EvidenceVersion, EvidenceLink)
        .join(EvidenceVersion, col(EvidenceVersion.evidence_id) == Evidence.id)
        .join(EvidenceLink, col(EvidenceLink.version_id) == EvidenceVersion.id)
        .where(Evidence.student_id == student_id, EvidenceLink.eindterm_code == code)
        .order_by(col(EvidenceVersion.activity_date).desc(), col(EvidenceVersion.id).desc())
    ).all()
    chosen: dict[int, tuple[Evidence, EvidenceVersion, EvidenceLink]] = {}
    for evidence, version, link in latest:
        visible = include_drafts and version.number == evidence.latest_version
        visible = visible or (not include_drafts and version.id in submitted)
        current = chosen.get(evidence.id or 0)
        if visible and (current is None or current[1].number < version.number):
            chosen[evidence.id or 0] = (evidence, version, link)
    files = files_of_versions(session, version_ids=[v.id or 0 for _, v, _ in chosen.values()])
    return [
        LinkedEvidence(
            evidence=e,
            version=v,
            justification=link.justification,
            files=files.get(v.id or 0, []),
            submitted=v.id in submitted,
        )
        for e, v, link in chosen.values()
    ]


@dataclass(frozen=True)
class SubmittedVersion:
    version: EvidenceVersion
    justification: str  # the onderbouwing for the submission's eindterm ("" if the koppeling is gone)
    files: list[Blob]


def submission_contents(session: Session, *, submission: Submission) -> list[SubmittedVersion]:
    """Exactly the versions that were submitted, with their files and their onderbouwing for its eindterm."""
    versions = session.exec(
        select(EvidenceVersion).where(col(EvidenceVersion.id).in_(submission.version_ids or [0]))
    ).all()
    files = files_of_versions(session, version_ids=[v.id or 0 for v in versions])
    justifications = {
        link.version_id: link.justification
        for link in session.exec(
            select(EvidenceLink).where(
                col(EvidenceLink.version_id).in_(submission.version_ids or [0]),
                EvidenceLink.eindterm_code == submission.eindterm_code,
            )
        ).all()
    }
    return [
        SubmittedVersion(version=v, justification=justifications.get(v.id or 0, ""), files=files.get(v.id or 0, []))
        for v in versions
    ]


def evidence_of_student(session: Session, *, student_id: int) -> list[tuple[Evidence, EvidenceVersion]]:
    rows = session.exec(
        select(Evidence, EvidenceVersion)
        .join(EvidenceVersion, col(EvidenceVersion.evidence_id) == Evidence.id)
        .where(Evidence.student_id == student_id, EvidenceVersion.number == Evidence.latest_version)
        .order_by(col(Evidence.updated_at).desc())
    ).all()
    return [(e, v) for e, v in rows]


def student_of(session: Session, *, evidence: Evidence) -> User:
    student = session.get(User, evidence.student_id)
    assert student is not None
    return student


def submissions_for_slot(session: Session, *, student_id: int, code: str) -> list[Submission]:
    return list(
        session.exec(
            select(Submission)
            .where(Submission.student_id == student_id, Submission.eindterm_code == code)
            .order_by(col(Submission.id).desc())
        ).all()
    )


def current_files(session: Session, *, evidence: Evidence) -> list[Blob]:
    version = latest_version_of(session, evidence=evidence)
    return files_of_versions(session, version_ids=[version.id or 0]).get(version.id or 0, [])


def methods_of_versions(session: Session, *, version_ids: Iterable[int]) -> dict[int, list[str]]:
    """The method tags (development's) per version id, asked through `hooks.methods_of_versions`."""
    ids = list(version_ids)
    methods: dict[int, list[str]] = {}
    for answer in hooks.methods_of_versions.ask(session, version_ids=ids):
        methods.update(answer)
    return methods
