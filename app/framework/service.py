"""Reading the framework for pages: glossary annotation and the JSON shape."""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from app.framework.registry import FrameworkRegistry
from app.framework.schema import Framework, GlossaryTerm


@dataclass(frozen=True)
class Segment:
    text: str
    term: GlossaryTerm | None = None


@lru_cache(maxsize=64)
def _pattern(framework_key: str, words: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first so "doelgroepen" wins over "doelgroep"; whole words only ("kern", not "kernachtig").
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)({alternatives})(?!\w)", re.IGNORECASE)


def annotate(framework: Framework, text: str) -> list[Segment]:
    """Split text into plain segments and glossary words, so the page can explain those words."""
    lookup = {m.lower(): term for term in framework.glossary for m in term.matches}
    if not lookup:
        return [Segment(text)]
    pattern = _pattern(framework.key, tuple(sorted(lookup)))
    segments: list[Segment] = []
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            segments.append(Segment(text[position : match.start()]))
        segments.append(Segment(match.group(0), lookup[match.group(0).lower()]))
        position = match.end()
    if position < len(text):
        segments.append(Segment(text[position:]))
    return segments


def term_anchor(term: GlossaryTerm) -> str:
    return "begrip-" + re.sub(r"[^a-z0-9]+", "-", term.term.lower()).strip("-")


def framework_json(framework: Framework) -> dict[str, Any]:
    data: dict[str, Any] = framework.model_dump(mode="json")
    data["key"] = framework.key
    data["counts"] = {g.code: len(g.eindtermen) for g in framework.groups}
    data["total"] = len(framework.eindtermen)
    return data


def framework_index(registry: FrameworkRegistry) -> list[dict[str, Any]]:
    return [
        {
            "id": f.id,
            "version": f.version,
            "title": f.title,
            "source": f.source,
            "total": len(f.eindtermen),
            "url": f"/api/v1/frameworks/{f.id}/{f.version}",
        }
        for f in registry.all()
    ]
