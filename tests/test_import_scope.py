"""What a CSV import may change (#15, High 2): create and enrol people, update only people of the importing
coordinator's programme; a foreign account or a beheerder is an error for its row, and nothing is imported."""

from collections.abc import Callable

from sqlmodel import Session, select

from app.accounts import service as accounts
from app.accounts.models import Role, User
from app.cohorts.models import Enrolment
from tests.conftest import Browser, World, login
from tests.test_cohorts import csv_bytes, page, people_counts, upload


def state_of(db: Session, user: User) -> tuple[object, ...]:
    db.expire_all()
    fresh = db.get(User, user.id)
    assert fresh is not None
    enrolments = sorted(
        (e.cohort_id, e.supervisor_id, e.assessor_id, e.workplace)
        for e in db.exec(select(Enrolment).where(Enrolment.student_id == user.id)).all()
    )
    return fresh.name, fresh.student_number, fresh.organisation, accounts.roles_of(db, user_id=user.id or 0), enrolments


def other_coordinator(client_factory: Callable[[], Browser], world: World) -> Browser:
    browser = client_factory()
    login(browser, world.other_coordinator.email)
    return browser


def test_the_coordinator_of_another_programme_cannot_take_over_accounts(
    db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    touched = [world.student, world.supervisor, world.assessor, world.admin]
    before = [state_of(db, u) for u in touched]
    counts = people_counts(db)
    data = csv_bytes(
        "Nieuwe Student;nieuw@student.nl;student;600900;Elders;;",
        "Overgenomen Lotte;lotte@student.nl;student;500001;Elders;;",
        "Overgenomen Sandra;sandra@werk.nl;praktijkbegeleider;;Elders;;",
        "Overgenomen Anouk;anouk@school.nl;beoordelaar;;;;",
        "Overgenomen Ruud;admin@school.nl;praktijkbegeleider;;;;",
    )
    response = upload(other_coordinator(client_factory, world), world.other_cohort.id, data)
    assert response.status_code == 422
    text = page(response)
    assert "Er is niets geïmporteerd" in text and "beheerder" in text
    for line in (3, 4, 5, 6):
        assert f"Rij {line}: " in text
    assert "Rij 2:" not in text  # the new person is fine, but all or nothing: not imported either
    assert [state_of(db, u) for u in touched] == before
    assert people_counts(db) == counts
    assert accounts.get_user_by_email(db, email="nieuw@student.nl") is None


def test_supervisor_columns_name_only_people_of_the_programme(
    db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    before = state_of(db, world.supervisor)
    counts = people_counts(db)
    data = csv_bytes("Nieuwe Student;nieuw@student.nl;student;600900;Elders;sandra@werk.nl;anouk@school.nl")
    response = upload(other_coordinator(client_factory, world), world.other_cohort.id, data)
    assert response.status_code == 422
    text = page(response)
    assert "Rij 2: praktijkbegeleider sandra@werk.nl" in text and "Rij 2: beoordelaar anouk@school.nl" in text
    assert state_of(db, world.supervisor) == before and people_counts(db) == counts


def test_an_import_adds_no_role_to_an_existing_account(
    db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    browser = client_factory()
    login(browser, world.coordinator.email)
    before = state_of(db, world.assessor)
    response = upload(browser, world.cohort.id, csv_bytes("Anouk Visser;anouk@school.nl;praktijkbegeleider;;;;"))
    assert response.status_code == 422
    assert "Rij 2: anouk@school.nl heeft nog niet de rol praktijkbegeleider" in page(response)
    assert state_of(db, world.assessor) == before


def test_people_of_the_own_programme_are_still_updated(
    db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    browser = client_factory()
    login(browser, world.coordinator.email)
    data = csv_bytes(
        "Lotte de Vries-Bos;lotte@student.nl;student;500001;Werkbedrijf;sandra@werk.nl;",
        "Nieuwe Begeleider;nieuw@werk.nl;praktijkbegeleider;;Werkbedrijf;;",
        "Bram Meijer;bram@student.nl;student;600102;Werkbedrijf;nieuw@werk.nl;",
    )
    response = upload(browser, world.cohort.id, data)
    assert response.status_code == 200, page(response)
    assert state_of(db, world.student)[0] == "Lotte de Vries-Bos"
    bram = accounts.get_user_by_email(db, email="bram@student.nl")
    nieuw = accounts.get_user_by_email(db, email="nieuw@werk.nl")
    assert bram is not None and nieuw is not None
    enrolment = db.exec(select(Enrolment).where(Enrolment.student_id == bram.id)).one()
    assert enrolment.supervisor_id == nieuw.id
    assert accounts.roles_of(db, user_id=nieuw.id or 0) == {Role.praktijkbegeleider}


# --- eduPersonPrincipalName (#18 item 2): a way to link a school account, checked like the student number ---------

EPPN_HEADER = "Naam;E-mail;Rol;Studentnummer;Organisatie/werkplek;Praktijkbegeleider;EPPN"


def test_the_import_stores_the_principal_name_for_any_role_lower_cased(
    db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    browser = client_factory()
    login(browser, world.coordinator.email)
    data = csv_bytes(
        "Sanne Bos;sanne@student.nl;student;600101;Werkbedrijf;nieuw@werk.nl; Sanne.Bos@School.Example ",
        "Nieuwe Begeleider;nieuw@werk.nl;praktijkbegeleider;;Werkbedrijf;;nieuw@werk.example",
        "Lotte de Vries;lotte@student.nl;student;500001;;;lotte@school.example",
        header=EPPN_HEADER,
    )
    response = upload(browser, world.cohort.id, data)
    assert response.status_code == 200, page(response)
    assert "2 nieuw, 1 bijgewerkt" in page(response)  # storing it on an existing person is a change
    sanne = accounts.get_user_by_email(db, email="sanne@student.nl")
    nieuw = accounts.get_user_by_email(db, email="nieuw@werk.nl")
    db.expire_all()
    lotte = db.get(User, world.student.id)
    assert sanne is not None and nieuw is not None and lotte is not None
    assert (sanne.principal_name, nieuw.principal_name, lotte.principal_name) == (
        "sanne.bos@school.example",
        "nieuw@werk.example",
        "lotte@school.example",
    )
    # The same file again changes nothing; the English header name works as well.
    again = upload(browser, world.cohort.id, data.replace(b"EPPN", b"eduperson_principal_name"))
    assert "er was niets nieuws" in page(again)


def test_a_bad_repeated_or_taken_principal_name_imports_nothing(
    db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    world.supervisor.principal_name = "sandra@werk.example"
    db.add(world.supervisor)
    db.commit()
    browser = client_factory()
    login(browser, world.coordinator.email)
    before, lotte = people_counts(db), state_of(db, world.student)
    data = csv_bytes(
        "Sanne Bos;sanne@student.nl;student;600101;;sanne.bos",
        "Bram Meijer;bram@student.nl;student;600102;;bram@school.example",
        "Bram Twee;bram2@student.nl;student;600103;;Bram@School.example",
        "Piet Spatie;piet@student.nl;student;600104;;piet jansen@school.example",
        header="naam;e-mail;rol;studentnummer;organisatie;principal_name",
    )
    response = upload(browser, world.cohort.id, data)
    assert response.status_code == 422
    text = page(response)
    assert "Rij 2: eduPersonPrincipalName 'sanne.bos' is ongeldig (verwacht naam@domein" in text
    assert "Rij 4: eduPersonPrincipalName bram@school.example staat ook op rij 3." in text
    assert "Rij 5: eduPersonPrincipalName 'piet jansen@school.example' is ongeldig" in text
    assert "Rij 3:" not in text
    # Someone else's principal name (checked against the database, as the student number).
    taken = csv_bytes(
        "Bram Meijer;bram@student.nl;student;600102;;bram@school.example",
        "Lotte de Vries;lotte@student.nl;student;500001;;SANDRA@werk.example",
        header="naam;e-mail;rol;studentnummer;organisatie;principal_name",
    )
    response = upload(browser, world.cohort.id, taken)
    assert response.status_code == 422
    text = page(response)
    assert "Rij 3: eduPersonPrincipalName sandra@werk.example hoort al bij een andere persoon." in text
    assert "Rij 2:" not in text
    assert people_counts(db) == before and state_of(db, world.student) == lotte
    db.expire_all()
    assert db.get(User, world.student.id).principal_name is None  # type: ignore[union-attr]


def test_another_programmes_coordinator_cannot_give_an_account_a_principal_name(
    db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    """A principal name links a school account (app/accounts/sso_link.py): writing one onto someone else's account
    would let that coordinator sign in as them. Only the own programme's import may set it."""
    data = csv_bytes(
        "Lotte de Vries;lotte@student.nl;student;500001;;kaping@elders.example",
        header="naam;e-mail;rol;studentnummer;organisatie;principal_name",
    )
    response = upload(other_coordinator(client_factory, world), world.other_cohort.id, data)
    assert response.status_code == 422
    assert "Rij 2: lotte@student.nl hoort bij een account buiten deze opleiding" in page(response)
    db.expire_all()
    assert db.get(User, world.student.id).principal_name is None  # type: ignore[union-attr]
