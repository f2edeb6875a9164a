"""Programme settings: the minimum of approved praktijkuren a coordinator sets for a programme."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.cohorts import service
from app.cohorts.models import Programme
from app.db import DB, RowId
from app.deps import registry_of
from app.errors import InvalidInput
from app.hours import service as hours_service
from app.i18n import lazy
from app.responses import done
from app.web import render, require

router = APIRouter()


def programme_in_scope(permission: Permission):  # type: ignore[no-untyped-def]
    """Dependency: load the programme *and* check the actor coordinates it (anything else is 404)."""

    def dependency(programme_id: RowId, db: Session = DB, actor: Actor = Depends(require(permission))) -> Programme:
        return service.coordinated_programme(db, actor=actor, programme_id=programme_id)

    return dependency


def _minimum_page(
    request: Request, db: Session, programme: Programme, *, value: str | None = None, error: str | None = None
) -> Response:
    own = programme.minimum_practice_hours
    return render(
        request,
        "cohorts/programme_hours.html",
        {
            "programme": programme,
            "frameworks": hours_service.framework_minimums(
                db, programme_id=programme.id or 0, registry=registry_of(request)
            ),
            "value": ("" if own is None else str(own)) if value is None else value,
            "error": error,
        },
        status_code=422 if error else 200,
    )


@router.get("/opleidingen/{programme_id}/praktijkuren")
def programme_hours_form(
    request: Request, db: Session = DB, programme: Programme = Depends(programme_in_scope(Permission.cohort_manage))
) -> Response:
    return _minimum_page(request, db, programme)


@router.post("/opleidingen/{programme_id}/praktijkuren")
def set_programme_hours(
    request: Request,
    minimum_hours: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.cohort_manage)),
    programme: Programme = Depends(programme_in_scope(Permission.cohort_manage)),
) -> Response:
    try:
        hours = hours_service.parse_minimum(minimum_hours)
        hours_service.set_programme_minimum(db, programme_id=programme.id or 0, hours=hours, actor_id=actor.id)
    except InvalidInput as exc:
        return _minimum_page(request, db, programme, value=minimum_hours[:20], error=exc.message)
    if hours is None:
        notice = lazy("%(programme)s volgt nu het minimum aantal praktijkuren van het kader.", programme=programme.name)
    else:
        notice = lazy(
            "Het minimum voor %(programme)s is nu %(hours)s goedgekeurde praktijkuren.",
            programme=programme.name,
            hours=str(hours),
        )
    return done(request, f"/opleidingen/{programme.id}/praktijkuren", notice)
