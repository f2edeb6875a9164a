"""Test fixtures: a migrated database (SQLite file, or PostgreSQL via TEST_DATABASE_URL), emptied after
every test; the app; clients that sign in as a given person; a small world of people and cohorts."""

import hashlib
import hmac
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

import app.models
from app import migrate
from app.accounts import service as accounts
from app.accounts.models import Role, User
from app.cohorts import guidance
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, Enrolment, Programme
from app.config import ROOT, Settings
from app.db import make_engine
from app.main import create_app
from app.web import CSRF_COOKIE

# The tests are development: settings left at their defaults (the CLI tests) may use the public key.
os.environ.setdefault("DEVELOPMENT", "true")
# Staff's second factor (docs/second-factor.md) is off for the tests that sign in with a password; the browser
# journeys' server inherits this. tests/test_second_factor.py switches it on.
os.environ.setdefault("SECOND_FACTOR_REQUIRED", "false")

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Still argon2, with minimal cost: hundreds of test logins should not take minutes."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    original = accounts._hasher
    accounts._hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    yield
    accounts._hasher = original


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs PostgreSQL; runs in the PostgreSQL pass (TEST_DATABASE_URL)")
    config.addinivalue_line("markers", "sqlite_only: exercises a SQLite-specific path; runs in the SQLite pass")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each pass runs the tests for its database; the others are deselected (not skipped).

    With REQUIRE_POSTGRES=1 and no PostgreSQL, PostgreSQL tests stay selected and fail loudly.
    """
    on_postgres = bool(os.environ.get("TEST_DATABASE_URL"))
    require = os.environ.get("REQUIRE_POSTGRES") == "1"
    keep, drop = [], []
    for item in items:
        # The browser journeys run once, in the SQLite pass: two Chromiums on two cores slow both passes down.
        sqlite_only = item.get_closest_marker("sqlite_only") or item.path.parent.name == "browser"
        wrong_db = (item.get_closest_marker("postgres") and not on_postgres and not require) or (
            sqlite_only and on_postgres
        )
        (drop if wrong_db else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
        config.stash[_DESELECTED] = len(drop)


_DESELECTED = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    count = config.stash.get(_DESELECTED, 0)
    if count:
        where = "SQLite" if os.environ.get("TEST_DATABASE_URL") else "PostgreSQL (set TEST_DATABASE_URL)"
        terminalreporter.write_line(f"{count} test(s) for the other database were deselected; they run on {where}.")


def _postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def postgres_url_or_skip(reason: str) -> str:
    """TEST_DATABASE_URL; without it the test skips with `reason`, or fails under REQUIRE_POSTGRES=1 (CI)."""
    base = _postgres_url()
    if not base:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip(reason)
    return base


@contextmanager
def scratch_database(base: str, purpose: str) -> Iterator[str]:
    """An empty PostgreSQL database of its own beside the session's (migrated) test database, dropped afterwards."""
    from sqlalchemy.engine import make_url

    url = make_url(base)
    name = f"{url.database}_{purpose}_{os.urandom(4).hex()}"
    admin = make_engine(base).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = _postgres_url()
    if url:
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        except Exception as exc:  # pragma: no cover - a CI misconfiguration must fail loudly
            pytest.exit(f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}", returncode=3)
        finally:
            engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def storage_settings(tmp_path: Path) -> dict[str, object]:
    """Local storage in a fresh directory; evidence tests override this to run on S3 as well."""
    return {"storage_backend": "local", "storage_dir": tmp_path / "storage"}


@pytest.fixture
def settings(database_url: str, storage_settings: dict[str, object]) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret",
        framework_dir=ROOT / "eindtermen",
        smtp_host=None,
        base_url="http://testserver",
        **storage_settings,  # type: ignore[arg-type]
    )


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    application = create_app(settings)
    application.state.engine.dispose()
    application.state.engine = engine
    yield application
    _empty_all_tables(engine)


@pytest.fixture
def db(app: FastAPI) -> Iterator[Session]:
    with Session(app.state.engine, expire_on_commit=False) as session:
        yield session


def csrf_token(client: TestClient, app: FastAPI) -> str:
    """The token a page would embed, computed from the client's CSRF cookie."""
    if not client.cookies.get(CSRF_COOKIE):
        client.get("/login")
    raw = client.cookies.get(CSRF_COOKIE)
    assert raw
    return hmac.new(app.state.settings.secret_key.encode(), raw.encode(), hashlib.sha256).hexdigest()


def page_csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


class Browser(TestClient):
    """A TestClient that fills in the CSRF token on state-changing requests, as our pages do."""

    app_ref: FastAPI

    def post(self, url, *args, csrf: bool = True, **kwargs):  # type: ignore[no-untyped-def,override]
        if csrf:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRF-Token", csrf_token(self, self.app_ref))
            kwargs["headers"] = headers
        return super().post(url, *args, **kwargs)


@pytest.fixture
def client_factory(app: FastAPI) -> Iterator[Callable[[], Browser]]:
    made: list[Browser] = []

    def make() -> Browser:
        browser = Browser(app, follow_redirects=False)
        browser.app_ref = app
        made.append(browser)
        return browser

    yield make
    for browser in made:
        browser.close()


@pytest.fixture
def client(client_factory: Callable[[], Browser]) -> Browser:
    return client_factory()


def login(client: Browser, email: str, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"email": email, "password": password, "next": "/"})
    assert response.status_code == 303, response.text


