"""Upgrade test: an earlier release's database, filled by that release's own demo, migrated to today's head;
then every role's journey pages answer 200 and the audit chain verifies.

The fixtures (`tests/fixtures/upgrade/<commit>.json.gz`) are made by `make_fixture.py` from the old commit's
code; see docs/ops/migrations.md for which releases are covered and how to add one.
"""

import base64
import gzip
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, Table, text
from sqlalchemy.sql import sqltypes
from sqlmodel import Session

import app.models  # noqa: F401  (audit verify checks the bound tables of every loaded model)
from app import migrate
from app.audit.verify import verify_chain
from app.config import ROOT, Settings, get_settings
from app.db import make_engine
from app.demo.people import DEMO_PASSWORD, email_of
from app.main import create_app
from tests.conftest import postgres_url_or_skip, scratch_database

FIXTURES = sorted((ROOT / "tests" / "fixtures" / "upgrade").glob("*.json.gz"))


def _fixture(path: Path) -> dict[str, Any]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


# --- a fresh database, at the fixture's revision, holding its rows -----------------------------------------


# Each pass upgrades its own kind of database: deselected (not skipped) in the other pass (tests/conftest.py).
@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.sqlite_only),
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
        return
    # A database of its own, so the session's test database (migrated to head) is left alone.
    with scratch_database(postgres_url_or_skip("the PostgreSQL upgrade needs TEST_DATABASE_URL"), "upgrade") as url:
        yield url


def _convert(value: Any, column_type: Any, postgres: bool) -> Any:
    """A value as SQLite stored it (text, integers) into what the reflected column binds."""
    if value is None:
        return None
    if isinstance(value, dict) and "$b64" in value:
        return base64.b64decode(value["$b64"])
    if isinstance(column_type, sqltypes.DateTime):
        at = datetime.fromisoformat(value)
        return at.replace(tzinfo=UTC) if postgres and at.tzinfo is None else at  # the app writes UTC
    if isinstance(column_type, sqltypes.Date):
        return date.fromisoformat(value)
    if isinstance(column_type, sqltypes.Time):
        return time.fromisoformat(value)
    if isinstance(column_type, sqltypes.Boolean):
        return bool(value)
    if isinstance(column_type, sqltypes.JSON) and isinstance(value, str):
        return json.loads(value)
    return value


def load(url: str, data: dict[str, Any]) -> None:
    """Insert the fixture's rows into a database at the fixture's revision, foreign keys off while loading."""
    engine = make_engine(url)
    postgres = engine.dialect.name == "postgresql"
    metadata = MetaData()
    metadata.reflect(engine)
    try:
        with engine.connect() as conn:
            if postgres:
                conn.exec_driver_sql("SET session_replication_role = replica")  # no FK triggers while loading
            else:
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # only outside a transaction
                conn.commit()
            for name, table_data in data["tables"].items():
                table: Table = metadata.tables[name]
                columns = table_data["columns"]
                rows = [
                    {c: _convert(v, table.c[c].type, postgres) for c, v in zip(columns, row, strict=True)}
                    for row in table_data["rows"]
                ]
                if rows:
                    conn.execute(table.insert(), rows)
            if postgres:
                conn.exec_driver_sql("SET session_replication_role = DEFAULT")
                for table in metadata.sorted_tables:
                    for column in table.primary_key.columns:
                        if isinstance(column.type, sqltypes.Integer):
                            conn.execute(
                                text(
                                    f'SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE(MAX("{column.name}"), 1),'
                                    f' MAX("{column.name}") IS NOT NULL) FROM "{table.name}"'
                                ),
                                {"t": f'"{table.name}"', "c": column.name},
                            )
            conn.commit()
    finally:
        engine.dispose()


# --- the journeys --------------------------------------------------------------------------------------------

# Not pages: downloads, files and PDFs (they would build documents or need the old blobs), and signing out.
_SKIP = re.compile(r"(\.pdf|\.csv|\.xlsx|/zip|/bestanden/|/certificaat|/dossier/|/uitloggen|/logout)")


