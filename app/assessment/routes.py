"""Beoordelen and diplomagereedheid pages."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.assessment import service
from app.db import DB, RowId
from app.deps import registry_of, slot_page, storage_of, student_in_scope
from app.errors import InvalidInput, NotFound
from app.privacy.access import log_view
from app.readiness import dossier as dossier_service
from app.readiness import seal
from app.readiness import service as readiness
from app.readiness.models import Dossier
from app.responses import done, download_headers, refused_in_place
from app.web import is_htmx, render, require, settings_of

router = APIRouter()


@router.get("/te-beoordelen")
def to_assess(request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.assess))) -> Response:
    items, left_out = service.queue(db, assessor_id=actor.id)
    return render(request, "assessment/to_assess.html", {"items": items, "left_out": left_out})


@router.post("/studenten/{student_id}/eindtermen/{code}/beoordeling")
def score(
    request: Request,
    code: str,
    score: Annotated[str, Form()] = "",
    feedback: Annotated[str, Form()] = "",
    criteria: Annotated[list[str] | None, Form(alias="criterium")] = None,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.assess)),
    student: User = Depends(student_in_scope(Permission.assess)),
) -> Response:
    try:
        service.score(
            db,
            actor=actor,
            registry=registry_of(request),
            student_id=student.id or 0,
            code=code,
            score=score,
            feedback=feedback,
            criteria=criteria or (),
            settings=settings_of(request),
        )
    except InvalidInput as refused:
        # score() refuses before it writes: the slot page again, the message next to the form's button.
        return refused_in_place(
            request,
            "beoordelen-fout",
            refused,
            lambda: slot_page(request, db, code=code, student=student, actor=actor),
        )
    return done(request, f"/studenten/{student.id}/eindtermen/{code}")


@router.post("/studenten/{student_id}/eindtermen/{code}/vervangende-opdracht")
def substitute(
    request: Request,
    code: str,
    omschrijving: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.substitute_approve)),
    student: User = Depends(student_in_scope(Permission.substitute_approve)),
) -> Response:
    service.approve_substitute(db, actor=actor, student_id=student.id or 0, code=code, description=omschrijving)
    return done(request, f"/studenten/{student.id}/eindtermen/{code}")


def _readiness_page(request: Request, db: Session, student: User) -> Response:
    framework, verdict = readiness.readiness_of(db, student=student, registry=registry_of(request))
    # The events are listed anyway: the seal's state comes from them, not from a second query.
    history = readiness.decision_history(db, student_id=student.id or 0)
    decision, confirmation = seal.state_of(event for event, _ in history)
    actor = getattr(request.state, "actor", None)
    may_decide = actor is not None and actor.can(Permission.readiness_decide)
    return render(
        request,
        "assessment/readiness.html",
        {
            "student": student,
            "framework": framework,
            "readiness": verdict,
            "decision": decision,
            "confirmation": confirmation,
            "history": history,
            # Shown only to those who may build one.
            "dossiers": dossier_service.dossiers_of(db, student_id=student.id or 0) if may_decide else [],
        },
    )


@router.get("/studenten/{student_id}/gereedheid")
def readiness_page(
    request: Request, db: Session = DB, student: User = Depends(student_in_scope(Permission.student_view))
) -> Response:
    log_view(request, db, student_id=student.id or 0, kind="gereedheid")
    return _readiness_page(request, db, student)


def _decision_endpoint(permission: Permission, act: Callable[..., object]) -> Callable[..., Response]:
    """Recording the decision and confirming it: the same action by two roles (the four-eyes rule is the service's)."""

    def endpoint(
        request: Request,
        db: Session = DB,
        actor: Actor = Depends(require(permission)),
        student: User = Depends(student_in_scope(permission)),
    ) -> Response:
        act(db, actor=actor, student=student, registry=registry_of(request))
        return done(request, f"/studenten/{student.id}/gereedheid")

    return endpoint


router.post("/studenten/{student_id}/gereedheid/besluit", name="record_decision")(
    _decision_endpoint(Permission.readiness_decide, readiness.record_decision)
)
router.post("/studenten/{student_id}/gereedheid/bevestiging", name="confirm_decision")(
    _decision_endpoint(Permission.readiness_confirm, readiness.confirm_decision)
)


@router.post("/studenten/{student_id}/gereedheid/heropening")
def reopen(
    request: Request,
    reden: Annotated[str, Form()] = "",
    db: Session = DB,
    actor: Actor = Depends(require(Permission.readiness_decide)),
    student: User = Depends(student_in_scope(Permission.readiness_decide)),
) -> Response:
    readiness.reopen(db, actor=actor, student=student, reason=reden, registry=registry_of(request))
    return done(request, f"/studenten/{student.id}/gereedheid")


@router.post("/studenten/{student_id}/dossier")
def build_dossier(
    request: Request,
    background: BackgroundTasks,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.readiness_decide)),
    student: User = Depends(student_in_scope(Permission.readiness_decide)),
) -> Response:
    dossier = dossier_service.request_dossier(db, actor_id=actor.id, student_id=student.id or 0)
    # The session dependency commits before the response; the build then runs in the background.
    background.add_task(
        dossier_service.build,
        request.app.state.engine,
        request.app.state.storage,
        registry_of(request),
        dossier.id or 0,
    )
    return done(request, f"/studenten/{student.id}/dossier/{dossier.id}")


def _dossier(db: Session, student: User, dossier_id: int) -> Dossier:
    dossier = db.get(Dossier, dossier_id)
    if dossier is None or dossier.student_id != student.id:
        raise NotFound()
    return dossier


@router.get("/studenten/{student_id}/dossier/{dossier_id}")
def dossier_page(
    request: Request,
    dossier_id: RowId,
    db: Session = DB,
    student: User = Depends(student_in_scope(Permission.readiness_decide)),
) -> Response:
    """Polls itself with HTMX until the dossier is ready: a progress bar, then the downloads."""
    dossier = _dossier(db, student, dossier_id)
    if not is_htmx(request):  # the progress polls are not views of their own
        log_view(request, db, student_id=student.id or 0, kind="dossier", object_id=dossier.id)
    return render(request, "assessment/dossier.html", {"student": student, "dossier": dossier})


@router.get("/studenten/{student_id}/dossier/{dossier_id}/{part}")
def dossier_file(
    request: Request,
    dossier_id: RowId,
    part: str,
    db: Session = DB,
    student: User = Depends(student_in_scope(Permission.readiness_decide)),
) -> Response:
    dossier = _dossier(db, student, dossier_id)
    key = {"pdf": dossier.pdf_key, "zip": dossier.zip_key}.get(part)
    if key is None:
        raise NotFound()
    log_view(request, db, student_id=student.id or 0, kind="dossier", object_id=f"{dossier.id}/{part}")
    name = f"dossier-{student.student_number or student.id}.{part}"
    media = "application/pdf" if part == "pdf" else "application/zip"
    return StreamingResponse(storage_of(request).open_chunks(key), media_type=media, headers=download_headers(name))
