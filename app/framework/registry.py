"""Load eindtermenkader files from a directory and look them up by id and version.

Each `*.yaml` / `*.yml` file in the directory holds one framework version. A file whose top-level
`kind` is absent or ``eindtermenkader`` is a framework; a file with ``kind: beroepsprofiel`` is a
beroepsprofiel (register requirements, competences, methods), one with ``kind: rubrieken`` holds the rubrics
of one framework version (`app.framework.rubric`); both are loaded and validated too; files of any other kind
share the folder and are skipped here. A broken file stops loading with a
`FrameworkError` naming the file and the field, so a bad edit is caught at start-up instead of
surfacing as a half-rendered portfolio.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.framework.beroepsprofiel import BEROEPSPROFIEL_KIND, Beroepsprofiel
from app.framework.rubric import RUBRIC_KIND, Rubric, RubricSet
from app.framework.schema import FRAMEWORK_KIND, Framework

log = logging.getLogger(__name__)

YAML_SUFFIXES = (".yaml", ".yml")


class FrameworkError(Exception):
    """A framework file or directory that cannot be used; the message names file and field."""


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FrameworkError(f"{path}: kan bestand niet lezen: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"regel {mark.line + 1}, kolom {mark.column + 1}: " if mark is not None else ""
        problem = exc.problem or exc.context or "onbekende fout"
        raise FrameworkError(f"{path}: {where}ongeldige YAML: {problem}") from exc
    except yaml.YAMLError as exc:
        raise FrameworkError(f"{path}: ongeldige YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise FrameworkError(f"{path}: verwacht een mapping (sleutel: waarde) op het hoogste niveau")
    return data


def _kind(path: Path, data: dict[str, Any]) -> str:
    kind = data.get("kind", FRAMEWORK_KIND)
    if not isinstance(kind, str):
        raise FrameworkError(f"{path}: kind: moet tekst zijn")
    return kind


def _format_validation_error(path: Path, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in error["loc"])
        # Model-level checks (duplicate codes, minimum_score) carry their own path in the message.
        lines.append(f"{path}: {loc}: {error['msg']}" if loc else f"{path}: {error['msg']}")
    return "\n".join(lines)


def _parse(path: Path, data: dict[str, Any]) -> Framework:
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        raise FrameworkError(_format_validation_error(path, exc)) from exc


def _parse_rubrics(path: Path, data: dict[str, Any]) -> RubricSet:
    try:
        return RubricSet.model_validate(data)
    except ValidationError as exc:
        raise FrameworkError(_format_validation_error(path, exc)) from exc


def _parse_beroepsprofiel(path: Path, data: dict[str, Any]) -> Beroepsprofiel:
    try:
        return Beroepsprofiel.model_validate(data)
    except ValidationError as exc:
        raise FrameworkError(_format_validation_error(path, exc)) from exc


def load_beroepsprofiel_file(path: Path) -> Beroepsprofiel:
    """Load and validate one beroepsprofiel file; any other `kind` is an error here."""
    data = _read_yaml(path)
    kind = _kind(path, data)
    if kind != BEROEPSPROFIEL_KIND:
        raise FrameworkError(f"{path}: kind: {kind!r} is geen {BEROEPSPROFIEL_KIND}")
    return _parse_beroepsprofiel(path, data)


def load_framework_file(path: Path) -> Framework:
    """Load and validate one framework file; any other `kind` is an error here."""
    data = _read_yaml(path)
    kind = _kind(path, data)
    if kind != FRAMEWORK_KIND:
        raise FrameworkError(f"{path}: kind: {kind!r} is geen {FRAMEWORK_KIND}")
    return _parse(path, data)


_VERSION_PART = re.compile(r"(\d+)")


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Natural sort key, so that "2024.10" sorts after "2024.9" and "2012" before "2024"."""
    parts: list[tuple[int, int | str]] = []
    for chunk in _VERSION_PART.split(version):
        if chunk.isdigit():
            parts.append((1, int(chunk)))
        elif chunk:
            parts.append((0, chunk))
    return tuple(parts)


def _sort_key(framework: Framework) -> tuple[str, tuple[tuple[int, int | str], ...]]:
    return (framework.id, version_key(framework.version))


