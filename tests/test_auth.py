"""Accounts: login, server-side sessions, rate limiting, CSRF, security headers, password reset."""

import asyncio
import re
import socket
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from app.accounts.models import User, UserSession
from app.config import ROOT
from app.notifications.models import OutboxMessage
from app.notifications.service import deliver_pending
from tests.conftest import PASSWORD, Browser, World, login, page_csrf


def session_cookie(client: Browser, app: FastAPI) -> str:
    value = client.cookies.get(app.state.settings.session_cookie)
    assert value
    return value


def replay(client_factory: Callable[[], Browser], app: FastAPI, cookie: str) -> Browser:
    """A fresh client carrying a copied session cookie, as an attacker with a stolen cookie would."""
    other = client_factory()
    other.cookies.set(app.state.settings.session_cookie, cookie)
    return other


@pytest.mark.parametrize(
    ("who", "start"),
    [
        ("student", "/portfolio"),
        ("supervisor", "/aftekenen"),  # their work first (#16 item 15)
        ("assessor", "/te-beoordelen"),
        ("coordinator", "/cohorten"),
        ("admin", "/beheer/gebruikers"),
    ],
)
def test_each_role_lands_on_its_own_start_page(world: World, client: Browser, who: str, start: str) -> None:
    login(client, getattr(world, who).email)
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == start
    page = client.get(start)
    assert page.status_code == 200
    if who in ("supervisor", "assessor"):  # "Mijn studenten" one click away
        assert 'href="/mijn-studenten"' in page.text


def test_wrong_password_gives_a_dutch_message_and_no_session(app: FastAPI, world: World, client: Browser) -> None:
    response = client.post("/login", data={"email": world.student.email, "password": "fout-wachtwoord"})
    assert response.status_code == 400
    assert "E-mailadres of wachtwoord klopt niet." in response.text
    assert app.state.settings.session_cookie not in client.cookies


def test_login_rotates_the_session(
    app: FastAPI, db: Session, world: World, client: Browser, client_factory: Callable[[], Browser]
) -> None:
    login(client, world.student.email)
    first = session_cookie(client, app)
    login(client, world.student.email)
    second = session_cookie(client, app)
    assert first != second
    assert replay(client_factory, app, first).get("/portfolio").status_code == 303
    assert replay(client_factory, app, second).get("/portfolio").status_code == 200
    assert len(db.exec(select(UserSession).where(UserSession.user_id == world.student.id)).all()) == 1


def test_logout_ends_the_session_server_side(
    app: FastAPI, world: World, client: Browser, client_factory: Callable[[], Browser]
) -> None:
    login(client, world.student.email)
    cookie = session_cookie(client, app)
    assert replay(client_factory, app, cookie).get("/portfolio").status_code == 200
    assert client.post("/logout").status_code == 303
    replayed = replay(client_factory, app, cookie)
    response = replayed.get("/portfolio")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert replayed.get("/api/v1/me").status_code == 401


def test_disabling_an_account_ends_its_sessions_at_once(
    app: FastAPI, world: World, client_factory: Callable[[], Browser]
) -> None:
    student = client_factory()
    login(student, world.student.email)
    cookie = session_cookie(student, app)
    admin = client_factory()
    login(admin, world.admin.email)
    assert admin.post(f"/beheer/gebruikers/{world.student.id}/blokkeren", data={"bevestig": "ja"}).status_code == 303
    response = replay(client_factory, app, cookie).get("/portfolio")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    again = client_factory()
    blocked = again.post("/login", data={"email": world.student.email, "password": PASSWORD})
    assert blocked.status_code == 403 and "Uw account is geblokkeerd" in blocked.text
    assert app.state.settings.session_cookie not in again.cookies
    # Re-enabling lets the person in again.
    assert admin.post(f"/beheer/gebruikers/{world.student.id}/deblokkeren").status_code == 303
    assert f"{world.student.name} is gedeblokkeerd en kan weer inloggen." in admin.get("/beheer/gebruikers").text
    login(again, world.student.email)


