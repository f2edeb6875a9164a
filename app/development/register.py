"""Register readiness: each requirement of the beroepsprofiel with its status and the proof behind it.

Statuses: ``voldaan`` (met, with proof), ``nog_niet`` (checkable and not met yet) and ``onbekend`` (the portfolio
cannot tell, e.g. general work experience, or a diploma that was not uploaded). Every number comes from the
beroepsprofiel data; the practice hours from the hours module; the diploma from the readiness module.
"""

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jinja2 import Environment
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.db import as_utc, utcnow
from app.development import methods as method_tags
from app.development import service
from app.development.models import EntryKind
from app.errors import DomainError, NotFound
from app.events import HookNotWired
from app.evidence import service as evidence_service
from app.evidence.models import Evidence, EvidenceVersion
from app.framework.beroepsprofiel import (
    Beroepsprofiel,
    LevelRequirement,
    Method,
    PracticeRequirement,
    RegisterRequirement,
    TrainingRequirement,
)
from app.framework.registry import FrameworkRegistry
from app.framework.schema import Framework
from app.hours import service as hours  # the practice hours log (its own module)
from app.i18n import N_
from app.readiness import seal
from app.readiness.models import ReadinessEvent
from app.readiness.service import Readiness, readiness_of

VOLDAAN = "voldaan"
NOG_NIET = "nog_niet"
ONBEKEND = "onbekend"
STATUS_LABELS = {VOLDAAN: N_("voldaan"), NOG_NIET: N_("nog niet"), ONBEKEND: N_("onbekend")}


