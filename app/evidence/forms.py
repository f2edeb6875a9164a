"""The bewijsstuk form: what one save sends (`EvidenceInput`), its limits, and the checks on it before anything
is written; `FieldErrors` carries the refusals per field back to the form."""

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlparse

from app.evidence.models import EvidenceKind
from app.framework.schema import Framework
from app.validation import fields

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
    problems = fields.Problems()
    problems.check(
        fields.text,
        data.title,
        required="Geef het bewijsstuk een titel.",
        max_length=MAX_TITLE,
        too_long=fields.length_message("De titel", MAX_TITLE),
        field="title",
    )
    activity = problems.check(
        fields.past_date,
        data.activity_date,
        missing="Vul de datum van de activiteit in (dd-mm-jjjj).",
        future="De datum van de activiteit ligt in de toekomst.",
        field="activity_date",
    )
    problems.check(
        fields.choice,
        data.kind,
        options={k.value for k in EvidenceKind},
        message="Kies wat voor bewijsstuk dit is.",
        field="kind",
    )
    problems.check(
        fields.text,
        data.reflection,
        strip=False,
        max_length=MAX_REFLECTION,
        too_long=fields.length_message("De reflectie", MAX_REFLECTION),
        field="reflection",
    )
    bad_links = [u for u in data.links if urlparse(u).scheme not in {"http", "https"} or not urlparse(u).netloc]
    if bad_links:
        problems.add("links", f"Geen geldige webadressen (begin met https://): {', '.join(bad_links[:3])}")
    elif len(data.links) > MAX_LINKS:
        problems.add("links", f"Hoogstens {MAX_LINKS} links per bewijsstuk.")
    if not data.privacy_confirmed:
        problems.add("privacy", "Bevestig dat gegevens van cliënten geanonimiseerd zijn.")
    problems.check(fields.eindterm_codes, sorted(set(data.eindtermen)), known={e.code for e in framework.eindtermen})
    long = [c for c, j in data.eindtermen.items() if len(j) > MAX_JUSTIFICATION]
    if long:
        problems.add("eindtermen", f"De onderbouwing bij {long[0]} is langer dan {MAX_JUSTIFICATION} tekens.")
    return problems.errors, activity