def _links(html: str, pattern: str) -> list[str]:
    return sorted({href for href in re.findall(r'href="(/[^"#?]*)', html) if re.search(pattern, href)})


def _sign_in(client: TestClient, login: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "login page has no CSRF token"
    response = client.post(
        "/login",
        data={"email": email_of(login), "password": DEMO_PASSWORD, "next": "/", "csrf_token": token.group(1)},
    )
    assert response.status_code == 303, f"{login} cannot sign in after the upgrade: {response.text[:500]}"


# login -> its start pages, and the kinds of link on them to follow one step (each must be found)
JOURNEYS: dict[str, tuple[list[str], list[str]]] = {
    "lotte": (
        ["/", "/portfolio", "/praktijkuren", "/portfolio/ontwikkeling", "/portfolio/register", "/portfolio/inzage"],
        [r"^/studenten/\d+/eindtermen/", r"^/bewijs/\d+$"],  # a slot, then a bewijsstuk shown on it
    ),
    "s.mulder": (["/", "/aftekenen", "/mijn-studenten"], [r"^/aftekenen/\d+$", r"^/studenten/\d+$"]),
    "coordinator": (
        ["/", "/cohorten", "/koppelingen"],
        [r"^/cohorten/\d+$", r"^/cohorten/\d+/overzicht$", r"^/opleidingen/\d+/praktijkuren$"],
    ),
    "a.visser": (["/", "/te-beoordelen", "/mijn-studenten"], [r"^/studenten/\d+/eindtermen/", r"^/studenten/\d+$"]),
    "beheer": (["/", "/beheer/gebruikers", "/privacy/register", "/beheer/export"], []),
}


def _walk(client: TestClient, login: str) -> list[str]:
    """The role's start pages and one of each kind of link on them; every one must answer 200."""
    starts, kinds = JOURNEYS[login]
    seen: list[str] = []
    html = ""
    for path in starts:
        response = client.get(path, follow_redirects=True)  # "/" sends each role to its own start page
        assert response.status_code == 200, f"{login} {path}: {response.status_code}"
        assert response.url.path != "/login", f"{login} {path}: signed out"
        seen.append(path)
        html += response.text
    for kind in kinds:
        found = [link for link in _links(html, kind) if not _SKIP.search(link)]
        assert found, f"{login}: no link like {kind} on {starts}"
        for path in found[:10]:
            response = client.get(path)
            assert response.status_code == 200, f"{login} {path}: {response.status_code}"
            seen.append(path)
            html += response.text
    return seen


@pytest.mark.parametrize("fixture_path", FIXTURES, ids=[p.name.split(".")[0] for p in FIXTURES])
def test_old_release_upgrades_to_head_and_serves_every_journey(
    fixture_path: Path, fresh_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _fixture(fixture_path)
    # The migrations that rehash the audit chain read the key from the settings: the one the old demo ran with.
    monkeypatch.setenv("SECRET_KEY", data["secret_key"])
    monkeypatch.delenv("AUDIT_KEY", raising=False)
    get_settings.cache_clear()
    try:
        migrate.upgrade(fresh_url, data["revision"])
        load(fresh_url, data)
        migrate.upgrade(fresh_url)

        storage = tmp_path / "storage"
        for relative, content in data.get("blobs", {}).items():
            (storage / relative).parent.mkdir(parents=True, exist_ok=True)
            (storage / relative).write_bytes(base64.b64decode(content))
        settings = Settings(
            database_url=fresh_url,
            secret_key=data["secret_key"],
            framework_dir=ROOT / "eindtermen",
            smtp_host=None,
            base_url="http://testserver",
            storage_backend="local",
            storage_dir=storage,
        )
        application = create_app(settings)
        engine: Engine = application.state.engine
        try:
            with Session(engine) as session:
                report = verify_chain(session)
            assert report.ok, report.summary()
            assert report.checked > 0
            for login in JOURNEYS:
                with TestClient(application, follow_redirects=False) as client:
                    _sign_in(client, login)
                    _walk(client, login)
        finally:
            engine.dispose()
    finally:
        get_settings.cache_clear()
