"""Evidence: create and revise bewijsstukken (every save a new version), files, koppelingen, slots, indienen.

Services flush only; the request's session commits. Files are published to storage *before* their rows are
written, so a row never points at a missing file; a crash in between leaves at most an orphaned blob, which
`portfolio storage check` removes.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app import events
from app.accounts.models import User
from app.accounts.service import Actor
from app.assessment.models import Assessment
from app.audit import service as audit
from app.cohorts import service as cohorts
from app.cohorts.models import Enrolment
from app.db import as_utc, utcnow
from app.development import methods as method_tags
from app.errors import Conflict, Gone, InvalidInput, NotFound
from app.evidence.filetypes import MIME_BY_KIND, display_name, inspect_file, safe_download_name
from app.evidence.models import (
    Blob,
    Evidence,
    EvidenceFile,
    EvidenceKind,
    EvidenceLink,
    EvidenceVersion,
    Slot,
    SlotStatus,
    Submission,
)
from app.evidence.pdfactive import has_active_content
from app.evidence.status import ONVOLDOENDE, shown_status
from app.framework.registry import FrameworkRegistry
from app.framework.schema import Framework
from app.i18n import N_
from app.signoff.models import SignOff
from app.storage import SpooledFile, Storage, new_key

if TYPE_CHECKING:
    from app.config import Settings

NOT_VISIBLE = N_("Dit bewijsstuk bestaat niet of u heeft er geen toegang toe.")
MAX_TITLE = 200
MAX_REFLECTION = 20_000
MAX_JUSTIFICATION = 2_000
MAX_LINKS = 20
# Statuses in which the praktijkbegeleider (or later the beoordelaar) holds the slot: not submittable again.
LOCKED_STATUSES = {SlotStatus.ter_aftekening.value, SlotStatus.afgetekend.value, SlotStatus.beoordeeld.value}


@dataclass
class EvidenceInput:
    """What the form or the API sends for one save."""

    title: str = ""
    activity_date: str = ""
    kind: str = ""
    reflection: str = ""
    links: list[str] = field(default_factory=list)
    privacy_confirmed: bool = False
    eindtermen: dict[str, str] = field(default_factory=dict)  # code → onderbouwing
    keep_blob_ids: list[int] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)  # method keys from the beroepsprofiel


@dataclass
class FieldErrors(Exception):
    """Form errors per field, in Dutch; nothing was saved."""

    errors: dict[str, str]


def student_framework(session: Session, *, student_id: int, registry: FrameworkRegistry) -> tuple[Framework, Enrolment]:
    enrolments = cohorts.enrolments_of_student(session, student_id=student_id)
    if not enrolments:
        raise NotFound(N_("Deze student is (nog) niet ingeschreven in een cohort."))
    enrolment, cohort = enrolments[0]
    return cohorts.framework_of(registry, cohort), enrolment


def _validate(data: EvidenceInput, framework: Framework) -> tuple[dict[str, str], date | None]:
    errors: dict[str, str] = {}
    title = data.title.strip()
    if not title:
        errors["title"] = "Geef het bewijsstuk een titel."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"De titel mag hoogstens {MAX_TITLE} tekens lang zijn."
    activity: date | None = None
    try:
        activity = date.fromisoformat(data.activity_date.strip())
    except ValueError:
        errors["activity_date"] = "Vul de datum van de activiteit in (dd-mm-jjjj)."
    if activity and activity > date.today():
        errors["activity_date"] = "De datum van de activiteit ligt in de toekomst."
    if data.kind not in {k.value for k in EvidenceKind}:
        errors["kind"] = "Kies wat voor bewijsstuk dit is."
    if len(data.reflection) > MAX_REFLECTION:
        errors["reflection"] = f"De reflectie mag hoogstens {MAX_REFLECTION} tekens lang zijn."
    bad_links = [u for u in data.links if urlparse(u).scheme not in {"http", "https"} or not urlparse(u).netloc]
    if bad_links:
        errors["links"] = f"Geen geldige webadressen (begin met https://): {', '.join(bad_links[:3])}"
    elif len(data.links) > MAX_LINKS:
        errors["links"] = f"Hoogstens {MAX_LINKS} links per bewijsstuk."
    if not data.privacy_confirmed:
        errors["privacy"] = "Bevestig dat gegevens van cliënten geanonimiseerd zijn."
    codes = {e.code for e in framework.eindtermen}
    unknown = sorted(set(data.eindtermen) - codes)
    if unknown:
        errors["eindtermen"] = f"Onbekende eindterm: {', '.join(unknown)}."
    long = [c for c, j in data.eindtermen.items() if len(j) > MAX_JUSTIFICATION]
    if long:
        errors["eindtermen"] = f"De onderbouwing bij {long[0]} is langer dan {MAX_JUSTIFICATION} tekens."
    return errors, activity


def check_files(files: Sequence[SpooledFile]) -> list[tuple[SpooledFile, str, str]]:
    """Check every upload by content; refuse all with the reasons if one is not allowed.

    Returns (file, kind, content type); the type is ours, never what the browser declared."""
    verdicts = []
    reasons = []
    for spooled in files:
        verdict = inspect_file(spooled.path, original_name=spooled.original_name, head=spooled.head)
        if not verdict.accepted or verdict.kind is None:
            reasons.append(f"{display_name(spooled.original_name)}: {verdict.reason}")
        else:
            verdicts.append((spooled, verdict.kind, verdict.mime or MIME_BY_KIND[verdict.kind]))
    if reasons:
        raise FieldErrors({"files": " ".join(reasons)})
    return verdicts


def _pdf_active(spooled: SpooledFile) -> bool:
    def chunks() -> Iterator[bytes]:
        with open(spooled.path, "rb") as f:
            while chunk := f.read(1 << 20):
                yield chunk

    return has_active_content(chunks, size=spooled.size)


def _publish(
    session: Session, *, storage: Storage, student_id: int, files: Sequence[tuple[SpooledFile, str, str]]
) -> list[Blob]:
    blobs = []
    for spooled, kind, content_type in files:
        key = new_key()
        active = _pdf_active(spooled) if kind == "pdf" else None  # before publishing: that may move the file
        storage.publish(spooled.path, key=key, content_type=content_type)
        blob = Blob(
            key=key,
            student_id=student_id,
            # Kept as sent, except NUL: PostgreSQL text cannot hold it (a hostile name would fail the insert).
            original_name=spooled.original_name.replace("\x00", "\ufffd")[:255],
            download_name=safe_download_name(spooled.original_name, kind),
            kind=kind,
            content_type=content_type,
            size=spooled.size,
            sha256=spooled.sha256,
            active_content=active,
        )
        session.add(blob)
        blobs.append(blob)
    session.flush()
    return blobs


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
    errors, activity = _validate(data, framework)
    errors.update(method_tags.method_errors(data.methods, registry))
    previous_blobs: list[Blob] = []
    previous_version_id = 0
    if evidence is not None:
        previous_version_id = latest_version_of(session, evidence=evidence).id or 0
        previous_blobs = files_of_versions(session, version_ids=[previous_version_id]).get(previous_version_id, [])
        unknown = set(data.keep_blob_ids) - {b.id for b in previous_blobs}
        if unknown:
            errors["files"] = "Een bestand om te bewaren hoort niet bij dit bewijsstuk."
    checked: list[tuple[SpooledFile, str, str]] = []
    if not errors:
        try:
            checked = check_files(files)
        except FieldErrors as exc:
            errors.update(exc.errors)
    if errors:
        raise FieldErrors(errors)
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
    new_blobs = _publish(session, storage=storage, student_id=actor.id, files=checked)
    for position, blob in enumerate([*kept, *new_blobs]):
        session.add(EvidenceFile(version_id=version.id or 0, blob_id=blob.id or 0, position=position))
    for code, justification in sorted(data.eindtermen.items()):
        session.add(EvidenceLink(version_id=version.id or 0, eindterm_code=code, justification=justification.strip()))
    method_tags.add_tags(session, version_id=version.id or 0, keys=data.methods)
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


# --- reading --------------------------------------------------------------------------------------------


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


def evidence_of_student(session: Session, *, student_id: int) -> list[tuple[Evidence, EvidenceVersion]]:
    rows = session.exec(
        select(Evidence, EvidenceVersion)
        .join(EvidenceVersion, col(EvidenceVersion.evidence_id) == Evidence.id)
        .where(Evidence.student_id == student_id, EvidenceVersion.number == Evidence.latest_version)
        .order_by(col(Evidence.updated_at).desc())
    ).all()
    return [(e, v) for e, v in rows]


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


def _submission_states(
    session: Session, *, submissions: Sequence[Submission], framework: Framework | None
) -> dict[int, tuple[str, datetime]]:
    """Per submission its outcome so far: the latest score, else the sign-off, else waiting since submitted."""
    ids = [s.id or 0 for s in submissions]
    if not ids:
        return {}
    sign_offs = {
        so.submission_id: so for so in session.exec(select(SignOff).where(col(SignOff.submission_id).in_(ids))).all()
    }
    scores: dict[int, Assessment] = {}
    for assessment in session.exec(
        select(Assessment).where(col(Assessment.submission_id).in_(ids)).order_by(col(Assessment.id))
    ).all():
        scores[assessment.submission_id or 0] = assessment  # the latest counts
    result: dict[int, tuple[str, datetime]] = {}
    for submission in submissions:
        sid = submission.id or 0
        if sid in scores:
            score = scores[sid]
            status = "beoordeeld" if framework is None else shown_status(framework, "beoordeeld", score.score)
            result[sid] = (status, score.created_at)
        elif sid in sign_offs:
            result[sid] = (sign_offs[sid].decision, sign_offs[sid].decided_at)
        else:
            result[sid] = (SlotStatus.ter_aftekening.value, submission.submitted_at)
    return result


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
    methods = method_tags.methods_of_versions(session, version_ids=ids)
    relevant = [s for s in submissions if set(s.version_ids) & set(ids)]
    outcomes = _submission_states(session, submissions=relevant, framework=framework)
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


def visible_evidence(session: Session, *, actor: Actor, evidence_id: int) -> tuple[Evidence, bool]:
    """The item and whether the actor sees drafts (only its owner does); 404 for everyone else."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound(NOT_VISIBLE)
    if evidence.student_id == actor.id:
        return evidence, True
    cohorts.visible_student(session, actor=actor, student_id=evidence.student_id)
    submitted = submitted_version_ids(session, student_id=evidence.student_id)
    has_submitted = session.exec(
        select(func.count())
        .select_from(EvidenceVersion)
        .where(EvidenceVersion.evidence_id == evidence.id, col(EvidenceVersion.id).in_(submitted or {0}))
    ).one()
    if not has_submitted:
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
        submitted = submitted_version_ids(session, student_id=blob.student_id)
        in_submitted = session.exec(
            select(func.count())
            .select_from(EvidenceFile)
            .where(EvidenceFile.blob_id == blob.id, col(EvidenceFile.version_id).in_(submitted or {0}))
        ).one()
        if not in_submitted:
            raise NotFound(FILE_NOT_VISIBLE)
    if blob.removed_at is not None:
        from app.privacy.retention import removed_by_retention  # privacy builds on evidence
        from app.web import TIME_ZONE

        message = REMOVED_BY_RETENTION if removed_by_retention(session, blob=blob) else REMOVED_ON_REQUEST
        raise Gone(message, params={"date": as_utc(blob.removed_at).astimezone(TIME_ZONE).date()})
    return blob


