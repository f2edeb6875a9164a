"""#16 item 13: people created by a CSV import get a welcome mail with a single-use activation link; the coordinator
sees who has not activated yet and can send the mail again (the previous link stops working)."""

import html
import re
from collections.abc import Callable

from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import User
from app.notifications.models import OutboxMessage
from tests.conftest import Browser, World, login
from tests.test_cohorts import csv_bytes

NEW_STUDENT = "Sanne Bos;sanne@student.nl;student;600101;Zorggroep Het Baken;;"
# Lotte (world.student) is already enrolled in world.cohort: the import may touch her account, and sends her nothing.
EXISTING_STUDENT = "Lotte de Vries;lotte@student.nl;student;500001;Werkbedrijf;;"
NEW_PASSWORD = "mijn-eerste-wachtwoord"


def _coordinator(client_factory: Callable[[], Browser], world: World) -> Browser:
    browser = client_factory()
    login(browser, world.coordinator.email)
    return browser


def _import(client: Browser, world: World, *rows: str) -> int:
    response = client.post(
        f"/cohorten/{world.cohort.id}/import", files={"file": ("p.csv", csv_bytes(*rows), "text/csv")}
    )
    return response.status_code


def _mails(db: Session, to: str | None = None) -> list[OutboxMessage]:
    db.expire_all()
    query = select(OutboxMessage).order_by(col(OutboxMessage.id))
    if to is not None:
        query = query.where(OutboxMessage.to_address == to)
    return list(db.exec(query).all())


def _token(mail: OutboxMessage) -> str:
    match = re.search(r"http://testserver/activeren/([A-Za-z0-9_-]+)", mail.body)
    assert match, mail.body
    return match.group(1)


def _user(db: Session, email: str) -> User:
    db.expire_all()
    return db.exec(select(User).where(User.email == email)).one()


