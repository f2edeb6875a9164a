"""Pages: the development log (add, correct, withdraw; certificates streamed), and the register overview + PDF."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from app.accounts.models import User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.bodylimit import large_body
from app.cohorts import service as cohorts
from app.db import DB, RowId
from app.deps import registry_of, storage_of, student_in_scope
from app.development import register, service
from app.development.models import DevelopmentEntry
from app.evidence.service import FieldErrors
from app.privacy.access import log_view
from app.responses import done, download_headers, file_response
from app.storage import SpooledFile
from app.storage.multipart import read_multipart, request_budget
from app.web import render, require

router = APIRouter()


def _log_context(request: Request, db: Session, student: User, *, own: bool, **extra: Any) -> dict[str, Any]:
    profile = register.profile_of(registry_of(request))
    return {
        "student": student,
        "own": own,
        "profile": profile,
        "log": service.development_log(db, student_id=student.id or 0, profile=profile),
        "kinds": service.KIND_LABELS,
        "form": service.EntryInput(),
        "errors": {},
        "entry": None,
        "max_size": request.app.state.settings.upload_max_bytes,
        "nl_number": register.nl_number,
        **extra,
    }


def _me(db: Session, actor: Actor) -> User:
    return cohorts.visible_student(db, actor=actor, student_id=actor.id)


# --- the student's own log ---------------------------------------------------------------------------------------


@router.get("/portfolio/ontwikkeling")
def own_log(
    request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.development_write))
) -> Response:
    return render(request, "development/log.html", _log_context(request, db, _me(db, actor), own=True))


async def _read_form(request: Request) -> tuple[service.EntryInput, list[SpooledFile]]:
    settings = request.app.state.settings
    files: list[SpooledFile] = []
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        fields, files = await read_multipart(
            request,
            spool_dir=storage_of(request).spool_dir(),
            max_file_bytes=settings.upload_max_bytes,
            max_files=settings.upload_max_files,
        )
    else:
        form = await request.form()
        fields = {key: [str(v) for v in form.getlist(key)] for key in form}

    def one(name: str) -> str:
        return (fields.get(name) or [""])[0]

    data = service.EntryInput(
        kind=one("kind"),
        title=one("title"),
        provider=one("provider"),
        entry_date=one("entry_date"),
        hours=one("hours"),
        ec=one("ec"),
        note=one("note"),
        keep_certificate=one("keep_certificate") == "ja",
    )
    return data, files


async def _save(request: Request, db: Session, actor: Actor, replaces: DevelopmentEntry | None) -> Response:
    try:
        data, files = await _read_form(request)
    except ClientDisconnect:
        return Response(status_code=400)
    try:
        await run_in_threadpool(
            service.add_entry,
            db,
            actor=actor,
            storage=storage_of(request),
            data=data,
            files=files,
            replaces=replaces,
        )
    except FieldErrors as exc:
        db.rollback()
        context = _log_context(
            request,
            db,
            _me(db, actor),
            own=True,
            form=data,
            errors=exc.errors,
            entry=replaces,
            files_dropped=bool(files),
        )
        template = "development/correct.html" if replaces is not None else "development/log.html"
        return render(request, template, context, status_code=422)
    finally:
        for spooled in files:
            spooled.discard()
    return done(request, "/portfolio/ontwikkeling")


@router.post("/portfolio/ontwikkeling")
@large_body(request_budget)
async def add_entry(
    request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.development_write))
) -> Response:
    return await _save(request, db, actor, None)


def own_entry(
    development_id: RowId, db: Session = DB, actor: Actor = Depends(require(Permission.development_write))
) -> DevelopmentEntry:
    """Dependency: one of the signed-in student's own entries (else 404)."""
    return service.own_entry(db, student_id=actor.id, entry_id=development_id)


@router.get("/portfolio/ontwikkeling/{development_id}/corrigeren")
def correct_form(
    request: Request,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.development_write)),
    entry: DevelopmentEntry = Depends(own_entry),
) -> Response:
    context = _log_context(request, db, _me(db, actor), own=True, form=service.form_of(entry), entry=entry)
    return render(request, "development/correct.html", context)


@router.post("/portfolio/ontwikkeling/{development_id}/correctie")
@large_body(request_budget)
async def correct_entry(
    request: Request,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.development_write)),
    entry: DevelopmentEntry = Depends(own_entry),
) -> Response:
    return await _save(request, db, actor, entry)


@router.post("/portfolio/ontwikkeling/{development_id}/intrekken")
def withdraw_entry(
    request: Request,
    reden: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.development_write)),
    entry: DevelopmentEntry = Depends(own_entry),
) -> Response:
    service.withdraw_entry(db, actor=actor, entry_id=entry.id or 0, reason=reden)
    return done(request, "/portfolio/ontwikkeling")


# --- a student's log for staff in scope (and the student) --------------------------------------------------------


@router.get("/studenten/{student_id}/ontwikkeling")
def student_log(
    request: Request,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.student_view)),
    student: User = Depends(student_in_scope(Permission.student_view)),
) -> Response:
    log_view(request, db, student_id=student.id or 0, kind="ontwikkeling")
    return render(request, "development/log.html", _log_context(request, db, student, own=actor.id == student.id))


@router.get("/studenten/{student_id}/ontwikkeling/{development_id}/certificaat")
def certificate(
    request: Request,
    development_id: RowId,
    db: Session = DB,
    student: User = Depends(student_in_scope(Permission.student_view)),
) -> Response:
    blob = service.certificate_of(db, student_id=student.id or 0, entry_id=development_id)
    log_view(request, db, student_id=student.id or 0, kind="bestand", object_id=blob.id)
    return file_response(storage_of(request), blob, inline=False)


# --- register readiness ------------------------------------------------------------------------------------------


def _overview_page(request: Request, db: Session, student: User, own: bool) -> Response:
    view = register.overview(db, student=student, registry=registry_of(request), own=own)
    return render(
        request,
        "development/register.html",
        {
            "view": view,
            "student": student,
            "own": own,
            "labels": register.STATUS_LABELS,
            "nl_number": register.nl_number,
        },
    )


def _pdf(db: Session, request: Request, student: User, own: bool) -> Response:
    view = register.overview(db, student=student, registry=registry_of(request), own=own)
    pdf = register.render_pdf(view)
    name = f"registeroverzicht-{student.student_number or student.id}.pdf"
    return Response(pdf, media_type="application/pdf", headers=download_headers(name))


@router.get("/portfolio/register")
def own_register(
    request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.portfolio_own))
) -> Response:
    return _overview_page(request, db, _me(db, actor), True)


@router.get("/portfolio/register.pdf")
def own_register_pdf(
    request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.portfolio_own))
) -> Response:
    return _pdf(db, request, _me(db, actor), True)


@router.get("/studenten/{student_id}/register")
def student_register(
    request: Request,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.student_view)),
    student: User = Depends(student_in_scope(Permission.student_view)),
) -> Response:
    log_view(request, db, student_id=student.id or 0, kind="register")
    return _overview_page(request, db, student, actor.id == student.id)


@router.get("/studenten/{student_id}/register.pdf")
def student_register_pdf(
    request: Request,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.student_view)),
    student: User = Depends(student_in_scope(Permission.student_view)),
) -> Response:
    log_view(request, db, student_id=student.id or 0, kind="register", object_id="pdf")
    return _pdf(db, request, student, actor.id == student.id)
