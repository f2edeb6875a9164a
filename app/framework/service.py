"""Reading the framework for pages: glossary annotation and the JSON shape."""

import re
import weakref
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from app.framework.registry import FrameworkRegistry
from app.framework.rubric import RubricSet
from app.framework.schema import REFERENCE_MARK, REFERENCE_RE, Eindterm, Framework, FrameworkGroup, GlossaryTerm


@dataclass(frozen=True)
class Segment:
    text: str
    term: GlossaryTerm | None = None

    @property
    def anchor(self) -> str:
        """The id of the term on the framework page (/kader/...#begrip-kern); empty for plain text."""
        return term_anchor(self.term) if self.term else ""


@lru_cache(maxsize=64)
def _pattern(framework_key: str, words: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first so "doelgroepen" wins over "doelgroep"; whole words only ("kern", not "kernachtig"). A `*`
    # right after the word is the source's reference to the Definitielijst ("kern*"): it is consumed, since the
    # page marks the word itself as the glossary term.
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)({alternatives})(?!\w)(?:{re.escape(REFERENCE_MARK)})?", re.IGNORECASE)


def annotate(framework: Framework, text: str) -> list[Segment]:
    """Split text into plain segments and glossary words, so the page can explain those words."""
    lookup = {m.lower(): term for term in framework.glossary for m in term.matches}
    if not lookup:
        return [Segment(plain_text(text))]
    pattern = _pattern(framework.key, tuple(sorted(lookup)))
    segments: list[Segment] = []
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            segments.append(Segment(text[position : match.start()]))
        segments.append(Segment(match.group(1), lookup[match.group(1).lower()]))
        position = match.end()
    if position < len(text):
        segments.append(Segment(text[position:]))
    return segments


def plain_text(text: str) -> str:
    """The text without the source's glossary marks ("kern*" -> "kern"), for places that cannot mark a term
    (an option in a select, a tooltip). The schema accepts a `*` only right after a glossary word."""
    return REFERENCE_RE.sub("", text)


def term_anchor(term: GlossaryTerm) -> str:
    return "begrip-" + re.sub(r"[^a-z0-9]+", "-", term.term.lower()).strip("-")


POINT_PREFIX = "- "


@dataclass(frozen=True)
class Statement:
    """What an eindterm says, ready for one template macro (`_macros.html: eindterm_statement`).

    `lead_in` is the eindterm's own context (M-7..M-16: "... zodanig vorm te geven dat:") or else its group's
    shared opening words ("Een jobcoach is in staat om"); `shared_context` tells which. `body` is the text with
    glossary words marked; `points` are its sub-points (the text's lines starting with "- ", e.g. JF-f).
    """

    code: str
    lead_in: str | None
    shared_context: bool
    body: tuple[Segment, ...]
    points: tuple[tuple[Segment, ...], ...]
    glossary_url: str

    @property
    def terms(self) -> list[GlossaryTerm]:
        """The glossary terms this statement marks, once each, in order of appearance."""
        found: dict[str, GlossaryTerm] = {}
        for segments in (self.body, *self.points):
            for s in segments:
                if s.term is not None:
                    found.setdefault(s.term.term, s.term)
        return list(found.values())


def _build_statement(framework: Framework, group: FrameworkGroup, eindterm: Eindterm) -> Statement:
    body_lines: list[str] = []
    points: list[tuple[Segment, ...]] = []
    for line in eindterm.text.splitlines():
        line = line.strip()
        if line.startswith(POINT_PREFIX):
            points.append(tuple(annotate(framework, line[len(POINT_PREFIX) :].strip())))
        elif line:
            body_lines.append(line)
    return Statement(
        code=eindterm.code,
        lead_in=eindterm.context or group.lead_in,
        shared_context=eindterm.context is not None,
        body=tuple(annotate(framework, " ".join(body_lines))),
        points=tuple(points),
        glossary_url=f"/kader/{framework.id}/{framework.version}",
    )


# Built once per loaded framework (a portfolio page shows all 56): a framework is frozen and lives as long as the
# registry holding it. Keyed by identity, not by `key`: a test or a reload may load another file under the same key.
_STATEMENTS: dict[int, tuple[weakref.ref[Framework], dict[str, Statement]]] = {}


def statements(framework: Framework) -> dict[str, Statement]:
    """Every eindterm of `framework` as a statement, by code."""
    key = id(framework)
    entry = _STATEMENTS.get(key)
    if entry is not None and entry[0]() is framework:
        return entry[1]
    built = {e.code: _build_statement(framework, g, e) for g in framework.groups for e in g.eindtermen}
    _STATEMENTS[key] = (weakref.ref(framework, lambda _: _STATEMENTS.pop(key, None)), built)
    return built


def statement(framework: Framework, code: str) -> Statement:
    """The eindterm `code` of `framework` as a statement; KeyError for an unknown code."""
    try:
        return statements(framework)[code]
    except KeyError:
        raise KeyError(f"{framework.key}: geen eindterm {code!r}") from None


def framework_json(framework: Framework, rubrics: RubricSet | None = None) -> dict[str, Any]:
    data: dict[str, Any] = framework.model_dump(mode="json")
    data["key"] = framework.key
    # The version's rubrics (an example or adopted by the programme), or null.
    data["rubrics"] = rubrics.model_dump(mode="json", exclude={"kind"}) if rubrics else None
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
