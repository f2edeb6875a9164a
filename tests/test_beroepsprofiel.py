"""The beroepsprofiel as data: it loads, it quotes the source, its numbers match the source, broken files are named."""

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.config import ROOT
from app.framework.beroepsprofiel import PracticeRequirement, TrainingRequirement
from app.framework.registry import FrameworkError, load_beroepsprofiel_file, load_frameworks
from tests.conftest import seed_path

PROFILE = ROOT / "eindtermen" / "bvjn-beroepsprofiel.yaml"
SEED = "000_595e1dde4d226e37.txt"


def normalise(text: str) -> str:
    """The seed is a PDF extraction: join words hyphenated across a line break, then collapse whitespace."""
    text = re.sub(r"-[ \t]*\n\s*", "-", text)
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture
def seed_text() -> str:
    path = seed_path(SEED)
    if path is None:
        pytest.skip("brontekst (seed) niet beschikbaar")
    return normalise(path.read_text(encoding="utf-8"))


@pytest.fixture
def data() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    return loaded


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_the_shipped_profile_loads_beside_the_framework() -> None:
    registry = load_frameworks(ROOT / "eindtermen")
    profile = registry.beroepsprofiel()
    assert profile.key == "bvjn-beroepsprofiel@1"
    assert [fw.key for fw in registry.all()] == ["bvjn-eindtermen@2012"]  # the framework list is unchanged
    assert [r.toets for r in profile.registereisen] == ["opleidingsniveau", "jobcoachopleiding", "geen", "praktijkuren"]
    assert [c.naam for c in profile.competenties.items] == [
        "Inlevingsvermogen",
        "Analytisch vermogen",
        "Effectief communiceren",
        "Reflecteren",
        "Adviseren/instrueren",
        "Coachen",
    ]
    assert profile.method_keys == [
        "supported-employment",
        "begeleid-werken",
        "ips",
        "mensen-met-mogelijkheden",
        "oplossingsgericht-werken",
        "empowering",
        "nlp",
        "transactionele-analyse",
        "waarderend-coachen",
        "var",
        "motivational-interviewing",
    ]
    assert profile.method("var").label == "Vragenlijst Arbeid en Re-integratie (VAR)"
    assert profile.gedragscode.naam == "NOLOC gedragscode"


def test_numbers_match_the_source(seed_text: str) -> None:
    profile = load_beroepsprofiel_file(PROFILE)
    training = profile.training
    practice = next(r for r in profile.registereisen if isinstance(r, PracticeRequirement))
    match = re.search(r"minimaal (\d+) uur \((\d+),(\d+) EC\)", seed_text)
    assert match, "the source states the professional development hours and EC"
    assert training.minimum_uren == Decimal(match.group(1)) == Decimal(98)
    assert training.minimum_ec == Decimal(f"{match.group(2)}.{match.group(3)}") == Decimal("3.5")
    assert training.uren_per_ec == Decimal(28)
    hours = re.search(r"tenminste (\d+) uur specifieke beroepservaring als jobcoach", seed_text)
    assert hours and practice.minimum_uren == Decimal(hours.group(1)) == Decimal(1400)
    assert "diploma na juli 2013" in seed_text
    assert (training.diploma_na.year, training.diploma_na.month) == (2013, 7)


