"""The demo data behind `make run`, and the `portfolio` command line (migrate, demo, user create, import)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, inspect
from sqlmodel import Session, SQLModel, col, select
from typer.testing import CliRunner

from app import demo
from app.accounts import service as accounts
from app.accounts.models import Role, User, UserRole
from app.audit.models import AuditEvent
from app.cli import cli
from app.cohorts.models import Cohort, Enrolment, Programme, ProgrammeCoordinator
from app.config import ROOT, Settings, get_settings
from app.db import make_engine
from app.main import create_app
from tests.conftest import Browser, login

# A printed login row: "  <rol>  <naam>  <e-mail>".
LOGIN_ROW = re.compile(r"^ +(\S+) +(\S.*?) +([\w.+-]+@" + re.escape(demo.DOMAIN) + r")$", re.MULTILINE)
ROLE_LABELS = {
    "opleidingscoördinator": Role.coordinator,
    "beheerder": Role.beheerder,
    "beoordelaar": Role.beoordelaar,
    "praktijkbegeleider": Role.praktijkbegeleider,
    "student": Role.student,
}


def users_with(db: Session, role: Role) -> list[User]:
    return list(
        db.exec(select(User).join(UserRole, col(UserRole.user_id) == User.id).where(UserRole.role == role.value)).all()
    )


def table_counts(db: Session) -> dict[str, int]:
    db.expire_all()
    return {
        model.__name__: db.exec(select(func.count()).select_from(model)).one()
        for model in (User, UserRole, Programme, ProgrammeCoordinator, Cohort, Enrolment, AuditEvent)
    }


# --- the demo data --------------------------------------------------------------------------------


def test_demo_seeds_one_believable_cohort(app: FastAPI, db: Session) -> None:
    assert demo.seed_if_empty(db) is True
    db.commit()

    programmes = db.exec(select(Programme)).all()
    assert len(programmes) == 1
    cohorts = db.exec(select(Cohort)).all()
    assert len(cohorts) == 1
    cohort = cohorts[0]
    assert cohort.programme_id == programmes[0].id
    assert (cohort.framework_id, cohort.framework_version) in app.state.frameworks

    students = users_with(db, Role.student)
    supervisors = users_with(db, Role.praktijkbegeleider)
    assessors = users_with(db, Role.beoordelaar)
    coordinators = users_with(db, Role.coordinator)
    admins = users_with(db, Role.beheerder)
    assert len(students) >= 12
    assert len(supervisors) == 4
    assert len(assessors) == 2
    assert len(coordinators) == 1
    assert len(admins) == 1
    everyone = db.exec(select(User)).all()
    assert len(everyone) == len(students) + 4 + 2 + 1 + 1  # nobody holds two demo roles

    # Every supervisor works somewhere, and those workplaces differ.
    assert all(s.organisation and s.organisation.strip() for s in supervisors)
    assert len({s.organisation for s in supervisors}) == 4
    # Names look like people: non-empty, distinct, first name and surname.
    names = [u.name for u in everyone]
    assert all(n.strip() and len(n.split()) >= 2 for n in names)
    assert len(set(names)) == len(names)
    assert all(s.student_number for s in students)
    assert len({s.student_number for s in students}) == len(students)

    # All students are in the cohort; the coordinator coordinates its programme.
    enrolments = db.exec(select(Enrolment).where(Enrolment.cohort_id == cohort.id)).all()
    assert {e.student_id for e in enrolments} == {s.id for s in students}
    assert db.exec(
        select(ProgrammeCoordinator).where(
            ProgrammeCoordinator.programme_id == programmes[0].id, ProgrammeCoordinator.user_id == coordinators[0].id
        )
    ).one()
    # Guidance is spread over all supervisors and assessors; a student's workplace is their supervisor's.
    supervisor_by_id = {s.id: s for s in supervisors}
    assert {e.supervisor_id for e in enrolments if e.supervisor_id} == set(supervisor_by_id)
    assert {e.assessor_id for e in enrolments if e.assessor_id} == {a.id for a in assessors}
    for enrolment in enrolments:
        assert enrolment.workplace
        if enrolment.supervisor_id:
            assert enrolment.workplace == supervisor_by_id[enrolment.supervisor_id].organisation


def printed_logins(capsys: pytest.CaptureFixture[str]) -> tuple[str, list[str]]:
    demo.print_logins()
    out = capsys.readouterr().out
    rows = LOGIN_ROW.findall(out)
    return out, [email for _, _, email in rows]


def signed_in(client_factory: Callable[[], Browser], email: str) -> Browser:
    browser = client_factory()
    login(browser, email, demo.DEMO_PASSWORD)
    return browser


def test_every_printed_demo_login_works(
    db: Session, client_factory: Callable[[], Browser], capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo.seed_if_empty(db)
    db.commit()
    out, emails = printed_logins(capsys)
    assert demo.DEMO_PASSWORD in out

    users = {u.email: u for u in db.exec(select(User)).all()}
    rows = LOGIN_ROW.findall(out)
    assert len(rows) == len(emails) >= 5
    roles = {email: accounts.roles_of(db, user_id=users[email].id or 0) for email in emails}
    for label, name, email in rows:
        # The printed role and name are the account's own.
        assert users[email].name == name
        assert ROLE_LABELS[label] in roles[email]
    printed_roles = set().union(*roles.values())
    assert printed_roles == set(Role)  # the list shows somebody of every role

    for email in emails:
        browser = signed_in(client_factory, email)
        start = browser.get("/")
        assert start.status_code == 303
        page = browser.get(start.headers["location"])
        assert page.status_code == 200, (email, page.text)

    # Each role lands on a page with the demo in it.
    cohort = db.exec(select(Cohort)).one()
    coordinator = next(e for e in emails if Role.coordinator in roles[e])
    assert cohort.name in signed_in(client_factory, coordinator).get("/cohorten").text
    supervisor = next(e for e in emails if Role.praktijkbegeleider in roles[e])
    assigned = db.exec(
        select(User)
        .join(Enrolment, col(Enrolment.student_id) == User.id)
        .where(Enrolment.supervisor_id == users[supervisor].id)
    ).all()
    mine = signed_in(client_factory, supervisor).get("/mijn-studenten").text
    assert assigned and all(s.name in mine for s in assigned)
    student = next(e for e in emails if Role.student in roles[e])
    portfolio = signed_in(client_factory, student).get("/portfolio")
    assert portfolio.status_code == 200
    assert users[student].name in portfolio.text
    assert cohort.name in portfolio.text

    # A wrong password is still refused: the logins work because of the demo password, not despite it.
    refused = client_factory().post("/login", data={"email": coordinator, "password": "fout-wachtwoord", "next": "/"})
    assert refused.status_code == 400


def test_students_not_listed_sign_in_with_their_first_name(
    db: Session, client_factory: Callable[[], Browser], capsys: pytest.CaptureFixture[str]
) -> None:
    """The list ends with '… en nog N studenten (voornaam@domein)': that promise must hold."""
    assert demo.seed_if_empty(db)
    db.commit()
    out, emails = printed_logins(capsys)
    students = users_with(db, Role.student)
    unlisted = [s for s in students if s.email not in emails]
    assert f"en nog {len(unlisted)} studenten" in out
    for student in unlisted:
        email = f"{student.name.split()[0].lower()}@{demo.DOMAIN}"
        assert email == student.email
        signed_in(client_factory, email)


def test_second_seed_keeps_the_data(db: Session) -> None:
    assert demo.seed_if_empty(db) is True
    db.commit()
    before = table_counts(db)
    assert before["User"] > 0

    assert demo.seed_if_empty(db) is False
    db.commit()

    assert table_counts(db) == before


def test_seed_leaves_a_database_with_people_alone(app: FastAPI, db: Session) -> None:
    accounts.create_user(db, email="echt@school.nl", name="Echte Gebruiker", roles={Role.beheerder}, password=None)
    db.commit()
    before = table_counts(db)
    assert demo.seed_if_empty(db) is False
    db.commit()
    assert table_counts(db) == before


# --- the command line -----------------------------------------------------------------------------


@pytest.fixture
def cli_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite file for the CLI; settings are cached per process, so clear them around the test."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def cli_engine(cli_url: str) -> Iterator[Engine]:
    engine = make_engine(cli_url)
    yield engine
    engine.dispose()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, input: str | None = None, ok: bool = True):  # type: ignore[no-untyped-def]
    result = runner.invoke(cli, list(args), input=input)
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    return result


def cli_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return table_counts(session)


def test_cli_migrate_then_demo_then_demo_again(runner: CliRunner, cli_url: str, cli_engine: Engine) -> None:
    result = run(runner, "migrate")
    assert "Database is bijgewerkt." in result.output
    tables = set(inspect(cli_engine).get_table_names())
    assert {t.name for t in SQLModel.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables
    assert cli_counts(cli_engine)["User"] == 0

    first = run(runner, "demo")
    assert "Demo aangemaakt." in first.output
    assert demo.DEMO_PASSWORD in first.output
    counts = cli_counts(cli_engine)
    assert counts["Cohort"] == 1
    assert counts["Enrolment"] >= 12
    with Session(cli_engine) as session:
        emails = set(session.exec(select(User.email)).all())
    printed = {email for _, _, email in LOGIN_ROW.findall(first.output)}
    assert printed and printed <= emails

    second = run(runner, "demo")
    assert "De database bevat al gegevens" in second.output
    assert "Demo aangemaakt." not in second.output
    assert cli_counts(cli_engine) == counts


def test_cli_demo_creates_the_database_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make run` on a fresh clone: data/ is git-ignored, so the folder for the SQLite file may not exist."""
    target = tmp_path / "nieuw" / "data" / "portfolio.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target}")
    get_settings.cache_clear()
    try:
        result = run(runner, "demo")
    finally:
        get_settings.cache_clear()
    assert "Demo aangemaakt." in result.output
    assert target.exists()