# --- slots -----------------------------------------------------------------------------------------------


NO_JUSTIFICATION = N_("Nog geen onderbouwing: leg in het bewijsstuk uit waarom het deze eindterm aantoont.")
WAITING = N_("Wacht op aftekening door uw praktijkbegeleider.")
UNCHANGED = N_("Teruggegeven: pas eerst het bewijs aan (een nieuwe versie) en dien dan opnieuw in.")
NOT_POSSIBLE = N_("Niet mogelijk op deze werkplek: de opleidingscoördinator regelt een vervangende opdracht.")
BELOW_MINIMUM = N_("Onvoldoende beoordeeld: bespreek met uw beoordelaar wat nog nodig is; die kan opnieuw beoordelen.")


def submit_blockers(session: Session, *, student_id: int, statuses: dict[str, str]) -> dict[str, str | None]:
    """Per eindterm with evidence whose slot is open or waiting: None when it can be submitted now, else why
    not — the checks of `submit_slots` (a justification on a current version; a returned slot only with changed
    evidence), in at most two queries. `statuses` are the slots' statuses as shown (onvoldoende apart from
    beoordeeld) by eindterm code."""
    rows = session.exec(
        select(EvidenceLink.eindterm_code, EvidenceVersion.id, EvidenceLink.justification)
        .join(EvidenceVersion, col(EvidenceLink.version_id) == EvidenceVersion.id)
        .join(Evidence, col(Evidence.id) == EvidenceVersion.evidence_id)
        .where(Evidence.student_id == student_id, EvidenceVersion.number == Evidence.latest_version)
    ).all()
    justified: dict[str, set[int]] = {}
    linked: set[str] = set()
    for code, version_id, justification in rows:
        linked.add(code)
        if justification.strip():
            justified.setdefault(code, set()).add(version_id or 0)
    returned: dict[str, list[int]] = {}
    if any(statuses.get(code) == SlotStatus.terug.value for code in linked):
        returned = {
            code: list(version_ids)
            for code, version_ids in session.exec(
                select(Slot.eindterm_code, Submission.version_ids)
                .join(Submission, col(Submission.id) == Slot.submission_id)
                .where(Slot.student_id == student_id, Slot.status == SlotStatus.terug.value)
            ).all()
        }
    blockers: dict[str, str | None] = {}
    for code in linked:
        status = statuses.get(code, SlotStatus.leeg.value)
        if status == SlotStatus.ter_aftekening.value:
            blockers[code] = WAITING
        elif status == SlotStatus.niet_mogelijk.value:
            blockers[code] = NOT_POSSIBLE  # the way forward is not the student's: say whose it is
        elif status == ONVOLDOENDE:
            blockers[code] = BELOW_MINIMUM
        elif status in LOCKED_STATUSES:
            continue  # the badge says it all
        elif not justified.get(code):
            blockers[code] = NO_JUSTIFICATION
        elif status == SlotStatus.terug.value and sorted(returned.get(code, [])) == sorted(justified[code]):
            blockers[code] = UNCHANGED
        else:
            blockers[code] = None
    return blockers


