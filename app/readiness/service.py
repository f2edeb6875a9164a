"""Diplomagereedheid: one function applies the framework's readiness rule to a student's slots.

The rule lives in the framework file (`readiness:`); `evaluate` is pure, so every status combination of a slot
can be tested in a table, and the page, the API and (later) the dossier all show the same verdict.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.service import Actor
from app.assessment.models import SubstituteApproval
from app.audit import service as audit
from app.errors import Conflict, Forbidden, InvalidInput
from app.evidence import service as evidence
from app.evidence.models import SlotStatus, Submission
from app.framework.registry import FrameworkRegistry
from app.framework.schema import Framework, FrameworkGroup
from app.i18n import N_
from app.readiness import seal
from app.readiness.models import ReadinessEvent


@dataclass(frozen=True)
class SlotFacts:
    """What the rule needs to know about one slot."""

    status: str = SlotStatus.leeg.value
    score: str | None = None
    submitted_at: datetime | None = None
    supervisor_name: str | None = None
    has_substitute: bool = False


@dataclass(frozen=True)
class Missing:
    code: str
    reason: str  # a stable key: geen_bewijs, niet_ingediend, wacht_op_aftekening, ...
    text: str  # Dutch, for people
    next_action: str


@dataclass(frozen=True)
class GroupProgress:
    group: FrameworkGroup
    met: int
    total: int


@dataclass(frozen=True)
class Readiness:
    ready: bool
    met: frozenset[str]
    missing: list[Missing]
    groups: list[GroupProgress]
    total: int


def slot_verdict(framework: Framework, code: str, facts: SlotFacts) -> Missing | None:
    """None when the slot meets the rule; otherwise what is missing, why, and what to do next."""
    rule = framework.readiness
    status = facts.status
    if status == SlotStatus.leeg.value:
        return Missing(code, "geen_bewijs", "geen bewijs", "Voeg bewijs toe en koppel het aan deze eindterm.")
    if status == SlotStatus.concept.value:
        return Missing(
            code, "niet_ingediend", "bewijs nog niet ingediend", "Schrijf een onderbouwing en dien in ter aftekening."
        )
    if status == SlotStatus.ter_aftekening.value:
        since = f" sinds {facts.submitted_at:%d-%m-%Y}" if facts.submitted_at else ""
        by = f" bij {facts.supervisor_name}" if facts.supervisor_name else ""
        return Missing(
            code,
            "wacht_op_aftekening",
            f"wacht op aftekening{since}{by}",
            "De praktijkbegeleider tekent af; herinner hem of haar als het lang duurt.",
        )
    if status == SlotStatus.terug.value:
        return Missing(
            code,
            "terug_voor_aanpassing",
            "terug voor aanpassing",
            "Pas het bewijs aan (nieuwe versie) en dien opnieuw in.",
        )
    if status == SlotStatus.niet_mogelijk.value:
        if facts.has_substitute and rule.substitute_counts:
            return None
        return Missing(
            code,
            "niet_mogelijk",
            "niet mogelijk op deze werkplek, nog geen vervangende opdracht",
            "De opleidingscoördinator regelt en keurt een vervangende opdracht goed.",
        )
    if status == SlotStatus.afgetekend.value:
        return Missing(code, "wacht_op_beoordeling", "wacht op beoordeling", "De beoordelaar beoordeelt de eindterm.")
    if status == SlotStatus.beoordeeld.value:
        if facts.score in framework.scale_codes and framework.meets_minimum_score(facts.score):
            return None
        return Missing(
            code,
            "onvoldoende",
            f"beoordeeld als {facts.score or '?'}",
            "Verbeter het bewijs met de feedback en dien opnieuw in.",
        )
    return Missing(code, "onbekend", f"onbekende status {status}", "Neem contact op met de opleiding.")


def evaluate(framework: Framework, facts: Mapping[str, SlotFacts]) -> Readiness:
    """The whole-portfolio rule: ready when every eindterm of the framework meets the slot rule."""
    missing: list[Missing] = []
    met: set[str] = set()
    groups: list[GroupProgress] = []
    for group in framework.groups:
        group_met = 0
        for eindterm in group.eindtermen:
            verdict = slot_verdict(framework, eindterm.code, facts.get(eindterm.code, SlotFacts()))
            if verdict is None:
                met.add(eindterm.code)
                group_met += 1
            else:
                missing.append(verdict)
        groups.append(GroupProgress(group=group, met=group_met, total=len(group.eindtermen)))
    if framework.readiness.minimum_practice_hours > 0:
        # Practice hours arrive with their own issue; until they are logged, the requirement is unmet.
        missing.append(
            Missing(
                "praktijkuren",
                "praktijkuren",
                f"minimaal {framework.readiness.minimum_practice_hours} goedgekeurde praktijkuren",
                "Registreer uw praktijkuren en laat ze goedkeuren.",
            )
        )
    total = len(framework.eindtermen)
    return Readiness(ready=not missing, met=frozenset(met), missing=missing, groups=groups, total=total)


def readiness_of(session: Session, *, student: User, registry: FrameworkRegistry) -> tuple[Framework, Readiness]:
    framework, enrolment = evidence.student_framework(session, student_id=student.id or 0, registry=registry)
    slots = evidence.slots_of(session, student_id=student.id or 0, framework=framework)
    submission_ids = [s.submission_id for s in slots.values() if s.submission_id]
    submitted = {
        s.id: s.submitted_at
        for s in session.exec(select(Submission).where(col(Submission.id).in_(submission_ids or [0]))).all()
    }
    supervisor = session.get(User, enrolment.supervisor_id) if enrolment.supervisor_id else None
    substitutes = set(
        session.exec(select(SubstituteApproval.eindterm_code).where(SubstituteApproval.student_id == student.id)).all()
    )
    facts = {
        code: SlotFacts(
            status=slot.status,
            score=slot.score,
            submitted_at=submitted.get(slot.submission_id) if slot.submission_id else None,
            supervisor_name=supervisor.name if supervisor else None,
            has_substitute=code in substitutes,
        )
        for code, slot in slots.items()
    }
    return framework, evaluate(framework, facts)


# --- gereedheidsbesluit: recorded by a coordinator, confirmed by a second staff member ------------------------


def _framework_of(session: Session, *, student: User, registry: FrameworkRegistry) -> Framework:
    framework, _ = evidence.student_framework(session, student_id=student.id or 0, registry=registry)
    return framework


def _record(
    session: Session,
    *,
    kind: str,
    action: str,
    actor: Actor,
    student: User,
    framework: Framework,
    decision_id: int | None = None,
    reason: str = "",
) -> ReadinessEvent:
    """One append-only readiness event, with its audit row."""
    event = ReadinessEvent(
        student_id=student.id or 0,
        kind=kind,
        framework_id=framework.id,
        framework_version=framework.version,
        decision_id=decision_id,
        actor_id=actor.id,
        reason=reason,
    )
    session.add(event)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action=action,
        object_type="student",
        object_id=student.id,
        data={"framework": framework.key, "decision_id": decision_id},
    )
    return event


def record_decision(session: Session, *, actor: Actor, student: User, registry: FrameworkRegistry) -> ReadinessEvent:
    framework, verdict = readiness_of(session, student=student, registry=registry)
    decision, _ = seal.state(session, student_id=student.id or 0)
    if decision is not None:
        raise Conflict(N_("Er is al een gereedheidsbesluit; het wacht op bevestiging of het portfolio is verzegeld."))
    if not verdict.ready:
        raise InvalidInput(
            N_("Nog niet aan alle eisen voldaan: er is geen besluit vastgelegd."),
            details=[f"{m.code}: {m.text}" for m in verdict.missing[:20]],
        )
    return _record(
        session, kind="besluit", action="readiness.decided", actor=actor, student=student, framework=framework
    )


def confirm_decision(session: Session, *, actor: Actor, student: User, registry: FrameworkRegistry) -> ReadinessEvent:
    decision, confirmation = seal.state(session, student_id=student.id or 0)
    if decision is None or confirmation is not None:
        raise Conflict(N_("Er is geen gereedheidsbesluit dat op bevestiging wacht."))
    if decision.actor_id == actor.id:
        # Four eyes: whoever recorded the decision cannot also confirm it.
        raise Forbidden(N_("Een tweede medewerker moet het besluit bevestigen, niet wie het vastlegde."))
    framework, verdict = readiness_of(session, student=student, registry=registry)
    if not verdict.ready:
        raise InvalidInput(N_("Het portfolio voldoet intussen niet meer aan alle eisen."))
    return _record(
        session,
        kind="bevestiging",
        action="readiness.confirmed",
        actor=actor,
        student=student,
        framework=framework,
        decision_id=decision.id,
    )


def reopen(
    session: Session, *, actor: Actor, student: User, reason: str, registry: FrameworkRegistry
) -> ReadinessEvent:
    reason = reason.strip()
    if not reason:
        raise InvalidInput(N_("Geef een reden voor het heropenen."))
    decision, _ = seal.state(session, student_id=student.id or 0)
    if decision is None:
        raise Conflict(N_("Dit portfolio is niet verzegeld en wacht niet op bevestiging."))
    framework = _framework_of(session, student=student, registry=registry)
    return _record(
        session,
        kind="heropening",
        action="readiness.reopened",
        actor=actor,
        student=student,
        framework=framework,
        decision_id=decision.id,
        reason=reason,
    )


def decision_history(session: Session, *, student_id: int) -> list[tuple[ReadinessEvent, User]]:
    rows = session.exec(
        select(ReadinessEvent, User)
        .join(User, col(User.id) == ReadinessEvent.actor_id)
        .where(ReadinessEvent.student_id == student_id)
        .order_by(col(ReadinessEvent.id))
    ).all()
    return [(e, u) for e, u in rows]
