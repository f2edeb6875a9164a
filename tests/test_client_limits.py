"""Limits per client: a login flood does not starve other pages (logins queue in a lane of their own), failed logins
are limited per client across accounts (password spraying), a praktijkbegeleider's valid link works however much
others guessed from the same address, and `portfolio serve` tells uvicorn which proxies to believe."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session
from typer.testing import CliRunner

from app.accounts import service as accounts
from app.config import get_settings
from app.signoff import service as signoff
from app.web import CSRF_COOKIE
from tests.conftest import PASSWORD, Browser, World, login

# --- password spraying ----------------------------------------------------------------------------------------


def test_wrong_logins_for_many_accounts_from_one_client_get_429(
    app: FastAPI, world: World, client_factory: Callable[[], Browser]
) -> None:
    sprayer = client_factory()
    answers = []
    for n in range(25):  # one guess for each of 25 accounts: never five for one account
        email = world.student.email if n == 0 else f"student{n}@student.nl"
        answers.append(sprayer.post("/login", data={"email": email, "password": "Welkom2026!"}).status_code)
    assert 429 in answers, answers
    first = answers.index(429)
    assert answers[:first] == [400] * first and set(answers[first:]) == {429}
    assert first == app.state.settings.login_client_max_failures
    # The right password from that client waits too; the same person elsewhere gets in.
    blocked = sprayer.post("/login", data={"email": world.other_student.email, "password": PASSWORD})
    assert blocked.status_code == 429 and "Te veel mislukte inlogpogingen" in blocked.text
    elsewhere = Browser(app, follow_redirects=False, client=("192.0.2.7", 50000))
    elsewhere.app_ref = app
    with elsewhere:
        login(elsewhere, world.other_student.email)


def test_an_ipv6_client_is_counted_by_its_64_network(app: FastAPI, db: Session) -> None:
    settings = app.state.settings
    for n in range(settings.login_client_max_failures):
        accounts.record_failed_attempt(db, email=f"doel{n}@school.nl", client=f"2001:db8:0:7::{n + 1:x}")
    db.flush()

    def limited(client: str) -> bool:
        return accounts.authenticate_limit_reached(db, email="nieuw@school.nl", client=client, settings=settings)

    assert limited("2001:db8:0:7:ffff::1")  # another address of the same /64: the same client
    assert not limited("2001:db8:0:8::1") and not limited("192.0.2.1")


def test_wrong_link_tokens_do_not_count_as_failed_logins(app: FastAPI, world: World, client: Browser) -> None:
    for _ in range(app.state.settings.login_client_max_failures):
        assert client.get("/link/geen-echte-link").status_code in {404, 429}
    login(client, world.student.email)


# --- a login flood ------------------------------------------------------------------------------------------------


class BlockedHasher:
    """Argon2 stand-in whose verify waits until the test lets it go (as a hundred real checks would keep a CPU)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.gate = threading.Event()
        self.waiting = 0
        self.lock = threading.Lock()

    def hash(self, password: str) -> str:
        return str(self.real.hash(password))

    def verify(self, password: str, hashed: str) -> bool:
        with self.lock:
            self.waiting += 1
        self.gate.wait(timeout=30)
        return False


def test_a_login_flood_does_not_hold_up_other_pages(
    app: FastAPI, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert app.state.settings.max_active_requests == 2  # two request slots, as in the report
    secret = app.state.settings.secret_key.encode()

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as student:
            await student.get("/login")
            token = hmac.new(secret, student.cookies[CSRF_COOKIE].encode(), hashlib.sha256).hexdigest()
            signed_in = await student.post(
                "/login", data={"email": world.student.email, "password": PASSWORD}, headers={"X-CSRF-Token": token}
            )
            assert signed_in.status_code == 303
            hasher = BlockedHasher(accounts._hasher)
            monkeypatch.setattr(accounts, "_hasher", hasher)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as attacker:
                await attacker.get("/login")
                attack_token = hmac.new(secret, attacker.cookies[CSRF_COOKIE].encode(), hashlib.sha256).hexdigest()

                async def wrong_login(n: int) -> int:
                    data = {"email": f"doelwit{n}@school.nl", "password": "fout-wachtwoord"}
                    response = await attacker.post("/login", data=data, headers={"X-CSRF-Token": attack_token})
                    return response.status_code

                logins = [asyncio.create_task(wrong_login(n)) for n in range(4)]
                try:
                    for _ in range(500):  # until two logins hash (the other two wait in the login lane)
                        if hasher.waiting >= 2:
                            break
                        await asyncio.sleep(0.01)
                    assert hasher.waiting == 2
                    # Both request slots would be held by hashing logins on the old code: this page would wait.
                    page = await asyncio.wait_for(student.get("/portfolio"), timeout=15)
                    assert page.status_code == 200
                finally:
                    hasher.gate.set()
                assert await asyncio.gather(*logins) == [400] * 4

    asyncio.run(scenario())


# --- a praktijkbegeleider's link behind a shared address ------------------------------------------------------------


def test_a_valid_link_works_however_much_others_guessed_from_the_same_address(
    app: FastAPI, db: Session, world: World
) -> None:
    token = signoff.create_link(
        db, supervisor_id=world.supervisor.id or 0, created_by_id=None, settings=app.state.settings
    )
    db.commit()

    def browser(address: str) -> Browser:
        made = Browser(app, follow_redirects=False, client=(address, 50000))
        made.app_ref = app
        return made

    # Behind a load balancer that is not configured as trusted, every client has its address.
    with browser("10.0.0.1") as guesser, browser("10.0.0.1") as supervisor, browser("10.0.0.2") as other:
        limit = app.state.settings.link_max_failures
        guesses = [guesser.get(f"/link/geraden-{n}").status_code for n in range(limit + 5)]
        assert guesses[:limit] == [404] * limit and set(guesses[limit:]) == {429}
        assert supervisor.get(f"/link/{token}").status_code == 200
        assert guesser.get(f"/link/{token}").status_code == 200  # the limit stops guessing; a real link still works
        assert other.get("/link/geraden-0").status_code == 404  # another client's failures are its own


# --- trusted proxies ------------------------------------------------------------------------------------------------


def test_serve_passes_the_trusted_proxies_to_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from app.cli import cli

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.1.2.3,10.1.2.4")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve", "--port", "8123"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert calls and calls[0]["proxy_headers"] is False  # the app applies them (app.logs.RequestId)
    assert calls[0]["forwarded_allow_ips"] == "10.1.2.3,10.1.2.4"


def test_trusted_proxies_default_to_the_local_host(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import Settings

    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    assert Settings().forwarded_allow_ips == "127.0.0.1"
