"""Evidence as JSON under /api/v1: the same services as the pages."""

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.requests import ClientDisconnect

from app.accounts.models import User
from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.bodylimit import large_body
from app.db import DB, as_utc
from app.deps import registry_of, storage_of, student_in_scope
from app.errors import ERROR_RESPONSES, error_responses
from app.evidence import self_assessment, service
from app.evidence.models import Blob, Evidence, Submission
from app.evidence.routes import blob_in_scope, evidence_in_scope, save_from_request
from app.privacy.access import log_view
from app.responses import file_response
from app.storage.multipart import request_budget
from app.web import require

router = APIRouter(tags=["bewijs"], responses=ERROR_RESPONSES)

MULTIPART_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["title", "activity_date", "kind", "privacy"],
                    "properties": {
                        "title": {"type": "string", "maxLength": 200},
                        "activity_date": {"type": "string", "format": "date"},
                        "kind": {"type": "string", "enum": [k.value for k in service.EvidenceKind]},
                        "reflection": {"type": "string"},
                        "links": {"type": "string", "description": "Eén URL per regel."},
                        "privacy": {"type": "string", "enum": ["ja"], "description": "Cliëntgegevens geanonimiseerd."},
                        "eindterm": {"type": "array", "items": {"type": "string"}},
                        "keep_file": {"type": "array", "items": {"type": "integer"}},
                        "methode": {
                            "type": "array",
                            "items": {"type": "string", "maxLength": 60},
                            "description": "Sleutels van methoden uit het beroepsprofiel.",
                        },
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                    "additionalProperties": {"type": "string", "description": "onderbouwing_<code>"},
                }
            }
        },
    }
}
# Malformed or refused uploads, and a portfolio that is sealed or a slot that changed meanwhile.
UPLOAD_ERRORS = error_responses(400, 409, 413, 415)

# A file answers with its own content type (PDF, image, office document...).
FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file", "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}
}


def blob_json(blob: Blob) -> dict[str, Any]:
    return {
        "id": blob.id,
        "name": blob.download_name,
        "kind": blob.kind,
        "content_type": blob.content_type,
        "size": blob.size,
        "sha256": blob.sha256,
        "url": f"/api/v1/files/{blob.id}",
    }


def evidence_json(db: Session, evidence: Evidence, own: bool) -> dict[str, Any]:
    history = service.evidence_history(db, evidence=evidence, include_drafts=own)
    return {
        "id": evidence.id,
        "student_id": evidence.student_id,
        "versions": [
            {
                "number": h.version.number,
                "title": h.version.title,
                "activity_date": h.version.activity_date.isoformat(),
                "kind": h.version.kind,
                "reflection": h.version.reflection,
                "links": h.version.links,
                "privacy_confirmed": h.version.privacy_confirmed,
                "created_at": as_utc(h.version.created_at).isoformat(),
                "files": [blob_json(b) for b in h.files],
                "eindtermen": [{"code": link.eindterm_code, "justification": link.justification} for link in h.links],
                "submission_ids": [s.id for s in h.submissions],
                "methods": h.methods,
            }
            for h in history
        ],
    }


async def _save_json(request: Request, db: Session, actor: Actor, evidence: Evidence | None) -> Response:
    try:
        outcome = await save_from_request(request, db, actor, evidence)
    except ClientDisconnect:
        return Response(status_code=400)
    if outcome.version is None:
        return JSONResponse({"detail": "Het bewijsstuk is niet opgeslagen.", "errors": outcome.errors}, status_code=422)
    saved = db.get(Evidence, outcome.version.evidence_id)
    assert saved is not None
    return JSONResponse(evidence_json(db, saved, True), status_code=201 if evidence is None else 200)


@router.post("/evidence", status_code=201, openapi_extra=MULTIPART_BODY, responses=UPLOAD_ERRORS)
@large_body(request_budget)
async def create_evidence(
    request: Request, db: Session = DB, actor: Actor = Depends(require(Permission.evidence_write))
) -> Response:
    """Een nieuw bewijsstuk met bestanden en koppelingen (multipart/form-data)."""
    return await _save_json(request, db, actor, None)


