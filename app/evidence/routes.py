"""Evidence pages: a slot, the evidence form (streamed multipart upload), an item with its history, files."""

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from app.accounts.models import User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.bodylimit import large_body
from app.db import DB, RowId, parse_row_id
from app.deps import own_portfolio_page, registry_of, storage_of, student_in_scope
from app.deps import slot_page as slot_page_of
from app.development import methods as method_tags
from app.errors import InvalidInput, NotFound
from app.evidence import pdfactive, service
from app.evidence.models import Blob, Evidence, EvidenceKind, EvidenceVersion
from app.i18n import lazy, lazy_n
from app.privacy.access import log_view
from app.readiness import seal
from app.responses import done, file_response, page_or_partial, refused_in_place, shown_in_place
from app.storage import SpooledFile
from app.storage.multipart import read_multipart, request_budget
from app.web import is_htmx, render, require

router = APIRouter()

INLINE_KINDS = {"jpeg", "png", "webp", "pdf"}


def evidence_in_scope(permission: Permission):  # type: ignore[no-untyped-def]
    """Dependency: the evidence item and whether drafts show; 404 unless owner or staff who may see it."""

    def dependency(
        evidence_id: RowId, db: Session = DB, actor: Actor = Depends(require(permission))
    ) -> tuple[Evidence, bool]:
        evidence, own = service.visible_evidence(db, actor=actor, evidence_id=evidence_id)
        if permission is Permission.evidence_write and not own:
            raise NotFound(service.NOT_VISIBLE)
        return evidence, own

    return dependency


def blob_in_scope(blob_id: RowId, db: Session = DB, actor: Actor = Depends(require(Permission.student_view))) -> Blob:
    return service.visible_blob(db, actor=actor, blob_id=blob_id)


# --- the slot page ---------------------------------------------------------------------------------------


@router.get("/studenten/{student_id}/eindtermen/{code}")
def slot_page(
    request: Request,
    code: str,
    db: Session = DB,
    student: User = Depends(student_in_scope(Permission.student_view)),
    actor: Actor = Depends(require(Permission.student_view)),
) -> Response:
    return slot_page_of(request, db, code=code, student=student, actor=actor)


# --- the evidence form -----------------------------------------------------------------------------------


def _form_context(request: Request, db: Session, actor: Actor, **extra: Any) -> dict[str, Any]:
    framework, _ = service.student_framework(db, student_id=actor.id, registry=registry_of(request))
    return {
        "framework": framework,
        "kinds": list(EvidenceKind),
        "max_size": request.app.state.settings.upload_max_bytes,
        "errors": {},
        "form": service.EvidenceInput(),
        "evidence": None,
        "current_files": [],
        "beroepsprofiel": method_tags.profile_or_none(registry_of(request)),
        # A form opened by URL (or in a tab from before the seal) says at once that saving will be refused.
        "sealed": seal.seal_info(db, student_id=actor.id),
        **extra,
    }


@router.get("/bewijs/nieuw")
def new_evidence(
    request: Request,
    eindterm: str | None = None,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.evidence_write)),
) -> Response:
    form = service.EvidenceInput(eindtermen={eindterm: ""} if eindterm else {})
    return render(request, "evidence/form.html", _form_context(request, db, actor, form=form))


async def _read_form(request: Request) -> tuple[service.EvidenceInput, list[SpooledFile]]:
    settings = request.app.state.settings
    fields: dict[str, list[str]]
    files: list[SpooledFile] = []
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        # Without files a plain form post is fine too (API clients, text-only evidence).
        form = await request.form()
        fields = {key: [str(v) for v in form.getlist(key)] for key in form}
    else:
        fields, files = await read_multipart(
            request,
            spool_dir=storage_of(request).spool_dir(),
            max_file_bytes=settings.upload_max_bytes,
            max_files=settings.upload_max_files,
        )

    def one(name: str) -> str:
        values = fields.get(name) or [""]
        return values[0]

    codes = fields.get("eindterm", [])
    data = service.EvidenceInput(
        title=one("title"),
        activity_date=one("activity_date"),
        kind=one("kind"),
        reflection=one("reflection"),
        links=[line.strip() for line in one("links").splitlines() if line.strip()],
        privacy_confirmed=one("privacy") == "ja",
        eindtermen={code: one(f"onderbouwing_{code}") for code in codes},
        keep_blob_ids=[i for i in map(parse_row_id, fields.get("keep_file", [])) if i is not None],
        methods=fields.get("methode", []),
    )
    return data, files


