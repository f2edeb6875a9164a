"""Erasure on request (beheerder) and recording that a student left the programme (coordinator)."""

from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.cohorts.models import Cohort
from app.db import DB, RowId
from app.deps import cohort_in_scope, storage_of
from app.errors import DomainError, InvalidInput
from app.i18n import N_
from app.privacy import erasure, retention
from app.responses import done
from app.web import render, require, settings_of

router = APIRouter()


@router.get("/beheer/personen/{user_id}/verwijderen")
def erase_form(
    request: Request,
    user_id: RowId,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.person_erase)),
) -> Response:
    return render(
        request,
        "privacy/erasure.html",
        {
            "preview": erasure.preview(db, user_id=user_id, settings=settings_of(request)),
            "is_self": actor.id == user_id,
        },
    )


@router.post("/beheer/personen/{user_id}/verwijderen")
def erase(
    request: Request,
    user_id: RowId,
    reden: Annotated[str, Form()] = "",
    bevestiging: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.person_erase)),
) -> Response:
    settings = settings_of(request)
    try:
        result = erasure.erase_person(
            db,
            actor_id=actor.id,
            user_id=user_id,
            reason=reden,
            confirmation=bevestiging,
            storage=storage_of(request),
            settings=settings,
        )
    except DomainError as exc:
        db.rollback()
        return render(
            request,
            "privacy/erasure.html",
            {
                "preview": erasure.preview(db, user_id=user_id, settings=settings),
                "is_self": actor.id == user_id,
                "error": exc.message,
                "form": {"reden": reden},
            },
            status_code=exc.status_code,
        )
    return render(request, "privacy/erasure_done.html", {"result": result})


@router.post("/cohorten/{cohort_id}/studenten/{student_id}/uitschrijving")
def record_leaving(
    request: Request,
    student_id: RowId,
    datum: Annotated[str, Form()] = "",
    ongedaan: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.cohort_manage)),
    cohort: Cohort = Depends(cohort_in_scope(Permission.cohort_manage)),
) -> Response:
    """The date the student left (starts the retention clock for their evidence); 'ongedaan' clears it."""
    left_at: datetime | None = None
    if ongedaan != "ja":
        try:
            day = date.fromisoformat(datum.strip())
        except ValueError:
            raise InvalidInput(N_("Vul een geldige datum van uitschrijving in.")) from None
        left_at = datetime.combine(day, time(0, 0), tzinfo=UTC)
    retention.set_left(db, actor_id=actor.id, cohort_id=cohort.id or 0, student_id=student_id, left_at=left_at)
    return done(request, f"/cohorten/{cohort.id}")