@pytest.fixture
def cli_app(cli_url: str) -> Iterator[FastAPI]:
    application = create_app(
        Settings(
            database_url=cli_url,
            secret_key="cli-test-secret",
            framework_dir=ROOT / "eindtermen",
            smtp_host=None,
            base_url="http://testserver",
        )
    )
    yield application
    application.state.engine.dispose()


def browser_on(application: FastAPI) -> Browser:
    browser = Browser(application, follow_redirects=False)
    browser.app_ref = application
    return browser


def test_cli_user_create_makes_a_user_who_can_sign_in(runner: CliRunner, cli_engine: Engine, cli_app: FastAPI) -> None:
    run(runner, "migrate")
    password = "lang-genoeg-wachtwoord"

    result = run(
        runner,
        "user",
        "create",
        "Nieuw.Collega@School.nl",
        "Nieuwe Collega",
        "--role",
        "opleidingscoordinator",
        "--role",
        "beoordelaar",
        input=f"{password}\n{password}\n",
    )

    assert "nieuw.collega@school.nl" in result.output
    assert password not in result.output  # the prompt hides the input
    with Session(cli_engine) as session:
        created = session.exec(select(User).where(User.email == "nieuw.collega@school.nl")).one()
        assert created.name == "Nieuwe Collega"
        assert accounts.roles_of(session, user_id=created.id or 0) == {Role.coordinator, Role.beoordelaar}
    with browser_on(cli_app) as browser:
        login(browser, "nieuw.collega@school.nl", password)
        assert browser.get("/").headers["location"] == "/cohorten"
        refused = browser_on(cli_app).post(
            "/login", data={"email": "nieuw.collega@school.nl", "password": "iets-anders-dan-dat", "next": "/"}
        )
        assert refused.status_code == 400


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["kort@school.nl", "Kort Wachtwoord", "--role", "beheerder"], "kort", "minstens 10 tekens"),
        (
            ["geen-e-mailadres", "Geen Adres", "--role", "beheerder"],
            "lang-genoeg-wachtwoord",
            "'geen-e-mailadres' is geen geldig e-mailadres.",
        ),
    ],
)
def test_cli_user_create_refuses_bad_input(
    runner: CliRunner, cli_engine: Engine, args: list[str], password: str, message: str
) -> None:
    run(runner, "migrate")
    result = run(runner, "user", "create", *args, input=f"{password}\n{password}\n", ok=False)
    assert result.exit_code == 1
    assert message in result.stderr
    assert cli_counts(cli_engine)["User"] == 0


