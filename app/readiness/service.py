"""Diplomagereedheid: one function applies the framework's readiness rule to a student's slots.

The rule lives in the framework file (`readiness:`); `evaluate` is pure, so every status combination of a slot
can be tested in a table, and the page, the API and (later) the dossier all show the same verdict.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.assessment.models import SubstituteApproval
from app.evidence import service as evidence
from app.evidence.models import SlotStatus, Submission
from app.framework.registry import FrameworkRegistry
from app.framework.schema import Framework, FrameworkGroup


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
