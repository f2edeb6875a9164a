"""Rubrics: what each level of the scale means for one eindterm, as criteria a beoordelaar ticks.

A rubric file (`kind: rubrieken`) belongs to one framework version and sits beside it in `eindtermen/`. It is a
file of its own because the framework file quotes its source verbatim, and a published framework version never
changes; a programme writes or adapts rubrics without touching either. A file with `status: voorbeeld` is an
example to adapt, and the score form says so.

The score record keeps a copy of the criteria it was given (`app.assessment`), so a score stays readable with
the rubric it was made under, whatever later files say.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from app.framework.schema import SLUG_RE, Framework

RUBRIC_KIND = "rubrieken"


def _invalid(path: str, detail: str) -> PydanticCustomError:
    return PydanticCustomError("rubric_invalid", "{path}: {detail}", {"path": path, "detail": detail})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Criterion(_Model):
    # Stable within the eindterm: a score stores the keys it ticked (next to a copy of the text).
    key: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=1)


class RubricLevel(_Model):
    level: str = Field(min_length=1)  # a code of the framework's scale
    description: str = Field(min_length=1)
    criteria: list[Criterion] = Field(default_factory=list)


class Rubric(_Model):
    eindterm: str = Field(min_length=1)
    levels: list[RubricLevel] = Field(min_length=1)

    @property
    def criteria(self) -> list[tuple[str, Criterion]]:
        """Every criterion with the level it belongs to, in file order."""
        return [(level.level, criterion) for level in self.levels for criterion in level.criteria]


class RubricSet(_Model):
    """The rubrics of one framework version, as shipped in one file."""

    kind: Literal["rubrieken"] = "rubrieken"
    framework: str = Field(min_length=1)
    framework_version: str = Field(min_length=1)
    # `voorbeeld`: written as an example for programmes to adapt; `vastgesteld`: adopted by the programme.
    status: Literal["voorbeeld", "vastgesteld"]
    toelichting: str | None = None
    rubrics: list[Rubric] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> RubricSet:
        seen: set[str] = set()
        for r_index, rubric in enumerate(self.rubrics):
            if rubric.eindterm in seen:
                raise _invalid(f"rubrics.{r_index}.eindterm", f"dubbele rubric voor {rubric.eindterm!r}")
            seen.add(rubric.eindterm)
            levels: set[str] = set()
            keys: set[str] = set()
            for l_index, level in enumerate(rubric.levels):
                if level.level in levels:
                    raise _invalid(f"rubrics.{r_index}.levels.{l_index}.level", f"dubbel niveau {level.level!r}")
                levels.add(level.level)
                for c_index, criterion in enumerate(level.criteria):
                    path = f"rubrics.{r_index}.levels.{l_index}.criteria.{c_index}.key"
                    if not SLUG_RE.fullmatch(criterion.key):
                        raise _invalid(path, f"ongeldige sleutel {criterion.key!r}: kleine letters, cijfers en '-'")
                    if criterion.key in keys:
                        raise _invalid(path, f"dubbele sleutel {criterion.key!r} in de rubric van {rubric.eindterm}")
                    keys.add(criterion.key)
        return self

    @property
    def key(self) -> tuple[str, str]:
        return (self.framework, self.framework_version)

    def check_against(self, framework: Framework) -> list[str]:
        """What in this file does not fit its framework version: unknown eindtermen, levels not on the scale,
        levels out of the scale's order. Each line names the field."""
        problems: list[str] = []
        codes = {term.code for term in framework.eindtermen}
        for r_index, rubric in enumerate(self.rubrics):
            if rubric.eindterm not in codes:
                problems.append(f"rubrics.{r_index}.eindterm: {rubric.eindterm!r} is geen eindterm van {framework.key}")
                continue
            ranks = []
            for l_index, level in enumerate(rubric.levels):
                if level.level not in framework.scale_codes:
                    problems.append(
                        f"rubrics.{r_index}.levels.{l_index}.level: {level.level!r} is geen schaalcode "
                        f"(kies uit: {', '.join(framework.scale_codes)})"
                    )
                else:
                    ranks.append(framework.score_rank(level.level))
            if ranks != sorted(ranks):
                problems.append(f"rubrics.{r_index}.levels: zet de niveaus in de volgorde van de schaal (laag → hoog)")
        return problems

    def rubric(self, code: str) -> Rubric | None:
        return next((r for r in self.rubrics if r.eindterm == code), None)
