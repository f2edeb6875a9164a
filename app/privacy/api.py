"""The access log (own) and export status as JSON."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.db import DB, RowId, as_utc
from app.errors import ERROR_RESPONSES
from app.privacy import service
from app.privacy.models import PrivacyExport
from app.web import require

router = APIRouter(tags=["privacy"], responses=ERROR_RESPONSES)


@router.get("/me/access-log")
def own_access_log(
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.portfolio_own)),
) -> dict[str, Any]:
    """Who viewed my portfolio (inzagerecht), most recent first."""
    rows, total = service.access_log(db, student_id=actor.id, page=page)
    return {
        "total": total,
        "page": page,
        "page_size": service.PAGE_SIZE,
        "items": [
            {
                "at": as_utc(row.event.at).isoformat(),
                "viewer": {"id": row.event.viewer_id, "name": row.viewer_name, "roles": row.roles},
                "via_link": row.event.via_link,
                "kind": row.event.kind,
                "object_id": row.event.object_id,
            }
            for row in rows
        ],
    }


def _export_json(export: PrivacyExport) -> dict[str, Any]:
    return {
        "id": export.id,
        "subject_id": export.subject_id,
        "status": export.status,
        "progress": export.progress,
        "created_at": as_utc(export.created_at).isoformat(),
        "finished_at": as_utc(export.finished_at).isoformat() if export.finished_at else None,
        "expires_at": as_utc(export.expires_at).isoformat() if export.expires_at else None,
        "size": export.zip_size,
        "sha256": export.zip_sha256,
        "download_url": f"/privacy/exports/{export.id}/zip" if service.is_downloadable(export) else None,
    }


@router.get("/me/exports")
def my_exports(db: Session = DB, actor: Actor = Depends(require(Permission.signed_in))) -> list[dict[str, Any]]:
    """The exports I requested (my own, or — for a beheerder — on someone's request)."""
    return [_export_json(export) for export, _ in service.exports_requested_by(db, actor_id=actor.id)]


@router.get("/exports/{export_id}")
def export_status(
    export_id: RowId, db: Session = DB, actor: Actor = Depends(require(Permission.signed_in))
) -> dict[str, Any]:
    return _export_json(service.own_export(db, actor_id=actor.id, export_id=export_id))
