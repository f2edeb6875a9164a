"""Slots, one per eindterm of a student's framework: kept in step with the evidence (`refresh_slots`), what
stands in the way of indienen (`submit_blockers`), and indienen itself (`submit_slots`)."""

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app import events
from app.accounts.service import Actor
from app.audit import service as audit
from app.db import utcnow
from app.errors import Conflict, InvalidInput
from app.evidence import hooks, self_assessment
from app.evidence.models import Evidence, EvidenceLink, EvidenceVersion, Slot, SlotStatus, Submission
from app.evidence.reading import evidence_for_slot, student_framework
from app.evidence.status import ONVOLDOENDE
from app.framework.registry import FrameworkRegistry
from app.framework.schema import Framework
from app.i18n import N_

if TYPE_CHECKING:
    from app.config import Settings

# Statuses in which the praktijkbegeleider (or later the beoordelaar) holds the slot: not submittable again.
LOCKED_STATUSES = {SlotStatus.ter_aftekening.value, SlotStatus.afgetekend.value, SlotStatus.beoordeeld.value}

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
    self_level: str | None = None,
    self_motivation: str = "",
    settings: "Settings | None" = None,
) -> list[Submission]:
    """Send slots to the praktijkbegeleider: each needs evidence with an onderbouwing and must not be locked.

    With `self_level` (the slot page's form asks for it) the student's zelfbeoordeling goes with each submission;
    it is checked before anything is written."""
    events.before_portfolio_change(session, student_id=actor.id)
    framework, enrolment = student_framework(session, student_id=actor.id, registry=registry)
    rating = (
        None if self_level is None else self_assessment.checked(framework, level=self_level, motivation=self_motivation)
    )
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
        if rating is not None:
            self_assessment.record(
                session,
                student_id=actor.id,
                framework=framework,
                code=code,
                rating=rating,
                submission_id=submission.id,
            )
        submissions.append(submission)
    session.flush()
    if settings is not None:
        hooks.submitted(session, submissions=submissions, settings=settings)  # signoff mails the praktijkbegeleider
    return submissions