def nl_number(value: Decimal | int) -> str:
    """98 → '98', 3.50 → '3,5', 12.25 → '12,25' (Dutch decimal comma, no trailing zeros)."""
    text = format(Decimal(value).normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def profile_of(registry: FrameworkRegistry) -> Beroepsprofiel:
    try:
        return registry.beroepsprofiel()
    except KeyError:
        raise NotFound(N_("Er is geen beroepsprofiel geladen; vraag de beheerder.")) from None


@dataclass(frozen=True)
class Proof:
    text: str
    url: str | None = None


@dataclass(frozen=True)
class RequirementView:
    requirement: RegisterRequirement
    status: str
    summary: str
    proof: list[Proof] = field(default_factory=list)
    value: Decimal | None = None  # progress, e.g. hours so far
    target: Decimal | None = None

    @property
    def percent(self) -> int | None:
        if self.value is None or not self.target:
            return None
        return min(100, int(self.value * 100 / self.target))


@dataclass(frozen=True)
class MethodEvidence:
    evidence: Evidence
    version: EvidenceVersion
    submitted: bool  # False: a draft, shown only to the student (and marked as such)


@dataclass(frozen=True)
class MethodUse:
    method: Method
    items: list[MethodEvidence]


@dataclass(frozen=True)
class RegisterOverview:
    student: User
    profile: Beroepsprofiel
    requirements: list[RequirementView]
    log: service.DevelopmentLog
    practice_hours: Decimal
    methods: list[MethodUse]
    framework: Framework | None
    readiness: Readiness | None
    decision: ReadinessEvent | None
    confirmation: ReadinessEvent | None
    own: bool
    generated_at: datetime

    @property
    def met(self) -> int:
        return sum(1 for r in self.requirements if r.status == VOLDAAN)

    @property
    def complete(self) -> bool:
        """Every requirement met (one the portfolio cannot check keeps this false)."""
        return all(r.status == VOLDAAN for r in self.requirements)

    @property
    def methods_applied(self) -> int:
        return sum(1 for m in self.methods if m.items)


def _certificate_url(student_id: int, entry_id: int | None) -> str:
    return f"/studenten/{student_id}/ontwikkeling/{entry_id}/certificaat"


def _entry_proof(student_id: int, view: service.EntryView, extra: str = "") -> Proof:
    entry = view.entry
    text = f"{entry.title} — {entry.provider}, {entry.entry_date:%d-%m-%Y}{extra}"
    if view.certificate is None:
        return Proof(text + " (nog geen certificaat geüpload)")
    return Proof(text, _certificate_url(student_id, entry.id))


def _level(requirement: LevelRequirement, student_id: int, log: service.DevelopmentLog) -> RequirementView:
    degrees = [v for v in log.degrees if v.entry.kind in {EntryKind.hbo_diploma.value, EntryKind.evc.value}]
    proof = [_entry_proof(student_id, v) for v in degrees]
    if any(v.certificate is not None for v in degrees):
        return RequirementView(requirement, VOLDAAN, "Diploma of EVC-bewijs geüpload.", proof)
    if degrees:
        return RequirementView(requirement, ONBEKEND, "Geregistreerd, maar het bewijs (bestand) ontbreekt nog.", proof)
    return RequirementView(
        requirement,
        ONBEKEND,
        "Nog geen HBO-/universitair diploma of EVC-/assessmentbewijs geüpload.",
        proof,
    )


def _training(
    requirement: TrainingRequirement,
    student_id: int,
    log: service.DevelopmentLog,
    framework: Framework | None,
    readiness: Readiness | None,
    decision: ReadinessEvent | None,
    confirmation: ReadinessEvent | None,
) -> RequirementView:
    total = log.total
    after = requirement.diploma_na
    pe = (
        f"{nl_number(total.hours)} van {nl_number(requirement.minimum_uren)} uur deskundigheidsbevordering "
        f"({nl_number(total.ec)} van {nl_number(requirement.minimum_ec)} EC)"
    )
    proof: list[Proof] = []
    met_by: str | None = None
    if decision is not None and confirmation is not None:
        confirmed_on = as_utc(confirmation.created_at).date()
        title = framework.title if framework else decision.framework_id
        proof.append(
            Proof(
                f"Gereedheidsbesluit ({title}) vastgelegd op {as_utc(decision.created_at):%d-%m-%Y}, "
                f"bevestigd op {confirmed_on:%d-%m-%Y}"
            )
        )
        if confirmed_on >= after:
            met_by = "Diplomagereed volgens het bevestigde gereedheidsbesluit van deze opleiding."
    elif decision is not None:
        proof.append(
            Proof(f"Gereedheidsbesluit vastgelegd op {as_utc(decision.created_at):%d-%m-%Y}; wacht op bevestiging")
        )
    elif readiness is not None:
        proof.append(
            Proof(f"Diplomagereedheid: {len(readiness.met)} van de {readiness.total} eindtermen voldoen aan het kader")
        )
    for view in log.degrees:
        if view.entry.kind != EntryKind.jobcoach_diploma.value:
            continue
        in_time = view.entry.entry_date >= after
        note = "" if in_time else f" (vóór {after:%d-%m-%Y}: telt niet)"
        proof.append(_entry_proof(student_id, view, note))
        if in_time and view.certificate is not None and met_by is None:
            met_by = "Diploma van een jobcoachopleiding geüpload."
    for view in log.current:
        hours = f", {nl_number(view.counted_hours)} uur"
        proof.append(_entry_proof(student_id, view, hours))
    if met_by is None and total.met:
        met_by = f"Deskundigheidsbevordering: {pe}."
    if met_by is not None:
        return RequirementView(requirement, VOLDAAN, met_by, proof, value=total.hours, target=requirement.minimum_uren)
    summary = f"Nog geen diploma; {pe}."
    if total.without_certificate:
        summary += f" {nl_number(total.without_certificate)} uur telt pas mee met een certificaat."
    return RequirementView(requirement, NOG_NIET, summary, proof, value=total.hours, target=requirement.minimum_uren)


def _practice(requirement: PracticeRequirement, hours: Decimal) -> RequirementView:
    summary = f"{nl_number(hours)} van {nl_number(requirement.minimum_uren)} goedgekeurde praktijkuren."
    status = VOLDAAN if hours >= requirement.minimum_uren else NOG_NIET
    proof = [Proof(f"{nl_number(hours)} uur goedgekeurd door de praktijkbegeleider")]
    return RequirementView(requirement, status, summary, proof, value=hours, target=requirement.minimum_uren)


def method_coverage(
    session: Session, *, student_id: int, profile: Beroepsprofiel, include_drafts: bool
) -> list[MethodUse]:
    """Each method with the evidence that applies it. The student sees the latest version of each bewijsstuk
    (drafts too); staff see only the latest version that was submitted, as everywhere else."""
    rows = session.exec(
        select(Evidence, EvidenceVersion)
        .join(EvidenceVersion, col(EvidenceVersion.evidence_id) == Evidence.id)
        .where(Evidence.student_id == student_id)
    ).all()
    submitted = evidence_service.submitted_version_ids(session, student_id=student_id)
    chosen: dict[int, tuple[Evidence, EvidenceVersion]] = {}
    for evidence, version in rows:
        visible = version.number == evidence.latest_version if include_drafts else version.id in submitted
        current = chosen.get(evidence.id or 0)
        if visible and (current is None or current[1].number < version.number):
            chosen[evidence.id or 0] = (evidence, version)
    tags = method_tags.methods_of_versions(session, version_ids=[v.id or 0 for _, v in chosen.values()])
    ordered = sorted(chosen.values(), key=lambda pair: (pair[1].activity_date, pair[1].id or 0))
    return [
        MethodUse(
            method=m,
            items=[MethodEvidence(e, v, v.id in submitted) for e, v in ordered if m.key in tags.get(v.id or 0, [])],
        )
        for m in profile.methoden.items
    ]


def _approved_hours(session: Session, *, student_id: int) -> Decimal:
    return Decimal(hours.approved_hours(session, student_id=student_id))


def overview(session: Session, *, student: User, registry: FrameworkRegistry, own: bool) -> RegisterOverview:
    profile = profile_of(registry)
    student_id = student.id or 0
    log = service.development_log(session, student_id=student_id, profile=profile)
    framework: Framework | None = None
    verdict: Readiness | None = None
    with suppress(DomainError):  # not enrolled (anymore), or the cohort's framework is not loaded
        framework, verdict = readiness_of(session, student=student, registry=registry)
    decision, confirmation = seal.state(session, student_id=student_id)
    hours = _approved_hours(session, student_id=student_id)
    views: list[RequirementView] = []
    for requirement in profile.registereisen:
        if isinstance(requirement, LevelRequirement):
            views.append(_level(requirement, student_id, log))
        elif isinstance(requirement, TrainingRequirement):
            views.append(_training(requirement, student_id, log, framework, verdict, decision, confirmation))
        elif isinstance(requirement, PracticeRequirement):
            views.append(_practice(requirement, hours))
        else:
            views.append(
                RequirementView(
                    requirement,
                    ONBEKEND,
                    "Niet na te gaan in het portfolio; toon dit zelf aan bij het register (bijvoorbeeld met uw cv).",
                )
            )
    return RegisterOverview(
        student=student,
        profile=profile,
        requirements=views,
        log=log,
        practice_hours=hours,
        methods=method_coverage(session, student_id=student_id, profile=profile, include_drafts=own),
        framework=framework,
        readiness=verdict,
        decision=decision,
        confirmation=confirmation,
        own=own,
        generated_at=utcnow(),
    )


def overview_json(view: RegisterOverview) -> dict[str, Any]:
    def amount(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "student_id": view.student.id,
        "beroepsprofiel": {"id": view.profile.id, "version": view.profile.version, "title": view.profile.title},
        "complete": view.complete,
        "requirements": [
            {
                "key": r.requirement.key,
                "title": r.requirement.titel,
                "check": r.requirement.toets,
                "status": r.status,
                "summary": r.summary,
                "value": amount(r.value),
                "target": amount(r.target),
                "proof": [{"text": p.text, "url": p.url} for p in r.proof],
            }
            for r in view.requirements
        ],
        "professional_development": {
            "hours": str(view.log.total.hours),
            "ec": str(view.log.total.ec),
            "required_hours": str(view.log.total.required_hours),
            "required_ec": str(view.log.total.required_ec),
            "hours_per_ec": str(view.log.total.uren_per_ec),
            "hours_without_certificate": str(view.log.total.without_certificate),
            "entries": [
                {
                    "id": v.entry.id,
                    "kind": v.entry.kind,
                    "title": v.entry.title,
                    "provider": v.entry.provider,
                    "date": v.entry.entry_date.isoformat(),
                    "hours": amount(v.entry.hours),
                    "ec": amount(v.entry.ec),
                    "counted_hours": str(v.counted_hours),
                    "certificate": v.certificate is not None,
                }
                for v in [*view.log.current, *view.log.degrees]
            ],
        },
        "practice_hours": {"approved": str(view.practice_hours)},
        "diploma": {
            "decided_at": as_utc(view.decision.created_at).isoformat() if view.decision else None,
            "confirmed_at": as_utc(view.confirmation.created_at).isoformat() if view.confirmation else None,
            "eindtermen_met": len(view.readiness.met) if view.readiness else None,
            "eindtermen_total": view.readiness.total if view.readiness else None,
        },
        "competences": [{"key": c.key, "name": c.naam} for c in view.profile.competenties.items],
        "methods": [
            {
                "key": m.method.key,
                "name": m.method.label,
                "evidence": [
                    {
                        "id": i.evidence.id,
                        "version": i.version.number,
                        "title": i.version.title,
                        "submitted": i.submitted,
                    }
                    for i in m.items
                ],
            }
            for m in view.methods
        ],
        "code_of_conduct": view.profile.gedragscode.naam,
    }


# The web layer's Jinja environment (its filters, such as `datum`, and translations), handed in by `app.wiring`:
# this core sits below app.web and may not import it.
_templates: Environment | None = None


def use_templates(env: Environment) -> None:
    global _templates
    _templates = env


def render_pdf(view: RegisterOverview) -> bytes:
    from weasyprint import HTML

    if _templates is None:
        raise HookNotWired("app.development.register has no templates: call app.wiring.wire() at start-up")
    html = _templates.get_template("development/register_pdf.html").render(
        view=view, status_labels=STATUS_LABELS, nl_number=nl_number, today=date.today()
    )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
