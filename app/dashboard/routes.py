"""Start pages: the student's portfolio, a staff member's students, one student's portfolio."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.cohorts import service as cohorts
from app.dashboard import service
from app.db import DB
from app.deps import own_portfolio_page, portfolio_page, registry_of, student_in_scope
from app.privacy.access import log_view
from app.readiness import seal
from app.web import render, require

router = APIRouter()


@router.get("/portfolio")
def own_portfolio(
    request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.portfolio_own))
) -> Response:
    return own_portfolio_page(request, db, actor)


@router.get("/studenten/{student_id}")
def student_portfolio(
    request: Request, db: Session = DB, student: User = Depends(student_in_scope(Permission.student_view))
) -> Response:
    view = service.portfolio(db, student=student, registry=registry_of(request))
    log_view(request, db, student_id=student.id or 0, kind="portfolio")
    sealed = seal.seal_info(db, student_id=student.id or 0)
    return portfolio_page(request, db, view=view, own=False, sealed=sealed)


@router.get("/mijn-studenten")
def my_students(
    request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.students_assigned))
) -> Response:
    return render(request, "dashboard/my_students.html", {"rows": cohorts.assigned_students(db, actor=actor)})
