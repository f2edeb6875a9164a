"""The shape of an eindtermenkader (framework) file, validated on load.

Every model is frozen: a loaded framework is shared by all requests and must never change under
them. Cross-field checks live on `Framework` so that their messages can name the full field path
(e.g. ``groups.1.eindtermen.3.code``), which `registry.FrameworkError` passes on to the author.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

CODE_RE = re.compile(r"^[A-Z]{1,3}-[a-z0-9]{1,3}$")
GROUP_CODE_RE = re.compile(r"^[A-Z]{1,3}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

FRAMEWORK_KIND = "eindtermenkader"

# The source marks a word defined in its Definitielijst with a `*` right after it ("de kern*"). Pages show the
# word as the glossary term instead (app.framework.service.annotate), so a `*` is only allowed right after a
# word form listed in `glossary.matches`, and only in texts that pages annotate.
REFERENCE_MARK = "*"
REFERENCE_RE = re.compile(r"(?<=\w)" + re.escape(REFERENCE_MARK))
WORD_END_RE = re.compile(r"\w$")


def _invalid(path: str, detail: str) -> PydanticCustomError:
    # A custom error type keeps pydantic from prefixing "Value error, " and lets the message
    # carry the field path, which a model-level validator cannot set through `loc`.
    return PydanticCustomError("framework_invalid", "{path}: {detail}", {"path": path, "detail": detail})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScaleLevel(_Model):
    code: str = Field(min_length=1)
    label: str = Field(min_length=1)
    passing: bool


class ReadinessRule(_Model):
    """When a portfolio counts as diplomagereed; interpreted by the readiness service."""

    require_signoff: bool = True
    minimum_score: str = "voldoende"
    scoring_requires_signoff: bool = True
    substitute_counts: bool = True
    minimum_practice_hours: int = Field(default=0, ge=0)


class Klant(_Model):
    term: str = Field(min_length=1)
    omschrijving: str = Field(min_length=1)


class Visie(_Model):
    intro: str = Field(min_length=1)
    klanten_lead_in: str | None = None
    klanten: list[Klant] = Field(default_factory=list)
    principes_lead_in: str | None = None
    principes: list[str] = Field(default_factory=list)
    uitspraken: list[str] = Field(default_factory=list)


class Eindterm(_Model):
    code: str
    letter: str | None = None
    # Shared lead-in of a bulleted eindterm, e.g. "... zodanig vorm te geven dat:".
    context: str | None = None
    text: str = Field(min_length=1)

    @field_validator("code")
    @classmethod
    def _code_format(cls, value: str) -> str:
        if not CODE_RE.fullmatch(value):
            raise PydanticCustomError(
                "framework_code", "ongeldige code '{code}': verwacht bijv. 'IA-a' of 'M-12'", {"code": value}
            )
        return value

    @property
    def suffix(self) -> str:
        """The part after the dash: 'a' for 'IA-a', '12' for 'M-12'."""
        return self.code.split("-", 1)[1]


class FrameworkGroup(_Model):
    code: str
    title: str = Field(min_length=1)
    description: str | None = None
    # Shared opening words of every eindterm in the group, e.g. "Een jobcoach is in staat om".
    lead_in: str | None = None
    eindtermen: list[Eindterm] = Field(min_length=1)

    @field_validator("code")
    @classmethod
    def _code_format(cls, value: str) -> str:
        if not GROUP_CODE_RE.fullmatch(value):
            raise PydanticCustomError(
                "framework_code", "ongeldige groepscode '{code}': 1 tot 3 hoofdletters", {"code": value}
            )
        return value


class GlossaryTerm(_Model):
    term: str = Field(min_length=1)
    definition: str = Field(min_length=1)
    # Lowercase word forms; the UI highlights them as whole words only ("kern", not "kernachtig").
    matches: list[str] = Field(default_factory=list)
    source: Literal["definitielijst", "visie"]

    @field_validator("matches")
    @classmethod
    def _lowercase(cls, value: list[str]) -> list[str]:
        for form in value:
            if not form.strip() or form != form.lower():
                raise PydanticCustomError(
                    "framework_match",
                    "woordvorm '{form}' moet niet-leeg en in kleine letters zijn",
                    {"form": form},
                )
        return value


class Framework(_Model):
    """One version of one eindtermenkader, as shipped in one YAML file."""

    # Optional in the file; other kinds (e.g. beroepsprofiel) are skipped by the registry.
    kind: Literal["eindtermenkader"] = "eindtermenkader"
    id: str
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    source: str = Field(min_length=1)
    language: str = Field(min_length=2)
    # Ordered low to high: the index is the rank used to compare scores.
    scale: list[ScaleLevel] = Field(min_length=1)
    readiness: ReadinessRule = Field(default_factory=ReadinessRule)
    visie: Visie | None = None
    groups: list[FrameworkGroup] = Field(min_length=1)
    glossary: list[GlossaryTerm] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG_RE.fullmatch(value):
            raise PydanticCustomError(
                "framework_slug", "ongeldige id '{id}': alleen kleine letters, cijfers en '-'", {"id": value}
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Framework:
        scale_codes: set[str] = set()
        for index, level in enumerate(self.scale):
            if level.code in scale_codes:
                raise _invalid(f"scale.{index}.code", f"dubbele schaalcode {level.code!r}")
            scale_codes.add(level.code)
        if self.readiness.minimum_score not in self.scale_codes:
            raise _invalid(
                "readiness.minimum_score",
                f"{self.readiness.minimum_score!r} is geen schaalcode (kies uit: {', '.join(self.scale_codes)})",
            )
        group_codes: set[str] = set()
        codes: set[str] = set()
        for g_index, group in enumerate(self.groups):
            if group.code in group_codes:
                raise _invalid(f"groups.{g_index}.code", f"dubbele groepscode {group.code!r}")
            group_codes.add(group.code)
            for e_index, term in enumerate(group.eindtermen):
                path = f"groups.{g_index}.eindtermen.{e_index}"
                if not term.code.startswith(group.code + "-"):
                    raise _invalid(f"{path}.code", f"code {term.code!r} begint niet met {group.code + '-'!r}")
                if term.code in codes:
                    raise _invalid(f"{path}.code", f"dubbele code {term.code!r}")
                codes.add(term.code)
                if term.letter is not None and term.letter != term.suffix:
                    raise _invalid(f"{path}.letter", f"letter {term.letter!r} past niet bij code {term.code!r}")
        self._check_references()
        return self

    def _check_references(self) -> None:
        """Every `*` follows a glossary word: an unknown one would show as a stray `*` on every page."""
        forms = sorted({m for term in self.glossary for m in term.matches}, key=len, reverse=True)
        for g_index, group in enumerate(self.groups):
            for name in ("title", "description"):
                if REFERENCE_MARK in (getattr(group, name) or ""):
                    raise _invalid(
                        f"groups.{g_index}.{name}",
                        f"een '{REFERENCE_MARK}' (verwijzing naar de Definitielijst) kan alleen in een tekst, "
                        "context of lead_in staan; laat hem hier weg",
                    )
            fields = [(f"groups.{g_index}.lead_in", group.lead_in)]
            for e_index, term in enumerate(group.eindtermen):
                path = f"groups.{g_index}.eindtermen.{e_index}"
                fields += [(f"{path}.context", term.context), (f"{path}.text", term.text)]
            for path, text in fields:
                for position, char in enumerate(text or ""):
                    before = (text or "")[:position]
                    if char == REFERENCE_MARK and not any(
                        before.lower().endswith(form) and not WORD_END_RE.search(before[: -len(form)]) for form in forms
                    ):
                        word = re.search(r"\S*\s*$", before)
                        raise _invalid(
                            path,
                            f"'{word.group(0) if word else ''}{REFERENCE_MARK}' verwijst naar de Definitielijst, "
                            "maar dat woord staat bij geen begrip in de matches van glossary",
                        )

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def eindtermen(self) -> list[Eindterm]:
        """All eindtermen, in file order (group by group)."""
        return [term for group in self.groups for term in group.eindtermen]

    def eindterm(self, code: str) -> Eindterm:
        for group in self.groups:
            for term in group.eindtermen:
                if term.code == code:
                    return term
        raise KeyError(f"{self.key}: geen eindterm {code!r}")

    def group(self, code: str) -> FrameworkGroup:
        for group in self.groups:
            if group.code == code:
                return group
        raise KeyError(f"{self.key}: geen groep {code!r}")

    def group_of(self, code: str) -> FrameworkGroup:
        """The group holding eindterm `code`."""
        for group in self.groups:
            if any(term.code == code for term in group.eindtermen):
                return group
        raise KeyError(f"{self.key}: geen eindterm {code!r}")

    @property
    def scale_codes(self) -> list[str]:
        return [level.code for level in self.scale]

    def scale_level(self, code: str) -> ScaleLevel:
        for level in self.scale:
            if level.code == code:
                return level
        raise KeyError(f"{self.key}: geen schaalcode {code!r}")

    def score_rank(self, code: str) -> int:
        """Index of `code` in the scale (0 = lowest); KeyError for an unknown code."""
        try:
            return self.scale_codes.index(code)
        except ValueError:
            raise KeyError(f"{self.key}: geen schaalcode {code!r}") from None

    def meets_minimum_score(self, code: str) -> bool:
        """Whether a score reaches `readiness.minimum_score`."""
        return self.score_rank(code) >= self.score_rank(self.readiness.minimum_score)
