"""A student's portfolio as JSON."""

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import Permission
from app.dashboard import service
from app.db import DB, as_utc
from app.deps import registry_of, student_in_scope
from app.errors import ERROR_RESPONSES
from app.evidence.status import STATUS_LABELS
from app.privacy.access import log_view

router = APIRouter(tags=["portfolio"], responses=ERROR_RESPONSES)


@router.get("/students/{student_id}/portfolio")
def student_portfolio(
    request: Request, db: Session = DB, student: User = Depends(student_in_scope(Permission.student_view))
) -> dict[str, Any]:
    view = service.portfolio(db, student=student, registry=registry_of(request))
    log_view(request, db, student_id=student.id or 0, kind="portfolio")
    return {
        "student": {"id": student.id, "name": student.name, "student_number": student.student_number},
        "cohort": {"id": view.cohort.id, "name": view.cohort.name},
        "framework": {"id": view.framework.id, "version": view.framework.version},
        "groups": [
            {
                "code": g.group.code,
                "title": g.group.title,
                "slots": [
                    {
                        "code": s.eindterm.code,
                        "status": s.status,
                        # "onvoldoende" for a score below the framework's minimum, and its label
                        "shown_status": s.shown_status,
                        "status_label": STATUS_LABELS.get(s.shown_status, s.shown_status),
                        "evidence_count": s.evidence_count,
                        "score": s.score,
                        "last_activity_at": as_utc(s.last_activity_at).isoformat() if s.last_activity_at else None,
                    }
                    for s in g.slots
                ],
            }
            for g in view.groups
        ],
    }
