"""Cohorts: creating one pinned to a framework version, two versions side by side, the people import,
guidance assignments and the cohort API."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import Role, User, UserRole
from app.audit.models import AuditEvent
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, Enrolment
from app.config import ROOT, Settings
from app.errors import InvalidInput
from app.framework.registry import FrameworkRegistry, load_frameworks
from app.main import create_app
from tests.conftest import Browser, World, login, make_user

SHIPPED = ROOT / "eindtermen" / "bvjn-eindtermen-2012.yaml"
CHANGED_CODE = "M-1"
NEW_TEXT = "De jobcoach onderschrijft de herziene visie van 2027 en draagt die aantoonbaar uit."
ADDED_CODE = "M-17"
ADDED_TEXT = "De jobcoach werkt met digitale hulpmiddelen die de cliënt zelf kiest."


def page(response) -> str:  # type: ignore[no-untyped-def]
    """The response body with HTML entities decoded, so that messages with quotes can be matched."""
    return html.unescape(response.text)


def count(db: Session, model: type, *where) -> int:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


def coordinator_client(client_factory: Callable[[], Browser], world: World) -> Browser:
    browser = client_factory()
    login(browser, world.coordinator.email)
    return browser


# --- 1. creating a cohort -------------------------------------------------------------------------


def _cohort_form(world: World, **overrides: object) -> dict[str, object]:
    form: dict[str, object] = {
        "programme_id": world.programme.id,
        "name": "Jobcoach 2027-A",
        "start_date": "2027-02-01",
        "planned_end_date": "2028-01-31",
        "framework": "bvjn-eindtermen@2012",
    }
    form.update(overrides)
    return form


def test_coordinator_creates_cohort_pinned_to_framework_version(client: Browser, world: World, db: Session) -> None:
    login(client, world.coordinator.email)
    form_page = client.get("/cohorten/nieuw")
    assert form_page.status_code == 200
    assert 'value="bvjn-eindtermen@2012"' in form_page.text

    response = client.post("/cohorten", data=_cohort_form(world))

    assert response.status_code == 303, response.text
    cohort = db.exec(select(Cohort).where(Cohort.name == "Jobcoach 2027-A")).one()
    assert response.headers["location"] == f"/cohorten/{cohort.id}"
    assert (cohort.framework_id, cohort.framework_version) == ("bvjn-eindtermen", "2012")
    assert cohort.programme_id == world.programme.id
    assert cohort.start_date == date(2027, 2, 1)
    assert cohort.planned_end_date == date(2028, 1, 31)
    created = db.exec(
        select(AuditEvent).where(AuditEvent.action == "cohort.created", AuditEvent.object_id == str(cohort.id))
    ).one()
    assert created.actor_id == world.coordinator.id
    detail = client.get(f"/cohorten/{cohort.id}")
    assert detail.status_code == 200
    assert "Jobcoach 2027-A" in detail.text
    assert "/kader/bvjn-eindtermen/2012" in detail.text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "   "}, "Geef het cohort een naam."),
        ({"start_date": ""}, "Vul een startdatum in."),
        ({"start_date": "geen datum"}, "Vul een startdatum in."),
        ({"planned_end_date": "2027-01-15"}, "De geplande einddatum moet na de startdatum liggen."),
        ({"planned_end_date": "2027-02-01"}, "De geplande einddatum moet na de startdatum liggen."),
        ({"framework": "bvjn-eindtermen@1999"}, "Kies een bestaande versie van het eindtermenkader."),
        ({"framework": "onbekend-kader@2012"}, "Kies een bestaande versie van het eindtermenkader."),
        ({"framework": ""}, "Kies een bestaande versie van het eindtermenkader."),
        ({"programme_id": "other"}, "Kies een opleiding die u coördineert."),
        ({"name": "2026-A"}, "Er bestaat al een cohort met de naam '2026-A' in deze opleiding."),
        ({"name": "x" * 201}, "De naam mag hoogstens 200 tekens lang zijn."),
    ],
)
def test_bad_cohort_input_is_refused_in_dutch_and_creates_nothing(
    client: Browser, world: World, db: Session, overrides: dict[str, object], message: str
) -> None:
    if overrides.get("programme_id") == "other":
        overrides = {**overrides, "programme_id": world.other_programme.id}
    login(client, world.coordinator.email)
    before = count(db, Cohort)

    response = client.post("/cohorten", data=_cohort_form(world, **overrides))

    assert response.status_code == 422
    assert message in page(response)
    # The form comes back filled in, so the coordinator does not retype everything.
    assert 'name="name"' in response.text
    assert count(db, Cohort) == before
    assert count(db, AuditEvent, AuditEvent.action == "cohort.created") == 0


def test_only_coordinators_create_cohorts(client: Browser, world: World, db: Session) -> None:
    login(client, world.supervisor.email)
    assert client.get("/cohorten/nieuw").status_code == 404
    assert client.post("/cohorten", data=_cohort_form(world)).status_code == 404
    assert count(db, Cohort) == 2


# --- 2. two framework versions at once ------------------------------------------------------------


@pytest.fixture
def two_versions_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "eindtermen"
    directory.mkdir()
    shutil.copy(SHIPPED, directory / SHIPPED.name)
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    data["version"] = "2027"
    group = data["groups"][0]
    assert group["code"] == "M"
    for term in group["eindtermen"]:
        if term["code"] == CHANGED_CODE:
            term["text"] = NEW_TEXT
    assert ADDED_CODE not in {t["code"] for t in group["eindtermen"]}
    group["eindtermen"].append({"code": ADDED_CODE, "text": ADDED_TEXT})
    (directory / "bvjn-eindtermen-2027.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return directory


@pytest.fixture
def two_version_app(app: FastAPI, settings: Settings, engine: Engine, two_versions_dir: Path) -> Iterator[FastAPI]:
    """An app that knows 2012 and 2027; depends on `app` so that its teardown empties the tables."""
    registry = load_frameworks(two_versions_dir)
    assert [fw.version for fw in registry.all()] == ["2012", "2027"]
    application = create_app(settings, registry=registry)
    application.state.engine.dispose()
    application.state.engine = engine
    yield application


@pytest.fixture
def browser_for(two_version_app: FastAPI) -> Iterator[Callable[[], Browser]]:
    made: list[Browser] = []

    def make() -> Browser:
        browser = Browser(two_version_app, follow_redirects=False)
        browser.app_ref = two_version_app
        made.append(browser)
        return browser

    yield make
    for browser in made:
        browser.close()


def test_two_framework_versions_side_by_side(
    two_version_app: FastAPI, browser_for: Callable[[], Browser], world: World, db: Session
) -> None:
    registry: FrameworkRegistry = two_version_app.state.frameworks
    old_text = registry.get("bvjn-eindtermen", "2012").eindterm(CHANGED_CODE).text
    assert old_text != NEW_TEXT

    coordinator = browser_for()
    login(coordinator, world.coordinator.email)
    form = coordinator.get("/cohorten/nieuw")
    assert 'value="bvjn-eindtermen@2012"' in form.text
    assert 'value="bvjn-eindtermen@2027"' in form.text
    created = coordinator.post("/cohorten", data=_cohort_form(world, name="2027-A", framework="bvjn-eindtermen@2027"))
    assert created.status_code == 303, created.text
    new_cohort = db.exec(select(Cohort).where(Cohort.name == "2027-A")).one()
    assert new_cohort.framework_version == "2027"

    newcomer = make_user(db, "Noor Yilmaz", "noor@student.nl", Role.student, number="500077")
    db.add(Enrolment(cohort_id=new_cohort.id or 0, student_id=newcomer.id or 0))
    db.commit()

    # world.student's cohort stays on 2012; the newcomer's cohort is on 2027.
    old_student = browser_for()
    login(old_student, world.student.email)
    old_page = old_student.get("/portfolio")
    assert old_page.status_code == 200
    old_html = page(old_page)
    assert old_text in " ".join(old_html.split())
    assert NEW_TEXT not in old_html
    assert ADDED_TEXT not in old_html
    assert "(2012)" in old_html

    new_student = browser_for()
    login(new_student, "noor@student.nl")
    new_page = new_student.get("/portfolio")
    assert new_page.status_code == 200
    new_html = page(new_page)
    assert NEW_TEXT in new_html
    assert ADDED_TEXT in new_html
    assert old_text not in " ".join(new_html.split())
    assert "(2027)" in new_html

    # The JSON portfolio follows the same pin.
    coordinator_view = coordinator.get(f"/api/v1/students/{newcomer.id}/portfolio").json()
    assert coordinator_view["framework"] == {"id": "bvjn-eindtermen", "version": "2027"}
    codes = [s["code"] for g in coordinator_view["groups"] for s in g["slots"]]
    assert ADDED_CODE in codes
    old_view = coordinator.get(f"/api/v1/students/{world.student.id}/portfolio").json()
    assert old_view["framework"]["version"] == "2012"
    assert ADDED_CODE not in [s["code"] for g in old_view["groups"] for s in g["slots"]]


# --- 3. CSV import --------------------------------------------------------------------------------

DUTCH_HEADER = "naam;e-mail;rol;studentnummer;organisatie/werkplek;praktijkbegeleider;beoordelaar"
GOOD_ROWS = [
    "Fatima El Amrani;f.elamrani@baken.nl;praktijkbegeleider;;Zorggroep Het Baken;;",
    "Jeroen Smit;j.smit@hogeschool.nl;beoordelaar;;Hogeschool Midden-Nederland;;",
    "Sanne Bos;sanne@student.nl;student;600101;Zorggroep Het Baken;f.elamrani@baken.nl;j.smit@hogeschool.nl",
    "Bram Meijer;bram@student.nl;student;600102;Hotel De Wadden;F.ElAmrani@baken.nl;",
]


def csv_bytes(*rows: str, header: str = DUTCH_HEADER, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode(encoding)


def upload(client: Browser, cohort_id: int | None, data: bytes, name: str = "personen.csv"):  # type: ignore[no-untyped-def]
    response = client.post(f"/cohorten/{cohort_id}/import", files={"file": (name, data, "text/csv")})
    if response.status_code == 303:  # a successful import answers 303 to the cohort page with its notice
        assert response.headers["location"] == f"/cohorten/{cohort_id}"
        return client.get(response.headers["location"])
    return response


def user(db: Session, email: str) -> User:
    db.expire_all()
    return db.exec(select(User).where(User.email == email)).one()


def enrolment_of(db: Session, cohort_id: int | None, student: User) -> Enrolment:
    return db.exec(select(Enrolment).where(Enrolment.cohort_id == cohort_id, Enrolment.student_id == student.id)).one()


def people_counts(db: Session) -> tuple[int, int, int, int]:
    return (
        count(db, User),
        count(db, Enrolment),
        count(db, UserRole),
        count(db, AuditEvent, AuditEvent.action == "cohort.people_imported"),
    )


def test_import_redirects_to_the_cohort_and_the_notice_shows_once(
    client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    """#16 items 2+3: no /import?csrf_token=... left in the address bar; the notice survives the 303, once."""
    client = coordinator_client(client_factory, world)
    response = client.post(
        f"/cohorten/{world.cohort.id}/import", files={"file": ("p.csv", csv_bytes(*GOOD_ROWS), "text/csv")}
    )
    assert response.status_code == 303 and response.headers["location"] == f"/cohorten/{world.cohort.id}"
    page = client.get(response.headers["location"])
    assert "Import voltooid: " in page.text and " nieuw, " in page.text
    assert "Import voltooid" not in client.get(f"/cohorten/{world.cohort.id}").text


