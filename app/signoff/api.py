"""Aftekening as JSON: what waits for me, decide, the history of a slot."""

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.db import DB, RowId, as_utc
from app.deps import registry_of, student_in_scope
from app.errors import ERROR_RESPONSES, error_responses
from app.signoff import service
from app.signoff.models import SignOff
from app.web import require, settings_of

router = APIRouter(tags=["aftekening"], responses=ERROR_RESPONSES)


class DecidedBy(BaseModel):
    name: str
    email: str
    function: str | None


class SignOffOut(BaseModel):
    id: int
    submission_id: int
    decision: str
    comment: str
    decided_at: str
    decided_by: DecidedBy
    via_link: bool


class PendingStudent(BaseModel):
    id: int
    name: str


class PendingItem(BaseModel):
    submission_id: int
    student: PendingStudent
    eindterm: str
    submitted_at: str
    waiting_days: int


class PendingList(BaseModel):
    items: list[PendingItem]


class HistoryItem(BaseModel):
    submission_id: int
    submitted_at: str
    version_ids: list[int]
    decision: SignOffOut | None


class History(BaseModel):
    items: list[HistoryItem]


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


@router.get("/signoff/pending", response_model=PendingList)
def pending(request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.signoff))) -> dict[str, Any]:
    items = service.pending_for(db, supervisor_id=actor.id, registry=registry_of(request))
    return {
        "items": [
            {
                "submission_id": i.submission_id,
                "student": {"id": i.student_id, "name": i.student_name},
                "eindterm": i.eindterm_code,
                "submitted_at": as_utc(i.submitted_at).isoformat(),
                "waiting_days": i.waiting_days,
            }
            for i in items
        ]
    }


class DecisionRequest(BaseModel):
    decision: str = Field(pattern="^(afgetekend|terug|niet_mogelijk)$")
    comment: str = Field(default="", max_length=4000)


@router.post(
    "/submissions/{submission_id}/decision",
    status_code=201,
    response_model=SignOffOut,
    responses=error_responses(400, 409),
)
def decide(
    request: Request,
    submission_id: RowId,
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


@router.get("/students/{student_id}/eindtermen/{code}/history", response_model=History)
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
