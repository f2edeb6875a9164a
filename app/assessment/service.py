"""Beoordeling: what waits for a beoordelaar, and scoring on the framework's own scale."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from app import events
from app.accounts.models import User
from app.accounts.service import Actor
from app.assessment.models import Assessment, SubstituteApproval
from app.audit import service as audit
from app.cohorts.models import Enrolment
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.evidence import service as evidence
from app.evidence.models import Slot, SlotStatus
from app.framework.registry import FrameworkRegistry
from app.framework.rubric import Rubric
from app.i18n import N_
from app.notifications import service as notifications
from app.signoff.models import SignOff

SCORABLE = {SlotStatus.afgetekend.value, SlotStatus.beoordeeld.value}


@dataclass(frozen=True)
class ToAssess:
    slot: Slot
    student: User
    signed_off_at: datetime | None
    signed_off_by: str | None


def to_assess(session: Session, *, assessor_id: int) -> list[ToAssess]:
    """Signed-off slots of the beoordelaar's own students, longest signed off first."""
    return queue(session, assessor_id=assessor_id)[0]


def queue(session: Session, *, assessor_id: int) -> tuple[list[ToAssess], int]:
    """`to_assess`, and how many signed-off slots are left out because this beoordelaar signed them off
    themselves (separation of duties: they cannot score those, see `score`)."""
    rows = session.exec(
        select(Slot, User, SignOff)
        .join(User, col(User.id) == Slot.student_id)
        .join(Enrolment, col(Enrolment.student_id) == Slot.student_id)
        .outerjoin(SignOff, col(SignOff.submission_id) == Slot.submission_id)
        .where(Enrolment.assessor_id == assessor_id, Slot.status == SlotStatus.afgetekend.value)
        .order_by(col(SignOff.decided_at), col(Slot.id))
    ).all()
    items = [
        ToAssess(
            slot=slot,
            student=student,
            signed_off_at=s.decided_at if s else None,
            signed_off_by=s.decided_by_name if s else None,
        )
        for slot, student, s in rows
        if s is None or s.decided_by_id != assessor_id
    ]
    return items, len(rows) - len(items)


def _assessed_student(session: Session, *, actor: Actor, student_id: int) -> User:
    enrolment = session.exec(
        select(Enrolment).where(Enrolment.student_id == student_id, Enrolment.assessor_id == actor.id)
    ).first()
    student = session.get(User, student_id)
    if enrolment is None or student is None:
        raise NotFound(N_("Deze student is niet aan u toegewezen."))
    return student