def test_import_creates_people_enrols_students_and_assigns_guidance(
    client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    client = coordinator_client(client_factory, world)
    users_before, enrolments_before, _, _ = people_counts(db)

    response = upload(client, world.cohort.id, csv_bytes(*GOOD_ROWS))

    assert response.status_code == 200, response.text
    assert "Import voltooid" in response.text
    supervisor = user(db, "f.elamrani@baken.nl")
    assessor = user(db, "j.smit@hogeschool.nl")
    sanne = user(db, "sanne@student.nl")
    bram = user(db, "bram@student.nl")
    assert supervisor.name == "Fatima El Amrani"
    assert supervisor.organisation == "Zorggroep Het Baken"
    assert accounts.roles_of(db, user_id=supervisor.id or 0) == {Role.praktijkbegeleider}
    assert accounts.roles_of(db, user_id=assessor.id or 0) == {Role.beoordelaar}
    assert accounts.roles_of(db, user_id=sanne.id or 0) == {Role.student}
    assert (sanne.student_number, bram.student_number) == ("600101", "600102")
    # Imported people have no password yet: they set one through the welcome mail's activation link.
    assert sanne.password_hash is None

    sanne_enrolment = enrolment_of(db, world.cohort.id, sanne)
    assert sanne_enrolment.workplace == "Zorggroep Het Baken"
    assert sanne_enrolment.supervisor_id == supervisor.id
    assert sanne_enrolment.assessor_id == assessor.id
    bram_enrolment = enrolment_of(db, world.cohort.id, bram)
    assert bram_enrolment.workplace == "Hotel De Wadden"
    assert bram_enrolment.supervisor_id == supervisor.id  # e-mail references are case-insensitive
    assert bram_enrolment.assessor_id is None
    assert count(db, User) == users_before + 4
    assert count(db, Enrolment) == enrolments_before + 2
    audit_row = db.exec(select(AuditEvent).where(AuditEvent.action == "cohort.people_imported")).one()
    assert audit_row.actor_id == world.coordinator.id
    assert audit_row.data["created"] == 4
    assert audit_row.data["enrolled"] == 2
    # The cohort page lists the new students.
    assert "Sanne Bos" in response.text and "Bram Meijer" in response.text


def test_import_accepts_comma_separated_english_headers(
    client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    client = coordinator_client(client_factory, world)
    data = csv_bytes(
        "Peter de Wit,p.dewit@werk.nl,supervisor,,Bakkerij De Korenschoof,,",
        "Emma de Boer,emma@student.nl,Student,600201,Bakkerij De Korenschoof,p.dewit@werk.nl,anouk@school.nl",
        header="Name,Email,Role,Student number,Workplace,Supervisor,Assessor",
    )

    response = upload(client, world.cohort.id, data)

    assert response.status_code == 200, response.text
    emma = user(db, "emma@student.nl")
    enrolment = enrolment_of(db, world.cohort.id, emma)
    assert enrolment.workplace == "Bakkerij De Korenschoof"
    assert enrolment.supervisor_id == user(db, "p.dewit@werk.nl").id
    # An assessor who is already in the database may be referenced without being in the file.
    assert enrolment.assessor_id == world.assessor.id
    assert accounts.roles_of(db, user_id=user(db, "p.dewit@werk.nl").id or 0) == {Role.praktijkbegeleider}


@pytest.mark.parametrize(
    ("prefix", "encoding"),
    [(b"\xef\xbb\xbf", "utf-8"), (b"", "cp1252")],
    ids=["utf8-bom", "cp1252"],
)
def test_import_handles_bom_and_windows_encoding(
    client_factory: Callable[[], Browser], world: World, db: Session, prefix: bytes, encoding: str
) -> None:
    client = coordinator_client(client_factory, world)
    data = prefix + csv_bytes("René Çelik;rene@student.nl;student;600301;Café Één;sandra@werk.nl;", encoding=encoding)

    response = upload(client, world.cohort.id, data)

    assert response.status_code == 200, page(response)
    rene = user(db, "rene@student.nl")
    assert rene.name == "René Çelik"
    enrolment = enrolment_of(db, world.cohort.id, rene)
    assert enrolment.workplace == "Café Één"
    assert enrolment.supervisor_id == world.supervisor.id


# --- 4. a bad file imports nothing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (
            "Kim Blom;kim-at-student.nl;student;600401;Werkbedrijf;;",
            "Rij 3: e-mailadres 'kim-at-student.nl' is ongeldig",
        ),
        ("Kim Blom;kim@student.nl;stagiair;600401;Werkbedrijf;;", "Rij 3: rol 'stagiair' is onbekend"),
        ("Kim Blom;kim@student.nl;student;;Werkbedrijf;;", "Rij 3: studentnummer ontbreekt"),
        (";kim@student.nl;student;600401;Werkbedrijf;;", "Rij 3: naam ontbreekt"),
        (
            "Kim Blom;SANNE@student.nl;student;600401;Werkbedrijf;;",
            "Rij 3: e-mailadres sanne@student.nl staat ook op rij 2",
        ),
        ("Kim Blom;kim@student.nl;student;600101;Werkbedrijf;;", "Rij 3: studentnummer 600101 staat ook op rij 2"),
        (
            "Kim Blom;kim@student.nl;student;600401;Werkbedrijf;onbekend@werk.nl;",
            "Rij 3: praktijkbegeleider onbekend@werk.nl staat niet in het bestand",
        ),
        (
            # Known person, but not a praktijkbegeleider.
            "Kim Blom;kim@student.nl;student;600401;Werkbedrijf;anouk@school.nl;",
            "Rij 3: praktijkbegeleider anouk@school.nl staat niet in het bestand en is geen praktijkbegeleider "
            "binnen deze opleiding",
        ),
        ("Kim Blom;kim@student.nl;student;500002;Werkbedrijf;;", "Rij 3: studentnummer 500002 hoort al bij een andere"),
        ("K" * 201 + ";kim@student.nl;student;600401;Werkbedrijf;;", "Rij 3: naam is langer dan 200 tekens"),
        ("Kim Blom;kim@student.nl;student;" + "6" * 51 + ";Werkbedrijf;;", "Rij 3: studentnummer is langer dan 50"),
        ("Kim Blom;kim@student.nl;student;600401;" + "W" * 201 + ";;", "Rij 3: organisatie/werkplek is langer dan 200"),
    ],
    ids=[
        "invalid-email",
        "unknown-role",
        "missing-number",
        "missing-name",
        "duplicate-email",
        "duplicate-number",
        "unknown-supervisor",
        "supervisor-without-role",
        "number-of-someone-else",
        "name-too-long",
        "number-too-long",
        "workplace-too-long",
    ],
)
def test_bad_row_imports_nothing_and_names_the_row(
    client_factory: Callable[[], Browser], world: World, db: Session, bad_row: str, message: str
) -> None:
    client = coordinator_client(client_factory, world)
    before = people_counts(db)
    data = csv_bytes(
        "Sanne Bos;sanne@student.nl;student;600101;Werkbedrijf;sandra@werk.nl;",
        bad_row,
        "Nieuwe Begeleider;nieuw@werk.nl;praktijkbegeleider;;Werkbedrijf;;",
        "Bram Meijer;bram@student.nl;student;600102;Werkbedrijf;nieuw@werk.nl;",
    )

    response = upload(client, world.cohort.id, data)

    assert response.status_code == 422
    text = page(response)
    assert "Er is niets geïmporteerd" in text
    assert message in text
    # Only the bad row is reported.
    assert "Rij 2:" not in text and "Rij 4:" not in text and "Rij 5:" not in text
    assert people_counts(db) == before
    assert count(db, User, col(User.email).in_(["sanne@student.nl", "nieuw@werk.nl", "bram@student.nl"])) == 0


