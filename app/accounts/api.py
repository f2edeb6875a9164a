"""The signed-in person as JSON."""

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.errors import ERROR_RESPONSES
from app.web import require

router = APIRouter(tags=["account"], responses=ERROR_RESPONSES)


class Me(BaseModel):
    id: int
    name: str
    email: str
    locale: str
    roles: list[str]
    permissions: list[str]


@router.get("/me", response_model=Me)
def me(actor: Actor = Depends(require(Permission.signed_in))) -> dict[str, Any]:
    return {
        "id": actor.id,
        "name": actor.name,
        "email": actor.email,
        "locale": actor.locale,
        "roles": sorted(r.value for r in actor.roles),
        "permissions": sorted(p.value for p in actor.permissions),
    }