def score(
    session: Session,
    *,
    actor: Actor,
    registry: FrameworkRegistry,
    student_id: int,
    code: str,
    score: str,
    feedback: str,
    criteria: Sequence[str] = (),
    settings: Settings | None = None,
) -> Assessment:
    """Record a score; `criteria` are the keys of the rubric's criteria the beoordelaar ticked."""
    student = _assessed_student(session, actor=actor, student_id=student_id)
    events.before_portfolio_change(session, student_id=student_id)
    framework, _ = evidence.student_framework(session, student_id=student_id, registry=registry)
    try:
        framework.eindterm(code)
    except KeyError:
        raise NotFound(N_("Deze eindterm bestaat niet in het kader van deze student.")) from None
    if score not in framework.scale_codes:
        raise InvalidInput(f"Kies een score uit de schaal: {', '.join(framework.scale_codes)}.")
    feedback = feedback.strip()
    if not feedback:
        raise InvalidInput(N_("Schrijf feedback bij de score."), field="feedback")
    rubric = rubric_record(registry.rubric(framework.id, framework.version, code), ticked=criteria)
    slot = evidence.slots_of(session, student_id=student_id, framework=framework).get(code)
    if framework.readiness.scoring_requires_signoff and (slot is None or slot.status not in SCORABLE):
        raise InvalidInput(N_("Deze eindterm kan pas beoordeeld worden na aftekening door de praktijkbegeleider."))
    if slot is not None and slot.submission_id:
        sign_off = session.exec(select(SignOff).where(SignOff.submission_id == slot.submission_id)).first()
        if sign_off is not None and sign_off.decided_by_id == actor.id:
            # Separation of duties: the workplace judgement and the school judgement come from two people.
            raise Forbidden(N_("U heeft deze eindterm zelf afgetekend en kunt hem dus niet beoordelen."))
    assessment = Assessment(
        student_id=student_id,
        eindterm_code=code,
        framework_id=framework.id,
        framework_version=framework.version,
        submission_id=slot.submission_id if slot else None,
        score=score,
        feedback=feedback,
        assessor_id=actor.id,
        rubric=rubric,
    )
    session.add(assessment)
    session.flush()
    if slot is not None:
        moved = session.execute(
            update(Slot)
            .where(
                col(Slot.id) == slot.id, col(Slot.submission_id) == slot.submission_id, col(Slot.status).in_(SCORABLE)
            )
            .values(status=SlotStatus.beoordeeld.value, score=score, last_activity_at=utcnow())
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(N_("Deze eindterm is intussen veranderd; laad de pagina opnieuw."))
    audit.record(
        session,
        actor_id=actor.id,
        action="assessment.scored",
        object_type="slot",
        object_id=code,
        data={"student_id": student_id, "score": score, "assessment_id": assessment.id},
        bind=[assessment],
    )
    if settings is not None:
        notifications.queue_mail(
            session,
            to=student.email,
            subject=f"{code} beoordeeld: {score}",
            body=(
                f"Beste {student.name},\n\nUw beoordelaar heeft {code} beoordeeld als {score}.\n\n"
                f"Feedback:\n{feedback}\n\n"
                f"{settings.base_url.rstrip('/')}/studenten/{student_id}/eindtermen/{code}\n"
            ),
        )
    session.flush()
    return assessment


def rubric_record(rubric: Rubric | None, *, ticked: Sequence[str]) -> str | None:
    """The copy of the rubric a score keeps: every criterion with its level and text, and whether it was ticked.
    A key the rubric does not have is refused rather than dropped (a form from before a rubric changed)."""
    chosen = {key for key in ticked if key}
    if rubric is None:
        if chosen:
            raise InvalidInput(
                N_("Deze eindterm heeft geen rubric; er zijn geen criteria om af te vinken."), field="criterium"
            )
        return None
    known = {criterion.key for _, criterion in rubric.criteria}
    if chosen - known:
        raise InvalidInput(
            N_("Een aangevinkt criterium hoort niet bij de rubric van deze eindterm; laad de pagina opnieuw."),
            field="criterium",
        )
    record = [
        {"level": level, "key": criterion.key, "text": criterion.text, "met": criterion.key in chosen}
        for level, criterion in rubric.criteria
    ]
    return json.dumps({"criteria": record}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def history(session: Session, *, student_id: int, code: str) -> list[tuple[Assessment, User]]:
    rows = session.exec(
        select(Assessment, User)
        .join(User, col(User.id) == Assessment.assessor_id)
        .where(Assessment.student_id == student_id, Assessment.eindterm_code == code)
        .order_by(col(Assessment.id).desc())
    ).all()
    return [(a, u) for a, u in rows]


def approve_substitute(
    session: Session, *, actor: Actor, student_id: int, code: str, description: str
) -> SubstituteApproval:
    events.before_portfolio_change(session, student_id=student_id)
    description = description.strip()
    if not description:
        raise InvalidInput(N_("Beschrijf de vervangende opdracht."))
    approval = SubstituteApproval(
        student_id=student_id, eindterm_code=code, description=description, approved_by_id=actor.id
    )
    session.add(approval)
    audit.record(
        session,
        actor_id=actor.id,
        action="substitute.approved",
        object_type="slot",
        object_id=code,
        data={"student_id": student_id},
        bind=[approval],
    )
    session.flush()
    return approval


def substitutes(session: Session, *, student_id: int, code: str) -> list[SubstituteApproval]:
    return list(
        session.exec(
            select(SubstituteApproval).where(
                SubstituteApproval.student_id == student_id, SubstituteApproval.eindterm_code == code
            )
        ).all()
    )