def test_import_mails_each_new_person_once_and_existing_people_nothing(
    client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    client = _coordinator(client_factory, world)
    before = len(_mails(db))
    assert _import(client, world, NEW_STUDENT, EXISTING_STUDENT) == 303

    mails = _mails(db)[before:]
    assert [m.to_address for m in mails] == ["sanne@student.nl"]
    assert "Welkom" in mails[0].subject
    assert "Beste Sanne Bos" in mails[0].body and "14 dagen" in mails[0].body
    _token(mails[0])
    assert _user(db, "sanne@student.nl").activated_at is None
    assert _user(db, world.student.email).activated_at is not None

    # Importing the same file again creates nobody and sends nothing.
    assert _import(client, world, NEW_STUDENT, EXISTING_STUDENT) == 303
    assert len(_mails(db)) == before + 1


def test_a_failed_import_sends_nothing(client_factory: Callable[[], Browser], world: World, db: Session) -> None:
    client = _coordinator(client_factory, world)
    before = len(_mails(db))
    assert _import(client, world, NEW_STUDENT, "Kim Blom;kim@student.nl;onbekend;600102;;;") == 422
    assert len(_mails(db)) == before
    assert db.exec(select(User).where(User.email == "sanne@student.nl")).first() is None


def test_the_activation_link_sets_the_password_once(
    client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    assert _import(_coordinator(client_factory, world), world, NEW_STUDENT) == 303
    token = _token(_mails(db, "sanne@student.nl")[-1])
    anonymous = client_factory()

    form = anonymous.get(f"/activeren/{token}")
    assert form.status_code == 200 and "activeer uw account" in form.text
    # Looking does not use the link up; a mismatch or a weak password neither.
    assert anonymous.get(f"/activeren/{token}").status_code == 200
    mismatch = anonymous.post(f"/activeren/{token}", data={"password": NEW_PASSWORD, "password_again": "iets-anders-1"})
    assert mismatch.status_code == 422
    assert anonymous.post(f"/activeren/{token}", data={"password": "kort", "password_again": "kort"}).status_code == 422

    done = anonymous.post(f"/activeren/{token}", data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 200 and "Account geactiveerd" in done.text
    assert _user(db, "sanne@student.nl").activated_at is not None
    login(client_factory(), "sanne@student.nl", NEW_PASSWORD)

    again = anonymous.post(f"/activeren/{token}", data={"password": "een-ander-wachtwoord", "password_again": "x"})
    assert again.status_code == 404
    second = anonymous.post(
        f"/activeren/{token}", data={"password": "een-ander-wachtwoord", "password_again": "een-ander-wachtwoord"}
    )
    assert second.status_code == 404
    assert "activatielink is ongeldig, verlopen of al gebruikt" in html.unescape(second.text)
    assert "activatielink is ongeldig" in html.unescape(anonymous.get(f"/activeren/{token}").text)
    login(client_factory(), "sanne@student.nl", NEW_PASSWORD)  # the second use changed nothing


def test_activation_and_reset_links_do_not_stand_in_for_each_other(
    app, client_factory: Callable[[], Browser], world: World, db: Session
) -> None:  # type: ignore[no-untyped-def]
    assert _import(_coordinator(client_factory, world), world, NEW_STUDENT) == 303
    activation = _token(_mails(db, "sanne@student.nl")[-1])
    anonymous = client_factory()
    assert anonymous.get(f"/wachtwoord-herstellen/{activation}").status_code == 404

    # "Wachtwoord vergeten" also works for someone who never activated, and counts as activating.
    accounts.request_password_reset(db, email="sanne@student.nl", settings=app.state.settings)
    db.commit()
    match = re.search(r"/wachtwoord-herstellen/(\S+)", _mails(db, "sanne@student.nl")[-1].body)
    assert match
    reset = match.group(1)
    assert anonymous.get(f"/activeren/{reset}").status_code == 404
    done = anonymous.post(
        f"/wachtwoord-herstellen/{reset}", data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert done.status_code == 200
    assert _user(db, "sanne@student.nl").activated_at is not None
    # The unused welcome link died with the new password.
    assert anonymous.get(f"/activeren/{activation}").status_code == 404


def test_cohort_page_lists_who_has_not_activated_and_resending_replaces_the_link(
    client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    client = _coordinator(client_factory, world)
    assert _import(client, world, NEW_STUDENT, EXISTING_STUDENT) == 303
    sanne = _user(db, "sanne@student.nl")
    first = _token(_mails(db, sanne.email)[-1])

    page = client.get(f"/cohorten/{world.cohort.id}").text
    resend_url = f"/cohorten/{world.cohort.id}/studenten/{sanne.id}/welkomstmail"
    assert page.count("nog niet geactiveerd") == 1  # Sanne, not Lotte
    assert f'action="{resend_url}"' in page and "Welkomstmail opnieuw sturen" in page
    assert f"/studenten/{world.student.id}/welkomstmail" not in page

    response = client.post(resend_url)
    assert response.status_code == 303 and response.headers["location"] == f"/cohorten/{world.cohort.id}"
    after = client.get(response.headers["location"]).text
    assert "Welkomstmail opnieuw gestuurd naar Sanne Bos (sanne@student.nl)." in html.unescape(after)
    mails = _mails(db, sanne.email)
    assert len(mails) == 2
    second = _token(mails[-1])
    assert second != first
    anonymous = client_factory()
    assert anonymous.get(f"/activeren/{first}").status_code == 404
    assert anonymous.get(f"/activeren/{second}").status_code == 200

    # Once activated, the row says nothing more and a resend is refused.
    done = anonymous.post(f"/activeren/{second}", data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 200
    assert "nog niet geactiveerd" not in client.get(f"/cohorten/{world.cohort.id}").text
    refused = client.post(resend_url)
    assert refused.status_code == 422 and "al geactiveerd" in refused.text
    assert len(_mails(db, sanne.email)) == 2


def test_only_the_programmes_coordinator_can_resend(
    client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    assert _import(_coordinator(client_factory, world), world, NEW_STUDENT) == 303
    sanne = _user(db, "sanne@student.nl")
    resend_url = f"/cohorten/{world.cohort.id}/studenten/{sanne.id}/welkomstmail"
    for email in (world.student.email, world.supervisor.email, world.other_coordinator.email):
        browser = client_factory()
        login(browser, email)
        assert browser.post(resend_url).status_code == 404, email
    # A student of another cohort is not found through this one.
    coordinator = _coordinator(client_factory, world)
    other = f"/cohorten/{world.cohort.id}/studenten/{world.other_student.id}/welkomstmail"
    assert coordinator.post(other).status_code == 404
    # Without the CSRF token nothing is sent.
    assert coordinator.post(resend_url, csrf=False).status_code == 403
    assert len(_mails(db, sanne.email)) == 1


def test_imported_supervisors_who_have_not_activated_are_listed_and_can_be_mailed_again(
    client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    """Staff the import made (a praktijkbegeleider the student row points at) are listed on the cohort page too,
    with their own resend; someone not linked to this cohort is not found through it."""
    client = _coordinator(client_factory, world)
    supervisor_row = "Kees Werkvloer;kees@bakkerij.nl;praktijkbegeleider;;Bakkerij De Korenschoof;;"
    student_row = "Sanne Bos;sanne@student.nl;student;600101;Bakkerij De Korenschoof;kees@bakkerij.nl;"
    assert _import(client, world, supervisor_row, student_row) == 303
    kees = _user(db, "kees@bakkerij.nl")
    assert len(_mails(db, kees.email)) == 1
    page = client.get(f"/cohorten/{world.cohort.id}").text
    resend_url = f"/cohorten/{world.cohort.id}/begeleiders/{kees.id}/welkomstmail"
    assert "Begeleiders die hun account nog niet hebben geactiveerd" in page and f'action="{resend_url}"' in page
    response = client.post(resend_url)
    assert response.status_code == 303
    shown = html.unescape(client.get(f"/cohorten/{world.cohort.id}").text)
    assert "Welkomstmail opnieuw gestuurd naar Kees Werkvloer" in shown
    assert len(_mails(db, kees.email)) == 2
    # Not through another programme's coordinator, nor for staff not linked to this cohort.
    other = client_factory()
    login(other, world.other_coordinator.email)
    assert other.post(resend_url).status_code == 404
    unlinked = f"/cohorten/{world.cohort.id}/begeleiders/{world.bystander.id}/welkomstmail"
    assert client.post(unlinked).status_code == 404
    assert len(_mails(db, kees.email)) == 2
