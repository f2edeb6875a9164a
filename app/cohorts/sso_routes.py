"""A programme's school accounts: which people have a linked SSO identity, and which institutions may sign in."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts import sso
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.cohorts import service, sso_institutions
from app.db import DB, RowId
from app.errors import InvalidInput
from app.i18n import lazy
from app.responses import done, refused_in_place
from app.web import render, require, settings_of

router = APIRouter()


@router.get("/opleidingen/{programme_id}/schoolaccounts")
def school_accounts(
    request: Request,
    programme_id: RowId,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.cohort_manage)),
) -> Response:
    return _page(request, db, actor, programme_id)


def _page(request: Request, db: Session, actor: Actor, programme_id: int, *, typed: str | None = None) -> Response:
    programme = service.coordinated_programme(db, actor=actor, programme_id=programme_id)
    issuers = {p.issuer: p.display_name for p in sso.providers(settings_of(request)).values()}
    institutions = sso_institutions.institutions_of(db, programme_id=programme_id)
    return render(
        request,
        "cohorts/school_accounts.html",
        {
            "programme": programme,
            # After a refusal: what the coordinator typed, not the stored list, so nothing typed is lost.
            "institutions_text": "\n".join(institutions) if typed is None else typed,
            "people": sso_institutions.linked_accounts(db, programme_id=programme_id),
            "issuers": issuers,
        },
    )


@router.post("/opleidingen/{programme_id}/schoolaccounts")
def set_institutions(
    request: Request,
    programme_id: RowId,
    institutions: Annotated[str, Form(max_length=2000)] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.cohort_manage)),
) -> Response:
    programme = service.coordinated_programme(db, actor=actor, programme_id=programme_id)
    chosen = {part for part in institutions.replace(",", "\n").splitlines() if part.strip()}
    try:
        sso_institutions.set_institutions(db, programme_id=programme_id, institutions=chosen, actor_id=actor.id)
    except InvalidInput as refused:
        return refused_in_place(
            request, "instellingen-fout", refused, lambda: _page(request, db, actor, programme_id, typed=institutions)
        )
    notice = lazy("De toegestane instellingen van %(programme)s zijn opgeslagen.", programme=programme.name)
    return done(request, f"/opleidingen/{programme_id}/schoolaccounts", notice)
