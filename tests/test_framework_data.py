"""The shipped BVJN framework file matches its source text, and broken framework files are refused.

Expectations about the eindtermen are derived from the seed text (the BVJN PDF extraction) where it
is available, so a typo introduced in the YAML shows up as a mismatch with the source.
"""

from __future__ import annotations

import copy
import re
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from app.framework.registry import FrameworkError, load_framework_file, load_frameworks, version_key
from app.framework.schema import Framework

REPO = Path(__file__).resolve().parents[1]
FRAMEWORK_DIR = REPO / "eindtermen"
SHIPPED = FRAMEWORK_DIR / "bvjn-eindtermen-2012.yaml"
SEED_NAME = "001_0f9e4071ce8b6e7d.txt"
SEED_CANDIDATES = [
    Path(__file__).resolve().parents[2] / "shared" / "seeds" / SEED_NAME,
    REPO.parent / "shared" / "seeds" / SEED_NAME,
    Path.cwd().resolve().parent / "shared" / "seeds" / SEED_NAME,
]

EXPECTED_COUNTS = {"M": 16, "IA": 9, "JF": 17, "CJ": 14}
EXPECTED_LETTERS = {
    "IA": list(string.ascii_lowercase[:9]),  # a–i
    "JF": list(string.ascii_lowercase[:17]),  # a–q
    "CJ": list(string.ascii_lowercase[:14]),  # a–n
}
M_CONTEXT = "De jobcoach is in staat om met de cliënt het traject zodanig vorm te geven dat:"

# Section headings as they appear (stripped) on their own line in the seed text.
SEED_HEADINGS = {
    "Visie": "visie",
    "Intake en assessment*": "IA",
    "Jobfinding": "JF",
    "Coaching on the job": "CJ",
    "Definitielijst": "definitielijst",
}
BULLET = "\uf0b7"  # PDF "Symbol" bullet glyph


def normalise(text: str) -> str:
    """Collapse whitespace and drop PDF bullet glyphs and 'o ' sub-bullets."""
    text = text.replace(BULLET, " ")
    text = re.sub(r"(?m)^\s*o\s+", " ", text)
    text = text.replace("\n- ", " ")  # sub-points inside a YAML text (JF-f)
    return " ".join(text.split())


@pytest.fixture(scope="module")
def seed_text() -> str:
    for candidate in SEED_CANDIDATES:
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    pytest.skip(f"brontekst {SEED_NAME} niet gevonden (gezocht: {', '.join(map(str, SEED_CANDIDATES))})")


@pytest.fixture(scope="module")
def seed_sections(seed_text: str) -> dict[str, str]:
    """Raw seed text per section: 'visie', 'M', 'IA', 'JF', 'CJ', 'definitielijst'."""
    sections: dict[str, list[str]] = {"voorwoord": []}
    current = "voorwoord"
    for line in seed_text.splitlines():
        stripped = line.strip()
        if stripped in SEED_HEADINGS:
            current = SEED_HEADINGS[stripped]
            sections[current] = []
        elif stripped.startswith("Methodiek (="):
            current = "M"
            sections[current] = []
        sections[current].append(line)
    assert {"visie", "M", "IA", "JF", "CJ", "definitielijst"} <= sections.keys()
    return {name: "\n".join(lines) for name, lines in sections.items()}


@pytest.fixture(scope="module")
def shipped() -> Framework:
    return load_framework_file(SHIPPED)


@pytest.fixture()
def shipped_data() -> dict[str, Any]:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return copy.deepcopy(data)


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def assert_in_order(texts: list[str], haystack: str) -> None:
    position = 0
    for text in texts:
        found = haystack.find(text, position)
        assert found >= 0, f"niet (in volgorde) in de brontekst: {text!r}"
        position = found + len(text)


# --- the shipped file -----------------------------------------------------------------------------


def test_shipped_file_loads(shipped: Framework) -> None:
    assert shipped.key == "bvjn-eindtermen@2012"
    assert shipped.language == "nl"
    assert shipped.scale_codes == ["onvoldoende", "voldoende", "goed"]
    assert shipped.readiness.minimum_score == "voldoende"
    assert shipped.readiness.require_signoff and shipped.readiness.substitute_counts