@dataclass
class SaveOutcome:
    """One save through the form or the API: the new version, or the input back with its errors."""

    data: service.EvidenceInput
    version: EvidenceVersion | None = None
    errors: dict[str, str] | None = None
    files_dropped: bool = False


async def save_from_request(request: Request, db: Session, actor: Actor, evidence: Evidence | None) -> SaveOutcome:
    """Stream the upload, save (content checks and publishing off the event loop), always clean the spool.

    Raises ClientDisconnect when the client went away mid-upload (nothing was stored).
    """
    data, files = await _read_form(request)
    try:
        version = await run_in_threadpool(
            service.save_evidence,
            db,
            actor=actor,
            registry=registry_of(request),
            storage=storage_of(request),
            data=data,
            files=files,
            evidence=evidence,
        )
    except service.FieldErrors as exc:
        db.rollback()
        return SaveOutcome(data=data, errors=exc.errors, files_dropped=bool(files))
    finally:
        for spooled in files:
            spooled.discard()  # published files were moved away; this removes only what was not kept
    return SaveOutcome(data=data, version=version)


async def _save(request: Request, db: Session, actor: Actor, evidence: Evidence | None) -> Response:
    try:
        outcome = await save_from_request(request, db, actor, evidence)
    except ClientDisconnect:
        # The browser went away mid-upload: nobody is listening for an answer.
        return Response(status_code=400)
    if outcome.version is None:
        context = _form_context(
            request,
            db,
            actor,
            form=outcome.data,
            errors=outcome.errors,
            evidence=evidence,
            files_dropped=outcome.files_dropped,
        )
        if evidence is not None:
            context["current_files"] = service.current_files(db, evidence=evidence)
        return page_or_partial(request, "evidence/form.html", "evidence/_form.html", context, status_code=422)
    version = outcome.version
    if version.number == 1:
        notice = lazy("Het bewijsstuk is opgeslagen.")
    else:
        notice = lazy("Versie %(number)d van het bewijsstuk is opgeslagen.", number=version.number)
    # A 303 (HTMX: HX-Redirect) to the item itself: a refresh shows the result instead of posting again.
    return done(request, f"/bewijs/{version.evidence_id}", notice)


@router.post("/bewijs")
@large_body(request_budget)
async def create_evidence(
    request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.evidence_write))
) -> Response:
    return await _save(request, db, actor, None)


@router.get("/bewijs/{evidence_id}/bewerken")
def edit_evidence(
    request: Request,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.evidence_write)),
    scoped: tuple[Evidence, bool] = Depends(evidence_in_scope(Permission.evidence_write)),
) -> Response:
    evidence, _ = scoped
    form = service.form_of(db, evidence=evidence)
    context = _form_context(
        request, db, actor, form=form, evidence=evidence, current_files=service.current_files(db, evidence=evidence)
    )
    return render(request, "evidence/form.html", context)


@router.post("/bewijs/{evidence_id}")
@large_body(request_budget)
async def revise_evidence(
    request: Request,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.evidence_write)),
    scoped: tuple[Evidence, bool] = Depends(evidence_in_scope(Permission.evidence_write)),
) -> Response:
    return await _save(request, db, actor, scoped[0])


# --- an evidence item --------------------------------------------------------------------------------------


