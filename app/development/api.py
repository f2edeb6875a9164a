"""Register readiness as JSON under /api/v1."""

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.db import DB
from app.deps import registry_of, student_in_scope
from app.development import register
from app.errors import ERROR_RESPONSES
from app.privacy.access import log_view
from app.web import require

router = APIRouter(tags=["register"], responses=ERROR_RESPONSES)


@router.get("/students/{student_id}/register")
def student_register(
    request: Request,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.student_view)),
    student: User = Depends(student_in_scope(Permission.student_view)),
) -> dict[str, Any]:
    """Register readiness: each requirement of the beroepsprofiel with its status and proof."""
    log_view(request, db, student_id=student.id or 0, kind="register")
    view = register.overview(db, student=student, registry=registry_of(request), own=actor.id == student.id)
    return register.overview_json(view)
