"""Recording views for the access log from routes: one call per view, one INSERT, no reads."""

from typing import Any

from fastapi import Request
from sqlmodel import Session

from app.privacy import service


def log_view(request: Request, db: Session, *, student_id: int, kind: str, object_id: Any = None) -> None:
    """The signed-in viewer (already resolved by the route's permission dependency) looked at a student's data."""
    actor = getattr(request.state, "actor", None)
    if actor is None:
        return
    service.record_view(
        db,
        viewer_id=actor.id,
        student_id=student_id,
        kind=kind,
        object_id=object_id,
        viewer_roles=",".join(sorted(str(role) for role in actor.roles)),
    )


def log_link_view(db: Session, *, supervisor_id: int, student_id: int, kind: str, object_id: Any = None) -> None:
    """A praktijkbegeleider through the account-free link: the supervisor user behind the link is the viewer."""
    service.record_view(
        db,
        viewer_id=supervisor_id,
        student_id=student_id,
        kind=kind,
        object_id=object_id,
        viewer_roles="praktijkbegeleider",
        via_link=True,
    )
