"""The bewijsstuk form: what one save sends (`EvidenceInput`), its limits, and the checks on it before anything
is written; `FieldErrors` carries the refusals per field back to the form."""

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlparse

from app.evidence.models import EvidenceKind
from app.framework.schema import Framework

MAX_TITLE = 200
MAX_REFLECTION = 20_000
MAX_JUSTIFICATION = 2_000
MAX_LINKS = 20


@dataclass
class EvidenceInput:
    """What the form or the API sends for one save."""

    title: str = ""
    activity_date: str = ""
    kind: str = ""
    reflection: str = ""
    links: list[str] = field(default_factory=list)
    privacy_confirmed: bool = False
    eindtermen: dict[str, str] = field(default_factory=dict)  # code → onderbouwing
    keep_blob_ids: list[int] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)  # method keys from the beroepsprofiel


@dataclass
class FieldErrors(Exception):
    """Form errors per field, in Dutch; nothing was saved."""

    errors: dict[str, str]


def validate_input(data: EvidenceInput, framework: Framework) -> tuple[dict[str, str], date | None]:
    errors: dict[str, str] = {}
    title = data.title.strip()
    if not title:
        errors["title"] = "Geef het bewijsstuk een titel."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"De titel mag hoogstens {MAX_TITLE} tekens lang zijn."
    activity: date | None = None
    try:
        activity = date.fromisoformat(data.activity_date.strip())
    except ValueError:
        errors["activity_date"] = "Vul de datum van de activiteit in (dd-mm-jjjj)."
    if activity and activity > date.today():
        errors["activity_date"] = "De datum van de activiteit ligt in de toekomst."
    if data.kind not in {k.value for k in EvidenceKind}:
        errors["kind"] = "Kies wat voor bewijsstuk dit is."
    if len(data.reflection) > MAX_REFLECTION:
        errors["reflection"] = f"De reflectie mag hoogstens {MAX_REFLECTION} tekens lang zijn."
    bad_links = [u for u in data.links if urlparse(u).scheme not in {"http", "https"} or not urlparse(u).netloc]
    if bad_links:
        errors["links"] = f"Geen geldige webadressen (begin met https://): {', '.join(bad_links[:3])}"
    elif len(data.links) > MAX_LINKS:
        errors["links"] = f"Hoogstens {MAX_LINKS} links per bewijsstuk."
    if not data.privacy_confirmed:
        errors["privacy"] = "Bevestig dat gegevens van cliënten geanonimiseerd zijn."
    codes = {e.code for e in framework.eindtermen}
    unknown = sorted(set(data.eindtermen) - codes)
    if unknown:
        errors["eindtermen"] = f"Onbekende eindterm: {', '.join(unknown)}."
    long = [c for c, j in data.eindtermen.items() if len(j) > MAX_JUSTIFICATION]
    if long:
        errors["eindtermen"] = f"De onderbouwing bij {long[0]} is langer dan {MAX_JUSTIFICATION} tekens."
    return errors, activity
