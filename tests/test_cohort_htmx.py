"""HTMX on the cohort page: saving a student's guidance swaps only that row; errors go to the message area."""

from sqlmodel import Session

from app.cohorts.models import Enrolment
from tests.conftest import Browser, World, login


def test_htmx_assignment_returns_only_the_row(db: Session, world: World, client: Browser) -> None:
    login(client, world.coordinator.email)
    page = client.get(f"/cohorten/{world.cohort.id}").text
    # The row loads its editor on demand; the editor posts with HTMX.
    assert f'hx-get="/cohorten/{world.cohort.id}/studenten/{world.student.id}/begeleiding"' in page
    editor = client.get(
        f"/cohorten/{world.cohort.id}/studenten/{world.student.id}/begeleiding", headers={"HX-Request": "true"}
    ).text
    assert f'hx-post="/cohorten/{world.cohort.id}/studenten/{world.student.id}/begeleiding"' in editor
    assert "<html" not in editor and 'name="supervisor_id"' in editor
    response = client.post(
        f"/cohorten/{world.cohort.id}/studenten/{world.student.id}/begeleiding",
        data={"supervisor_id": str(world.bystander.id), "assessor_id": str(world.assessor.id)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith("{#") is False
    assert "<tr>" in response.text and "<html" not in response.text and "Opgeslagen" in response.text
    db.expire_all()
    enrolment = db.get(Enrolment, 1)
    assert enrolment is not None and enrolment.supervisor_id == world.bystander.id


def test_htmx_assignment_error_goes_to_the_message_area(db: Session, world: World, client: Browser) -> None:
    login(client, world.coordinator.email)
    response = client.post(
        f"/cohorten/{world.cohort.id}/studenten/{world.student.id}/begeleiding",
        data={"supervisor_id": str(world.assessor.id), "assessor_id": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#meldingen"
    assert "heeft die rol niet" in response.text
    db.expire_all()
    enrolment = db.get(Enrolment, 1)
    assert enrolment is not None and enrolment.supervisor_id == world.supervisor.id