def test_shipped_directory_loads() -> None:
    registry = load_frameworks(FRAMEWORK_DIR)
    assert ("bvjn-eindtermen", "2012") in registry
    assert registry.get("bvjn-eindtermen", "2012").eindterm("IA-a").letter == "a"


def test_counts_per_group(shipped: Framework) -> None:
    assert {g.code: len(g.eindtermen) for g in shipped.groups} == EXPECTED_COUNTS
    assert [g.code for g in shipped.groups] == ["M", "IA", "JF", "CJ"]
    assert len(shipped.eindtermen) == 56


def test_group_titles_and_lead_ins(shipped: Framework) -> None:
    assert [g.title for g in shipped.groups] == [
        "Methodiek",
        "Intake en assessment",
        "Jobfinding",
        "Coaching on the job",
    ]
    for code in ("IA", "JF", "CJ"):
        assert shipped.group(code).lead_in == "Een jobcoach is in staat om"


@pytest.mark.parametrize("group_code", ["IA", "JF", "CJ"])
def test_letters_per_group(shipped: Framework, group_code: str) -> None:
    group = shipped.group(group_code)
    assert [t.letter for t in group.eindtermen] == EXPECTED_LETTERS[group_code]
    assert [t.code for t in group.eindtermen] == [f"{group_code}-{x}" for x in EXPECTED_LETTERS[group_code]]


@pytest.mark.parametrize("group_code", ["IA", "JF", "CJ"])
def test_letters_match_seed(shipped: Framework, seed_sections: dict[str, str], group_code: str) -> None:
    seed_letters = re.findall(r"(?m)^\s*([a-z])\)\s", seed_sections[group_code])
    assert seed_letters == EXPECTED_LETTERS[group_code]
    assert [t.letter for t in shipped.group(group_code).eindtermen] == seed_letters


@pytest.mark.parametrize("group_code", ["IA", "JF", "CJ"])
def test_lettered_texts_match_seed(shipped: Framework, seed_sections: dict[str, str], group_code: str) -> None:
    # Split the section at "a) ", "b) ", ...: piece 0 is the heading and lead-in, then one per eindterm.
    pieces = re.split(r"(?m)^\s*[a-z]\)\s", seed_sections[group_code])
    group = shipped.group(group_code)
    assert group.lead_in is not None
    assert normalise(pieces[0]).endswith(group.lead_in)
    assert [normalise(t.text) for t in group.eindtermen] == [normalise(p) for p in pieces[1:]]


def test_methodiek_matches_seed(shipped: Framework, seed_sections: dict[str, str]) -> None:
    raw = seed_sections["M"]
    marker = "zodanig vorm te geven dat:"
    head, _, bullets = raw.partition(marker)
    assert bullets, f"opsomming {marker!r} niet gevonden in de brontekst"
    group = shipped.group("M")
    statements, bulleted = group.eindtermen[:6], group.eindtermen[6:]

    assert [t.code for t in group.eindtermen] == [f"M-{n}" for n in range(1, 17)]
    assert all(t.letter is None for t in group.eindtermen)
    assert all(t.context is None for t in statements)
    assert all(t.context == M_CONTEXT for t in bulleted)

    # Heading, description and the six statements, followed by the bullets' shared lead-in.
    expected_head = f"Methodiek (={group.description}) " + " ".join(t.text for t in statements) + f" {M_CONTEXT}"
    assert normalise(head + marker) == normalise(expected_head)
    # One eindterm per bullet glyph, word for word.
    assert [normalise(t.text) for t in bulleted] == [normalise(p) for p in bullets.split(BULLET)[1:]]
    assert len(bulleted) == 10


def test_methodiek_description(shipped: Framework, seed_text: str) -> None:
    description = shipped.group("M").description
    assert description is not None
    assert f"Methodiek (={description})" in normalise(seed_text)


