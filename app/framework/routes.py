"""The framework page: groups, eindtermen and glossary, for every signed-in user."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.deps import registry_of
from app.errors import NotFound
from app.framework import service
from app.web import redirect, render, require

router = APIRouter()


@router.get("/kader")
def frameworks(request: Request, _: Actor = Depends(require(Permission.framework_view))) -> Response:
    registry = registry_of(request)
    all_frameworks = registry.all()
    if len(all_frameworks) == 1:
        only = all_frameworks[0]
        return redirect(f"/kader/{only.id}/{only.version}")
    return render(request, "framework/index.html", {"frameworks": all_frameworks})


@router.get("/kader/{framework_id}/{version}")
def framework_page(
    request: Request, framework_id: str, version: str, _: Actor = Depends(require(Permission.framework_view))
) -> Response:
    try:
        framework = registry_of(request).get(framework_id, version)
    except KeyError:
        raise NotFound("Dit eindtermenkader bestaat niet.") from None
    return render(
        request,
        "framework/detail.html",
        {
            "framework": framework,
            "statements": service.statements(framework),
            "anchor": service.term_anchor,
            "versions": registry_of(request).versions(framework_id),
        },
    )
