"""Praktijkuren as JSON under /api/v1: the same services as the pages."""

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.db import DB, IdField, RowId, as_utc
from app.deps import registry_of, student_in_scope
from app.errors import ERROR_RESPONSES, NotFound, error_responses
from app.hours import service
from app.web import require

router = APIRouter(tags=["praktijkuren"], responses=ERROR_RESPONSES)


def _totals(t: service.PeriodTotals | service.HoursTotals) -> dict[str, str]:
    return {
        "approved": str(t.approved),
        "pending": str(t.pending),
        "returned": str(t.returned),
        "concept": str(t.concept),
    }


def entry_json(view: service.EntryView) -> dict[str, Any]:
    e, d = view.entry, view.decision
    return {
        "id": e.id,
        "date": e.work_date.isoformat(),
        "week": view.week,
        "hours": str(Decimal(e.hours).quantize(Decimal("0.01"))),
        "activity": e.activity,
        "workplace": e.workplace,
        "eindtermen": e.eindterm_codes,
        "clients": e.client_codes,
        "status": view.status.value,
        "replaces_id": e.replaces_id,
        "replaced_by_id": view.replaced_by_id,
        "submitted_at": as_utc(e.submitted_at).isoformat() if e.submitted_at else None,
        "decision": None
        if d is None
        else {
            "decision": d.decision,
            "comment": d.comment,
            "decided_at": as_utc(d.decided_at).isoformat(),
            "decided_by": d.decided_by_name,
            "via_link": d.via_link_id is not None,
        },
    }


@router.get("/students/{student_id}/hours")
def student_hours(
    db: Session = DB, student: User = Depends(student_in_scope(Permission.student_view))
) -> dict[str, Any]:
    """Every entry (all cohorts) with its state, and totals overall, per ISO week and per month."""
    views = service.entries_of(db, student_id=student.id or 0)
    totals = service.totals_of(views)
    return {
        "student_id": student.id,
        "totals": _totals(totals),
        "weeks": [{"week": w.key, **_totals(w)} for w in totals.weeks],
        "months": [{"month": m.key, **_totals(m)} for m in totals.months],
        "entries": [entry_json(v) for v in views],
    }


class HoursRequest(BaseModel):
    date: str = Field(default="", description="jjjj-mm-dd")
    hours: str = Field(default="", description="In stappen van 0.25, > 0 en hoogstens 24 (ook per dag).")
    activity: str = ""
    workplace: str = Field(default="", description="Leeg: de werkplek uit de inschrijving.")
    eindtermen: list[str] = Field(default_factory=list)
    clients: list[str] = Field(default_factory=list, description="Cliëntcodes zoals K-017, nooit namen.")
    replaces_id: IdField | None = Field(default=None, description="De teruggestuurde regel die dit corrigeert.")


@router.post("/students/{student_id}/hours", status_code=201, responses=error_responses(400, 409))
def log_hours(
    request: Request,
    student_id: RowId,
    body: HoursRequest,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.hours_write)),
) -> dict[str, Any]:
    """Log a concept entry for oneself; submit the week on the page to send it to the praktijkbegeleider."""
    if student_id != actor.id:
        raise NotFound()
    entry = service.log_hours(
        db,
        student_id=actor.id,
        registry=registry_of(request),
        data=service.HoursInput(
            work_date=body.date,
            hours=body.hours,
            activity=body.activity,
            workplace=body.workplace,
            eindtermen=body.eindtermen,
            clients=",".join(body.clients),
            replaces_id=body.replaces_id,
        ),
    )
    view = next(v for v in service.entries_of(db, student_id=actor.id) if v.entry.id == entry.id)
    return entry_json(view)