def test_every_quote_is_in_the_source(seed_text: str) -> None:
    profile = load_beroepsprofiel_file(PROFILE)
    quotes = [r.bron for r in profile.registereisen]
    quotes += [m.bron for m in profile.methoden.items]
    quotes += [c.omschrijving for c in profile.competenties.items]
    quotes += [profile.gedragscode.bron, profile.title]
    quotes += [s.tekst for s in profile.onderdelen]
    if profile.competenties.lead_in:
        quotes.append(profile.competenties.lead_in)
    if profile.methoden.lead_in:
        quotes.append(profile.methoden.lead_in)
    if profile.intro:
        quotes.append(profile.intro)
    missing = [q for q in quotes if normalise(q) not in seed_text]
    assert missing == []
    # The six competences are the ones the source lists, in its order.
    listed = re.search(r"effectief te kunnen coachen zijn: (.+?)\.", seed_text)
    assert listed
    names = [n.strip() for n in re.split(r",| en ", listed.group(1))]
    assert [c.naam.lower() for c in profile.competenties.items] == names


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["registereisen"][1].pop("minimum_ec"),
            "registereisen.1.jobcoachopleiding.minimum_ec: Field required",
        ),
        (lambda d: d["registereisen"][1].update(minimum_uren=-1), "registereisen.1.jobcoachopleiding.minimum_uren"),
        (lambda d: d["registereisen"][3].update(toets="iets"), "registereisen.3: Input tag 'iets'"),
        (
            lambda d: d["methoden"]["items"][1].update(key="supported-employment"),
            "methoden.items.1.key: dubbele sleutel",
        ),
        (
            lambda d: d["methoden"]["items"][0].update(key="Supported Employment"),
            "methoden.items.0.key: ongeldige sleutel",
        ),
        (lambda d: d["competenties"].update(items=[]), "competenties.items"),
        (lambda d: d.pop("gedragscode"), "gedragscode: Field required"),
        (lambda d: d.update(registereisen=[d["registereisen"][0]]), "ontbreekt een eis met toets 'jobcoachopleiding'"),
        (lambda d: d.update(onbekend=1), "onbekend: Extra inputs are not permitted"),
    ],
)
def test_a_broken_profile_names_file_and_field(
    tmp_path: Path, data: dict[str, Any], mutate: Any, expected: str
) -> None:
    mutate(data)
    path = write(tmp_path / "profiel.yaml", data)
    with pytest.raises(FrameworkError) as info:
        load_beroepsprofiel_file(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_a_broken_profile_stops_start_up(tmp_path: Path, data: dict[str, Any]) -> None:
    """load_frameworks (what create_app calls) validates beroepsprofiel files too."""
    (tmp_path / "kader.yaml").write_text(
        (ROOT / "eindtermen" / "bvjn-eindtermen-2012.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    data["registereisen"][1]["minimum_uren"] = "veel"
    path = write(tmp_path / "profiel.yaml", data)
    with pytest.raises(FrameworkError) as info:
        load_frameworks(tmp_path)
    assert str(path) in str(info.value) and "registereisen.1.jobcoachopleiding.minimum_uren" in str(info.value)


def test_versions_and_duplicates(tmp_path: Path, data: dict[str, Any]) -> None:
    (tmp_path / "kader.yaml").write_text(
        (ROOT / "eindtermen" / "bvjn-eindtermen-2012.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    write(tmp_path / "a.yaml", data)
    newer = {**data, "version": "2"}
    newer["registereisen"] = [dict(r) for r in data["registereisen"]]
    newer["registereisen"][1]["minimum_uren"] = 120
    write(tmp_path / "b.yaml", newer)
    registry = load_frameworks(tmp_path)
    assert registry.beroepsprofiel().version == "2"
    assert registry.beroepsprofiel().training.minimum_uren == 120
    assert [p.version for p in registry.beroepsprofielen()] == ["1", "2"]
    write(tmp_path / "c.yaml", data)
    with pytest.raises(FrameworkError, match="bvjn-beroepsprofiel@1 staat ook in"):
        load_frameworks(tmp_path)


def test_without_a_profile_the_registry_says_so(tmp_path: Path) -> None:
    (tmp_path / "kader.yaml").write_text(
        (ROOT / "eindtermen" / "bvjn-eindtermen-2012.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    registry = load_frameworks(tmp_path)
    with pytest.raises(KeyError, match="geen beroepsprofiel"):
        registry.beroepsprofiel()


def test_the_training_requirement_drives_the_ratio(data: dict[str, Any], tmp_path: Path) -> None:
    data["registereisen"][1].update(minimum_uren=60, minimum_ec=2)
    profile = load_beroepsprofiel_file(write(tmp_path / "p.yaml", data))
    assert isinstance(profile.training, TrainingRequirement)
    assert profile.uren_per_ec == Decimal(30)
