"""The framework's own words (#16 item 12): M-7..M-16 are shown with their visible lead-in, the source's
"kern*" is the glossary term "kern" (never a stray "*"), and JF-f's sub-points are a list, on every page that
shows an eindterm: the slot page, the portfolio, /kader, /aftekenen, the review and the dossier."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from sqlmodel import Session

from app.framework import service as framework_service
from app.framework.registry import FrameworkError, load_framework_file
from app.readiness import dossier as dossier_service
from tests.conftest import Browser, World, login
from tests.test_framework_data import SHIPPED, write_yaml
from tests.test_signoff import submit

M_LEAD_IN = "De jobcoach is in staat om met de cliënt het traject zodanig vorm te geven dat:"
KERN_DEFINITION = "Dit begrip omvat datgene van de mens wat hem in beweging brengt, energie geeft."
JF_F_POINTS = (
    '<ul class="eindterm-points"><li>de missie en visie van een bedrijf.</li>'
    "<li>de bedrijfscultuur (normen, waarden en ongeschreven regels).</li></ul>"
)


def visible(html: str) -> str:
    """The text a sighted reader sees: without what only screen readers get, without tags."""
    html = re.sub(r'<(span|div|p)[^>]*class="visually-hidden"[^>]*>.*?</\1>', "", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def assert_kern_marked(html: str, *, linked: bool = True) -> None:
    assert "kern*" not in html
    assert not re.search(r"\w\*", visible(html)), "a stray '*' after a word"
    if linked:
        assert re.search(rf'<a class="term" href="[^"]*#begrip-kern" title="{KERN_DEFINITION}">kern</a>', html)
    else:
        assert f'<span class="term" title="{KERN_DEFINITION}">kern</span>' in html


@pytest.fixture
def submitted(app: FastAPI, db: Session, world: World) -> dict[str, int]:
    made = submit(app, db, world, ["M-7", "M-8", "IA-f", "JF-f"])
    return {s.eindterm_code: s.id or 0 for s in made}


def test_the_slot_page_shows_the_lead_in_the_term_and_the_sub_points(
    world: World, client: Browser, submitted: dict[str, int]
) -> None:
    login(client, world.student.email)
    base = f"/studenten/{world.student.id}/eindtermen"
    m7 = client.get(f"{base}/M-7").text
    assert f'<p class="eindterm-lead-in">{M_LEAD_IN}</p>' in m7 and M_LEAD_IN in visible(m7)
    ia_f = client.get(f"{base}/IA-f").text
    assert_kern_marked(ia_f)
    assert "<dt>Kern</dt>" in ia_f  # the definitions of the terms it uses, on the page
    assert JF_F_POINTS in client.get(f"{base}/JF-f").text


def test_the_portfolio_shows_the_m_lead_in_once_above_its_run(world: World, client: Browser) -> None:
    login(client, world.student.email)
    html = client.get("/portfolio").text
    shown = visible(html)
    assert shown.count(M_LEAD_IN) == 1, "once above M-7..M-16, not per item"
    assert shown.index(M_LEAD_IN) < shown.index("deze aansluit bij de competenties")
    assert shown.index("De jobcoach is bereid en in staat tot kritische reflectie") < shown.index(M_LEAD_IN)
    assert 'class="visually-hidden">De jobcoach is in staat' not in html
    assert "Een jobcoach is in staat om …" in shown  # the groups' shared opening words
    assert_kern_marked(html)
    assert JF_F_POINTS in html


def test_aftekenen_and_the_review_show_the_lead_in_the_term_and_the_sub_points(
    world: World, client: Browser, submitted: dict[str, int]
) -> None:
    login(client, world.supervisor.email)
    pending = client.get("/aftekenen").text
    assert M_LEAD_IN in visible(pending)
    assert_kern_marked(pending)
    assert JF_F_POINTS in pending, "JF-f's two sub-points are a list, not one run-on line"
    review = client.get(f"/aftekenen/{submitted['M-7']}").text
    assert f'<p class="eindterm-lead-in">{M_LEAD_IN}</p>' in review
    ia_f = client.get(f"/aftekenen/{submitted['IA-f']}").text
    assert_kern_marked(ia_f)
    assert "Een jobcoach is in staat om …" in visible(ia_f)
    assert JF_F_POINTS in client.get(f"/aftekenen/{submitted['JF-f']}").text
    # M-1..M-6 are whole sentences: no invented "Een jobcoach is in staat om" above them.
    m1 = framework_service.statement(client.app_ref.state.frameworks.get("bvjn-eindtermen", "2012"), "M-1")
    assert m1.lead_in is None


def test_the_dossier_shows_the_lead_in_the_term_and_its_definition(
    app: FastAPI, db: Session, world: World, submitted: dict[str, int]
) -> None:
    context = dossier_service.collect(db, student=world.student, registry=app.state.frameworks)
    context.pop("files")
    html = dossier_service.render_html(context, [])
    shown = visible(html)
    assert shown.count(M_LEAD_IN) == 10  # each of M-7..M-16 is its own section of the dossier
    assert_kern_marked(html, linked=False)  # a PDF cannot open /kader: the definition is at the end instead
    assert f"<dt>Kern</dt><dd>{KERN_DEFINITION}</dd>" in html
    assert JF_F_POINTS in html


def test_kader_marks_kern_and_lists_jf_f(world: World, client: Browser) -> None:
    login(client, world.student.email)
    html = client.get("/kader/bvjn-eindtermen/2012").text
    assert 'class="term" href="#begrip-kern"' in html and "kern*" not in html
    assert JF_F_POINTS in html
    assert visible(html).count(M_LEAD_IN) == 1


def test_plain_places_drop_the_star(world: World, client_factory: Callable[[], Browser]) -> None:
    """Where no word can be marked (a checkbox label, an option, a tooltip) the '*' still does not show."""
    student = client_factory()
    login(student, world.student.email)
    form = student.get("/bewijs/nieuw").text
    assert "de kern, de kwaliteiten" in form and "kern*" not in form
    coordinator = client_factory()
    login(coordinator, world.coordinator.email)
    overview = coordinator.get(f"/cohorten/{world.cohort.id}/overzicht")
    assert overview.status_code == 200
    assert 'title="samen met de cliënt een profiel te maken met daarin de kern, de' in overview.text
    assert "kern*" not in overview.text


# --- the data ------------------------------------------------------------------------------------


def test_a_star_after_a_glossary_word_becomes_that_term() -> None:
    framework = load_framework_file(SHIPPED)
    segments = framework_service.annotate(framework, "de kern* en de Kern*, niet kernachtig")
    assert [(s.text, s.term.term if s.term else None) for s in segments] == [
        ("de ", None),
        ("kern", "Kern"),
        (" en de ", None),
        ("Kern", "Kern"),
        (", niet kernachtig", None),
    ]
    assert framework_service.plain_text("de kern* van") == "de kern van"


def _shipped() -> dict[str, Any]:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["groups"][1]["eindtermen"][0].update(text="een intake* uit te voeren"),
            "groups.1.eindtermen.0.text: 'intake*' verwijst naar de Definitielijst, maar dat woord staat bij geen "
            "begrip in de matches van glossary",
        ),
        (  # part of a word is not the word: "kernachtig*" is not "kern*"
            lambda d: d["groups"][1]["eindtermen"][0].update(text="kernachtig* weer te geven"),
            "groups.1.eindtermen.0.text: 'kernachtig*'",
        ),
        (
            lambda d: d["groups"][0]["eindtermen"][6].update(context="zodanig * dat:"),
            "groups.0.eindtermen.6.context: 'zodanig *'",
        ),
        (
            lambda d: d["groups"][1].update(title="Intake en assessment*"),
            "groups.1.title: een '*' (verwijzing naar de Definitielijst) kan alleen in een tekst",
        ),
    ],
)
def test_a_star_that_refers_to_no_glossary_term_stops_start_up(tmp_path: Path, mutate: Any, expected: str) -> None:
    data = _shipped()
    mutate(data)
    path = write_yaml(tmp_path / "ster.yaml", data)
    with pytest.raises(FrameworkError) as info:
        load_framework_file(path)
    assert f"{path}: {expected}" in str(info.value)


def test_a_star_after_a_known_word_form_loads(tmp_path: Path) -> None:
    data = _shipped()
    data["groups"][1]["eindtermen"][0]["text"] = "een intake en assessment* uit te voeren"
    framework = load_framework_file(write_yaml(tmp_path / "ster.yaml", data))
    body = framework_service.statement(framework, "IA-a").body
    assert [s.text for s in body if s.term] == ["assessment"]
    assert "*" not in "".join(s.text for s in body)