def test_cli_user_create_refuses_a_second_account_for_an_address(runner: CliRunner, cli_engine: Engine) -> None:
    run(runner, "migrate")
    pw = "lang-genoeg-wachtwoord\nlang-genoeg-wachtwoord\n"
    run(runner, "user", "create", "dubbel@school.nl", "Eerste", "--role", "beheerder", input=pw)
    result = run(runner, "user", "create", "DUBBEL@school.nl", "Tweede", "--role", "student", input=pw, ok=False)
    assert result.exit_code == 1
    assert "Er bestaat al een account met e-mailadres dubbel@school.nl" in result.stderr
    with Session(cli_engine) as session:
        assert session.exec(select(User.name)).all() == ["Eerste"]


GOOD_CSV = (
    "naam;e-mail;rol;studentnummer;organisatie/werkplek;praktijkbegeleider;beoordelaar\n"
    "Wim Kok;w.kok@werkplaats.nl;praktijkbegeleider;;De Werkplaats;;\n"
    "Ayla Demir;ayla@student.nl;student;700001;De Werkplaats;w.kok@werkplaats.nl;a.visser@demo.jobcoach.nl\n"
    "Tim Bos;tim@student.nl;student;700002;De Werkplaats;w.kok@werkplaats.nl;\n"
)
BAD_CSV = (
    "naam;e-mail;rol;studentnummer;organisatie/werkplek;praktijkbegeleider;beoordelaar\n"
    "Ayla Demir;ayla@student.nl;student;700001;De Werkplaats;;\n"
    "Tim Bos;tim-at-student.nl;student;700002;De Werkplaats;;\n"
    "Eva Smit;eva@student.nl;docent;700003;De Werkplaats;;\n"
)


