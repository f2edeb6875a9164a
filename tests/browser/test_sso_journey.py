"""The school sign-in end to end in Chromium: the live server with OIDC_PROVIDERS, two real OpenID Providers
(panva's oidc-provider, tests/oidc/provider.mjs, with its HTML login page) as SURFconext and eduID, and the demo's
school sign-in (app/demo/sso.py) on top of the demo. A person clicks the school button, picks their account at
the provider, presses "Inloggen" and comes back signed in, or gets the Dutch refusal."""

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from app.config import Settings
from app.db import make_engine
from app.demo import sso as demo_sso
from app.demo.sso_run import ProviderFailed, start_provider
from tests.browser.a11y import FOREIGN_ORIGINS, assert_accessible
from tests.browser.conftest import RESULTS, SECRET_KEY, LiveServer
from tests.browser.helpers import DESKTOP, query, user_id

OIDC_DIR = Path(__file__).parent.parent / "oidc"
LOTTE = "lotte@demo.jobcoach.nl"
DAAN = "daan@demo.jobcoach.nl"
SHOTS = Path(os.environ.get("SSO_SHOTS_DIR", str(RESULTS)))


def _start(name: str, base_url: str) -> tuple[subprocess.Popen[str], str]:
    try:
        return start_provider(demo_sso.provider_config(name, base_url=base_url))
    except ProviderFailed as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def providers(live_server_port: int) -> Iterator[dict[str, str]]:
    """SURFconext ("school") and eduID ("eduid") on free loopback ports, sending the browser back to the server."""
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir() or shutil.which("node") is None:
        reason = "oidc-provider is not installed: run `npm ci --prefix tests/oidc` (needs Node.js)"
        if os.environ.get("REQUIRE_BROWSER") == "1" or os.environ.get("REQUIRE_OIDC") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    started: list[subprocess.Popen[str]] = []
    urls: dict[str, str] = {}
    try:
        for name in ("school", "eduid"):
            process, urls[name] = _start(name, f"http://127.0.0.1:{live_server_port}")
            started.append(process)
        FOREIGN_ORIGINS.update(urls.values())
        yield urls
    finally:
        FOREIGN_ORIGINS.difference_update(urls.values())
        for process in started:
            process.terminate()
            process.wait(timeout=5)  # the provider closes its keep-alive connections on SIGTERM


@pytest.fixture(scope="module")
def live_server_env(providers: dict[str, str]) -> dict[str, str]:
    return {"OIDC_PROVIDERS": json.dumps(demo_sso.providers_setting(providers))}


@pytest.fixture(scope="module")
def sso_demo(live_server: LiveServer, live_server_env: dict[str, str]) -> demo_sso.SsoDemo:
    """The demo's school sign-in seeded into the live server's database (as `make run-sso` does)."""
    settings = Settings(
        database_url=live_server.database_url,
        secret_key=SECRET_KEY,
        base_url=live_server.base,
        oidc_providers=live_server_env["OIDC_PROVIDERS"],
    )
    engine = make_engine(live_server.database_url)
    try:
        with Session(engine) as session:
            links = demo_sso.seed_sso(session, settings=settings)
            session.commit()
    finally:
        engine.dispose()
    assert links.coordinator_link and links.supervisor_link
    return links


def _context(browser: Any, viewport: dict[str, int] | None = None) -> Any:
    context = browser.new_context(viewport=viewport or DESKTOP, reduced_motion="reduce")
    context.set_default_timeout(10_000)
    return context.new_page()


def _at_provider(page: Any, account: str, title: str) -> None:
    """On the provider's login page: pick the account and press "Inloggen"."""
    page.wait_for_selector("form[action$='/login'] button:text-is('Inloggen')")
    assert page.locator("h1").inner_text() == title
    page.check(f"input[name=account][value={account}]")
    page.click("button:text-is('Inloggen')")


def _school_login(browser: Any, base: str, account: str, *, button: str = "SURFconext", viewport: Any = None) -> Any:
    """From our login page through the school button and the provider, back to us."""
    page = _context(browser, viewport)
    page.goto(f"{base}/login")
    assert_accessible(page, "login with school buttons")
    page.click(f"main a[role=button]:text-is('Inloggen met {button}')")
    _at_provider(page, account, "SURFconext (demo)" if button == "SURFconext" else "eduID (demo)")
    # Back with us: where the callback sent the browser, or the callback's own refusal page.
    page.wait_for_url(lambda url: url.startswith(base + "/"))
    return page


def _identities(live_server: LiveServer, email: str) -> list[tuple[str, str]]:
    return [
        (str(row[0]), str(row[1]))
        for row in query(
            live_server.database_url,
            "SELECT sign_in_identity.sub, sign_in_identity.schac_home_organization FROM sign_in_identity "
            "JOIN user_account ON user_account.id = sign_in_identity.user_id WHERE user_account.email = :e",
            e=email,
        )
    ]


def _signed_in_as(page: Any) -> str:
    return str(page.locator("footer span:has-text('Ingelogd als')").inner_text()).removeprefix("Ingelogd als ")


def _sign_out(page: Any, base: str) -> None:
    page.click("header form[action='/logout'] button")
    page.wait_for_url(f"{base}/uitgelogd")


