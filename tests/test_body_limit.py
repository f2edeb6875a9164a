"""Request bodies are capped before anything parses them (app/bodylimit.py): anonymous and non-upload requests get
64 KiB (413 at once, nothing read, nothing spooled); only the upload routes of a signed-in user with a valid CSRF
token stream more; a body that trickles is cut off with 408. Driven at the ASGI level, where a test controls every
byte the server would hand over."""

from __future__ import annotations

import asyncio
import html
import json
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from app.bodylimit import TOO_LARGE, TOO_SLOW, upload_routes
from app.config import Settings
from app.main import create_app
from tests.conftest import Browser, World, csrf_token, login
from tests.test_upload_safety import counts, multipart

MB = 1024 * 1024
Receive = Callable[[], Awaitable[dict[str, Any]]]


class Body:
    """A fake server's receive(): the body in chunks (optionally with a pause before each), counting what is read."""

    def __init__(self, data: bytes, *, chunk: int = 64 * 1024, pause: float = 0.0) -> None:
        self.chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)] or [b""]
        self.pause = pause
        self.read = 0  # body messages handed out
        self.after_response = 0  # receive() calls once the response was complete
        self.responded = False

    async def __call__(self) -> dict[str, Any]:
        if self.responded:
            self.after_response += 1
        if self.read >= len(self.chunks):
            await asyncio.sleep(3600)  # a connection that stays open without sending more
        if self.pause:
            await asyncio.sleep(self.pause)
        self.read += 1
        return {"type": "http.request", "body": self.chunks[self.read - 1], "more_body": self.read < len(self.chunks)}