def demo_cohort(engine: Engine) -> Cohort:
    with Session(engine) as session:
        return session.exec(select(Cohort)).one()


def test_cli_import(runner: CliRunner, cli_engine: Engine, tmp_path: Path) -> None:
    run(runner, "demo")
    cohort = demo_cohort(cli_engine)
    good = tmp_path / "goed.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    before = cli_counts(cli_engine)

    result = run(runner, "import", "--cohort", str(cohort.id), str(good))

    assert "3 nieuw" in result.output
    assert "2 ingeschreven" in result.output
    after = cli_counts(cli_engine)
    assert after["User"] == before["User"] + 3
    assert after["Enrolment"] == before["Enrolment"] + 2
    with Session(cli_engine) as session:
        ayla = session.exec(select(User).where(User.email == "ayla@student.nl")).one()
        enrolment = session.exec(select(Enrolment).where(Enrolment.student_id == ayla.id)).one()
        kok = session.exec(select(User).where(User.email == "w.kok@werkplaats.nl")).one()
        visser = session.exec(select(User).where(User.email == "a.visser@demo.jobcoach.nl")).one()
        assert (enrolment.cohort_id, enrolment.workplace) == (cohort.id, "De Werkplaats")
        assert (enrolment.supervisor_id, enrolment.assessor_id) == (kok.id, visser.id)

    again = run(runner, "import", "--cohort", str(cohort.id), str(good))
    assert "0 nieuw" in again.output and "3 ongewijzigd" in again.output
    assert cli_counts(cli_engine) == after


def test_cli_import_of_a_bad_file_exits_non_zero_and_imports_nothing(
    runner: CliRunner, cli_engine: Engine, tmp_path: Path
) -> None:
    run(runner, "demo")
    cohort = demo_cohort(cli_engine)
    bad = tmp_path / "fout.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    before = cli_counts(cli_engine)

    result = run(runner, "import", "--cohort", str(cohort.id), str(bad), ok=False)

    assert result.exit_code == 1
    assert "Er is niets geïmporteerd" in result.stderr
    assert "Rij 3: e-mailadres 'tim-at-student.nl' is ongeldig." in result.stderr
    assert "Rij 4: rol 'docent' is onbekend" in result.stderr
    assert "Rij 2" not in result.stderr
    assert cli_counts(cli_engine) == before
    with Session(cli_engine) as session:
        assert session.exec(select(User).where(User.email == "ayla@student.nl")).first() is None


def test_cli_import_into_an_unknown_cohort(runner: CliRunner, cli_engine: Engine, tmp_path: Path) -> None:
    run(runner, "migrate")
    good = tmp_path / "goed.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    result = run(runner, "import", "--cohort", "999", str(good), ok=False)
    assert result.exit_code == 1
    assert "Cohort 999 bestaat niet." in result.stderr
    assert cli_counts(cli_engine)["User"] == 0


