"""The evidence page and its form, #16: the header names the state of the version shown and of the newest version
sent (item 8); a save answers 303 to the item with a one-shot notice (item 3); a file that retention removed
answers 410 with the date instead of 404 (item 23)."""

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi import FastAPI
from sqlmodel import Session, select

from app.db import as_utc, utcnow
from app.evidence.models import Blob, Submission
from app.i18n import set_locale
from app.privacy import erasure, retention
from app.signoff import service as signoff
from app.web import TIME_ZONE, format_date
from tests.conftest import Browser, World, login
from tests.test_evidence import PDF, form_fields, post_evidence
from tests.test_retention import evidence_with_file, set_left

MOMENT = r"\d{1,2} [a-z]+ \d{4} \d{2}:\d{2}"


def header(html: str) -> str:
    match = re.search(r'<p class="meta" id="versie-status">(.*?)</p>', html, re.S)
    assert match, html
    return re.sub(r"<[^>]+>", "", match.group(1))


def history_section(html: str) -> str:
    match = re.search(r'<section aria-labelledby="versies-titel">(.*?)</section>', html, re.S)
    assert match, html
    return match.group(1)


def evidence_id_of(response) -> int:  # type: ignore[no-untyped-def]
    return int(response.headers["location"].rsplit("/", 1)[1])


# --- item 8: the states in the header, the version list numbered once --------------------------------------------


