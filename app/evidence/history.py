"""A bewijsstuk's history: every version, newest first, with its files, koppelingen, method tags, the
submissions that contain it and what became of them (the states, which assessment answers through
`hooks.submission_states`: evidence sits below the sign-off and the score)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from app.db import as_utc
from app.evidence import hooks
from app.evidence.models import Blob, Evidence, EvidenceLink, EvidenceVersion, Submission
from app.evidence.reading import files_of_versions, links_of_versions, methods_of_versions
from app.framework.schema import Framework


@dataclass(frozen=True)
class VersionState:
    """What became of a version for some eindtermen at one moment: `ter_aftekening` (submitted, waiting), or the
    slot status the decision or score gave it (`afgetekend`, `terug`, `niet_mogelijk`, `beoordeeld`,
    `onvoldoende`), as in app.evidence.status."""

    status: str
    at: datetime
    codes: tuple[str, ...]


@dataclass(frozen=True)
class VersionView:
    version: EvidenceVersion
    files: list[Blob]
    links: list[EvidenceLink]
    submissions: list[Submission]
    methods: list[str] = field(default_factory=list)  # method keys this version applies
    states: list[VersionState] = field(default_factory=list)  # newest first; empty: a concept

    @property
    def submitted(self) -> bool:
        return bool(self.submissions)


def _grouped_states(submissions: Sequence[Submission], outcomes: dict[int, tuple[str, datetime]]) -> list[VersionState]:
    """One state per status and minute, with its eindtermen: one indienen for three eindtermen reads as one."""
    groups: dict[tuple[str, datetime], list[str]] = {}
    for submission in submissions:
        status, at = outcomes[submission.id or 0]
        groups.setdefault((status, as_utc(at).replace(second=0, microsecond=0)), []).append(submission.eindterm_code)
    return [
        VersionState(status=status, at=at, codes=tuple(sorted(set(codes))))
        for (status, at), codes in sorted(groups.items(), key=lambda item: item[0][1], reverse=True)
    ]


def evidence_history(
    session: Session, *, evidence: Evidence, include_drafts: bool, framework: Framework | None = None
) -> list[VersionView]:
    """Every version, newest first, with the submissions that contain it and what became of them (`states`;
    with `framework` a score below its minimum reads `onvoldoende`). Staff see submitted versions only."""
    versions = session.exec(
        select(EvidenceVersion)
        .where(EvidenceVersion.evidence_id == evidence.id)
        .order_by(col(EvidenceVersion.number).desc())
    ).all()
    submissions = session.exec(
        select(Submission).where(Submission.student_id == evidence.student_id).order_by(col(Submission.id))
    ).all()
    by_version: dict[int, list[Submission]] = {}
    for submission in submissions:
        for version_id in submission.version_ids:
            by_version.setdefault(version_id, []).append(submission)
    ids = [v.id or 0 for v in versions]
    files = files_of_versions(session, version_ids=ids)
    links: dict[int, list[EvidenceLink]] = {}
    for link in links_of_versions(session, version_ids=ids):
        links.setdefault(link.version_id, []).append(link)
    methods = methods_of_versions(session, version_ids=ids)
    relevant = [s for s in submissions if set(s.version_ids) & set(ids)]
    outcomes: dict[int, tuple[str, datetime]] = {}
    for answer in hooks.submission_states.ask(session, submissions=relevant, framework=framework):
        outcomes.update(answer)
    return [
        VersionView(
            version=v,
            files=files.get(v.id or 0, []),
            links=links.get(v.id or 0, []),
            submissions=by_version.get(v.id or 0, []),
            methods=methods.get(v.id or 0, []),
            states=_grouped_states(by_version.get(v.id or 0, []), outcomes),
        )
        for v in versions
        if include_drafts or v.id in by_version
    ]
