"""The framework as JSON under /api/v1/frameworks."""

from typing import Any

from fastapi import APIRouter, Depends, Request

from app.accounts.permissions import Permission
from app.deps import registry_of
from app.errors import ERROR_RESPONSES, NotFound
from app.framework import service
from app.web import require

router = APIRouter(tags=["eindtermenkader"], dependencies=[], responses=ERROR_RESPONSES)


@router.get("/frameworks", dependencies=[Depends(require(Permission.framework_view))])
def frameworks(request: Request) -> dict[str, Any]:
    return {"items": service.framework_index(registry_of(request))}


@router.get("/frameworks/{framework_id}/{version}", dependencies=[Depends(require(Permission.framework_view))])
def framework(request: Request, framework_id: str, version: str) -> dict[str, Any]:
    try:
        found = registry_of(request).get(framework_id, version)
    except KeyError:
        raise NotFound("Dit eindtermenkader bestaat niet.") from None
    return service.framework_json(found, registry_of(request).rubric_set(framework_id, version))