def slots_of(session: Session, *, student_id: int, framework: Framework) -> dict[str, Slot]:
    rows = session.exec(
        select(Slot).where(
            Slot.student_id == student_id,
            Slot.framework_id == framework.id,
            Slot.framework_version == framework.version,
        )
    ).all()
    return {s.eindterm_code: s for s in rows}


def refresh_slots(session: Session, *, student_id: int, framework: Framework, codes: Iterable[str]) -> None:
    """Bring the slot rows of these eindtermen in step with the evidence (count, last activity, status)."""
    codes = sorted(set(codes))
    if not codes:
        return
    counts = dict(
        session.exec(
            select(EvidenceLink.eindterm_code, func.count())
            .join(EvidenceVersion, col(EvidenceVersion.id) == EvidenceLink.version_id)
            .join(Evidence, col(Evidence.id) == EvidenceVersion.evidence_id)
            .where(
                Evidence.student_id == student_id,
                EvidenceVersion.number == Evidence.latest_version,
                col(EvidenceLink.eindterm_code).in_(codes),
            )
            .group_by(EvidenceLink.eindterm_code)
        ).all()
    )
    existing = slots_of(session, student_id=student_id, framework=framework)
    now = utcnow()
    for code in codes:
        slot = existing.get(code) or Slot(
            student_id=student_id, framework_id=framework.id, framework_version=framework.version, eindterm_code=code
        )
        slot.evidence_count = counts.get(code, 0)
        slot.last_activity_at = now
        if slot.status in {SlotStatus.leeg.value, SlotStatus.concept.value}:
            slot.status = SlotStatus.concept.value if slot.evidence_count else SlotStatus.leeg.value
        session.add(slot)
    session.flush()


