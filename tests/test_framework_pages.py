"""The framework is browsable by every signed-in user and served as JSON; a broken file stops start-up."""

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI

from app.config import ROOT, Settings
from app.framework.registry import FrameworkError, load_frameworks
from app.framework.service import plain_text
from app.main import create_app
from tests.conftest import Browser, World, login, seed_path

SEED = "001_0f9e4071ce8b6e7d.txt"


def seed_counts() -> dict[str, int]:
    """Count the lettered eindtermen per group straight from the seed text."""
    path = seed_path(SEED)
    if path is None:
        pytest.skip("the seed text ../shared/seeds is not beside this checkout")
    text = path.read_text()
    sections = {
        "IA": text.split("Intake en assessment")[1].split("Jobfinding")[0],
        "JF": text.split("Jobfinding \n")[1].split("Coaching on the job")[0],
        "CJ": text.split("Coaching on the job")[1].split("Definitielijst")[0],
    }
    counts = {code: len(re.findall(r"^\s*([a-q])\)\s", body, re.MULTILINE)) for code, body in sections.items()}
    # Methodiek: six statements plus the ten bullets under "zodanig vorm te geven dat:".
    methodiek = text.split("Methodiek (=")[1].split("Intake en assessment")[0]
    statements = len(
        re.findall(
            r"^De jobcoach (?:onderschrijft|is in staat de visie|kent|is in staat om duidelijk|"
            r"is in staat om helder|is bereid)",
            methodiek,
            re.MULTILINE,
        )
    )
    bullets = len(
        re.findall(
            r"^\s*\uf0b7?\s*(?:deze aansluit|in de interactie|de interactie|de jobcoach)",
            methodiek.split("zodanig vorm te geven dat:")[1],
            re.MULTILINE,
        )
    )
    counts["M"] = statements + bullets
    return counts


def test_counts_per_group_match_the_seed(app: FastAPI, world: World, client: Browser) -> None:
    expected = seed_counts()
    assert expected == {"M": 16, "IA": 9, "JF": 17, "CJ": 14}
    login(client, world.student.email)
    data = client.get("/api/v1/frameworks/bvjn-eindtermen/2012").json()
    assert data["counts"] == expected
    assert data["total"] == 56
    codes = [e["code"] for g in data["groups"] for e in g["eindtermen"]]
    assert Counter(c.split("-")[0] for c in codes) == Counter(expected)
    assert len(set(codes)) == 56


def test_every_eindterm_is_browsable_with_its_dutch_text(app: FastAPI, world: World, client: Browser) -> None:
    framework = app.state.frameworks.get("bvjn-eindtermen", "2012")
    login(client, world.supervisor.email)
    page = client.get("/kader/bvjn-eindtermen/2012")
    assert page.status_code == 200
    html = page.text
    plain = re.sub(r"<[^>]+>", "", html)
    plain = plain.replace("&#39;", "'").replace("&amp;", "&").replace("&quot;", '"')
    for e in framework.eindtermen:
        assert f'id="{e.code}"' in html, e.code
        # As the text reads, without the source's "*" after a glossary word (the word is marked instead).
        assert plain_text(e.text).split("\n")[0][:60] in plain, e.code
    assert "*" not in plain
    assert "Een jobcoach is in staat om" in plain
    # Glossary: the Definitielijst terms are shown and linked where they occur.
    for term in ("Assessment", "Leerstijl", "Kern"):
        assert re.search(rf'<dt id="begrip-{term.lower()}">{term}</dt>', html)
    assert 'class="term" href="#begrip-kern"' in html


def test_framework_index_api_and_unknown_version(app: FastAPI, world: World, client: Browser) -> None:
    login(client, world.assessor.email)
    index = client.get("/api/v1/frameworks").json()["items"]
    assert [(i["id"], i["version"], i["total"]) for i in index] == [("bvjn-eindtermen", "2012", 56)]
    assert client.get("/api/v1/frameworks/bvjn-eindtermen/1999").status_code == 404
    assert client.get("/kader/bvjn-eindtermen/1999").status_code == 404
    assert client.get("/kader").headers["location"] == "/kader/bvjn-eindtermen/2012"


def test_a_broken_framework_file_stops_start_up(tmp_path: Path, settings: Settings) -> None:
    shipped = ROOT / "eindtermen" / "bvjn-eindtermen-2012.yaml"
    data = yaml.safe_load(shipped.read_text())
    del data["groups"][1]["eindtermen"][2]["text"]
    broken = tmp_path / "kapot.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(FrameworkError) as error:
        create_app(settings.model_copy(update={"framework_dir": tmp_path}))
    assert "kapot.yaml" in str(error.value)
    assert "groups.1.eindtermen.2.text" in str(error.value)


def test_duplicate_codes_are_rejected(tmp_path: Path) -> None:
    shipped = ROOT / "eindtermen" / "bvjn-eindtermen-2012.yaml"
    data = yaml.safe_load(shipped.read_text())
    data["groups"][1]["eindtermen"][1]["code"] = "IA-a"
    data["groups"][1]["eindtermen"][1]["letter"] = "a"
    (tmp_path / "dubbel.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(FrameworkError, match="dubbele code 'IA-a'"):
        load_frameworks(tmp_path)


def test_a_new_version_is_a_new_file_without_code_changes(tmp_path: Path) -> None:
    shutil.copy(ROOT / "eindtermen" / "bvjn-eindtermen-2012.yaml", tmp_path)
    data = yaml.safe_load((ROOT / "eindtermen" / "bvjn-eindtermen-2012.yaml").read_text())
    data["version"] = "2027"
    data["groups"][1]["eindtermen"].append({"code": "IA-j", "letter": "j", "text": "een nieuwe eindterm."})
    (tmp_path / "bvjn-eindtermen-2027.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    registry = load_frameworks(tmp_path)
    assert registry.versions("bvjn-eindtermen") == ["2012", "2027"]
    assert len(registry.get("bvjn-eindtermen", "2012").eindtermen) == 56
    assert len(registry.latest("bvjn-eindtermen").eindtermen) == 57
