"""Readiness and scoring as JSON."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.assessment import service
from app.db import DB, as_utc
from app.deps import registry_of, student_in_scope
from app.errors import ERROR_RESPONSES, error_responses
from app.privacy.access import log_view
from app.readiness import service as readiness
from app.web import require, settings_of

router = APIRouter(tags=["beoordeling"], responses=ERROR_RESPONSES)


@router.get("/students/{student_id}/readiness")
def student_readiness(
    request: Request, db: Session = DB, student: User = Depends(student_in_scope(Permission.student_view))
) -> dict[str, Any]:
    framework, verdict = readiness.readiness_of(db, student=student, registry=registry_of(request))
    log_view(request, db, student_id=student.id or 0, kind="gereedheid")
    return {
        "student_id": student.id,
        "framework": {"id": framework.id, "version": framework.version},
        "ready": verdict.ready,
        "met": len(verdict.met),
        "total": verdict.total,
        "groups": [{"code": g.group.code, "met": g.met, "total": g.total} for g in verdict.groups],
        "missing": [
            {"eindterm": m.code, "reason": m.reason, "text": m.text, "next_action": m.next_action}
            for m in verdict.missing
        ],
    }


@router.get("/assessment/pending")
def pending(db: Session = DB, actor: Actor = Depends(require(Permission.assess))) -> dict[str, Any]:
    return {
        "items": [
            {
                "student_id": i.student.id,
                "student": i.student.name,
                "eindterm": i.slot.eindterm_code,
                "signed_off_at": as_utc(i.signed_off_at).isoformat() if i.signed_off_at else None,
            }
            for i in service.to_assess(db, assessor_id=actor.id)
        ]
    }


class ScoreRequest(BaseModel):
    score: str = Field(max_length=30)
    feedback: str = Field(max_length=20_000)
    # Keys of the rubric's criteria that were met (GET /api/v1/frameworks/{id}/{version} lists them).
    criteria: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=100)


@router.post(
    # 413: feedback of 20,000 characters can pass the JSON body limit (BODY_MAX_BYTES) when escaped.
    "/students/{student_id}/eindtermen/{code}/assessments",
    status_code=201,
    responses=error_responses(400, 409, 413),
)
def score(
    request: Request,
    code: str,
    body: ScoreRequest,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.assess)),
    student: User = Depends(student_in_scope(Permission.assess)),
) -> dict[str, Any]:
    made = service.score(
        db,
        actor=actor,
        registry=registry_of(request),
        student_id=student.id or 0,
        code=code,
        score=body.score,
        feedback=body.feedback,
        criteria=body.criteria,
        settings=settings_of(request),
    )
    return {
        "id": made.id,
        "eindterm": made.eindterm_code,
        "score": made.score,
        "feedback": made.feedback,
        "framework": {"id": made.framework_id, "version": made.framework_version},
        "rubric": made.rubric_criteria,
    }
