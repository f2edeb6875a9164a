"""Methods as tags on evidence versions: validated against the beroepsprofiel's method keys.

Kept free of the evidence service so that service can call in here without an import cycle.
"""

from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, select

from app.development.models import EvidenceMethod
from app.framework.beroepsprofiel import Beroepsprofiel
from app.framework.registry import FrameworkRegistry

MAX_METHODS = 50


def profile_or_none(registry: FrameworkRegistry) -> Beroepsprofiel | None:
    try:
        return registry.beroepsprofiel()
    except KeyError:
        return None


def method_errors(keys: Sequence[str], registry: FrameworkRegistry) -> dict[str, str]:
    """Form errors for method keys that the beroepsprofiel does not list (none for a valid choice)."""
    if not keys:
        return {}
    profile = profile_or_none(registry)
    known = set(profile.method_keys) if profile else set()
    unknown = sorted({k for k in keys if k not in known})
    if unknown:
        shown = ", ".join(k[:60] for k in unknown[:3])
        return {"methods": f"Onbekende methode: {shown}."}
    if len(keys) > MAX_METHODS:
        return {"methods": "Te veel methoden gekozen."}
    return {}


def add_tags(session: Session, *, version_id: int, keys: Iterable[str]) -> None:
    for key in dict.fromkeys(keys):
        session.add(EvidenceMethod(version_id=version_id, method_key=key))


def methods_of_versions(session: Session, *, version_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(version_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(EvidenceMethod).where(col(EvidenceMethod.version_id).in_(ids)).order_by(col(EvidenceMethod.id))
    ).all()
    result: dict[int, list[str]] = {}
    for row in rows:
        result.setdefault(row.version_id, []).append(row.method_key)
    return result
