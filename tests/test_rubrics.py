"""Rubrics per eindterm (issue #20, item 3): a file beside the framework version, checked at start-up; the score
form shows it, the beoordelaar ticks criteria, and the score keeps a copy that later rubric files cannot change."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.assessment import service as assessment
from app.assessment.models import Assessment
from app.errors import InvalidInput
from app.framework.registry import FrameworkError, load_frameworks
from tests.conftest import Browser, World, login, page_csrf
from tests.test_assessment import decide
from tests.test_signoff import submit

FRAMEWORK_DIR = Path(__file__).resolve().parent.parent / "eindtermen"
RUBRICS = FRAMEWORK_DIR / "bvjn-eindtermen-2012-rubrieken.yaml"


def rubric_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(RUBRICS.read_text(encoding="utf-8"))
    return data


def folder_with(tmp_path: Path, data: dict[str, Any]) -> Path:
    shutil.copy(FRAMEWORK_DIR / "bvjn-eindtermen-2012.yaml", tmp_path / "kader.yaml")
    (tmp_path / "rubrieken.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return tmp_path


def test_the_shipped_example_covers_intake_en_assessment() -> None:
    registry = load_frameworks(FRAMEWORK_DIR)
    framework = registry.get("bvjn-eindtermen", "2012")
    rubric_set = registry.rubric_set("bvjn-eindtermen", "2012")
    assert rubric_set is not None and rubric_set.status == "voorbeeld"
    for term in framework.group("IA").eindtermen:
        rubric = registry.rubric("bvjn-eindtermen", "2012", term.code)
        assert rubric is not None, term.code
        # Every level of the scale is described, in the scale's order; the passing levels have criteria to tick.
        assert [level.level for level in rubric.levels] == framework.scale_codes
        assert all(level.criteria for level in rubric.levels if framework.scale_level(level.level).passing)
    assert registry.rubric("bvjn-eindtermen", "2012", "JF-a") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["rubrics"][0].update(eindterm="IA-z"), "rubrics.0.eindterm: 'IA-z' is geen eindterm"),
        (lambda d: d["rubrics"][1]["levels"][0].update(level="matig"), "rubrics.1.levels.0.level: 'matig'"),
        (lambda d: d["rubrics"][0]["levels"].reverse(), "rubrics.0.levels: zet de niveaus in de volgorde"),
        (
            lambda d: d["rubrics"][0]["levels"][2]["criteria"].append({"key": "opdracht", "text": "Nog eens."}),
            "dubbele sleutel 'opdracht'",
        ),
        (lambda d: d["rubrics"].append(dict(d["rubrics"][0])), "dubbele rubric voor 'IA-a'"),
        (lambda d: d.update(framework_version="2099"), "geen kader bvjn-eindtermen@2099"),
        (lambda d: d.update(status="definitief"), "status"),
    ],
)
def test_a_broken_rubric_file_stops_start_up_naming_file_and_field(tmp_path: Path, change: Any, message: str) -> None:
    data = rubric_data()
    change(data)
    folder = folder_with(tmp_path, data)
    with pytest.raises(FrameworkError) as info:
        load_frameworks(folder)
    assert message in str(info.value) and "rubrieken.yaml" in str(info.value)


def test_two_rubric_files_for_one_version_are_refused(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, rubric_data())
    shutil.copy(folder / "rubrieken.yaml", folder / "rubrieken-kopie.yaml")
    with pytest.raises(FrameworkError, match="staat ook in"):
        load_frameworks(folder)


def _signed_off(app: FastAPI, db: Session, world: World, code: str) -> None:
    (submission,) = submit(app, db, world, [code])
    decide(world, db, submission.id or 0)


def test_the_beoordelaar_ticks_criteria_and_the_score_keeps_them(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    _signed_off(app, db, world, "IA-f")
    login(client, world.assessor.email)
    url = f"/studenten/{world.student.id}/eindtermen/IA-f"
    page = client.get(url).text
    assert "Voorbeeld" in page and 'name="criterium" value="kern"' in page and "passende-baan" in page
    response = client.post(
        f"{url}/beoordeling",
        data={
            "csrf_token": page_csrf(page),
            "score": "voldoende",
            "feedback": "Profiel staat.",
            "criterium": ["kern", "kwaliteiten"],
        },
        csrf=False,
    )
    assert response.status_code in (200, 303)
    (made,) = db.exec(select(Assessment)).all()
    assert [(c["key"], c["met"]) for c in made.rubric_criteria] == [
        ("kern", True),
        ("kwaliteiten", True),
        ("passende-baan", False),
    ]
    assert made.rubric_criteria[0]["level"] == "voldoende" and "energie geeft" in made.rubric_criteria[0]["text"]
    page = client.get(url).text
    assert "Rubric: 2 van 3 criteria behaald" in page


def test_an_eindterm_without_rubric_has_no_criteria_to_tick(app: FastAPI, db: Session, world: World) -> None:
    _signed_off(app, db, world, "JF-a")
    me = accounts.actor_for(db, user_id=world.assessor.id or 0)
    with pytest.raises(InvalidInput, match="geen rubric"):
        assessment.score(
            db,
            actor=me,
            registry=app.state.frameworks,
            student_id=world.student.id or 0,
            code="JF-a",
            score="goed",
            feedback="Goed.",
            criteria=["kern"],
        )
    made = assessment.score(
        db,
        actor=me,
        registry=app.state.frameworks,
        student_id=world.student.id or 0,
        code="JF-a",
        score="goed",
        feedback="Goed.",
    )
    assert made.rubric is None and made.rubric_criteria == []


def test_an_unknown_criterion_is_refused_in_view_and_nothing_is_stored(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    _signed_off(app, db, world, "IA-a")
    login(client, world.assessor.email)
    url = f"/studenten/{world.student.id}/eindtermen/IA-a"
    page = client.get(url).text
    response = client.post(
        f"{url}/beoordeling",
        data={"csrf_token": page_csrf(page), "score": "goed", "feedback": "Ok.", "criterium": ["bestaat-niet"]},
        headers={"HX-Request": "true", "X-Form-Fout": "beoordelen-fout"},
        csrf=False,
    )
    assert response.status_code == 422 and response.headers["HX-Retarget"] == "#beoordelen-fout"
    assert "hoort niet bij de rubric" in response.text and 'data-veld="criterium"' in response.text
    # Without HTMX: the slot page again, the message in the score form's own area.
    again = client.post(
        f"{url}/beoordeling",
        data={"csrf_token": page_csrf(page), "score": "goed", "feedback": "Ok.", "criterium": ["bestaat-niet"]},
        csrf=False,
    )
    assert again.status_code == 422
    area = again.text.split('id="beoordelen-fout"', 1)[1].split("</div>", 1)[0]
    assert "hoort niet bij de rubric" in area and 'name="criterium" value="opdracht"' in again.text
    assert db.exec(select(Assessment)).all() == []


def test_a_score_keeps_its_rubric_after_the_rubric_file_changes(
    app: FastAPI, db: Session, world: World, client: Browser, tmp_path: Path
) -> None:
    _signed_off(app, db, world, "IA-a")
    me = accounts.actor_for(db, user_id=world.assessor.id or 0)
    assessment.score(
        db,
        actor=me,
        registry=app.state.frameworks,
        student_id=world.student.id or 0,
        code="IA-a",
        score="voldoende",
        feedback="Binnen de kaders.",
        criteria=["opdracht"],
    )
    db.commit()
    old_text = rubric_data()["rubrics"][0]["levels"][1]["criteria"][0]["text"]
    changed = rubric_data()
    changed["rubrics"][0]["levels"][1]["criteria"][0]["text"] = "Een heel andere eis, van later."
    changed["status"] = "vastgesteld"
    app.state.frameworks = load_frameworks(folder_with(tmp_path, changed))
    login(client, world.assessor.email)
    page = client.get(f"/studenten/{world.student.id}/eindtermen/IA-a").text
    history = page.split("beoordelingen-titel", 1)[1]
    assert old_text in history and "Een heel andere eis" not in history
    (stored,) = db.exec(select(Assessment).order_by(col(Assessment.id))).all()
    assert json.loads(stored.rubric or "{}")["criteria"][0] == {
        "key": "opdracht",
        "level": "voldoende",
        "met": True,
        "text": old_text,
    }


def test_the_api_takes_criteria_and_publishes_the_rubrics(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    _signed_off(app, db, world, "IA-b")
    login(client, world.assessor.email)
    framework = client.get("/api/v1/frameworks/bvjn-eindtermen/2012").json()
    assert framework["rubrics"]["status"] == "voorbeeld"
    assert {r["eindterm"] for r in framework["rubrics"]["rubrics"]} >= {"IA-a", "IA-i"}
    response = client.post(
        f"/api/v1/students/{world.student.id}/eindtermen/IA-b/assessments",
        json={"score": "goed", "feedback": "Samen gedaan.", "criteria": ["wie-wat", "samen"]},
    )
    assert response.status_code == 201, response.text
    assert [c["key"] for c in response.json()["rubric"] if c["met"]] == ["wie-wat", "samen"]
    refused = client.post(
        f"/api/v1/students/{world.student.id}/eindtermen/IA-b/assessments",
        json={"score": "goed", "feedback": "Samen gedaan.", "criteria": ["verzonnen"]},
    )
    assert refused.status_code == 422 and "rubric" in refused.text
