"""Beoordelen and diplomagereedheid pages."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.assessment import service
from app.dashboard.routes import student_in_scope
from app.db import DB
from app.framework.routes import registry_of
from app.readiness import service as readiness
from app.web import redirect, render, require, settings_of

router = APIRouter()


@router.get("/te-beoordelen")
def to_assess(request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.assess))) -> Response:
    return render(request, "assessment/to_assess.html", {"items": service.to_assess(db, assessor_id=actor.id)})


@router.post("/studenten/{student_id}/eindtermen/{code}/beoordeling")
def score(
    request: Request,
    code: str,
    score: Annotated[str, Form()] = "",
    feedback: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.assess)),
    student: User = Depends(student_in_scope(Permission.assess)),
) -> Response:
    service.score(
        db,
        actor=actor,
        registry=registry_of(request),
        student_id=student.id or 0,
        code=code,
        score=score,
        feedback=feedback,
        settings=settings_of(request),
    )
    return redirect(f"/studenten/{student.id}/eindtermen/{code}", request)


@router.post("/studenten/{student_id}/eindtermen/{code}/vervangende-opdracht")
def substitute(
    request: Request,
    code: str,
    omschrijving: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.substitute_approve)),
    student: User = Depends(student_in_scope(Permission.substitute_approve)),
) -> Response:
    service.approve_substitute(db, actor=actor, student_id=student.id or 0, code=code, description=omschrijving)
    return redirect(f"/studenten/{student.id}/eindtermen/{code}", request)


@router.get("/studenten/{student_id}/gereedheid")
def readiness_page(
    request: Request, db: Session = DB, student: User = Depends(student_in_scope(Permission.student_view))
) -> Response:
    framework, verdict = readiness.readiness_of(db, student=student, registry=registry_of(request))
    return render(
        request, "assessment/readiness.html", {"student": student, "framework": framework, "readiness": verdict}
    )
