"""Start pages: the student's portfolio, a staff member's students, one student's portfolio."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.cohorts import guidance
from app.cohorts import service as cohorts
from app.cohorts.models import SupervisorAssignment
from app.dashboard import service
from app.db import DB, RowId
from app.evidence import service as evidence_service
from app.framework.routes import registry_of
from app.privacy.access import log_view
from app.readiness import seal
from app.web import render, render_cached, require

router = APIRouter()


def student_in_scope(permission: Permission):  # type: ignore[no-untyped-def]
    """Dependency: load the student *and* check this actor may see them (else 404)."""

    def dependency(student_id: RowId, db: Session = DB, actor: Actor = Depends(require(permission))) -> User:
        return cohorts.visible_student(db, actor=actor, student_id=student_id)

    return dependency


@router.get("/portfolio")
def own_portfolio(
    request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.portfolio_own))
) -> Response:
    student = cohorts.visible_student(db, actor=actor, student_id=actor.id)
    view = service.portfolio(db, student=student, registry=registry_of(request))
    proposal = guidance.pending_of_student(db, student_id=actor.id)
    sealed = seal.seal_info(db, student_id=actor.id)
    return _portfolio_page(request, db, view=view, own=True, proposal=proposal, sealed=sealed)


@router.get("/studenten/{student_id}")
def student_portfolio(
    request: Request, db: Session = DB, student: User = Depends(student_in_scope(Permission.student_view))
) -> Response:
    view = service.portfolio(db, student=student, registry=registry_of(request))
    log_view(request, db, student_id=student.id or 0, kind="portfolio")
    sealed = seal.seal_info(db, student_id=student.id or 0)
    return _portfolio_page(request, db, view=view, own=False, sealed=sealed)


def _portfolio_page(
    request: Request,
    db: Session,
    *,
    view: service.PortfolioView,
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
        evidence_service.submit_blockers(
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


@router.get("/mijn-studenten")
def my_students(
    request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.students_assigned))
) -> Response:
    return render(request, "dashboard/my_students.html", {"rows": cohorts.assigned_students(db, actor=actor)})
