"""The accessibility statement (/toegankelijkheid): what the browser tests check, read from the summary the last
full browser run wrote (`make toegankelijkheid` copies test-results/toegankelijkheid.json here).

The browser suite fails when it checked a page the summary does not list, or with another axe-core version, so
the statement cannot silently claim less or more than the tests do."""

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

CHECKS_FILE = Path(__file__).with_name("toegankelijkheid.json")


@dataclass(frozen=True)
class Checks:
    axe_core: str
    wcag_tags: tuple[str, ...]
    checked_on: date
    pages: tuple[str, ...]  # route shapes, e.g. "/studenten/{}/eindtermen/IA-a"


@cache
def load_checks() -> Checks:
    data = json.loads(CHECKS_FILE.read_text(encoding="utf-8"))
    return Checks(
        axe_core=str(data["axe_core"]),
        wcag_tags=tuple(data["wcag_tags"]),
        checked_on=date.fromisoformat(data["checked_on"]),
        pages=tuple(data["pages"]),
    )
