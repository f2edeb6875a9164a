"""The shape of a beroepsprofiel file (`kind: beroepsprofiel`), validated on load like a framework.

The register requirements, the six behavioural competences, the methods and the code of conduct are data:
code reads every number (98 hours, 3.5 EC, 1,400 hours, the diploma date) and every method name from here.
`toets` names how the portfolio checks a requirement; the parameters of that check live next to it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app.framework.schema import SLUG_RE, _invalid, _Model

BEROEPSPROFIEL_KIND = "beroepsprofiel"


def _slug(value: str, what: str) -> str:
    if not SLUG_RE.fullmatch(value):
        raise PydanticCustomError(
            "beroepsprofiel_key",
            "ongeldige {what} '{value}': alleen kleine letters, cijfers en '-'",
            {"what": what, "value": value},
        )
    return value


class _Requirement(_Model):
    key: str
    titel: str = Field(min_length=1)
    omschrijving: str = Field(min_length=1)
    # The source's own words, quoted verbatim.
    bron: str = Field(min_length=1)

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        return _slug(value, "sleutel")


class LevelRequirement(_Requirement):
    """HBO work and thinking level: a degree certificate, or an EVC procedure / assessment."""

    toets: Literal["opleidingsniveau"]


class TrainingRequirement(_Requirement):
    """A recognised jobcoach training with a diploma after `diploma_na`, or enough professional development."""

    toets: Literal["jobcoachopleiding"]
    diploma_na: date
    minimum_uren: Decimal = Field(gt=0)
    minimum_ec: Decimal = Field(gt=0)

    @property
    def uren_per_ec(self) -> Decimal:
        """How many hours one EC counts for (98 h = 3.5 EC → 28)."""
        return self.minimum_uren / self.minimum_ec


class PracticeRequirement(_Requirement):
    """Specific professional experience as job coach, in approved practice hours."""

    toets: Literal["praktijkuren"]
    minimum_uren: Decimal = Field(gt=0)


class UncheckedRequirement(_Requirement):
    """A requirement the portfolio cannot check (shown as 'onbekend')."""

    toets: Literal["geen"]


RegisterRequirement = Annotated[
    LevelRequirement | TrainingRequirement | PracticeRequirement | UncheckedRequirement,
    Field(discriminator="toets"),
]


class Competence(_Model):
    key: str
    naam: str = Field(min_length=1)
    omschrijving: str = Field(min_length=1)

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        return _slug(value, "sleutel")


class Competences(_Model):
    lead_in: str | None = None
    items: list[Competence] = Field(min_length=1)


class Method(_Model):
    key: str
    naam: str = Field(min_length=1)
    afkorting: str | None = None
    bron: str = Field(min_length=1)

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        return _slug(value, "sleutel")

    @property
    def label(self) -> str:
        return f"{self.naam} ({self.afkorting})" if self.afkorting else self.naam


class Methods(_Model):
    lead_in: str | None = None
    items: list[Method] = Field(min_length=1)


class CodeOfConduct(_Model):
    naam: str = Field(min_length=1)
    bron: str = Field(min_length=1)
    url: str | None = None


class Section(_Model):
    titel: str = Field(min_length=1)
    tekst: str = Field(min_length=1)


class Beroepsprofiel(_Model):
    """One version of a beroepsprofiel, as shipped in one YAML file."""

    kind: Literal["beroepsprofiel"]
    id: str
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    source: str = Field(min_length=1)
    language: str = Field(min_length=2)
    intro: str | None = None
    registereisen: list[RegisterRequirement] = Field(min_length=1)
    competenties: Competences
    methoden: Methods
    gedragscode: CodeOfConduct
    onderdelen: list[Section] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _slug(value, "id")

    @model_validator(mode="after")
    def _consistent(self) -> Beroepsprofiel:
        for field, items in (
            ("registereisen", self.registereisen),
            ("competenties.items", self.competenties.items),
            ("methoden.items", self.methoden.items),
        ):
            seen: set[str] = set()
            for index, item in enumerate(items):
                if item.key in seen:
                    raise _invalid(f"{field}.{index}.key", f"dubbele sleutel {item.key!r}")
                seen.add(item.key)
        for toets in ("opleidingsniveau", "jobcoachopleiding", "praktijkuren"):
            found = [i for i, r in enumerate(self.registereisen) if r.toets == toets]
            if len(found) > 1:
                raise _invalid(f"registereisen.{found[1]}.toets", f"toets {toets!r} komt meer dan één keer voor")
        if not any(r.toets == "jobcoachopleiding" for r in self.registereisen):
            # Its hours and EC give the conversion of EC into hours for the development log.
            raise _invalid("registereisen", "er ontbreekt een eis met toets 'jobcoachopleiding' (uren en EC)")
        return self

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def training(self) -> TrainingRequirement:
        for requirement in self.registereisen:
            if isinstance(requirement, TrainingRequirement):
                return requirement
        raise KeyError(f"{self.key}: geen eis met toets 'jobcoachopleiding'")  # pragma: no cover - validated

    @property
    def uren_per_ec(self) -> Decimal:
        return self.training.uren_per_ec

    @property
    def method_keys(self) -> list[str]:
        return [m.key for m in self.methoden.items]

    def method(self, key: str) -> Method:
        for method in self.methoden.items:
            if method.key == key:
                return method
        raise KeyError(f"{self.key}: geen methode {key!r}")
