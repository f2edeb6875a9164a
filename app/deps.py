"""What the pages and the API of several packages share: "load and authorize" dependencies, the framework registry
and file storage of the app, the praktijkbegeleider's portal, the student's portfolio page and the slot page (the
score form refused without HTMX answers with it too).

An interface never imports another package's interface; what two of them need lives here or, for how an answer is
shaped, in app.responses (both over every core and app.web, under every interface).
"""

from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.assessment import service as assessment
from app.cohorts import guidance
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, SupervisorAssignment
from app.dashboard import service as dashboard
from app.db import DB, RowId
from app.errors import NotFound
from app.evidence import self_assessment
from app.evidence import service as evidence
from app.framework import service as framework_service
from app.framework.registry import FrameworkRegistry
from app.privacy.access import log_view
from app.readiness import seal
from app.signoff import service as signoff
from app.signoff.models import SupervisorLink
from app.storage import Storage
from app.web import render, render_cached, require, settings_of

# --- what the app holds ------------------------------------------------------------------------------------------


def registry_of(request: Request) -> FrameworkRegistry:
    registry: FrameworkRegistry = request.app.state.frameworks
    return registry


def storage_of(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


# --- load and authorize ------------------------------------------------------------------------------------------


def student_in_scope(permission: Permission):  # type: ignore[no-untyped-def]
    """Dependency: load the student *and* check this actor may see them (else 404)."""

    def dependency(student_id: RowId, db: Session = DB, actor: Actor = Depends(require(permission))) -> User:
        return cohorts.visible_student(db, actor=actor, student_id=student_id)

    return dependency


def cohort_in_scope(permission: Permission):  # type: ignore[no-untyped-def]
    """Dependency: load the cohort *and* check the actor coordinates its programme."""

    def dependency(cohort_id: RowId, db: Session = DB, actor: Actor = Depends(require(permission))) -> Cohort:
        return cohorts.visible_cohort(db, actor=actor, cohort_id=cohort_id)

    return dependency


# --- where a praktijkbegeleider acts (evidence and praktijkuren alike) --------------------------------------------


@dataclass(frozen=True)
class Portal:
    """Where a praktijkbegeleider acts: `/aftekenen` when signed in, `/link/<token>` through a link."""

    base: str
    decider: signoff.Decider
    link: SupervisorLink | None = None
    # Through a link, name and function are confirmed first: once per person, not once per link.
    needs_identity: bool = False


def signed_in_portal(db: Session = DB, actor: Actor = Depends(require(Permission.signoff))) -> Portal:
    return Portal(base="/aftekenen", decider=signoff.decider_for(db, actor=actor))


def link_portal(request: Request, token: str, db: Session = DB) -> Portal:
    """The link's portal. Looking changes nothing. A wrong or tampered token is counted for the client that sent it,
    and only that client's wrong tokens are refused (429) past the limit: a valid link always works, however much
    someone else guessed (a token has 256 random bits; the limit stops scanning, guessing cannot succeed)."""
    found = signoff.find_link(db, token=token)
    if found is None:
        client = request.client.host if request.client else "onbekend"
        signoff.check_link_rate(db, client=client, settings=settings_of(request))
        # Counted in its own transaction: the 404 below rolls back the request's.
        with Session(request.app.state.engine) as own:
            signoff.record_link_failure(own, client=client)
            own.commit()
        raise NotFound(signoff.LINK_GONE)
    link, user = found
    return Portal(
        base=f"/link/{token}",
        decider=signoff.link_decider(link, user),
        link=link,
        needs_identity=not signoff.identity_confirmed(user),
    )


def portal_used(request: Request, db: Session, portal: Portal) -> None:
    """A decision through a link counts as its use (the link's last use and expiry are the service's to keep)."""
    if portal.link is not None:
        signoff.mark_used(db, link=portal.link, settings=settings_of(request))


# --- the student's portfolio (the start page, and the page a submit from it answers with) ------------------------


def own_portfolio_page(request: Request, db: Session, actor: Actor) -> Response:
    student = cohorts.visible_student(db, actor=actor, student_id=actor.id)
    view = dashboard.portfolio(db, student=student, registry=registry_of(request))
    proposal = guidance.pending_of_student(db, student_id=actor.id)
    sealed = seal.seal_info(db, student_id=actor.id)
    return portfolio_page(request, db, view=view, own=True, proposal=proposal, sealed=sealed)


def portfolio_page(
    request: Request,
    db: Session,
    *,
    view: dashboard.PortfolioView,
    own: bool,
    proposal: SupervisorAssignment | None = None,
    sealed: seal.SealInfo | None = None,
) -> Response:
    # The slot list is most of the page's cost; its HTML depends only on the slots' state (view.state) and on
    # whether the portfolio is sealed (no submit checkboxes then).
    editable = own and sealed is None
    # Which slots can be submitted now, and why the others cannot: part of the cache key, since view.state does
    # not hold the justifications or the versions of a returned submission.
    blockers = (
        evidence.submit_blockers(
            db,
            student_id=view.student.id or 0,
            statuses={s.eindterm.code: s.shown_status for g in view.groups for s in g.slots},
        )
        if editable
        else {}
    )
    slot_list = render_cached(
        request,
        "dashboard/_slot_list.html",
        {"view": view, "own": own, "editable": editable, "blockers": blockers},
        key=(own, editable, tuple(sorted(blockers.items())), *view.state),
    )
    return render(
        request,
        "dashboard/portfolio.html",
        {
            "view": view,
            "own": own,
            "editable": editable,
            "slot_list": slot_list,
            "proposal": proposal,
            "sealed": sealed,
        },
    )


# --- one eindterm of one student (the page, and the page a refused score answers with) ----------------------------


def slot_page(request: Request, db: Session, *, code: str, student: User, actor: Actor) -> Response:
    framework, enrolment = evidence.student_framework(db, student_id=student.id or 0, registry=registry_of(request))
    try:
        eindterm = framework.eindterm(code)
    except KeyError:
        raise NotFound("Deze eindterm bestaat niet in het kader van deze student.") from None
    own = actor.id == student.id
    sealed = seal.seal_info(db, student_id=student.id or 0)
    statement = framework_service.statement(framework, code)
    slot = evidence.slots_of(db, student_id=student.id or 0, framework=framework).get(code)
    log_view(request, db, student_id=student.id or 0, kind="eindterm", object_id=code)
    return render(
        request,
        "evidence/slot.html",
        {
            "student": student,
            "own": own,
            "sealed": sealed,
            "editable": own and sealed is None,
            "framework": framework,
            "group": framework.group_of(code),
            "eindterm": eindterm,
            "statement": statement,
            "slot": slot,
            "items": evidence.evidence_for_slot(db, student_id=student.id or 0, code=code, include_drafts=own),
            "history": signoff.slot_history(db, student_id=student.id or 0, code=code),
            "assessments": assessment.history(db, student_id=student.id or 0, code=code),
            "substitutes": assessment.substitutes(db, student_id=student.id or 0, code=code),
            "self_assessments": self_assessment.of_slot(db, student_id=student.id or 0, code=code),
            "rubric": registry_of(request).rubric(framework.id, framework.version, code),
            "rubric_set": registry_of(request).rubric_set(framework.id, framework.version),
            "can_score": actor.can(Permission.assess)
            and enrolment.assessor_id == actor.id
            and slot is not None
            and slot.status in assessment.SCORABLE,
            "can_approve_substitute": actor.can(Permission.substitute_approve)
            and slot is not None
            and slot.status == "niet_mogelijk",
        },
    )