def test_blocked_account_is_told_only_after_the_right_password(
    app: FastAPI, world: World, client_factory: Callable[[], Browser]
) -> None:
    """#16 item 6: blocked accounts hear they are blocked, but a wrong password answers as for any account."""
    admin = client_factory()
    login(admin, world.admin.email)
    assert admin.post(f"/beheer/gebruikers/{world.student.id}/blokkeren", data={"bevestig": "ja"}).status_code == 303
    person = client_factory()
    wrong = person.post("/login", data={"email": world.student.email, "password": "fout-wachtwoord"})
    unknown = person.post("/login", data={"email": "niemand@example.org", "password": "fout-wachtwoord"})
    assert wrong.status_code == unknown.status_code == 400
    assert "geblokkeerd" not in wrong.text and "E-mailadres of wachtwoord klopt niet." in wrong.text
    right = person.post("/login", data={"email": world.student.email, "password": PASSWORD})
    assert right.status_code == 403
    assert "Uw account is geblokkeerd" in right.text
    assert app.state.settings.session_cookie not in person.cookies


def test_blocking_redirects_and_the_notice_shows_once(
    app: FastAPI, world: World, client_factory: Callable[[], Browser]
) -> None:
    """#16 items 2+3: a POST that changes something answers 303; its notice survives the redirect, once."""
    admin = client_factory()
    login(admin, world.admin.email)
    response = admin.post(f"/beheer/gebruikers/{world.student.id}/blokkeren", data={"bevestig": "ja"})
    assert response.status_code == 303 and response.headers["location"] == "/beheer/gebruikers"
    page = admin.get("/beheer/gebruikers")
    assert f"{world.student.name} is geblokkeerd." in page.text
    assert f"{world.student.name} is geblokkeerd." not in admin.get("/beheer/gebruikers").text