def test_student_signs_in_with_the_school_account_the_import_knows(
    live_server: LiveServer,
    browser: Any,
    sso_demo: demo_sso.SsoDemo,
) -> None:
    """(a) Lotte's school sends the student number the import stored: linked on the spot, her portfolio opens."""
    base = live_server.base
    assert _identities(live_server, LOTTE) == []
    page = _school_login(browser, base, "hmn-lotte")
    assert page.url == f"{base}/portfolio"
    assert _signed_in_as(page) == "Lotte de Vries"
    assert_accessible(page, "portfolio after school sign-in")
    assert _identities(live_server, LOTTE) == [("hmn-lotte", demo_sso.SCHOOL)]
    page.context.close()


def test_logout_after_school_sign_in_says_surfconext_has_no_single_logout(
    live_server: LiveServer, browser: Any, sso_demo: demo_sso.SsoDemo
) -> None:
    """(d) Daan, found by the principal name the import stored, signs in and out: the page after logout says he
    is still signed in at SURFconext; his session with us is over."""
    base = live_server.base
    page = _school_login(browser, base, "hmn-daan")
    assert page.url == f"{base}/portfolio"
    _sign_out(page, base)
    assert page.locator("h1").inner_text() == "U bent uitgelogd"
    assert "SURFconext kent geen centrale uitlog" in page.locator("main").inner_text()
    assert_accessible(page, "signed out (SSO)")
    page.goto(f"{base}/portfolio")
    assert "/login" in page.url
    page.context.close()
    assert _identities(live_server, DAAN) == [("hmn-daan", demo_sso.SCHOOL)]


def test_new_coordinator_links_the_school_account_through_the_activation_link(
    live_server: LiveServer, browser: Any, sso_demo: demo_sso.SsoDemo
) -> None:
    """(b) The new coordinator opens the welcome mail's link, chooses the school account instead of a password,
    and later signs in with the school button alone."""
    base = live_server.base
    email = demo_sso.NEW_COORDINATOR[1]
    assert sso_demo.coordinator_link is not None
    page = _context(browser)
    page.goto(sso_demo.coordinator_link)
    assert page.locator("h1").inner_text() == "Welkom: activeer uw account"
    assert_accessible(page, "activation with school buttons")
    page.click("section.sso-links a:text-is('Inloggen met SURFconext')")
    _at_provider(page, "hmn-karin", "SURFconext (demo)")
    page.wait_for_url(f"{base}/cohorten")
    assert _signed_in_as(page) == "Karin Smits"
    assert_accessible(page, "coordinator after linking")
    assert _identities(live_server, email) == [("hmn-karin", demo_sso.SCHOOL)]
    _sign_out(page, base)
    page.context.close()

    # The link is spent.
    again = _context(browser)
    again.goto(sso_demo.coordinator_link)
    assert again.locator("h1").inner_text() != "Welkom: activeer uw account"
    again.context.close()

    # Later, in another browser: the school button alone.
    later = _school_login(browser, base, "hmn-karin")
    assert later.url == f"{base}/cohorten"
    assert _signed_in_as(later) == "Karin Smits"
    later.context.close()


def test_praktijkbegeleider_signs_in_with_eduid_after_import_and_activation(
    live_server: LiveServer, browser: Any, sso_demo: demo_sso.SsoDemo
) -> None:
    """(c) Imported with a welcome mail, the praktijkbegeleider activates with eduID (on a phone), and signs in
    with eduID again later."""
    base = live_server.base
    email = demo_sso.GUEST_SUPERVISOR[1]
    assert sso_demo.supervisor_link is not None
    phone = {"width": 375, "height": 812}
    page = _context(browser, phone)
    page.goto(sso_demo.supervisor_link)
    page.click("section.sso-links a:text-is('Inloggen met eduID')")
    _at_provider(page, "eduid-yvonne", "eduID (demo)")
    page.wait_for_url(lambda url: url.startswith(base) and "/login" not in url and "/activeren/" not in url)
    assert _signed_in_as(page) == "Yvonne de Wit"
    landed = page.url
    assert_accessible(page, "praktijkbegeleider after eduID")
    _sign_out(page, base)
    page.context.close()
    assert _identities(live_server, email) == [("eduid-yvonne", demo_sso.GUEST)]

    later = _school_login(browser, base, "eduid-yvonne", button="eduID", viewport=phone)
    assert later.url == landed
    later.context.close()
    assert query(live_server.database_url, "SELECT count(*) FROM sign_in_identity")[0][0] == 4


def test_unknown_identity_gets_the_not_linked_page(
    live_server: LiveServer, browser: Any, sso_demo: demo_sso.SsoDemo
) -> None:
    """(e) A school account nobody imported: the Dutch "nog niet gekoppeld" page; no account, no identity."""
    base = live_server.base
    users_before = query(live_server.database_url, "SELECT count(*) FROM user_account")[0][0]
    identities_before = query(live_server.database_url, "SELECT count(*) FROM sign_in_identity")[0][0]
    page = _school_login(browser, base, "hmn-tim")
    assert page.locator("h1").inner_text() == "Inloggen niet gelukt"
    assert "Uw account is nog niet gekoppeld" in page.locator("[role=alert]").inner_text()
    assert "Vraag uw opleiding om een uitnodiging" in page.locator("[role=alert]").inner_text()
    assert_accessible(page, "school account not linked")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"sso-not-linked-{width}.png"), full_page=True)
    page.goto(f"{base}/portfolio")
    assert "/login" in page.url, "refused, so not signed in"
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"sso-login-{width}.png"), full_page=True)
    page.context.close()
    assert query(live_server.database_url, "SELECT count(*) FROM user_account")[0][0] == users_before
    assert query(live_server.database_url, "SELECT count(*) FROM sign_in_identity")[0][0] == identities_before
    assert user_id(live_server.database_url, LOTTE) > 0
