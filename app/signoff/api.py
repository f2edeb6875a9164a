"""Aftekening as JSON: what waits for me, decide, the history of a slot."""

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.dashboard.routes import student_in_scope
from app.db import DB, as_utc
from app.framework.routes import registry_of
from app.signoff import service
from app.signoff.models import SignOff
from app.web import require, settings_of

router = APIRouter(tags=["aftekening"])


def sign_off_json(s: SignOff) -> dict[str, Any]:
    return {
        "id": s.id,
        "submission_id": s.submission_id,
        "decision": s.decision,
        "comment": s.comment,
        "decided_at": as_utc(s.decided_at).isoformat(),
        "decided_by": {"name": s.decided_by_name, "email": s.decided_by_email, "function": s.decided_by_function},
        "via_link": s.via_link_id is not None,
    }


@router.get("/signoff/pending")
def pending(request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.signoff))) -> dict[str, Any]:
    items = service.pending_for(db, supervisor_id=actor.id, registry=registry_of(request))
    return {
        "items": [
            {
                "submission_id": i.submission.id,
                "student": {"id": i.student.id, "name": i.student.name},
                "eindterm": i.submission.eindterm_code,
                "submitted_at": as_utc(i.submission.submitted_at).isoformat(),
                "waiting_days": i.waiting_days,
            }
            for i in items
        ]
    }


class DecisionRequest(BaseModel):
    decision: str = Field(pattern="^(afgetekend|terug|niet_mogelijk)$")
    comment: str = Field(default="", max_length=4000)


@router.post("/submissions/{submission_id}/decision", status_code=201)
def decide(
    request: Request,
    submission_id: int,
    body: DecisionRequest,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.signoff)),
) -> dict[str, Any]:
    made = service.decide(
        db,
        decider=service.decider_for(db, actor=actor),
        submission_id=submission_id,
        decision=body.decision,
        comment=body.comment,
        settings=settings_of(request),
    )
    return sign_off_json(made)


@router.get("/students/{student_id}/eindtermen/{code}/history")
def history(
    code: str, db: Session = DB, student: User = Depends(student_in_scope(Permission.student_view))
) -> dict[str, Any]:
    return {
        "items": [
            {
                "submission_id": s.id,
                "submitted_at": as_utc(s.submitted_at).isoformat(),
                "version_ids": s.version_ids,
                "decision": sign_off_json(d) if d else None,
            }
            for s, d in service.slot_history(db, student_id=student.id or 0, code=code)
        ]
    }
