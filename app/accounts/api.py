"""The signed-in person as JSON."""

from typing import Any

from fastapi import APIRouter, Depends

from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.web import require

router = APIRouter(tags=["account"])


@router.get("/me")
def me(actor: Actor = Depends(require(Permission.signed_in))) -> dict[str, Any]:
    return {
        "id": actor.id,
        "name": actor.name,
        "email": actor.email,
        "locale": actor.locale,
        "roles": sorted(r.value for r in actor.roles),
        "permissions": sorted(p.value for p in actor.permissions),
    }
