"""/healthz and /readyz: alive without a database; ready only with the database reachable, the schema at head and
the storage writable; 503 with a short reason per check; both pass a full request queue and need no sign-in."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app import migrate
from app.config import Settings
from app.main import create_app
from app.ops import health
from tests.conftest import Browser


def _app(settings: Settings, database_url: str, **update: object) -> FastAPI:
    return create_app(settings.model_copy(update={"database_url": database_url, **update}))


def test_healthz_answers_without_a_database(settings: Settings, tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'nowhere' / 'no.db'}"  # its directory does not exist: no connection
    with TestClient(_app(settings, missing)) as client:
        response = client.get("/healthz")
        assert response.status_code == 200 and response.text == "ok"
        assert response.headers["cache-control"] == "no-store"
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["database"] == "niet bereikbaar"
    assert ready.json()["migrations"].startswith("niet te bepalen")
    assert "nowhere" not in ready.text and str(tmp_path) not in ready.text  # no path, URL or trace


def test_readyz_is_ok_on_a_migrated_database(client: Browser) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"database": "ok", "migrations": "ok", "storage": "ok"}
    assert response.headers["cache-control"] == "no-store"


def test_readyz_writes_through_s3(settings: Settings, database_url: str, s3_server: dict[str, object]) -> None:
    app = _app(settings, database_url, storage_backend="s3", **s3_server)
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert list(app.state.storage.iter_blobs()) == []  # the probe was deleted again


def test_readyz_reports_migrations_behind(settings: Settings, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'behind.db'}"  # a private file: the shared test database stays at head
    migrate.upgrade(url)
    command.downgrade(migrate.alembic_config(url), "-1")
    with TestClient(_app(settings, url)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok" and body["storage"] == "ok"
    assert body["migrations"].startswith("achter: ")


def test_readyz_reports_storage_not_writable(app: FastAPI, client: Browser, settings: Settings) -> None:
    # The blob root becomes a file: nothing can be written under it (chmod would not stop root).
    shutil.rmtree(settings.storage_dir)
    Path(settings.storage_dir).write_text("geen map")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "migrations": "ok", "storage": "niet schrijfbaar"}
    assert str(settings.storage_dir) not in response.text


def test_readyz_writes_at_most_once_per_probe_interval(
    app: FastAPI, client: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load balancer probes every few seconds on every instance: the storage write is made once per interval,
    and a failure after the interval is seen at the next probe."""
    writes: list[str] = []
    storage = app.state.storage
    publish = storage.publish
    monkeypatch.setattr(storage, "publish", lambda path, **kw: (writes.append(kw["key"]), publish(path, **kw)))
    now = [1000.0]
    monkeypatch.setattr(health.time, "monotonic", lambda: now[0])
    for _ in range(3):
        assert client.get("/readyz").status_code == 200
    assert len(writes) == 1
    now[0] += health.STORAGE_PROBE_SECONDS + 1
    monkeypatch.setattr(storage, "publish", lambda path, **kw: (_ for _ in ()).throw(OSError("vol")))
    assert client.get("/readyz").json()["storage"] == "niet schrijfbaar"


def test_health_passes_a_full_request_queue(settings: Settings, database_url: str) -> None:
    app = _app(settings, database_url, max_active_requests=1)
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow() -> dict[str, str]:
        entered.set()
        await release.wait()
        return {}

    app.router.add_api_route("/_traag", slow)

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            holder = asyncio.create_task(client.get("/_traag"))
            await asyncio.wait_for(entered.wait(), 5)  # the one slot is taken
            page = asyncio.create_task(client.get("/login"))
            await asyncio.sleep(0.2)
            assert not page.done()  # an ordinary page waits its turn ...
            healthz = await asyncio.wait_for(client.get("/healthz"), 5)  # ... health does not
            readyz = await asyncio.wait_for(client.get("/readyz"), 5)
            assert healthz.status_code == 200 and readyz.status_code == 200, readyz.text
            assert not page.done()
            release.set()
            assert (await holder).status_code == 200 and (await page).status_code == 200

    asyncio.run(scenario())
