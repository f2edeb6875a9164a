"""Privacy pages: the statement, the register, the student's inzage (who viewed what), exports."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.db import DB, RowId
from app.errors import NotFound
from app.privacy import accessibility, service
from app.privacy import export as export_builder
from app.privacy.access import log_view
from app.privacy.models import PrivacyExport
from app.privacy.register import REGISTER
from app.responses import done, download_headers
from app.web import optional_actor, public, render, require, settings_of

router = APIRouter()


@router.get("/privacy", dependencies=[Depends(public)])
def statement(request: Request, _actor: Actor | None = Depends(optional_actor)) -> Response:
    """The privacy statement: what is stored, why, how long, your rights, whom to contact. Public."""
    settings = settings_of(request)
    return render(
        request,
        "privacy/statement.html",
        {"register": REGISTER, "settings": settings, "contact": settings.privacy_contact},
    )


@router.get("/toegankelijkheid", dependencies=[Depends(public)])
def accessibility_statement(request: Request, _actor: Actor | None = Depends(optional_actor)) -> Response:
    """The accessibility statement in the format Dutch public bodies use, from what the browser tests check."""
    context = {"checks": accessibility.load_checks(), "contact": settings_of(request).privacy_contact}
    return render(request, "privacy/accessibility.html", context)


@router.get("/privacy/register")
def register_page(request: Request, actor: Actor = Depends(require(Permission.privacy_register))) -> Response:
    return render(request, "privacy/register.html", {"register": REGISTER, "settings": settings_of(request)})


@router.get("/portfolio/inzage")
def access_log_page(
    request: Request,
    pagina: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.portfolio_own)),
) -> Response:
    rows, total = service.access_log(db, student_id=actor.id, page=pagina)
    pages = max((total + service.PAGE_SIZE - 1) // service.PAGE_SIZE, 1)
    return render(
        request,
        "privacy/access_log.html",
        {"rows": rows, "total": total, "page": pagina, "pages": pages, "kinds": service.ACCESS_KINDS},
    )


# --- exports ---------------------------------------------------------------------------------------------


def _start(request: Request, background: BackgroundTasks, db: Session, actor: Actor, subject_id: int) -> Response:
    export = service.request_export(db, actor_id=actor.id, subject_id=subject_id)
    if export.status == "wacht" and export.progress == 0:
        # The session dependency commits before the response; the build then runs in the background.
        background.add_task(
            export_builder.build,
            request.app.state.engine,
            request.app.state.storage,
            settings_of(request),
            export.id or 0,
        )
    return done(request, f"/privacy/exports/{export.id}")


def _exports_page(permission: Permission, *, any_person: bool) -> Callable[..., Response]:
    """The exports this actor asked for: of their own data, or (a beheerder) of anyone's."""

    def exports_page(request: Request, db: Session = DB, actor: Actor = Depends(require(permission))) -> Response:
        context = {"exports": service.exports_requested_by(db, actor_id=actor.id), "any": any_person}
        return render(request, "privacy/exports.html", context)

    return exports_page


router.get("/portfolio/export", name="own_export_page")(_exports_page(Permission.portfolio_own, any_person=False))


@router.post("/portfolio/export")
def start_own_export(
    request: Request,
    background: BackgroundTasks,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.portfolio_own)),
) -> Response:
    return _start(request, background, db, actor, actor.id)


router.get("/beheer/export", name="any_export_page")(_exports_page(Permission.privacy_export_any, any_person=True))


@router.post("/beheer/export")
def start_any_export(
    request: Request,
    background: BackgroundTasks,
    persoon: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.privacy_export_any)),
) -> Response:
    person = service.find_person(db, query=persoon)
    return _start(request, background, db, actor, person.id or 0)


def _own_export(
    export_id: RowId, db: Session = DB, actor: Actor = Depends(require(Permission.signed_in))
) -> PrivacyExport:
    return service.own_export(db, actor_id=actor.id, export_id=export_id)


@router.get("/privacy/exports/{export_id}")
def export_page(request: Request, db: Session = DB, export: PrivacyExport = Depends(_own_export)) -> Response:
    """Polls itself with HTMX until the ZIP is ready: a progress bar, then the download."""
    subject = db.get(User, export.subject_id)
    return render(
        request,
        "privacy/export.html",
        {"export": export, "subject": subject, "downloadable": service.is_downloadable(export)},
    )


@router.get("/privacy/exports/{export_id}/zip")
def export_download(request: Request, db: Session = DB, export: PrivacyExport = Depends(_own_export)) -> Response:
    if not service.is_downloadable(export) or export.zip_key is None:
        raise NotFound("Deze export is (nog) niet beschikbaar of is verlopen.")
    log_view(request, db, student_id=export.subject_id, kind="export", object_id=export.id)
    name = f"persoonsgegevens-{export.subject_id}-{export.id}.zip"
    headers = download_headers(name)
    if export.zip_size is not None:
        headers["Content-Length"] = str(export.zip_size)
    return StreamingResponse(
        request.app.state.storage.open_chunks(export.zip_key), media_type="application/zip", headers=headers
    )