@dataclass
class World:
    programme: Programme
    other_programme: Programme
    cohort: Cohort
    other_cohort: Cohort
    student: User
    other_student: User
    supervisor: User
    other_supervisor: User
    assessor: User
    other_assessor: User
    coordinator: User
    other_coordinator: User
    admin: User
    bystander: User


def make_user(session: Session, name: str, email: str, *roles: Role, number: str | None = None) -> User:
    return accounts.create_user(
        session, email=email, name=name, roles=set(roles), password=PASSWORD, student_number=number
    )


def approve_supervisor(session: Session, *, enrolment: Enrolment, supervisor: User, coordinator: User | None) -> None:
    """The coordinator links this praktijkbegeleider (an approved assignment), as the assignment form does."""
    guidance.link_existing(
        session,
        actor_id=coordinator.id if coordinator else None,
        enrolment=enrolment,
        supervisor=supervisor,
        settings=None,
    )
    session.flush()


@pytest.fixture
def world(db: Session) -> World:
    """Two programmes, each with a cohort; staff assigned only to the first cohort's student."""
    coordinator = make_user(db, "Marieke van Dijk", "coord@school.nl", Role.coordinator)
    other_coordinator = make_user(db, "Kees Vos", "coord2@school.nl", Role.coordinator)
    programme = cohorts.create_programme(db, name="Jobcoach duaal", coordinator_ids=[coordinator.id or 0])
    other_programme = cohorts.create_programme(db, name="Andere opleiding", coordinator_ids=[other_coordinator.id or 0])
    cohort = Cohort(
        programme_id=programme.id or 0,
        name="2026-A",
        start_date=date(2026, 2, 1),
        framework_id="bvjn-eindtermen",
        framework_version="2012",
    )
    other_cohort = Cohort(
        programme_id=other_programme.id or 0,
        name="2026-B",
        start_date=date(2026, 9, 1),
        framework_id="bvjn-eindtermen",
        framework_version="2012",
    )
    db.add_all([cohort, other_cohort])
    db.flush()
    student = make_user(db, "Lotte de Vries", "lotte@student.nl", Role.student, number="500001")
    other_student = make_user(db, "Daan Jansen", "daan@student.nl", Role.student, number="500002")
    supervisor = make_user(db, "Sandra Mulder", "sandra@werk.nl", Role.praktijkbegeleider)
    other_supervisor = make_user(db, "Peter Bakker", "peter@werk.nl", Role.praktijkbegeleider)
    assessor = make_user(db, "Anouk Visser", "anouk@school.nl", Role.beoordelaar)
    other_assessor = make_user(db, "Henk de Groot", "henk@school.nl", Role.beoordelaar)
    admin = make_user(db, "Ruud Hendriks", "admin@school.nl", Role.beheerder)
    bystander = make_user(db, "Bea Buiten", "bea@elders.nl", Role.praktijkbegeleider)
    enrolment = Enrolment(
        cohort_id=cohort.id or 0, student_id=student.id or 0, workplace="Werkbedrijf", assessor_id=assessor.id
    )
    other_enrolment = Enrolment(
        cohort_id=other_cohort.id or 0, student_id=other_student.id or 0, assessor_id=other_assessor.id
    )
    db.add_all([enrolment, other_enrolment])
    db.flush()
    # Praktijkbegeleiders only judge under an approved assignment (app/cohorts/guidance.py).
    approve_supervisor(db, enrolment=enrolment, supervisor=supervisor, coordinator=coordinator)
    approve_supervisor(db, enrolment=other_enrolment, supervisor=other_supervisor, coordinator=other_coordinator)
    db.commit()
    return World(
        programme,
        other_programme,
        cohort,
        other_cohort,
        student,
        other_student,
        supervisor,
        other_supervisor,
        assessor,
        other_assessor,
        coordinator,
        other_coordinator,
        admin,
        bystander,
    )


SEED_DIR_CANDIDATES = [ROOT.parent / "shared" / "seeds", ROOT / ".." / "shared" / "seeds"]


def seed_path(name: str) -> Path | None:
    for directory in SEED_DIR_CANDIDATES:
        if (directory / name).exists():
            return directory / name
    return None


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real S3 API on loopback (moto's server mode), started and stopped by the tests."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_server(moto_endpoint: str) -> dict[str, object]:
    """S3 settings with a fresh bucket for this test."""
    import uuid

    import boto3

    bucket = f"test-{uuid.uuid4().hex[:16]}"
    credentials = {"s3_region": "eu-west-1", "s3_access_key": "test", "s3_secret_key": "test"}
    boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return {"s3_bucket": bucket, "s3_endpoint_url": moto_endpoint, **credentials}


def approve_pending_proposal(db: Session, client_factory: Callable[[], Browser], coordinator: User) -> None:
    """The coordinator approves the newest voorstel through the approval screen (koppeling goedkeuren)."""
    from sqlmodel import col, select

    from app.cohorts.models import SupervisorAssignment

    db.expire_all()
    proposal = db.exec(
        select(SupervisorAssignment)
        .where(SupervisorAssignment.status == "voorgesteld")
        .order_by(col(SupervisorAssignment.id).desc())
    ).first()
    assert proposal is not None
    browser = client_factory()
    login(browser, coordinator.email)
    assert browser.post(f"/koppelingen/{proposal.id}/goedkeuren", data={}).status_code == 303
    db.expire_all()