def test_visie_matches_seed(shipped: Framework, seed_sections: dict[str, str]) -> None:
    visie = shipped.visie
    assert visie is not None
    section = normalise(seed_sections["visie"])
    assert visie.intro.startswith("De jobcoach heeft in het proces te maken met meerdere klanten")
    assert visie.intro.endswith("Uitgangspunt is dat de cliënt centraal staat.")
    assert_in_order([visie.intro], section)
    assert_in_order([f"{k.term}, {k.omschrijving}" for k in visie.klanten], section)
    assert [k.term for k in visie.klanten][:3] == ["Werkgever", "Opdrachtgever", "Werknemer"]
    assert len(visie.klanten) == 4
    assert len(visie.principes) == 3
    assert_in_order(visie.principes + visie.uitspraken, section)
    assert len(visie.uitspraken) == 5


def test_glossary(shipped: Framework, seed_sections: dict[str, str]) -> None:
    section = normalise(seed_sections["definitielijst"])
    from_list = [g for g in shipped.glossary if g.source == "definitielijst"]
    assert [g.term for g in from_list] == ["Assessment", "Leerstijl", "Kern", "Doelgroepen/doelgroep"]
    assert_in_order([f"*{g.term}: {normalise(g.definition)}" for g in from_list], section)

    by_term = {g.term: g for g in shipped.glossary}
    assert by_term["Kern"].matches == ["kern"]
    assert set(by_term["Assessment"].matches) == {"assessment", "assessments"}
    assert set(by_term["Leerstijl"].matches) == {"leerstijl", "leerstijlen"}
    assert set(by_term["Doelgroepen/doelgroep"].matches) == {"doelgroep", "doelgroepen"}

    from_visie = {g.term for g in shipped.glossary if g.source == "visie"}
    assert {"Werkgever", "Opdrachtgever", "Werknemer/cliënt"} <= from_visie
    assert "werknemer" in by_term["Werknemer/cliënt"].matches
    for entry in shipped.glossary:
        assert all(m == m.lower() and m.strip() for m in entry.matches)


def test_framework_helpers(shipped: Framework) -> None:
    assert shipped.eindterm("JF-f").text.count("\n- ") == 2
    assert shipped.group_of("CJ-n").code == "CJ"
    assert shipped.score_rank("onvoldoende") < shipped.score_rank("voldoende") < shipped.score_rank("goed")
    assert shipped.meets_minimum_score("goed") and not shipped.meets_minimum_score("onvoldoende")
    with pytest.raises(KeyError):
        shipped.eindterm("XX-z")
    with pytest.raises(KeyError):
        shipped.group_of("XX-z")
    with pytest.raises(KeyError):
        shipped.score_rank("uitmuntend")
    with pytest.raises(ValidationError):
        shipped.version = "2099"  # type: ignore[misc]


# --- broken files ---------------------------------------------------------------------------------


def test_missing_text_names_file_and_field(tmp_path: Path, shipped_data: dict[str, Any]) -> None:
    del shipped_data["groups"][1]["eindtermen"][3]["text"]
    path = write_yaml(tmp_path / "broken.yaml", shipped_data)
    with pytest.raises(FrameworkError) as info:
        load_frameworks(tmp_path)
    assert f"{path}: groups.1.eindtermen.3.text: Field required" in str(info.value)


def test_wrong_minimum_score_names_file_and_field(tmp_path: Path, shipped_data: dict[str, Any]) -> None:
    shipped_data["readiness"]["minimum_score"] = "uitstekend"
    path = write_yaml(tmp_path / "kader.yaml", shipped_data)
    with pytest.raises(FrameworkError) as info:
        load_framework_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: readiness.minimum_score: ")
    assert "'uitstekend'" in message


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "kapot.yaml"
    path.write_text('id: kapot\nversion: "1"\ntitle: a: b\n', encoding="utf-8")
    with pytest.raises(FrameworkError) as info:
        load_frameworks(tmp_path)
    assert str(info.value).startswith(f"{path}: regel 3")


def test_non_mapping_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "lijst.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match=r"lijst\.yaml"):
        load_framework_file(path)