def test_demo_students_are_at_different_stages(app, db: Session) -> None:  # type: ignore[no-untyped-def]
    """With storage, the demo gives students evidence in different states: submitted, drafts, nothing yet."""
    from app.evidence.models import Blob, Slot

    assert demo.seed_if_empty(db, storage=app.state.storage) is True
    db.commit()
    statuses_by_student: dict[int, set[str]] = {}
    for slot in db.exec(select(Slot)).all():
        statuses_by_student.setdefault(slot.student_id, set()).add(slot.status)
    students = db.exec(select(User).where(col(User.student_number).is_not(None))).all()
    stages = {frozenset(statuses_by_student.get(s.id or 0, {"leeg"})) for s in students}
    assert any("ter_aftekening" in stage for stage in stages)
    assert any({"afgetekend", "beoordeeld", "terug"} <= stage for stage in stages)
    assert any(stage == {"concept"} for stage in stages)
    assert frozenset({"leeg"}) in stages
    blobs = db.exec(select(Blob)).all()
    assert blobs and all(app.state.storage.exists(b.key) for b in blobs)


def _analysed_tables(engine: Engine) -> set[str]:
    """Tables the query planner has statistics for."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            if not conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
                return set()
            return {t for (t,) in conn.exec_driver_sql("SELECT DISTINCT tbl FROM sqlite_stat1")}
        # ANALYZE sets reltuples (-1 until a table was ever analysed or vacuumed).
        rows = conn.exec_driver_sql(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
            " AND reltuples >= 0"
        )
        return {t for (t,) in rows}


def test_the_demo_leaves_statistics_for_the_query_planner(runner: CliRunner, cli_engine: Engine) -> None:
    run(runner, "migrate")
    assert "slot" not in _analysed_tables(cli_engine)  # nothing to analyse in an empty slot table
    run(runner, "demo")
    assert {"slot", "enrolment", "submission", "user_account"} <= _analysed_tables(cli_engine)


def test_the_demo_shows_an_onvoldoende_and_a_sealed_portfolio(app, db: Session) -> None:  # type: ignore[no-untyped-def]
    """#16: `make run` shows each state — a score below the minimum for one student, a sealed portfolio for another."""
    from app.evidence.models import Slot
    from app.readiness import seal

    assert demo.seed_if_empty(db, storage=app.state.storage) is True
    db.commit()
    failed = db.exec(select(Slot).where(Slot.status == "beoordeeld", Slot.score == "onvoldoende")).all()
    assert failed
    students = db.exec(select(User).where(col(User.student_number).is_not(None))).all()
    sealed = [s for s in students if seal.is_sealed(db, student_id=s.id or 0)]
    assert len(sealed) == 1 and sealed[0].id not in {slot.student_id for slot in failed}
    # A returned slot, and a praktijkbegeleider with a request waiting longer than a week (reminders have work).
    assert db.exec(select(Slot).where(Slot.status == "terug")).first() is not None
    from datetime import timedelta

    from app.db import utcnow
    from app.evidence.models import Submission

    week_ago = utcnow() - timedelta(days=7)
    waiting = db.exec(
        select(Slot, Submission)
        .join(Submission, col(Submission.id) == Slot.submission_id)
        .where(Slot.status == "ter_aftekening", col(Submission.submitted_at) < week_ago)
    ).all()
    assert waiting and all(submission.supervisor_id for _, submission in waiting)


def test_the_demo_has_a_student_who_left_so_retention_has_something_to_show(
    app: FastAPI, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """#16 item 25: `make run` includes a leaver whose evidence file is past its term."""
    from app.evidence.models import Blob
    from app.privacy import retention

    assert demo.seed_if_empty(db, storage=app.state.storage) is True
    db.commit()
    leaver = db.exec(select(User).where(User.student_number == demo.LEFT_STUDENT[2])).one()
    enrolment = db.exec(select(Enrolment).where(Enrolment.student_id == leaver.id)).one()
    assert enrolment.left_at is not None
    # Every other student is still enrolled.
    assert db.exec(select(func.count()).select_from(Enrolment).where(col(Enrolment.left_at).is_not(None))).one() == 1

    due = retention.plan(db, settings=app.state.settings)
    assert [(d.student_id, d.because) for d in due.evidence] == [(leaver.id, "uitgeschreven")]
    assert due.blobs and all(b.student_id == leaver.id for b in due.blobs)
    assert all(isinstance(b, Blob) and app.state.storage.exists(b.key) for b in due.blobs)
    assert due.erase == []  # the record itself is kept for years yet

    out, emails = printed_logins(capsys)
    assert leaver.email in emails and f"{leaver.name} is uitgeschreven" in out
