"""Diplomagereedheid: one function applies the framework's readiness rule to a student's slots.

The rule lives in the framework file (`readiness:`); `evaluate` is pure, so every status combination of a slot
can be tested in a table, and the page, the API and (later) the dossier all show the same verdict.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, exists
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.service import Actor
from app.assessment.models import SubstituteApproval
from app.audit import service as audit
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, Enrolment, Programme
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.evidence import service as evidence
from app.evidence.models import Slot, SlotStatus, Submission
from app.framework.registry import FrameworkRegistry
from app.framework.schema import Framework, FrameworkGroup
from app.hours import service as hours
from app.hours.models import format_hours
from app.i18n import N_
from app.readiness import seal
from app.readiness.models import ReadinessEvent
from app.signoff.models import Decision, SignOff


@dataclass(frozen=True)
class SlotFacts:
    """What the rule needs to know about one slot."""

    status: str = SlotStatus.leeg.value
    score: str | None = None
    submitted_at: datetime | None = None
    supervisor_name: str | None = None
    has_substitute: bool = False
    # A sign-off made under an approved assignment, by someone other than the student (see `signed_off_validly`).
    valid_signoff: bool = False


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
        if rule.scoring_requires_signoff and not facts.valid_signoff:
            return Missing(
                code,
                "aftekening_niet_geldig",
                "niet afgetekend door een goedgekeurde praktijkbegeleider",
                "Laat de opleiding de praktijkbegeleider goedkeuren en dien opnieuw in ter aftekening.",
            )
        if facts.score in framework.scale_codes and framework.meets_minimum_score(facts.score):
            return None
        return Missing(
            code,
            "onvoldoende",
            f"beoordeeld als {facts.score or '?'}",
            "Verbeter het bewijs met de feedback en dien opnieuw in.",
        )
    return Missing(code, "onbekend", f"onbekende status {status}", "Neem contact op met de opleiding.")


def evaluate(
    framework: Framework,
    facts: Mapping[str, SlotFacts],
    *,
    approved_hours: Decimal = Decimal(0),
    minimum_hours: int | None = None,
) -> Readiness:
    """The whole-portfolio rule: ready when every eindterm of the framework meets the slot rule.

    Practice hours: met when `approved_hours` reaches `minimum_hours` (the programme's minimum; None means the
    framework's `readiness.minimum_practice_hours`)."""
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
    required = framework.readiness.minimum_practice_hours if minimum_hours is None else minimum_hours
    if required > 0 and approved_hours < required:
        missing.append(
            Missing(
                "praktijkuren",
                "praktijkuren",
                f"{format_hours(approved_hours)} van minimaal {required} goedgekeurde praktijkuren: "
                f"nog {format_hours(required - approved_hours)} uur",
                "Registreer uw praktijkuren, dien ze per week in en laat ze goedkeuren door uw praktijkbegeleider.",
            )
        )
    total = len(framework.eindtermen)
    return Readiness(ready=not missing, met=frozenset(met), missing=missing, groups=groups, total=total)


def signed_off_validly():  # type: ignore[no-untyped-def]
    """SQL: the slot's current submission was signed off under an approved assignment, not by the student.
    (That the one who signed off never scores it is enforced when scoring, `assessment.service.score`.)"""
    return exists().where(
        col(SignOff.submission_id) == col(Slot.submission_id),
        col(SignOff.decision) == Decision.afgetekend.value,
        col(SignOff.assignment_id).is_not(None),
        col(SignOff.decided_by_id) != col(Slot.student_id),
    )


# Built once: on this page, constructing the statements cost more than SQLite needs to run them.
_supervisor = aliased(User)
_CURRENT_ENROLMENT = (
    select(Enrolment, Cohort, _supervisor.name, Programme.minimum_practice_hours)
    .join(Cohort, col(Cohort.id) == Enrolment.cohort_id)
    .join(Programme, col(Programme.id) == Cohort.programme_id)
    .outerjoin(_supervisor, col(_supervisor.id) == col(Enrolment.supervisor_id))
    .where(col(Enrolment.student_id) == bindparam("student_id"))
    .order_by(col(Cohort.start_date).desc(), col(Enrolment.id).desc())
    .limit(1)
)
_SLOT_FACTS = (
    select(  # type: ignore[call-overload]
        Slot.eindterm_code,
        Slot.status,
        Slot.score,
        Submission.submitted_at,
        exists().where(
            col(SubstituteApproval.student_id) == col(Slot.student_id),
            col(SubstituteApproval.eindterm_code) == col(Slot.eindterm_code),
        ),
        signed_off_validly(),
    )
    .outerjoin(Submission, col(Submission.id) == Slot.submission_id)
    .where(
        col(Slot.student_id) == bindparam("student_id"),
        col(Slot.framework_id) == bindparam("framework_id"),
        col(Slot.framework_version) == bindparam("framework_version"),
    )
)


def readiness_of(session: Session, *, student: User, registry: FrameworkRegistry) -> tuple[Framework, Readiness]:
    """The student's verdict in their current cohort's framework version, in a fixed number of queries: the
    enrolment (with cohort, praktijkbegeleider and the programme's hours minimum), the slots (with the submission's
    date and whether a substitute assignment is approved), and the approved hours."""
    student_id = student.id or 0
    current = session.exec(_CURRENT_ENROLMENT, params={"student_id": student_id}).first()
    if current is None:
        raise NotFound(N_("Deze student is (nog) niet ingeschreven in een cohort."))
    _, cohort, supervisor_name, programme_minimum_hours = current
    framework = cohorts.framework_of(registry, cohort)
    slots = session.exec(
        _SLOT_FACTS,
        params={"student_id": student_id, "framework_id": framework.id, "framework_version": framework.version},
    ).all()
    facts = {
        code: SlotFacts(
            status=status,
            score=score,
            submitted_at=submitted_at,
            supervisor_name=supervisor_name,
            has_substitute=bool(has_substitute),
            valid_signoff=bool(valid_signoff),
        )
        for code, status, score, submitted_at, has_substitute, valid_signoff in slots
    }
    return framework, evaluate(
        framework,
        facts,
        approved_hours=hours.approved_hours(session, student_id=student_id),
        # None: the framework's minimum (as hours.minimum_hours_for), read here with the enrolment.
        minimum_hours=programme_minimum_hours,
    )


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
        bind=[event],
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
