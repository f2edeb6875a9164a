"""Koppeling goedkeuren: the coordinator's list of voorstellen, the approval screen, approve and reject."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.cohorts import guidance
from app.db import DB, RowId
from app.errors import InvalidInput
from app.responses import done
from app.signoff import approval_preview
from app.web import render, require, settings_of

router = APIRouter()


@router.get("/koppelingen")
def proposals(
    request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.assignment_approve))
) -> Response:
    return render(request, "cohorts/proposals.html", {"proposals": guidance.pending_proposals(db, actor=actor)})


def _approval_page(
    request: Request, db: Session, actor: Actor, assignment_id: int, *, error: str | None = None, status: int = 200
) -> Response:
    preview = approval_preview.approval_preview(db, actor=actor, assignment_id=assignment_id)
    return render(request, "cohorts/proposal.html", {"p": preview, "error": error}, status_code=status)


@router.get("/koppelingen/{assignment_id}")
def proposal(
    request: Request,
    assignment_id: RowId,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.assignment_approve)),
) -> Response:
    return _approval_page(request, db, actor, assignment_id)


@router.post("/koppelingen/{assignment_id}/goedkeuren")
def approve(
    request: Request,
    assignment_id: RowId,
    werkplek: Annotated[str, Form()] = "",
    bevestig_rol: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.assignment_approve)),
) -> Response:
    try:
        guidance.approve(
            db,
            actor=actor,
            assignment_id=assignment_id,
            workplace=werkplek,
            confirm_role=bevestig_rol == "ja",
            settings=settings_of(request),
        )
    except InvalidInput as exc:
        db.rollback()
        return _approval_page(request, db, actor, assignment_id, error=exc.message, status=422)
    return done(request, "/koppelingen")


@router.post("/koppelingen/{assignment_id}/afwijzen")
def reject(
    request: Request,
    assignment_id: RowId,
    reden: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.assignment_approve)),
) -> Response:
    try:
        guidance.reject(db, actor=actor, assignment_id=assignment_id, reason=reden)
    except InvalidInput as exc:
        db.rollback()
        return _approval_page(request, db, actor, assignment_id, error=exc.message, status=422)
    return done(request, "/koppelingen")