def test_every_bad_row_is_listed(client_factory: Callable[[], Browser], world: World, db: Session) -> None:
    client = coordinator_client(client_factory, world)
    before = people_counts(db)
    data = csv_bytes(
        "Goed Persoon;goed@student.nl;student;600501;;;",
        "Slecht Een;geen-email;student;600502;;;",
        "Slecht Twee;twee@student.nl;docent;;;;",
        "Dubbel Een;dubbel1@student.nl;student;600501;;;",
        "Dubbel Twee;dubbel2@student.nl;student;600501;;;",
    )

    response = upload(client, world.cohort.id, data)

    assert response.status_code == 422
    text = page(response)
    assert "Rij 3: e-mailadres 'geen-email' is ongeldig." in text
    assert "Rij 4: rol 'docent' is onbekend" in text
    # Every repeat points at the first row with that number.
    assert "Rij 5: studentnummer 600501 staat ook op rij 2." in text
    assert "Rij 6: studentnummer 600501 staat ook op rij 2." in text
    assert people_counts(db) == before


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("naam;e-mail;studentnummer", "rol"),
        ("voornaam;mail;functie", "naam, rol"),
    ],
)
def test_missing_required_column_is_named(
    client_factory: Callable[[], Browser], world: World, db: Session, header: str, missing: str
) -> None:
    client = coordinator_client(client_factory, world)
    before = people_counts(db)

    response = upload(client, world.cohort.id, csv_bytes("Sanne Bos;sanne@student.nl;600101", header=header))

    assert response.status_code == 422
    assert f"De kopregel mist verplichte kolommen: {missing}." in page(response)
    assert people_counts(db) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Het bestand is leeg."),
        (DUTCH_HEADER.encode() + b"\r\n", "Het bestand bevat geen personen."),
    ],
)
def test_empty_files_are_refused(
    client_factory: Callable[[], Browser], world: World, db: Session, data: bytes, message: str
) -> None:
    client = coordinator_client(client_factory, world)
    response = upload(client, world.cohort.id, data)
    assert response.status_code == 422
    assert message in page(response)