def test_an_htmx_fragment_in_between_does_not_eat_the_notice(
    app: FastAPI, world: World, client_factory: Callable[[], Browser]
) -> None:
    """A status poll or a filter (an HTMX fragment) between the redirect and the page neither shows nor clears
    the one-shot notice: the full page it was meant for still shows it."""
    admin = client_factory()
    login(admin, world.admin.email)
    admin.post(f"/beheer/gebruikers/{world.student.id}/blokkeren", data={"bevestig": "ja"})
    fragment = admin.get("/beheer/gebruikers", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "is geblokkeerd." not in fragment.text
    assert f"{world.student.name} is geblokkeerd." in admin.get("/beheer/gebruikers").text


def test_blocking_asks_for_confirmation(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    login(client, world.admin.email)
    page = client.get("/beheer/gebruikers").text
    assert "hx-confirm=" in page and 'name="bevestig"' in page
    response = client.post(f"/beheer/gebruikers/{world.student.id}/blokkeren")
    assert response.status_code == 422 and "Vink aan dat u dit account wilt blokkeren." in response.text
    db.expire_all()
    student = db.get(User, world.student.id)
    assert student is not None and student.is_active


def test_a_tampered_flash_cookie_is_ignored(app: FastAPI, world: World, client: Browser) -> None:
    login(client, world.admin.email)
    client.cookies.set("pf_flash", "eyJzIjoiSGFjayJ9.0000")
    assert "Hack" not in client.get("/beheer/gebruikers").text


def test_idle_session_expires(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    login(client, world.student.email)
    row = db.exec(select(UserSession).where(UserSession.user_id == world.student.id)).one()
    row.last_seen_at = row.last_seen_at - timedelta(minutes=app.state.settings.session_idle_minutes + 1)
    db.add(row)
    db.commit()
    assert client.get("/portfolio").status_code == 303


def test_login_is_rate_limited(app: FastAPI, world: World, client: Browser) -> None:
    limit = app.state.settings.login_max_failures
    for _ in range(limit):
        assert client.post("/login", data={"email": world.student.email, "password": "nee"}).status_code == 400
    blocked = client.post("/login", data={"email": world.student.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Te veel mislukte inlogpogingen" in blocked.text
    assert app.state.settings.session_cookie not in client.cookies


# --- CSRF -------------------------------------------------------------------------------------------


def test_state_changing_requests_need_a_valid_csrf_token(
    app: FastAPI, world: World, client: Browser, client_factory: Callable[[], Browser]
) -> None:
    # No token at all: refused, and the login did not happen.
    response = client.post("/login", data={"email": world.student.email, "password": PASSWORD}, csrf=False)
    assert response.status_code == 403
    assert "beveiligingscode" in response.text
    assert app.state.settings.session_cookie not in client.cookies
    # A wrong token in the form or header: refused.
    bad = {"email": world.student.email, "password": PASSWORD, "csrf_token": "0" * 64}
    assert client.post("/login", data=bad, csrf=False).status_code == 403
    assert client.post("/login", data=bad, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    # Another browser's token does not fit this browser's cookie.
    other = client_factory()
    token_of_other = page_csrf(other.get("/login").text)
    stolen = {"email": world.student.email, "password": PASSWORD, "csrf_token": token_of_other}
    client.get("/login")
    assert client.post("/login", data=stolen, csrf=False).status_code == 403
    # The page's own token works, in the form field as in the header.
    own = page_csrf(client.get("/login").text)
    ok = client.post("/login", data={"email": world.student.email, "password": PASSWORD, "csrf_token": own}, csrf=False)
    assert ok.status_code == 303


def test_htmx_and_multipart_requests_are_csrf_protected(
    app: FastAPI, db: Session, world: World, client: Browser
) -> None:
    login(client, world.coordinator.email)
    csv_file = {"file": ("mensen.csv", b"naam,e-mail,rol,studentnummer\nA B,ab@x.nl,student,1\n", "text/csv")}
    users_before = len(db.exec(select(User)).all())
    refused = client.post(f"/cohorten/{world.cohort.id}/import", files=csv_file, csrf=False)
    assert refused.status_code == 403
    htmx = client.post(
        f"/cohorten/{world.cohort.id}/import", files=csv_file, csrf=False, headers={"HX-Request": "true"}
    )
    assert htmx.status_code == 403
    assert htmx.headers.get("HX-Retarget") == "#meldingen"
    db.expire_all()
    assert len(db.exec(select(User)).all()) == users_before
    accepted = client.post(f"/cohorten/{world.cohort.id}/import", files=csv_file)
    assert accepted.status_code == 303
    db.expire_all()
    assert len(db.exec(select(User)).all()) == users_before + 1


def test_body_carries_the_csrf_token_for_htmx(world: World, client: Browser) -> None:
    login(client, world.student.email)
    html = client.get("/portfolio").text
    match = re.search(r"<body hx-headers='\{\"X-CSRF-Token\": \"([0-9a-f]{64})\"\}'>", html)
    assert match and match.group(1) == page_csrf(html)


# --- headers and pages ------------------------------------------------------------------------------


def test_security_headers(world: World, client: Browser) -> None:
    login(client, world.student.email)
    page = client.get("/portfolio")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert client.get("/api/v1/me").headers["cache-control"] == "no-store"
    static = client.get("/static/app.css")
    assert static.status_code == 200 and static.headers.get("cache-control") != "no-store"
    cookie_header = [h for h in page.headers.get_list("set-cookie")] + []
    del cookie_header


def test_session_cookie_is_httponly_and_samesite(world: World, client: Browser) -> None:
    response = client.post("/login", data={"email": world.student.email, "password": PASSWORD})
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("pf_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")


def test_templates_have_no_inline_script_or_handlers() -> None:
    """The CSP forbids inline script; a template that relies on it would silently break."""
    offenders = []
    for path in Path(ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+\s*=", text):
            offenders.append(str(path))
    assert offenders == []


def test_htmx_gets_the_partial_and_a_browser_the_page(world: World, client: Browser) -> None:
    login(client, world.student.email)
    full = client.get("/portfolio")
    partial = client.get("/portfolio", headers={"HX-Request": "true"})
    assert "<html" in full.text and "<html" not in partial.text
    assert "IA-a" in partial.text
    assert partial.headers["vary"] == "HX-Request"


def test_anonymous_html_goes_to_login_and_api_gets_401(client: Browser) -> None:
    response = client.get("/portfolio")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/portfolio"
    api = client.get("/api/v1/me")
    assert api.status_code == 401 and api.json()["detail"] == "Log eerst in."


def test_login_next_is_local_only(world: World, client: Browser) -> None:
    response = client.post(
        "/login", data={"email": world.student.email, "password": PASSWORD, "next": "//evil.example/x"}
    )
    assert response.headers["location"] == "/"


# --- password reset ---------------------------------------------------------------------------------


def reset_link(db: Session, email: str) -> str:
    db.expire_all()
    body = db.exec(
        select(OutboxMessage.body).where(OutboxMessage.to_address == email).order_by(col(OutboxMessage.id).desc())
    ).first()
    assert body, "no mail queued"
    match = re.search(r"http://testserver(/wachtwoord-herstellen/\S+)", body)
    assert match
    return match.group(1)


def test_password_reset_by_single_use_link(
    app: FastAPI, db: Session, world: World, client: Browser, client_factory: Callable[[], Browser]
) -> None:
    old_session = client_factory()
    login(old_session, world.student.email)
    response = client.post("/wachtwoord-vergeten", data={"email": world.student.email})
    assert response.status_code == 200 and "Als dit e-mailadres bij ons bekend is" in response.text
    link = reset_link(db, world.student.email)
    # Opening the link (a mail scanner, a second look) consumes nothing.
    assert client.get(link).status_code == 200
    assert client.head(link).status_code in {200, 405}
    assert client.get(link).status_code == 200
    short = client.post(link, data={"password": "kort", "password_again": "kort"})
    assert short.status_code == 422 and "minstens 10 tekens" in short.text
    done = client.post(link, data={"password": "een-nieuw-wachtwoord", "password_again": "een-nieuw-wachtwoord"})
    assert done.status_code == 200
    # Single use; old sessions ended; the new password works, the old one not.
    reused = client.get(link)
    assert reused.status_code == 404 and "ongeldig, verlopen of al gebruikt" in reused.text
    assert old_session.get("/portfolio").status_code == 303
    fresh = client_factory()
    assert fresh.post("/login", data={"email": world.student.email, "password": PASSWORD}).status_code == 400
    login(fresh, world.student.email, "een-nieuw-wachtwoord")


def test_password_reset_for_unknown_address_says_the_same_and_sends_nothing(db: Session, client: Browser) -> None:
    response = client.post("/wachtwoord-vergeten", data={"email": "niemand@nergens.nl"})
    assert response.status_code == 200 and "Als dit e-mailadres bij ons bekend is" in response.text
    assert db.exec(select(OutboxMessage)).all() == []


def test_queued_mail_is_delivered_over_smtp(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    received: list[bytes] = []

    class Collect(Sink):
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            received.append(envelope.content)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        client.post("/wachtwoord-vergeten", data={"email": world.student.email})
        settings = app.state.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
        sent = asyncio.run(deliver_pending(db, settings=settings))
    finally:
        controller.stop()
    assert sent == 1
    assert b"/wachtwoord-herstellen/" in received[0]
    db.expire_all()
    assert db.exec(select(OutboxMessage)).one().sent_at is not None


def test_access_log_does_not_keep_tokens(app: FastAPI) -> None:
    import logging

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1", "GET", "/link/AbC_123-xyz/verzoeken/4", "1.1", 200),
        None,
    )
    for log_filter in logging.getLogger("uvicorn.access").filters:
        log_filter.filter(record)
    assert "AbC_123-xyz" not in record.getMessage() and "/link/…/verzoeken/4" in record.getMessage()


def test_the_request_commits_before_the_response_is_sent(app: FastAPI, db: Session, world: World) -> None:
    """A browser follows a redirect at once: what the POST wrote must be visible by then (one commit point)."""
    import asyncio
    import hashlib
    import hmac
    from urllib.parse import urlencode

    from app.web import CSRF_COOKIE

    raw = "c" * 43
    token = hmac.new(app.state.settings.secret_key.encode(), raw.encode(), hashlib.sha256).hexdigest()
    body = urlencode({"email": world.student.email, "password": PASSWORD, "csrf_token": token}).encode()
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "path": "/login",
        "raw_path": b"/login",
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 5000),
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
            (b"cookie", f"{CSRF_COOKIE}={raw}".encode()),
        ],
    }
    seen_at_start: list[int] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            with Session(app.state.engine) as other:
                seen_at_start.append(len(other.exec(select(UserSession)).all()))

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    assert seen_at_start == [1]


def test_a_reset_mail_goes_out_right_after_the_request(app: FastAPI, world: World, client: Browser) -> None:
    """No waiting for the worker: the request that queued the mail delivers it once it has committed."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    received: list[bytes] = []

    class Collect(Sink):
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            received.append(envelope.content)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.state.settings.smtp_host = "127.0.0.1"
        app.state.settings.smtp_port = port
        response = client.post("/wachtwoord-vergeten", data={"email": world.student.email})
    finally:
        controller.stop()
    assert response.status_code == 200
    assert len(received) == 1 and b"/wachtwoord-herstellen/" in received[0]
