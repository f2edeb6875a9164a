"""An error after a form action appears next to the control that caused it (#16 item 1): a DomainError may name the
field to blame; for HTMX the answer goes into the form's own message area (the id static/app.js sends), without
HTMX the page comes back with the message next to the form and the field marked; the API names the field too."""

import re
from collections.abc import Callable

from fastapi import FastAPI
from sqlmodel import Session, select

from app.errors import Conflict, DomainError, InvalidInput
from app.signoff.models import SignOff
from tests.conftest import Browser, World, login
from tests.test_signoff import submit

HTMX = {"HX-Request": "true"}
# The slot page's submit form asks for a zelfbeoordeling (tests/test_self_assessment.py).
RATED = {"zelfbeoordeling": "voldoende", "zelfmotivatie": "Zie het bewijs."}


def test_a_domain_error_may_name_its_field_and_old_callers_still_work() -> None:
    assert InvalidInput("x", field="toelichting").field == "toelichting"
    assert DomainError().field is None and Conflict("y", details=["z"]).field is None


def test_htmx_refusal_goes_to_the_forms_message_area_with_the_field(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    (request,) = submit(app, db, world, ["IA-a"])
    login(client, world.supervisor.email)
    review = client.get(f"/aftekenen/{request.id}").text
    # The decision form has its message area next to its button, hidden until there is a message.
    area = re.search(r'<div class="form-fout[^"]*" id="besluit-fout" role="alert" tabindex="-1" hidden>', review)
    assert area and review.index('id="besluit-fout"') < review.index("Besluit vastleggen")

    answer = client.post(
        f"/aftekenen/{request.id}", data={"besluit": "terug"}, headers={**HTMX, "X-Form-Fout": "besluit-fout"}
    )
    assert answer.status_code == 422
    assert answer.headers["HX-Retarget"] == "#besluit-fout" and answer.headers["HX-Reswap"] == "innerHTML"
    assert 'data-veld="toelichting"' in answer.text and "wat de student moet aanpassen" in answer.text
    # Only the message: no page, no second heading or alert inside the form's alert area.
    assert "<h1" not in answer.text and "role=" not in answer.text and "<main" not in answer.text

    no_choice = client.post(f"/aftekenen/{request.id}", data={}, headers={**HTMX, "X-Form-Fout": "besluit-fout"})
    assert no_choice.status_code == 422 and 'data-veld="besluit"' in no_choice.text
    assert db.exec(select(SignOff)).all() == []


def test_htmx_refusal_without_a_message_area_goes_to_the_top_of_the_page(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    (request,) = submit(app, db, world, ["IA-b"])
    login(client, world.supervisor.email)
    for header in ({}, {"X-Form-Fout": "#inhoud, body"}, {"X-Form-Fout": "inhoud"}, {"X-Form-Fout": "A-fout"}):
        answer = client.post(f"/aftekenen/{request.id}", data={"besluit": "terug"}, headers={**HTMX, **header})
        assert answer.status_code == 422
        assert answer.headers["HX-Retarget"] == "#meldingen", header
        assert 'role="alert"' in answer.text and "wat de student moet aanpassen" in answer.text


def test_refused_decision_without_htmx_comes_back_next_to_the_form(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    (request,) = submit(app, db, world, ["IA-c"])
    login(client, world.supervisor.email)
    page = client.post(f"/aftekenen/{request.id}", data={"besluit": "niet_mogelijk", "toelichting": "   "})
    assert page.status_code == 422
    html = page.text
    # The review page itself, the choice kept, the message in the form's area (shown, focused on load) …
    assert 'class="decision-form"' in html
    assert re.search(r'value="niet_mogelijk"[^>]*checked', html)
    area = re.search(r'id="besluit-fout" role="alert" tabindex="-1" autofocus>(.*?)</div>', html, re.S)
    assert area and "niet mogelijk is" in area.group(1)
    assert html.index('id="besluit-fout"') < html.index("Besluit vastleggen")
    # … and the comment field marked as the one to blame, described by that message.
    assert re.search(r'<textarea id="toelichting"[^>]*aria-invalid="true" aria-describedby="besluit-fout"', html)
    assert db.exec(select(SignOff)).all() == []
    # Once decided, the page goes on as before.
    done = client.post(f"/aftekenen/{request.id}", data={"besluit": "niet_mogelijk", "toelichting": "Geen cliënten."})
    assert done.status_code == 303


def test_the_api_names_the_field(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    (request,) = submit(app, db, world, ["IA-d"])
    login(client, world.supervisor.email)
    answer = client.post(f"/api/v1/submissions/{request.id}/decision", json={"decision": "terug", "comment": ""})
    assert answer.status_code == 422
    assert answer.json()["field"] == "toelichting" and "wat de student moet aanpassen" in answer.json()["detail"]


def test_refused_submission_comes_back_next_to_the_submit_button(
    app: FastAPI, db: Session, world: World, client: Browser, client_factory: Callable[[], Browser]
) -> None:
    (first,) = submit(app, db, world, ["JF-a"])
    login(client, world.supervisor.email)
    client.post(f"/aftekenen/{first.id}", data={"besluit": "terug", "toelichting": "Meer diepgang."})
    student = client_factory()
    login(student, world.student.email)

    # From the portfolio, nothing ticked: the portfolio again, the message next to the submit button.
    page = student.post("/portfolio/indienen", data={"bericht": ""})
    assert page.status_code == 422
    area = re.search(r'id="indienen-fout" role="alert" tabindex="-1" autofocus>(.*?)</div>', page.text, re.S)
    assert area and "Kies minstens één eindterm" in area.group(1)
    assert page.text.index('id="indienen-fout"') < page.text.index("Aangevinkte eindtermen indienen")

    # From the slot page, the returned slot unchanged: the slot page again, with the reason in the list.
    page = student.post("/portfolio/indienen", data={"eindterm": "JF-a", "terug": "slot", **RATED})
    assert page.status_code == 422
    area = re.search(r'id="indienen-fout" role="alert" tabindex="-1" autofocus>(.*?)</div>', page.text, re.S)
    assert area and "Er is niets ingediend." in area.group(1) and "pas eerst het bewijs aan" in area.group(1)
    assert "Meer diepgang." in page.text  # the slot's own page, with the praktijkbegeleider's comment

    # With HTMX: into the form's message area.
    answer = student.post(
        "/portfolio/indienen",
        data={"eindterm": "JF-a", "terug": "slot", **RATED},
        headers={**HTMX, "X-Form-Fout": "indienen-fout"},
    )
    assert answer.status_code == 422 and answer.headers["HX-Retarget"] == "#indienen-fout"
    assert "pas eerst het bewijs aan" in answer.text