def scope(
    path: str,
    *,
    content_type: str,
    length: int | None,
    cookies: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    raw = [(b"host", b"testserver"), (b"content-type", content_type.encode())]
    if length is not None:
        raw.append((b"content-length", str(length).encode()))
    else:
        raw.append((b"transfer-encoding", b"chunked"))
    if cookies:
        raw.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def call(app: FastAPI, asgi_scope: dict[str, Any], body: Body) -> tuple[int, dict[str, str], str]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            body.responded = True

    async def main() -> None:
        await asyncio.wait_for(app(asgi_scope, body, send), timeout=20)

    asyncio.run(main())
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    text = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body").decode()
    return start["status"], headers, text


@pytest.fixture
def temp_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Every temporary file anything opens during the test (Starlette spools form files through these)."""
    opened: list[str] = []
    for name in ("TemporaryFile", "NamedTemporaryFile", "mkstemp"):
        real = getattr(tempfile, name)

        def spy(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            opened.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(tempfile, name, spy)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return opened


def browser_cookies(client: Browser) -> dict[str, str]:
    return {name: value for name, value in client.cookies.items()}


def spool_is_empty(app: FastAPI) -> bool:
    return list(app.state.storage.spool_dir().iterdir()) == []


# --- anonymous and non-upload requests: 64 KiB ----------------------------------------------------------------


def test_an_anonymous_multipart_body_of_megabytes_to_login_is_refused_unread(
    app: FastAPI, temp_files: list[str], client: Browser
) -> None:
    data, content_type = multipart([("groot.bin", b"\0" * (3 * MB))], fields=[("email", "a@b.nl")])
    body = Body(data)
    status, headers, text = call(app, scope("/login", content_type=content_type, length=len(data)), body)
    assert status == 413
    assert html.unescape(TOO_LARGE) in html.unescape(text)
    assert headers["connection"] == "close"
    assert headers["content-security-policy"]  # the app's headers, as on every page
    assert body.read == 0, "not a byte of the body is read"
    assert temp_files == [] and spool_is_empty(app)


def test_a_chunked_body_is_cut_off_once_it_passes_the_cap(app: FastAPI, temp_files: list[str]) -> None:
    data, content_type = multipart([("groot.bin", b"\0" * (3 * MB))], fields=[("email", "a@b.nl")])
    body = Body(data, chunk=16 * 1024)
    status, _, text = call(app, scope("/login", content_type=content_type, length=None), body)
    assert status == 413 and html.unescape(TOO_LARGE) in html.unescape(text)
    assert body.read == 64 // 16 + 1  # just past 64 KiB, then no more
    assert temp_files == [] and spool_is_empty(app)


def test_a_small_form_still_works(world: World, client: Browser) -> None:
    login(client, world.student.email)  # an urlencoded POST of a few hundred bytes
    assert client.get("/portfolio").status_code == 200


def test_the_api_gets_json(app: FastAPI) -> None:
    big = 1 * MB
    status, headers, text = call(
        app, scope("/api/v1/evidence", content_type="multipart/form-data; boundary=x", length=big), Body(b"")
    )
    assert status == 413 and headers["content-type"].startswith("application/json")
    assert json.loads(text) == {"detail": TOO_LARGE, "errors": []}


# --- the upload routes: more only for a signed-in request with a valid CSRF token ------------------------------


def test_the_upload_routes_are_marked(app: FastAPI) -> None:
    marked = {(method, pattern.pattern) for method, pattern, _ in upload_routes(app)}
    assert marked == {
        ("POST", "^/bewijs$"),
        ("POST", "^/bewijs/(?P<evidence_id>[^/]+)$"),
        ("POST", "^/api/v1/evidence$"),
        ("POST", "^/api/v1/evidence/(?P<evidence_id>[^/]+)/versions$"),
        ("POST", "^/portfolio/ontwikkeling$"),
        ("POST", "^/portfolio/ontwikkeling/(?P<development_id>[^/]+)/correctie$"),
        ("POST", "^/cohorten/(?P<cohort_id>[^/]+)/import$"),
    }


def test_a_signed_in_upload_with_a_valid_token_streams_past_the_cap(
    app: FastAPI, db: Any, world: World, client: Browser
) -> None:
    login(client, world.student.email)
    data, content_type = multipart([("verslag.txt", b"Een verslag van de intake.\n" * 20000)])  # ~540 KiB
    assert len(data) > 8 * 64 * 1024
    response = client.post("/bewijs", content=data, headers={"Content-Type": content_type})
    assert response.status_code == 303, response.text[:2000]
    assert counts(db) == (1, 1, 1)


@pytest.mark.parametrize("who", ["signed in, no token", "signed in, wrong token", "anonymous, valid token"])
def test_an_upload_without_both_a_session_and_its_token_is_refused_unread(
    app: FastAPI, db: Any, world: World, client: Browser, temp_files: list[str], who: str
) -> None:
    if who.startswith("signed in"):
        login(client, world.student.email)
    else:
        client.get("/login")
    cookies = browser_cookies(client)
    token = {"signed in, no token": None, "signed in, wrong token": "0" * 64}.get(who, csrf_token(client, app))
    data, content_type = multipart([("verslag.txt", b"x" * (2 * MB))])
    headers = {"X-CSRF-Token": token} if token else {}
    body = Body(data)
    asgi_scope = scope("/bewijs", content_type=content_type, length=len(data), cookies=cookies, headers=headers)
    status, _, _ = call(app, asgi_scope, body)
    assert status == 413
    assert body.read == 0 and temp_files == [] and spool_is_empty(app)
    assert counts(db) == (0, 0, 0)


def test_the_people_import_is_not_spooled_before_the_csrf_check(
    app: FastAPI, world: World, client: Browser, temp_files: list[str]
) -> None:
    """FastAPI reads an UploadFile parameter (to a temp file past 1 MiB) before any dependency runs."""
    login(client, world.coordinator.email)
    data, content_type = multipart([("mensen.csv", b"a" * (3 * MB))], fields=[])
    body = Body(data)
    asgi_scope = scope(
        f"/cohorten/{world.cohort.id}/import",
        content_type=content_type,
        length=len(data),
        cookies=browser_cookies(client),
    )
    status, _, _ = call(app, asgi_scope, body)
    assert status == 413
    assert body.read == 0 and temp_files == []


# --- bodies that trickle: 408 -------------------------------------------------------------------------------------


@pytest.fixture
def impatient(settings: Settings, engine: Engine) -> FastAPI:
    """The app with a short deadline and a high minimum rate: a slow body is cut off within a fraction of a second.
    (Same database and key as `app`, whose fixture signs people in and empties the tables afterwards.)"""
    application = create_app(settings.model_copy(update={"body_timeout_seconds": 0.3, "body_min_rate_bytes": 10 * MB}))
    application.state.engine.dispose()
    application.state.engine = engine
    return application


def test_a_trickling_form_gets_408_and_is_no_longer_read(app: FastAPI, impatient: FastAPI, client: Browser) -> None:
    client.get("/login")
    data = b"email=a%40b.nl&password=" + b"x" * 400
    body = Body(data, chunk=10, pause=0.05)  # 10 bytes per 50 ms: two seconds for the whole form
    asgi_scope = scope(
        "/login",
        content_type="application/x-www-form-urlencoded",
        length=len(data),
        cookies=browser_cookies(client),
        headers={"X-CSRF-Token": csrf_token(client, app)},
    )
    status, headers, text = call(impatient, asgi_scope, body)
    assert status == 408
    assert html.unescape(TOO_SLOW) in html.unescape(text)
    assert headers["connection"] == "close"
    assert body.read < len(body.chunks)
    assert body.after_response == 0


def test_a_trickling_upload_gets_408_and_leaves_nothing(
    app: FastAPI, impatient: FastAPI, db: Any, world: World, client: Browser
) -> None:
    login(client, world.student.email)
    data, content_type = multipart([("verslag.txt", b"x" * (200 * 1024))])
    body = Body(data, chunk=4096, pause=0.02)
    asgi_scope = scope(
        "/bewijs",
        content_type=content_type,
        length=len(data),
        cookies=browser_cookies(client),
        headers={"X-CSRF-Token": csrf_token(client, app)},
    )
    status, _, text = call(impatient, asgi_scope, body)
    assert status == 408 and html.unescape(TOO_SLOW) in html.unescape(text)
    assert body.read < len(body.chunks) and body.after_response == 0
    assert counts(db) == (0, 0, 0) and spool_is_empty(impatient)