def test_import_outside_own_programme_is_not_found(
    client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    client = coordinator_client(client_factory, world)
    before = people_counts(db)
    response = upload(client, world.other_cohort.id, csv_bytes(*GOOD_ROWS))
    assert response.status_code == 404
    assert people_counts(db) == before


# --- 5. re-importing changes nothing --------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(
    client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    client = coordinator_client(client_factory, world)
    data = csv_bytes(*GOOD_ROWS)
    first = upload(client, world.cohort.id, data)
    assert first.status_code == 200
    after_first = people_counts(db)
    assert after_first[3] == 1
    enrolments_first = {
        (e.student_id, e.workplace, e.supervisor_id, e.assessor_id) for e in db.exec(select(Enrolment)).all()
    }

    second = upload(client, world.cohort.id, data)

    assert second.status_code == 200
    assert "er is niets gewijzigd" in second.text
    assert people_counts(db) == after_first
    db.expire_all()
    assert {
        (e.student_id, e.workplace, e.supervisor_id, e.assessor_id) for e in db.exec(select(Enrolment)).all()
    } == enrolments_first


def test_reimport_with_a_change_updates_only_that(
    client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    client = coordinator_client(client_factory, world)
    assert upload(client, world.cohort.id, csv_bytes(*GOOD_ROWS)).status_code == 200
    users, enrolments, roles, imports = people_counts(db)
    moved = GOOD_ROWS[3].replace("Hotel De Wadden", "Hotel Noordzee")

    response = upload(client, world.cohort.id, csv_bytes(*GOOD_ROWS[:3], moved))

    assert response.status_code == 200
    assert "er is niets gewijzigd" not in response.text
    assert enrolment_of(db, world.cohort.id, user(db, "bram@student.nl")).workplace == "Hotel Noordzee"
    assert people_counts(db) == (users, enrolments, roles, imports + 1)


# --- 6. guidance assignments ----------------------------------------------------------------------


def guidance(db: Session, world: World) -> tuple[int | None, int | None]:
    db.expire_all()
    enrolment = enrolment_of(db, world.cohort.id, world.student)
    return enrolment.supervisor_id, enrolment.assessor_id


def assign_url(world: World) -> str:
    return f"/cohorten/{world.cohort.id}/studenten/{world.student.id}/begeleiding"


def test_assigning_a_new_supervisor_moves_access(
    client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    new_supervisor, old_supervisor = client_factory(), client_factory()
    login(new_supervisor, world.bystander.email)
    login(old_supervisor, world.supervisor.email)
    assert world.student.name not in new_supervisor.get("/mijn-studenten").text
    assert new_supervisor.get(f"/studenten/{world.student.id}").status_code == 404
    assert old_supervisor.get(f"/studenten/{world.student.id}").status_code == 200

    coordinator = coordinator_client(client_factory, world)
    response = coordinator.post(
        assign_url(world), data={"supervisor_id": str(world.bystander.id), "assessor_id": str(world.other_assessor.id)}
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/cohorten/{world.cohort.id}"
    assert guidance(db, world) == (world.bystander.id, world.other_assessor.id)
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "enrolment.guidance_assigned")).one()
    mine = new_supervisor.get("/mijn-studenten")
    assert mine.status_code == 200
    assert world.student.name in mine.text
    assert f"/studenten/{world.student.id}" in mine.text
    portfolio = new_supervisor.get(f"/studenten/{world.student.id}")
    assert portfolio.status_code == 200
    assert world.student.name in portfolio.text
    assert old_supervisor.get(f"/studenten/{world.student.id}").status_code == 404
    assert world.student.name not in old_supervisor.get("/mijn-studenten").text
    # The new assessor sees the student too; the old one no longer does.
    new_assessor, old_assessor = client_factory(), client_factory()
    login(new_assessor, world.other_assessor.email)
    login(old_assessor, world.assessor.email)
    assert new_assessor.get(f"/studenten/{world.student.id}").status_code == 200
    assert old_assessor.get(f"/studenten/{world.student.id}").status_code == 404


def test_empty_choice_clears_the_assignment(client_factory: Callable[[], Browser], world: World, db: Session) -> None:
    coordinator = coordinator_client(client_factory, world)
    response = coordinator.post(assign_url(world), data={"supervisor_id": "", "assessor_id": str(world.assessor.id)})
    assert response.status_code == 303
    assert guidance(db, world) == (None, world.assessor.id)


@pytest.mark.parametrize(
    ("field", "who", "message"),
    [
        ("supervisor_id", "assessor", "De gekozen praktijkbegeleider heeft die rol niet."),
        ("assessor_id", "supervisor", "De gekozen beoordelaar heeft die rol niet."),
        ("supervisor_id", "student", "De gekozen praktijkbegeleider heeft die rol niet."),
        ("supervisor_id", "missing", "De gekozen praktijkbegeleider heeft die rol niet."),
    ],
)
def test_assigning_someone_without_the_role_is_refused(
    client_factory: Callable[[], Browser], world: World, db: Session, field: str, who: str, message: str
) -> None:
    before = guidance(db, world)
    target = 999_999 if who == "missing" else getattr(world, who).id
    data = {"supervisor_id": str(world.supervisor.id), "assessor_id": str(world.assessor.id), field: str(target)}
    coordinator = coordinator_client(client_factory, world)

    response = coordinator.post(assign_url(world), data=data)

    assert response.status_code == 422
    assert message in page(response)
    assert guidance(db, world) == before
    assert count(db, AuditEvent, AuditEvent.action == "enrolment.guidance_assigned") == 0


def test_assigning_a_disabled_supervisor_is_refused(
    client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    accounts.set_active(db, user_id=world.bystander.id or 0, active=False, actor_id=world.admin.id or 0)
    db.commit()
    before = guidance(db, world)
    coordinator = coordinator_client(client_factory, world)

    response = coordinator.post(
        assign_url(world), data={"supervisor_id": str(world.bystander.id), "assessor_id": str(world.assessor.id)}
    )

    assert response.status_code == 422
    assert "De gekozen praktijkbegeleider is geblokkeerd" in page(response)
    assert guidance(db, world) == before

    # A blocked supervisor who is already assigned stays selected in the student's row (instead of
    # "— geen —"), so saving the row to change the assessor does not silently unassign them.
    accounts.set_active(db, user_id=world.supervisor.id or 0, active=False, actor_id=world.admin.id or 0)
    db.commit()
    editor = coordinator.get(f"/cohorten/{world.cohort.id}/studenten/{world.student.id}/begeleiding")
    assert re.search(rf'<option value="{world.supervisor.id}"\s+selected', editor.text)
    assert f'<option value="{world.bystander.id}"' not in editor.text  # blocked and unassigned: not offered
    response = coordinator.post(
        assign_url(world), data={"supervisor_id": str(world.supervisor.id), "assessor_id": str(world.other_assessor.id)}
    )
    assert response.status_code == 303
    assert guidance(db, world) == (world.supervisor.id, world.other_assessor.id)


def test_garbage_ids_do_not_silently_clear_the_assignment(
    client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    before = guidance(db, world)
    coordinator = coordinator_client(client_factory, world)
    response = coordinator.post(assign_url(world), data={"supervisor_id": "abc", "assessor_id": str(world.assessor.id)})
    assert response.status_code == 422
    assert "Kies een praktijkbegeleider uit de lijst." in page(response)
    assert guidance(db, world) == before


def test_other_coordinator_cannot_assign(client_factory: Callable[[], Browser], world: World, db: Session) -> None:
    before = guidance(db, world)
    other = client_factory()
    login(other, world.other_coordinator.email)
    response = other.post(assign_url(world), data={"supervisor_id": str(world.bystander.id), "assessor_id": ""})
    assert response.status_code == 404
    assert guidance(db, world) == before


def test_assignment_needs_the_csrf_token(client_factory: Callable[[], Browser], world: World, db: Session) -> None:
    before = guidance(db, world)
    coordinator = coordinator_client(client_factory, world)
    response = coordinator.post(
        assign_url(world), data={"supervisor_id": str(world.bystander.id), "assessor_id": ""}, csrf=False
    )
    assert response.status_code == 403
    assert guidance(db, world) == before


# --- 7. the cohort API ----------------------------------------------------------------------------


def test_api_lists_own_cohorts_with_students(client_factory: Callable[[], Browser], world: World) -> None:
    coordinator = coordinator_client(client_factory, world)

    listing = coordinator.get("/api/v1/cohorts")

    assert listing.status_code == 200
    items = listing.json()["items"]
    assert [i["id"] for i in items] == [world.cohort.id]
    assert items[0]["name"] == world.cohort.name
    assert items[0]["programme"] == world.programme.name
    assert items[0]["student_count"] == 1
    assert items[0]["framework"] == {"id": "bvjn-eindtermen", "version": "2012"}

    detail = coordinator.get(f"/api/v1/cohorts/{world.cohort.id}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["id"] == world.cohort.id
    assert body["start_date"] == world.cohort.start_date.isoformat()
    assert body["students"] == [
        {
            "id": world.student.id,
            "name": world.student.name,
            "student_number": world.student.student_number,
            "workplace": "Werkbedrijf",
            "supervisor_id": world.supervisor.id,
            "assessor_id": world.assessor.id,
        }
    ]


def test_api_hides_other_programmes_cohorts(client_factory: Callable[[], Browser], world: World) -> None:
    other = client_factory()
    login(other, world.other_coordinator.email)
    assert [i["id"] for i in other.get("/api/v1/cohorts").json()["items"]] == [world.other_cohort.id]
    response = other.get(f"/api/v1/cohorts/{world.cohort.id}")
    assert response.status_code == 404
    assert world.student.name not in response.text
    assert other.get("/api/v1/cohorts/999999").status_code == 404


def test_api_cohorts_are_for_coordinators_only(client_factory: Callable[[], Browser], world: World) -> None:
    anonymous = client_factory()
    assert anonymous.get("/api/v1/cohorts").status_code == 401
    supervisor = client_factory()
    login(supervisor, world.supervisor.email)
    assert supervisor.get("/api/v1/cohorts").status_code == 404
    assert supervisor.get(f"/api/v1/cohorts/{world.cohort.id}").status_code == 404


def test_service_import_is_all_or_nothing_without_the_route(world: World, db: Session, settings: Settings) -> None:
    """The CLI calls the service directly: a bad row must leave the session without new rows either."""
    before = people_counts(db)
    with pytest.raises(InvalidInput):
        cohorts.import_people(
            db,
            actor=None,
            cohort=world.cohort,
            data=csv_bytes(GOOD_ROWS[0], "X;x@y.nl;student;;;;"),
            settings=settings,
        )
    db.rollback()
    assert people_counts(db) == before


def test_cohort_on_an_unloaded_framework_version_gives_a_clear_message(
    client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    """A framework file removed after cohorts were pinned to it: a Dutch explanation, not a bare crash."""
    orphan = Cohort(
        programme_id=world.programme.id or 0,
        name="Oud cohort",
        start_date=date(2027, 9, 1),
        framework_id="bvjn-eindtermen",
        framework_version="1999",
    )
    db.add(orphan)
    db.flush()
    db.add(Enrolment(cohort_id=orphan.id or 0, student_id=world.student.id or 0))
    db.commit()
    student = client_factory()
    login(student, world.student.email)
    response = student.get("/portfolio")
    assert response.status_code == 500
    assert "Het eindtermenkader bvjn-eindtermen versie 1999 van cohort Oud cohort is niet geladen" in page(response)
    coordinator = coordinator_client(client_factory, world)
    detail = coordinator.get(f"/cohorten/{orphan.id}")
    assert detail.status_code == 500
    assert "versie 1999" in page(detail)


def test_portfolio_follows_the_latest_cohort(client_factory: Callable[[], Browser], world: World, db: Session) -> None:
    later = Cohort(
        programme_id=world.programme.id or 0,
        name="Herstart 2027",
        start_date=date(2027, 2, 1),
        framework_id="bvjn-eindtermen",
        framework_version="2012",
    )
    db.add(later)
    db.flush()
    db.add(Enrolment(cohort_id=later.id or 0, student_id=world.student.id or 0, workplace="Nieuwe werkplek"))
    db.commit()
    student = client_factory()
    login(student, world.student.email)
    text = student.get("/portfolio").text
    assert "Herstart 2027" in text
    assert "Nieuwe werkplek" in text


def test_cohort_page_is_paged_and_loads_the_guidance_editor_per_row(
    app: FastAPI, client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    """At 2,000 students the page carried two dropdowns of all staff in every row (67 MB): now a page of 100 rows
    shows the guidance as text, and a row's editor comes on demand."""
    from tests.test_cohort_overview import add_students

    for n in range(30):
        make_user(db, f"Begeleider {n:02d}", f"pb{n}@werk.nl", Role.praktijkbegeleider)
    db.commit()
    add_students(app, db, world, 150)
    coordinator = coordinator_client(client_factory, world)
    first = coordinator.get(f"/cohorten/{world.cohort.id}")
    assert first.status_code == 200
    assert "151 studenten" in first.text and "pagina 1 / 2" in first.text
    assert first.text.count('hx-get="/cohorten/') == 100
    assert "<select" not in first.text and "Begeleider 07" not in first.text
    second = coordinator.get(f"/cohorten/{world.cohort.id}?pagina=2")
    assert second.text.count('hx-get="/cohorten/') == 51
    assert "Lotte de Vries" in first.text + second.text
    # The editor of one row: the dropdowns with every active praktijkbegeleider, the current one selected.
    editor = coordinator.get(
        f"/cohorten/{world.cohort.id}/studenten/{world.student.id}/begeleiding", headers={"HX-Request": "true"}
    )
    assert editor.status_code == 200 and "<html" not in editor.text
    assert "Begeleider 07" in editor.text
    assert re.search(rf'<option value="{world.supervisor.id}"\s+selected', editor.text)
    # Without JavaScript the same address is a page of its own, and saving goes back to the cohort.
    page_of_its_own = coordinator.get(f"/cohorten/{world.cohort.id}/studenten/{world.student.id}/begeleiding")
    assert "<html" in page_of_its_own.text and 'name="assessor_id"' in page_of_its_own.text
    # A student of another cohort has no editor here; another coordinator sees nothing.
    assert (
        coordinator.get(f"/cohorten/{world.cohort.id}/studenten/{world.other_student.id}/begeleiding").status_code
        == 404
    )
    other = client_factory()
    login(other, world.other_coordinator.email)
    assert other.get(f"/cohorten/{world.cohort.id}/studenten/{world.student.id}/begeleiding").status_code == 404