@router.get("/bewijs/{evidence_id}")
def evidence_page(
    request: Request,
    db: Session = DB,
    scoped: tuple[Evidence, bool] = Depends(evidence_in_scope(Permission.student_view)),
) -> Response:
    evidence, own = scoped
    framework, _ = service.student_framework(db, student_id=evidence.student_id, registry=registry_of(request))
    history = service.evidence_history(db, evidence=evidence, include_drafts=own, framework=framework)
    log_view(request, db, student_id=evidence.student_id, kind="bewijsstuk", object_id=evidence.id)
    return render(
        request,
        "evidence/detail.html",
        {
            "evidence": evidence,
            "own": own,
            "student": service.student_of(db, evidence=evidence),
            "framework": framework,
            "current": history[0] if history else None,
            "history": history,
            # The header names the state of the version shown and, when that is a concept, of the newest one sent.
            "latest_submitted": next((view for view in history if view.submitted), None),
            "inline_kinds": INLINE_KINDS,
            # PDFs with scripts or automatic actions: no "bekijken" link, a note instead.
            "download_only": {
                f.id
                for view in history
                for f in view.files
                if pdfactive.download_only(db, storage=storage_of(request), blob=f)
            },
            "beroepsprofiel": method_tags.profile_or_none(registry_of(request)),
        },
    )


# --- indienen ------------------------------------------------------------------------------------------------


@router.post("/portfolio/indienen")
async def submit(
    request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.evidence_write))
) -> Response:
    form = await request.form()
    codes = [str(v) for v in form.getlist("eindterm")]
    message = str(form.get("bericht") or "")
    back_to_slot = form.get("terug") == "slot" and len(codes) == 1

    def page() -> Response:
        return _submit_page(request, db, actor, codes[0] if back_to_slot else None)

    try:
        made = service.submit_slots(
            db,
            actor=actor,
            registry=registry_of(request),
            codes=codes,
            message=message,
            # The slot page's form asks for a zelfbeoordeling; the portfolio's list submits without one.
            self_level=str(form.get("zelfbeoordeling") or "") if back_to_slot else None,
            self_motivation=str(form.get("zelfmotivatie") or ""),
            settings=request.app.state.settings,
        )
    except InvalidInput as refused:
        # Without HTMX: the page the form is on again (submit_slots refuses before it writes anything).
        return refused_in_place(request, "indienen-fout", refused, page)
    target = f"/studenten/{actor.id}/eindtermen/{codes[0]}" if back_to_slot else "/portfolio"
    if not is_htmx(request):
        return done(request, target)
    # HTMX: answer with the updated page itself, no full reload.
    notice = lazy_n(
        "%(num)d eindterm ingediend ter aftekening.", "%(num)d eindtermen ingediend ter aftekening.", len(made)
    )
    return shown_in_place(request, page, notice=notice, push_url=target)


def _submit_page(request: Request, db: Session, actor: Actor, slot_code: str | None) -> Response:
    """The page a submit form is on: the slot's page, or the portfolio."""
    if slot_code is not None:
        student = db.get(User, actor.id)
        assert student is not None
        return slot_page(request, slot_code, db=db, student=student, actor=actor)
    return own_portfolio_page(request, db, actor)


# --- files ---------------------------------------------------------------------------------------------------


@router.get("/bestanden/{blob_id}")
def download(request: Request, db: Session = DB, blob: Blob = Depends(blob_in_scope)) -> Response:
    log_view(request, db, student_id=blob.student_id, kind="bestand", object_id=blob.id)
    return file_response(storage_of(request), blob, inline=False)


@router.get("/bestanden/{blob_id}/voorbeeld")
def preview(request: Request, db: Session = DB, blob: Blob = Depends(blob_in_scope)) -> Response:
    """Inline only for images and PDF without active content; every other file is still a download."""
    log_view(request, db, student_id=blob.student_id, kind="bestand", object_id=blob.id)
    storage = storage_of(request)
    inline = blob.kind in INLINE_KINDS and not pdfactive.download_only(db, storage=storage, blob=blob)
    return file_response(storage, blob, inline=inline)