def test_header_names_the_concept_shown_and_the_version_submitted_list_newest_first(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    student = client_factory()
    login(student, world.student.email)
    evidence_id = evidence_id_of(post_evidence(student, app, []))
    assert student.post("/portfolio/indienen", data={"eindterm": ["IA-a", "IA-c"]}).status_code == 303
    assert post_evidence(student, app, [], url=f"/bewijs/{evidence_id}", title="Intake, herzien").status_code == 303

    page = student.get(f"/bewijs/{evidence_id}").text
    head = header(page)
    assert re.search(rf"versie 2 · concept; versie 1 ingediend op {MOMENT} voor IA-a, IA-c$", head.strip()), head
    history = history_section(page)
    assert "<ol" not in history and "<ul" in history  # no browser numbering beside "Versie N"
    assert history.index("Versie 2") < history.index("Versie 1")
    assert re.search(rf"ingediend op {MOMENT} voor IA-a, IA-c", history)
    assert "badge status-concept" in history

    # Signed off for one eindterm, still waiting for the other: the praktijkbegeleider sees both, no concept.
    submission = db.exec(select(Submission).where(Submission.eindterm_code == "IA-a")).one()
    signoff.decide(
        db,
        decider=signoff.Decider(
            user_id=world.supervisor.id or 0, name=world.supervisor.name, email=world.supervisor.email, function=None
        ),
        submission_id=submission.id or 0,
        decision="afgetekend",
    )
    db.commit()
    supervisor = client_factory()
    login(supervisor, world.supervisor.email)
    staff_page = supervisor.get(f"/bewijs/{evidence_id}").text
    staff_head = header(staff_page)
    assert re.search(rf"versie 1 · afgetekend op {MOMENT} voor IA-a; ingediend op {MOMENT} voor IA-c", staff_head)
    assert "concept" not in staff_head and "versie 2" not in staff_head
    assert "Intake, herzien" not in staff_page

    # The student's own header now says the sign-off, in English too.
    assert re.search(rf"versie 1 afgetekend op {MOMENT} voor IA-a", header(student.get(f"/bewijs/{evidence_id}").text))
    student.post("/taal", data={"locale": "en", "next": "/portfolio"})
    english = header(student.get(f"/bewijs/{evidence_id}").text)
    assert "version 2 · draft; version 1 signed off on" in english and "for IA-a" in english, english


def test_a_single_concept_says_concept_instead_of_nothing(app: FastAPI, world: World, client: Browser) -> None:
    login(client, world.student.email)
    evidence_id = evidence_id_of(post_evidence(client, app, []))
    assert header(client.get(f"/bewijs/{evidence_id}").text).strip().endswith("versie 1 · concept")


# --- item 3: a save answers 303 to the item, with a notice shown once --------------------------------------------


def test_saving_redirects_to_the_item_with_a_notice_shown_once(app: FastAPI, world: World, client: Browser) -> None:
    login(client, world.student.email)
    created = post_evidence(client, app, [])
    assert created.status_code == 303
    evidence_id = evidence_id_of(created)
    assert created.headers["location"] == f"/bewijs/{evidence_id}"
    assert "Het bewijsstuk is opgeslagen." in client.get(f"/bewijs/{evidence_id}").text

    edited = post_evidence(client, app, [], url=f"/bewijs/{evidence_id}", title="Intake, herzien")
    assert edited.status_code == 303 and edited.headers["location"] == f"/bewijs/{evidence_id}"
    first = client.get(edited.headers["location"]).text
    assert "Versie 2 van het bewijsstuk is opgeslagen." in first
    again = client.get(f"/bewijs/{evidence_id}").text
    assert "is opgeslagen." not in again  # one-shot: a refresh does not show it again


def test_htmx_save_gets_hx_redirect_to_the_item_and_the_notice(app: FastAPI, world: World, client: Browser) -> None:
    login(client, world.student.email)
    evidence_id = evidence_id_of(post_evidence(client, app, []))
    client.get(f"/bewijs/{evidence_id}")  # the creation notice is shown and gone
    response = client.post(
        f"/bewijs/{evidence_id}",
        data=form_fields(title="Via HTMX herzien"),
        files=[("files", ("a.pdf", PDF, "application/pdf"))],
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 204, response.text
    assert response.headers["hx-redirect"] == f"/bewijs/{evidence_id}"
    page = client.get(f"/bewijs/{evidence_id}").text
    assert "Versie 2 van het bewijsstuk is opgeslagen." in page and "Via HTMX herzien" in page


def test_a_refused_edit_stays_on_the_form_with_everything_typed(app: FastAPI, world: World, client: Browser) -> None:
    login(client, world.student.email)
    evidence_id = evidence_id_of(post_evidence(client, app, []))
    refused = post_evidence(client, app, [], url=f"/bewijs/{evidence_id}", title="Nieuwe titel", privacy=None)
    assert refused.status_code == 422
    assert "Bevestig dat gegevens van cliënten geanonimiseerd zijn." in refused.text
    assert 'value="Nieuwe titel"' in refused.text
    assert "is opgeslagen." not in client.get(f"/bewijs/{evidence_id}").text


# --- item 23: a file that retention removed says so -------------------------------------------------------------


def removed_on(blob: Blob) -> str:
    assert blob.removed_at is not None
    set_locale("nl")
    return format_date(as_utc(blob.removed_at).astimezone(TIME_ZONE).date())


def test_a_file_removed_by_retention_answers_410_with_the_date_for_who_could_see_it(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    gone = evidence_with_file(app, db, world.student)
    submission_id = db.exec(select(Submission.id)).one()
    set_left(db, world.student, utcnow() - timedelta(days=31 * 7))
    retention.apply(
        db,
        plan=retention.plan(db, settings=app.state.settings),
        storage=app.state.storage,
        settings=app.state.settings,
    )
    db.commit()
    blob = db.get(Blob, gone.id)
    assert blob is not None and blob.removed_at is not None
    expected = f"Dit bestand is verwijderd na de bewaartermijn op {removed_on(blob)}."
    assert re.fullmatch(r"Dit bestand is verwijderd na de bewaartermijn op \d{1,2} [a-z]+ \d{4}\.", expected)

    student = client_factory()
    login(student, world.student.email)
    supervisor = client_factory()
    login(supervisor, world.supervisor.email)
    for who in (student, supervisor):
        for url in (f"/bestanden/{blob.id}", f"/bestanden/{blob.id}/voorbeeld"):
            response = who.get(url)
            assert response.status_code == 410, (url, response.text)
            assert expected in response.text
    api = student.get(f"/api/v1/files/{blob.id}")
    assert api.status_code == 410 and api.json()["detail"] == expected

    settings = app.state.settings
    token = signoff.create_link(db, supervisor_id=world.supervisor.id or 0, created_by_id=None, settings=settings)
    db.commit()
    phone = client_factory()
    phone.post(f"/link/{token}/bevestigen", data={"naam": "Sandra Mulder", "functie": "Teamleider"})
    assert submission_id is not None
    via_link = phone.get(f"/link/{token}/bestanden/{blob.id}")
    assert via_link.status_code == 410 and expected in via_link.text

    student.post("/taal", data={"locale": "en", "next": "/portfolio"})
    english = student.get(f"/bestanden/{blob.id}")
    assert english.status_code == 410
    assert re.search(r"This file was deleted after the retention period on \d{1,2} [A-Z][a-z]+ \d{4}\.", english.text)

    # Who could not see it still learns nothing; an unknown file is still 404.
    for email in (world.other_supervisor.email, world.other_student.email, world.other_assessor.email):
        other = client_factory()
        login(other, email)
        assert other.get(f"/bestanden/{blob.id}").status_code == 404, email
    assert student.get(f"/bestanden/{(blob.id or 0) + 1000}").status_code == 404


def test_a_file_removed_on_an_erasure_request_says_that_instead(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    gone = evidence_with_file(app, db, world.student)
    erasure.erase_person(
        db,
        actor_id=world.admin.id,
        user_id=world.student.id or 0,
        reason="Verzoek van de student",
        storage=app.state.storage,
        settings=app.state.settings,
    )
    db.commit()
    blob = db.get(Blob, gone.id)
    assert blob is not None
    assert not retention.removed_by_retention(db, blob=blob)
    supervisor = client_factory()
    login(supervisor, world.supervisor.email)
    response = supervisor.get(f"/bestanden/{blob.id}")
    assert response.status_code == 410, response.text
    expected = f"Dit bestand is verwijderd op {removed_on(blob)}, op verzoek tot verwijdering van gegevens."
    assert expected in response.text
    assert "bewaartermijn" not in response.text
