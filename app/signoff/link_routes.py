"""Aftekenen through a personal link (no account): the portal's pages of app.signoff.routes under `/link/<token>`,
confirming who one is, turning the link into an account, the files of a request, and asking for a new link."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts import service as accounts
from app.db import DB, RowId
from app.deps import Portal, link_portal, storage_of
from app.evidence import service as evidence
from app.i18n import lazy
from app.privacy.access import log_link_view
from app.responses import done, file_response, shown_in_place
from app.signoff import service
from app.signoff.routes import (
    Endpoint,
    bulk_endpoint,
    bulk_student_endpoint,
    client_page,
    decide_endpoint,
    notification_choice_endpoint,
    pending_endpoint,
    review_endpoint,
)
from app.web import public, render, settings_of

router = APIRouter(dependencies=[Depends(public)])


def _look(path: str, name: str | None = None) -> Callable[[Endpoint], Endpoint]:
    """A page to look at: GET, and HEAD for the mail scanners that check a link (a HEAD is never logged as a view)."""
    return router.api_route(path, methods=["GET", "HEAD"], include_in_schema=False, name=name)


_look("/link/{token}", "link_home")(pending_endpoint(link_portal))
router.post("/link/{token}", name="link_bulk")(bulk_endpoint(link_portal))
router.post("/link/{token}/studenten/{student_id}/alles", name="link_bulk_student")(bulk_student_endpoint(link_portal))


@router.post("/link/{token}/bevestigen")
def link_confirm(
    request: Request,
    naam: Annotated[str, Form()] = "",
    functie: Annotated[str, Form()] = "",
    db: Session = DB,
    portal: Portal = Depends(link_portal),
) -> Response:
    assert portal.link is not None
    service.confirm_identity(db, link=portal.link, name=naam, function=functie)
    return done(request, portal.base)


@router.post("/link/{token}/account")
def link_account(
    request: Request,
    wachtwoord: Annotated[str, Form()] = "",
    db: Session = DB,
    portal: Portal = Depends(link_portal),
) -> Response:
    assert portal.link is not None
    service.turn_into_account(db, link=portal.link, password=wachtwoord)
    notice = lazy("Uw account is aangemaakt. U kunt voortaan ook inloggen met uw e-mailadres.")
    return shown_in_place(request, lambda: client_page(request, db, portal), notice=notice)


router.post("/link/{token}/meldingen", name="link_notification_choice")(notification_choice_endpoint(link_portal))
_look("/link/{token}/verzoeken/{submission_id}", "link_review")(review_endpoint(link_portal))
router.post("/link/{token}/verzoeken/{submission_id}", name="link_decide")(decide_endpoint(link_portal))


@_look("/link/{token}/bestanden/{blob_id}")
def link_file(request: Request, blob_id: RowId, db: Session = DB, portal: Portal = Depends(link_portal)) -> Response:
    """A file of a submitted version, for the link's praktijkbegeleider only (same checks as a signed-in one)."""
    actor = accounts.actor_for(db, user_id=portal.decider.user_id)
    blob = evidence.visible_blob(db, actor=actor, blob_id=blob_id)
    if request.method != "HEAD":
        log_link_view(
            db, supervisor_id=portal.decider.user_id, student_id=blob.student_id, kind="bestand", object_id=blob.id
        )
    return file_response(storage_of(request), blob, inline=False)


@router.get("/aftekenlink")
def new_link_form(request: Request) -> Response:
    return render(request, "signoff/new_link.html", {})


@router.post("/aftekenlink")
def new_link(request: Request, email: Annotated[str, Form()] = "", db: Session = DB) -> Response:
    """A lost link asked for again. The same answer for any address; shares the login limit (as the password
    reset does), so that the form cannot be used to fill someone's inbox."""
    client = request.client.host if request.client else "onbekend"
    settings = settings_of(request)
    if not accounts.authenticate_limit_reached(db, email=email, client=client, settings=settings):
        service.request_new_link(db, email=email, settings=settings)
        accounts.record_failed_attempt(db, email=email, client=client)
    return render(request, "signoff/new_link.html", {"sent": True})