def test_duplicate_code_is_rejected(tmp_path: Path, shipped_data: dict[str, Any]) -> None:
    shipped_data["groups"][1]["eindtermen"][1].update(code="IA-a", letter="a")
    path = write_yaml(tmp_path / "dubbel.yaml", shipped_data)
    with pytest.raises(FrameworkError) as info:
        load_framework_file(path)
    assert f"{path}: groups.1.eindtermen.1.code: dubbele code 'IA-a'" in str(info.value)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["groups"][2].update(code="IA"), "groups.2.code: dubbele groepscode 'IA'"),
        (lambda d: d["groups"][1]["eindtermen"][0].update(code="JF-a"), "begint niet met 'IA-'"),
        (lambda d: d["groups"][1]["eindtermen"][0].update(letter="b"), "groups.1.eindtermen.0.letter"),
        (lambda d: d["groups"][1]["eindtermen"][0].update(code="ia-a"), "groups.1.eindtermen.0.code"),
        (lambda d: d.update(id="BVJN Eindtermen"), "id: ongeldige id"),
        (lambda d: d["scale"].append(dict(d["scale"][0])), "scale.3.code: dubbele schaalcode"),
        (lambda d: d.update(scale=[]), "scale:"),
        (lambda d: d.update(onbekend=1), "onbekend: Extra inputs are not permitted"),
        (lambda d: d.update(version=2012), "version: Input should be a valid string"),
    ],
)
def test_invalid_frameworks_are_rejected(
    tmp_path: Path, shipped_data: dict[str, Any], mutate: Any, expected: str
) -> None:
    mutate(shipped_data)
    path = write_yaml(tmp_path / "fout.yaml", shipped_data)
    with pytest.raises(FrameworkError) as info:
        load_framework_file(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


# --- the registry ---------------------------------------------------------------------------------


def test_two_versions_load_and_latest_is_newest(tmp_path: Path, shipped_data: dict[str, Any]) -> None:
    write_yaml(tmp_path / "a-2024.yaml", {**shipped_data, "version": "2024"})
    write_yaml(tmp_path / "b-2012.yml", shipped_data)
    registry = load_frameworks(tmp_path)
    assert len(registry) == 2
    assert registry.versions("bvjn-eindtermen") == ["2012", "2024"]
    assert registry.latest("bvjn-eindtermen").version == "2024"
    assert [fw.key for fw in registry.all()] == ["bvjn-eindtermen@2012", "bvjn-eindtermen@2024"]
    assert ("bvjn-eindtermen", "2012") in registry
    assert ("bvjn-eindtermen", "1999") not in registry
    assert registry.versions("onbekend") == []
    with pytest.raises(KeyError):
        registry.get("bvjn-eindtermen", "1999")
    with pytest.raises(KeyError):
        registry.latest("onbekend")


def test_versions_sort_naturally() -> None:
    assert sorted(["2024.10", "2024.9", "2012", "2024"], key=version_key) == [
        "2012",
        "2024",
        "2024.9",
        "2024.10",
    ]


def test_same_id_and_version_twice_is_rejected(tmp_path: Path, shipped_data: dict[str, Any]) -> None:
    first = write_yaml(tmp_path / "een.yaml", shipped_data)
    second = write_yaml(tmp_path / "twee.yaml", shipped_data)
    with pytest.raises(FrameworkError) as info:
        load_frameworks(tmp_path)
    assert str(first) in str(info.value) and str(second) in str(info.value)
    assert "bvjn-eindtermen@2012" in str(info.value)


def test_other_kinds_are_skipped(tmp_path: Path, shipped_data: dict[str, Any]) -> None:
    write_yaml(tmp_path / "kader.yaml", {"kind": "eindtermenkader", **shipped_data})
    # A beroepsprofiel is loaded beside the frameworks (tests/test_beroepsprofiel.py); unknown kinds are skipped.
    notitie = write_yaml(tmp_path / "notitie.yaml", {"kind": "notitie", "id": "jobcoach", "rollen": []})
    registry = load_frameworks(tmp_path)
    assert [fw.key for fw in registry.all()] == ["bvjn-eindtermen@2012"]
    with pytest.raises(FrameworkError, match="notitie"):
        load_framework_file(notitie)


def test_directory_without_frameworks_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError, match="geen eindtermenkader"):
        load_frameworks(tmp_path)
    write_yaml(tmp_path / "notitie.yaml", {"kind": "notitie"})
    (tmp_path / "notities.txt").write_text("geen yaml", encoding="utf-8")
    with pytest.raises(FrameworkError, match="geen eindtermenkader"):
        load_frameworks(tmp_path)
    with pytest.raises(FrameworkError, match="bestaat niet"):
        load_frameworks(tmp_path / "ontbreekt")