def submit_slots(
    session: Session,
    *,
    actor: Actor,
    registry: FrameworkRegistry,
    codes: Sequence[str],
    message: str = "",
    settings: "Settings | None" = None,
) -> list[Submission]:
    """Send slots to the praktijkbegeleider: each needs evidence with an onderbouwing and must not be locked."""
    events.before_portfolio_change(session, student_id=actor.id)
    framework, enrolment = student_framework(session, student_id=actor.id, registry=registry)
    if not codes:
        raise InvalidInput(N_("Kies minstens één eindterm om in te dienen."), field="eindterm")
    if enrolment.supervisor_id is None:
        raise InvalidInput(
            N_(
                "Er is nog geen goedgekeurde praktijkbegeleider aan u gekoppeld. Stel er een voor op uw portfolio; "
                "de opleiding moet uw voorstel eerst goedkeuren voordat u kunt indienen."
            )
        )
    known = {e.code for e in framework.eindtermen}
    slots = slots_of(session, student_id=actor.id, framework=framework)
    problems: list[str] = []
    ready: dict[str, list[int]] = {}
    for code in dict.fromkeys(codes):
        if code not in known:
            problems.append(f"{code}: onbekende eindterm.")
            continue
        slot = slots.get(code)
        if slot is not None and slot.status in LOCKED_STATUSES:
            problems.append(f"{code}: is al ingediend of afgerond.")
            continue
        justified = [
            item.version.id or 0
            for item in evidence_for_slot(session, student_id=actor.id, code=code, include_drafts=True)
            if item.justification.strip()
        ]
        if not justified:
            problems.append(f"{code}: koppel eerst minstens één bewijsstuk met een onderbouwing.")
            continue
        if slot is not None and slot.status == SlotStatus.terug.value and slot.submission_id:
            returned = session.get(Submission, slot.submission_id)
            if returned is not None and sorted(returned.version_ids) == sorted(justified):
                # A new round is about changed evidence: resubmitting the same versions changes nothing.
                problems.append(f"{code}: pas eerst het bewijs aan (een nieuwe versie) en dien dan opnieuw in.")
                continue
        ready[code] = justified
    if problems:
        raise InvalidInput(N_("Er is niets ingediend."), details=problems)
    submissions = []
    for code, version_ids in ready.items():
        submission = Submission(
            student_id=actor.id,
            framework_id=framework.id,
            framework_version=framework.version,
            eindterm_code=code,
            supervisor_id=enrolment.supervisor_id,
            message=message.strip()[:2000],
            version_ids=sorted(version_ids),
        )
        session.add(submission)
        session.flush()
        slot = slots.get(code) or Slot(
            student_id=actor.id, framework_id=framework.id, framework_version=framework.version, eindterm_code=code
        )
        # Guarded update: a double click or a second tab must not submit the same slot twice.
        if slot.id is not None:
            updated = session.execute(
                update(Slot)
                .where(col(Slot.id) == slot.id, col(Slot.status).not_in(LOCKED_STATUSES))
                .values(status=SlotStatus.ter_aftekening.value, submission_id=submission.id, last_activity_at=utcnow())
            )
            if updated.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict(N_("Deze eindterm is intussen al ingediend."))
            session.refresh(slot)
        else:
            slot.status = SlotStatus.ter_aftekening.value
            slot.submission_id = submission.id
            slot.last_activity_at = utcnow()
            slot.evidence_count = len(version_ids)
            session.add(slot)
        audit.record(
            session,
            actor_id=actor.id,
            action="slot.submitted",
            object_type="slot",
            object_id=code,
            data={"submission_id": submission.id, "versions": submission.version_ids},
        )
        submissions.append(submission)
    session.flush()
    if settings is not None:
        from app.signoff.service import notify_submitted  # the sign-off module builds on this one

        notify_submitted(session, submissions=submissions, settings=settings)
    return submissions


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
        methods=method_tags.methods_of_versions(session, version_ids=[version.id or 0]).get(version.id or 0, []),
    )
