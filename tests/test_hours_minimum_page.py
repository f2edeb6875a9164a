"""The programme's minimum of approved praktijkuren, set by its coordinator on a page (not only with the CLI):
field errors in Dutch next to the field, nothing changed on a bad value, audited, 404 for anyone else (#16 item 21)."""

import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.cohorts.models import Programme
from tests.conftest import Browser, World, login

FORMAT_ERROR = (
    "Vul het minimum in als een heel aantal uren (0 of meer), of laat het veld leeg voor het minimum van het kader."
)


def page(world: World) -> str:
    return f"/opleidingen/{world.programme.id}/praktijkuren"


def minimum(db: Session, world: World) -> int | None:
    db.expire_all()
    programme = db.get(Programme, world.programme.id)
    assert programme is not None
    return programme.minimum_practice_hours


def audited(db: Session, world: World) -> list[AuditEvent]:
    db.expire_all()
    return list(
        db.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "programme.minimum_practice_hours")
            .order_by(col(AuditEvent.id))
        ).all()
    )


def test_the_coordinator_sets_and_clears_the_minimum(
    db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    coordinator = client_factory()
    login(coordinator, world.coordinator.email)
    assert f'href="{page(world)}"' in coordinator.get("/cohorten").text
    assert f'href="{page(world)}"' in coordinator.get(f"/cohorten/{world.cohort.id}").text
    form = coordinator.get(page(world))
    assert form.status_code == 200
    assert "Nu geldt het minimum van het kader." in form.text
    # The cohort's framework and its own minimum (none in the 2012 file).
    assert "Visie en eindtermen voor jobcoachopleidingen (2012): 0 uur" in form.text

    saved = coordinator.post(page(world), data={"minimum_hours": " 1400 "})
    assert saved.status_code == 303 and saved.headers["location"] == page(world)
    assert minimum(db, world) == 1400
    after = coordinator.get(page(world))
    assert "Het minimum voor Jobcoach duaal is nu 1400 goedgekeurde praktijkuren." in after.text
    assert 'value="1400"' in after.text and "eigen minimum van de opleiding: 1400 uur" in after.text
    assert "is nu 1400" not in coordinator.get(page(world)).text  # the notice is shown once
    (event,) = audited(db, world)
    assert event.actor_id == world.coordinator.id and event.data == {"hours": 1400}

    cleared = coordinator.post(page(world), data={"minimum_hours": ""})
    assert cleared.status_code == 303
    assert minimum(db, world) is None
    assert "Jobcoach duaal volgt nu het minimum aantal praktijkuren van het kader." in coordinator.get(page(world)).text
    assert [e.data for e in audited(db, world)] == [{"hours": 1400}, {"hours": None}]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-3", FORMAT_ERROR),
        ("abc", FORMAT_ERROR),
        ("7,5", FORMAT_ERROR),
        ("\u0661\u0662", FORMAT_ERROR),  # digits of another script: int() would take them
        ("200000", "Vul een aantal uren van 0 tot 100000 in."),
    ],
)
def test_a_bad_value_gets_a_dutch_message_at_the_field_and_changes_nothing(
    db: Session, world: World, client_factory: Callable[[], Browser], typed: str, message: str
) -> None:
    coordinator = client_factory()
    login(coordinator, world.coordinator.email)
    assert coordinator.post(page(world), data={"minimum_hours": "900"}).status_code == 303
    refused = coordinator.post(page(world), data={"minimum_hours": typed})
    assert refused.status_code == 422
    assert message in refused.text
    field = re.search(r"<input id=\"minimum_hours\"[^>]*>", refused.text)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0) and "minimum_hours-fout" in field.group(0)
    # Focused when the page loads (#16 item 1): the message is where the user looks.
    message = r'<small id="minimum_hours-fout" class="field-error" role="alert" tabindex="-1" autofocus>'
    assert re.search(message, refused.text)
    assert f'value="{typed}"' in field.group(0)  # what was typed stays, to correct it
    assert minimum(db, world) == 900
    assert [e.data for e in audited(db, world)] == [{"hours": 900}]


def test_the_message_is_english_on_an_english_page(world: World, client_factory: Callable[[], Browser]) -> None:
    coordinator = client_factory()
    login(coordinator, world.coordinator.email)
    coordinator.post("/taal", data={"locale": "en", "next": "/"})
    refused = coordinator.post(page(world), data={"minimum_hours": "abc"})
    assert refused.status_code == 422 and "Enter the minimum as a whole number of hours" in refused.text


def test_nobody_else_reaches_the_page(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    for person in [world.student, world.supervisor, world.assessor, world.other_coordinator, world.admin]:
        browser = client_factory()
        login(browser, person.email)
        assert browser.get(page(world)).status_code == 404, person.email
        assert browser.post(page(world), data={"minimum_hours": "5"}).status_code == 404, person.email
    coordinator = client_factory()
    login(coordinator, world.coordinator.email)
    assert coordinator.get(f"/opleidingen/{world.other_programme.id}/praktijkuren").status_code == 404
    assert coordinator.get("/opleidingen/99999/praktijkuren").status_code == 404
    assert minimum(db, world) is None and audited(db, world) == []
