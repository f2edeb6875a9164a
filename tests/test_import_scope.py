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