@router.post("/evidence/{evidence_id}/versions", openapi_extra=MULTIPART_BODY, responses=UPLOAD_ERRORS)
@large_body(request_budget)
async def revise_evidence(
    request: Request,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.evidence_write)),
    scoped: tuple[Evidence, bool] = Depends(evidence_in_scope(Permission.evidence_write)),
) -> Response:
    """Een nieuwe versie van een bewijsstuk (de vorige blijft bewaard)."""
    return await _save_json(request, db, actor, scoped[0])


@router.get("/evidence/{evidence_id}")
def get_evidence(
    request: Request,
    db: Session = DB,
    scoped: tuple[Evidence, bool] = Depends(evidence_in_scope(Permission.student_view)),
) -> dict[str, Any]:
    evidence, own = scoped
    log_view(request, db, student_id=evidence.student_id, kind="bewijsstuk", object_id=evidence.id)
    return evidence_json(db, evidence, own)


class SelfAssessmentInput(BaseModel):
    level: str = Field(max_length=30, description="een schaalcode van het kader, bijv. voldoende")
    motivation: str = Field(max_length=1000)


class SubmissionRequest(BaseModel):
    eindtermen: list[str] = Field(min_length=1, max_length=100)
    message: str = Field(default="", max_length=2000)
    # The zelfbeoordeling sent with each submitted eindterm (the slot page asks for it).
    self_assessment: SelfAssessmentInput | None = None


def submission_json(s: Submission) -> dict[str, Any]:
    return {
        "id": s.id,
        "eindterm": s.eindterm_code,
        "framework": {"id": s.framework_id, "version": s.framework_version},
        "supervisor_id": s.supervisor_id,
        "version_ids": s.version_ids,
        "message": s.message,
        "submitted_at": as_utc(s.submitted_at).isoformat(),
    }


@router.post("/submissions", status_code=201, responses=error_responses(400, 409))
def submit(
    request: Request,
    body: SubmissionRequest,
    db: Session = DB,
    actor: Actor = Depends(require(Permission.evidence_write)),
) -> dict[str, Any]:
    """Dien eindtermen in ter aftekening bij de praktijkbegeleider."""
    made = service.submit_slots(
        db,
        actor=actor,
        registry=registry_of(request),
        codes=body.eindtermen,
        message=body.message,
        self_level=body.self_assessment.level if body.self_assessment else None,
        self_motivation=body.self_assessment.motivation if body.self_assessment else "",
        settings=request.app.state.settings,
    )
    return {"items": [submission_json(s) for s in made]}


@router.get("/students/{student_id}/eindtermen/{code}/self-assessments")
def self_assessments(
    request: Request,
    code: str,
    db: Session = DB,
    student: User = Depends(student_in_scope(Permission.student_view)),
) -> dict[str, Any]:
    """De zelfbeoordelingen van een student bij een eindterm, nieuwste eerst."""
    log_view(request, db, student_id=student.id or 0, kind="eindterm", object_id=code)
    return {
        "items": [
            {
                "id": sa.id,
                "eindterm": sa.eindterm_code,
                "framework": {"id": sa.framework_id, "version": sa.framework_version},
                "submission_id": sa.submission_id,
                "level": sa.level,
                "motivation": sa.motivation,
                "created_at": as_utc(sa.created_at).isoformat(),
            }
            for sa in self_assessment.of_slot(db, student_id=student.id or 0, code=code)
        ]
    }


@router.get("/files/{blob_id}", response_class=Response, responses={**FILE_RESPONSE, **error_responses(410)})
def download(request: Request, db: Session = DB, blob: Blob = Depends(blob_in_scope)) -> Response:
    log_view(request, db, student_id=blob.student_id, kind="bestand", object_id=blob.id)
    return file_response(storage_of(request), blob, inline=False)