class FrameworkRegistry:
    """All loaded framework versions, keyed by (id, version), and the beroepsprofielen beside them.

    Immutable after construction."""

    def __init__(
        self,
        frameworks: Iterable[Framework],
        beroepsprofielen: Iterable[Beroepsprofiel] = (),
        rubrics: Iterable[RubricSet] = (),
    ) -> None:
        self._by_key: dict[tuple[str, str], Framework] = {}
        for framework in frameworks:
            key = (framework.id, framework.version)
            if key in self._by_key:
                raise FrameworkError(f"dubbel kader {framework.key}")
            self._by_key[key] = framework
        self._profiles: dict[tuple[str, str], Beroepsprofiel] = {}
        for profile in beroepsprofielen:
            key = (profile.id, profile.version)
            if key in self._profiles:
                raise FrameworkError(f"dubbel beroepsprofiel {profile.key}")
            self._profiles[key] = profile
        self._rubrics: dict[tuple[str, str], RubricSet] = {}
        for rubric_set in rubrics:
            if rubric_set.key not in self._by_key:
                raise FrameworkError(f"rubrieken voor onbekend kader {'@'.join(rubric_set.key)}")
            problems = rubric_set.check_against(self._by_key[rubric_set.key])
            if problems:
                raise FrameworkError("\n".join(problems))
            self._rubrics[rubric_set.key] = rubric_set

    def rubric_set(self, framework_id: str, version: str) -> RubricSet | None:
        return self._rubrics.get((framework_id, version))

    def rubric(self, framework_id: str, version: str, code: str) -> Rubric | None:
        """The rubric of one eindterm in one framework version, if that version has rubrics and this one."""
        rubric_set = self._rubrics.get((framework_id, version))
        return rubric_set.rubric(code) if rubric_set else None

    def beroepsprofielen(self) -> list[Beroepsprofiel]:
        """Every beroepsprofiel version, sorted by id, then version (oldest first)."""
        return sorted(self._profiles.values(), key=lambda p: (p.id, version_key(p.version)))

    def beroepsprofiel(self, profile_id: str | None = None) -> Beroepsprofiel:
        """The newest version of a beroepsprofiel (of the only one, without an id); KeyError if none is loaded."""
        profiles = [p for p in self.beroepsprofielen() if profile_id is None or p.id == profile_id]
        if not profiles:
            raise KeyError(
                "geen beroepsprofiel geladen" if profile_id is None else f"geen beroepsprofiel {profile_id!r}"
            )
        ids = {p.id for p in profiles}
        if len(ids) > 1:
            raise KeyError(f"meerdere beroepsprofielen ({', '.join(sorted(ids))}): kies er een")
        return profiles[-1]

    def get(self, framework_id: str, version: str) -> Framework:
        try:
            return self._by_key[(framework_id, version)]
        except KeyError:
            raise KeyError(f"geen kader {framework_id}@{version}") from None

    def all(self) -> list[Framework]:
        """Every framework version, sorted by id, then version (oldest first)."""
        return sorted(self._by_key.values(), key=_sort_key)

    def versions(self, framework_id: str) -> list[str]:
        """The versions of one framework, oldest first; empty if the id is unknown."""
        return [fw.version for fw in self.all() if fw.id == framework_id]

    def latest(self, framework_id: str) -> Framework:
        versions = self.versions(framework_id)
        if not versions:
            raise KeyError(f"geen kader met id {framework_id!r}")
        return self._by_key[(framework_id, versions[-1])]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and key in self._by_key

    def __iter__(self) -> Iterator[Framework]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self._by_key)

    def __repr__(self) -> str:
        return f"FrameworkRegistry({', '.join(fw.key for fw in self.all())})"


def _claim(origin: dict[tuple[str, str], Path], key: tuple[str, str], path: Path, what: str) -> None:
    """One file per (id, version): a second file with the same version is refused, naming the first."""
    if key in origin:
        raise FrameworkError(
            f"{path}: {what} staat ook in {origin[key]}; een nieuwe versie krijgt een nieuw versienummer"
        )
    origin[key] = path


def load_frameworks(directory: Path) -> FrameworkRegistry:
    """Load every framework file in `directory` (sorted by name); at least one is required."""
    if not directory.is_dir():
        raise FrameworkError(f"{directory}: map met eindtermenkaders bestaat niet")
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in YAML_SUFFIXES)
    frameworks: list[Framework] = []
    profiles: list[Beroepsprofiel] = []
    origin: dict[tuple[str, str], Path] = {}
    profile_origin: dict[tuple[str, str], Path] = {}
    rubric_sets: list[tuple[Path, RubricSet]] = []
    rubric_origin: dict[tuple[str, str], Path] = {}
    for path in files:
        data = _read_yaml(path)
        kind = _kind(path, data)
        if kind == BEROEPSPROFIEL_KIND:
            profile = _parse_beroepsprofiel(path, data)
            _claim(profile_origin, (profile.id, profile.version), path, f"beroepsprofiel {profile.key}")
            profiles.append(profile)
            continue
        if kind == RUBRIC_KIND:
            rubric_set = _parse_rubrics(path, data)
            _claim(rubric_origin, rubric_set.key, path, f"rubrieken voor {'@'.join(rubric_set.key)}")
            rubric_sets.append((path, rubric_set))
            continue
        if kind != FRAMEWORK_KIND:
            log.info("%s: kind %r overgeslagen (geen %s)", path, kind, FRAMEWORK_KIND)
            continue
        framework = _parse(path, data)
        _claim(origin, (framework.id, framework.version), path, f"kader {framework.key}")
        frameworks.append(framework)
    if not frameworks:
        raise FrameworkError(f"{directory}: geen eindtermenkader gevonden (*.yaml / *.yml)")
    known = {(fw.id, fw.version): fw for fw in frameworks}
    for path, rubric_set in rubric_sets:
        target = known.get(rubric_set.key)
        if target is None:
            raise FrameworkError(
                f"{path}: framework/framework_version: geen kader {'@'.join(rubric_set.key)} in {directory}"
            )
        problems = rubric_set.check_against(target)
        if problems:
            raise FrameworkError("\n".join(f"{path}: {line}" for line in problems))
    return FrameworkRegistry(frameworks, profiles, [r for _, r in rubric_sets])
